"""Prometheus metrics, in a registry per app so that tests can build several apps in one process."""

from __future__ import annotations

from collections import Counter as Tally
from collections.abc import Iterator

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import CounterMetricFamily, Metric
from prometheus_client.registry import Collector

from server.native import guard_is_compiled


class Traffic:
    """WebSocket traffic as plain integers, read when /metrics is scraped: they change on every
    message and every delivery, where a prometheus Counter would take a lock each time."""

    __slots__ = ("bytes_in", "bytes_out", "messages_in", "messages_out")

    def __init__(self) -> None:
        self.messages_in: Tally[str] = Tally()  # by message kind
        self.bytes_in = 0
        self.messages_out = 0
        self.bytes_out = 0


class _TrafficCollector(Collector):
    def __init__(self, traffic: Traffic) -> None:
        self.traffic = traffic

    def collect(self) -> Iterator[Metric]:
        t = self.traffic
        received = CounterMetricFamily(
            "planboard_messages_in", "WebSocket messages received", labels=["kind"]
        )
        for kind, count in sorted(t.messages_in.items()):
            received.add_metric([kind], count)
        yield received
        yield CounterMetricFamily(
            "planboard_messages_out", "WebSocket messages queued to clients", value=t.messages_out
        )
        yield CounterMetricFamily(
            "planboard_bytes_in", "WebSocket bytes received", value=t.bytes_in
        )
        yield CounterMetricFamily(
            "planboard_bytes_out", "WebSocket bytes queued", value=t.bytes_out
        )


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.connections = Gauge("planboard_connections", "Open WebSocket connections", registry=r)
        self.rooms = Gauge("planboard_rooms_loaded", "Documents loaded in memory", registry=r)
        self.guard_compiled = Gauge(
            "planboard_guard_compiled",
            "1 when the guard runs compiled by mypyc (server/native.py), 0 as Python",
            registry=r,
        )
        self.guard_compiled.set_function(lambda: float(guard_is_compiled()))
        self.traffic = Traffic()
        r.register(_TrafficCollector(self.traffic))
        self.closes = Counter(
            "planboard_closes", "Connections closed by the server", ["code"], registry=r
        )
        self.compensations = Counter(
            "planboard_compensations",
            "Client updates compensated because they broke a rule",
            ["rule"],
            registry=r,
        )
        self.store_latency = Histogram(
            "planboard_store_seconds",
            "Latency of store operations",
            ["op"],
            buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0),
            registry=r,
        )
        self.loop_lag = Gauge(
            "planboard_event_loop_lag_seconds", "Last measured event loop lag", registry=r
        )
        self.commands = Counter(
            "planboard_commands", "Commands applied", ["type", "outcome"], registry=r
        )

    def count_close(self, code: int) -> None:
        """One close by the server, by code (a bound method each connection keeps, not a
        closure: bench S4)."""
        self.closes.labels(str(code)).inc()
