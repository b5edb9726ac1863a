"""Prometheus metrics, in a registry per app so that tests can build several apps in one process."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.connections = Gauge("planboard_connections", "Open WebSocket connections", registry=r)
        self.rooms = Gauge("planboard_rooms_loaded", "Documents loaded in memory", registry=r)
        self.messages_in = Counter(
            "planboard_messages_in", "WebSocket messages received", ["kind"], registry=r
        )
        self.messages_out = Counter(
            "planboard_messages_out", "WebSocket messages queued to clients", registry=r
        )
        self.bytes_in = Counter("planboard_bytes_in", "WebSocket bytes received", registry=r)
        self.bytes_out = Counter("planboard_bytes_out", "WebSocket bytes queued", registry=r)
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
