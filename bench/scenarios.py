"""The scenarios S1-S9: each starts its own server process(es) and generator, bounded in time.

A scenario returns plain dicts (JSON-ready). Server CPU and RSS are read at the generator's
"measuring"/"measured" marks, so they cover exactly the window whose deliveries are counted.
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import shutil
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from generator import LoadGen
from servers import (
    PEERS,
    PlanboardServer,
    RedisServer,
    RoomAccess,
    Sample,
    Server,
    redis_available,
)

log = logging.getLogger("bench")
MIB = 1 << 20
CLOCK_TICKS = 100  # USER_HZ of /proc/stat


@dataclass(frozen=True)
class Plan:
    """Sizes and durations; `quick()` is the smoke run (about a minute for three peers)."""

    s1_clients: tuple[int, ...] = (50, 200, 500)
    writers: int = 10
    rate: float = 5.0
    observers: int = 4
    warmup: float = 1.0
    duration: float = 5.0
    grace: float = 1.5
    s2_rooms: int = 100
    s2_room_size: int = 4
    s2_observed_rooms: int = 10
    s3_notes: int = 2000
    s3_joins: int = 20
    s3_boards: int = 10
    s3_store_joins: int = 10
    s4_connections: int = 1000
    s4_rooms: int = 10
    s5_clients: int = 100
    s6_clients: int = 200
    s6_writers: int = 40
    s6_start: float = 50.0  # updates/s over all writers
    s6_factor: float = 1.35
    s6_duration: float = 3.0
    s6_budget: float = 90.0  # seconds of ladder per peer
    s6_p99_ms: float = 100.0
    settle: float = 1.0  # seconds for RSS to settle before it is read
    s7_movers: int = 100
    s7_observers: int = 5
    s7_rate: float = 10.0  # cursor moves per second per mover
    s8_clients: int = 150
    s8_within: float = 1.0  # seconds over which the joins start
    s8_notes: int = 2000
    s8_text: int = 1990  # characters per note (planboard's limit is 2,000): about 4 MB
    s9_notes: int = 5000
    s9_small_notes: int = 10
    s9_joins: int = 20
    s9_store_joins: int = 5
    s9_writers: int = 2
    s9_rate: float = 25.0  # updates/s per writer in the guard-cost windows

    @classmethod
    def quick(cls) -> Plan:
        return cls(
            s1_clients=(200,),
            warmup=0.5,
            duration=2.0,
            grace=0.5,
            s2_rooms=20,
            s2_observed_rooms=4,
            s3_joins=5,
            s3_boards=2,
            s3_store_joins=2,
            s4_connections=200,
            s4_rooms=2,
            s5_clients=40,
            s6_factor=2.0,
            s6_duration=1.5,
            s6_budget=6.0,
            settle=0.5,
            s7_movers=40,
            s8_clients=30,
            s8_notes=500,
            s9_notes=2000,
            s9_joins=5,
            s9_store_joins=2,
        )


def _cpu_busy() -> list[float]:
    """Busy seconds of each core so far (/proc/stat), to see what else ran on it."""
    busy: list[float] = []
    with open("/proc/stat") as f:
        for line in f:
            if line.startswith("cpu") and line[3].isdigit():
                v = [int(x) for x in line.split()[1:]]
                busy.append((sum(v[:8]) - v[3] - v[4]) / CLOCK_TICKS)
    return busy


class Bench:
    """Shared state of one run: the plan, a scratch folder, and a way to start peers."""

    def __init__(self, plan: Plan, workdir: Path) -> None:
        self.plan = plan
        self.workdir = workdir
        self._count = 0

    def scratch(self, name: str) -> Path:
        self._count += 1
        path = self.workdir / f"{self._count:03d}-{name.replace('/', '_').replace('@', '')}"
        path.mkdir(parents=True, exist_ok=True)
        return path

    @contextlib.contextmanager
    def running(self, peer: str, **server_args: Any) -> Iterator[tuple[Server, LoadGen]]:
        """A fresh server process of `peer` and a fresh generator; both stopped afterwards."""
        where = self.scratch(peer)
        server = PEERS[peer](workdir=where, **server_args)
        server.start()
        gen = LoadGen(where / "loadgen.log")
        try:
            yield server, gen
        finally:
            with contextlib.suppress(Exception):
                gen.call({"cmd": "close_all"}, timeout=30)
            gen.close()
            server.stop()


# -- measuring ---------------------------------------------------------------------------------
def connect(gen: LoadGen, groups: list[dict[str, Any]], timeout: float = 120) -> dict[str, Any]:
    result = gen.call({"cmd": "connect", "groups": groups}, timeout=timeout)
    if result["failed"]:
        log.warning("  %d connections failed: %s", result["failed"], result["errors"])
    return result


def measure(
    gen: LoadGen,
    servers: list[Server],
    *,
    rate: float,
    warmup: float,
    duration: float,
    grace: float,
    writers: int | None = None,
) -> dict[str, Any]:
    """One load window; adds the servers' CPU, RSS and the other load on each core."""
    res = _window(
        gen,
        servers,
        {
            "cmd": "load",
            "rate": rate,
            "warmup": warmup,
            "duration": duration,
            "grace": grace,
            "writers": writers,
        },
        timeout=warmup + duration + grace + 60,
    )
    deliveries = res["deliveries"]
    server_cpu = res["server_cpu_s"]
    res.update(
        cpu_ms_per_1k=(1000 * server_cpu / (deliveries / 1000)) if deliveries else None,
        updates_per_s=res["sent_in_window"] / (res["wall_ms"] / 1000),
    )
    return res


def _window(
    gen: LoadGen, servers: list[Server], command: dict[str, Any], timeout: float
) -> dict[str, Any]:
    """A generator command that prints the "measuring"/"measured" marks: the servers' CPU and
    RSS, and the other load on each core, between the marks."""
    marks: dict[str, tuple[list[Sample], list[float]]] = {}

    def on_event(event: str) -> None:
        marks[event] = ([s.sample() for s in servers], _cpu_busy())

    res = gen.call(command, timeout=timeout, on_event=on_event)
    (s0, busy0), (s1, busy1) = marks["measuring"], marks["measured"]
    wall = s1[0].at - s0[0].at
    server_cpu = sum(b.cpu_s - a.cpu_s for a, b in zip(s0, s1, strict=True))
    core0_other = (busy1[0] - busy0[0]) - server_cpu
    loadgen_cpu_s = res["loadgen_cpu"] * wall
    core1_other = (busy1[1] - busy0[1]) - loadgen_cpu_s if len(busy1) > 1 else 0.0
    res.update(
        server_cpu_s=server_cpu,
        server_cpu_pct=100 * server_cpu / wall,
        rss_mib=[s.rss / MIB for s in s1],
        loadgen_cpu_pct=100 * res["loadgen_cpu"],
        other_core0_pct=max(0.0, 100 * core0_other / wall),
        other_core1_pct=max(0.0, 100 * core1_other / wall),
    )
    return res


def _latency(res: dict[str, Any], label: str = "observer") -> dict[str, Any]:
    lat: dict[str, Any] = res["latency"].get(label, {})
    return lat


def _summary(res: dict[str, Any], label: str = "observer") -> dict[str, Any]:
    """The figures a table shows, from one window."""
    lat = _latency(res, label)
    return {
        "p50_ms": lat.get("p50"),
        "p95_ms": lat.get("p95"),
        "p99_ms": lat.get("p99"),
        "max_ms": lat.get("max"),
        "samples": lat.get("n"),
        "missing": lat.get("missing"),
        "updates_per_s": res["updates_per_s"],
        "deliveries_per_s": res["deliveries_per_s"],
        "echoes": res["echoes"],
        "cpu_ms_per_1k": res["cpu_ms_per_1k"],
        "server_cpu_pct": res["server_cpu_pct"],
        "rss_mib": res["rss_mib"][0],
        "loadgen_cpu_pct": res["loadgen_cpu_pct"],
        "other_core0_pct": res["other_core0_pct"],
        "other_core1_pct": res["other_core1_pct"],
        "open": res["open"],
        "closes": res["closes"],
    }


def _fanout_groups(
    room: RoomAccess, port: int, *, clients: int, writers: int, observers: int
) -> list[dict[str, Any]]:
    readers = room.reader_urls(port)
    return [
        {
            "kind": "writer",
            "count": writers,
            "urls": room.writer_urls(port),
            "authors": room.writer_authors,
        },
        {"kind": "observer", "count": observers, "urls": readers},
        {"kind": "reader", "count": clients - writers - observers, "urls": readers},
    ]


# -- S1: one room --------------------------------------------------------------------------------
def s1_one_room(bench: Bench, peer: str) -> dict[str, Any]:
    """One room, N clients, 10 writers at 5 updates/s: the everyday case, at three sizes."""
    p = bench.plan
    out: dict[str, Any] = {}
    for n in p.s1_clients:
        with bench.running(peer) as (server, gen):
            room = server.room(p.writers, n - p.writers)
            groups = _fanout_groups(
                room, server.port, clients=n, writers=p.writers, observers=p.observers
            )
            conn = connect(gen, groups)
            res = measure(
                gen,
                [server],
                rate=p.rate,
                warmup=p.warmup,
                duration=p.duration,
                grace=p.grace,
            )
            out[str(n)] = {**_summary(res), "connected": conn["connected"], "clients": n}
        log.info("  S1 %s clients=%d: %s", peer, n, _brief(out[str(n)]))
    return out


# -- S2: many small rooms ---------------------------------------------------------------------
def s2_groups(server: Server, p: Plan) -> list[dict[str, Any]]:
    """S2's clients: per room one writer, then one observer (in the first rooms) and readers."""
    groups: list[dict[str, Any]] = []
    for r in range(p.s2_rooms):
        room = server.room(1, p.s2_room_size - 1)
        readers = room.reader_urls(server.port)
        observed = 1 if r < p.s2_observed_rooms else 0
        groups.append(
            {
                "kind": "writer",
                "count": 1,
                "urls": room.writer_urls(server.port),
                "authors": room.writer_authors,
                "index_base": r,
            }
        )
        if observed:
            groups.append({"kind": "observer", "count": 1, "urls": readers})
        groups.append({"kind": "reader", "count": p.s2_room_size - 1 - observed, "urls": readers})
    return groups


def s2_many_rooms(bench: Bench, peer: str) -> dict[str, Any]:
    """100 rooms of 4 (1 writer at 5/s each): per-room overhead instead of fan-out width."""
    p = bench.plan
    with bench.running(peer) as (server, gen):
        conn = connect(gen, s2_groups(server, p))
        res = measure(
            gen, [server], rate=p.rate, warmup=p.warmup, duration=p.duration, grace=p.grace
        )
        out = {
            **_summary(res),
            "rooms": p.s2_rooms,
            "room_size": p.s2_room_size,
            "connected": conn["connected"],
        }
    log.info("  S2 %s: %s", peer, _brief(out))
    return out


# -- S3: cold join of a large board -------------------------------------------------------------
def s3_cold_join(bench: Bench, peer: str) -> dict[str, Any]:
    """Join a 2,000-note board with an empty doc; memory of loaded boards.

    The peers keep a doc only while someone is connected, so a keeper connection holds each
    board; the joins measure connect -> sync step 2 received (what the server controls).
    planboard also joins boards that are not in memory (loaded from SQLite): `from_store`.
    """
    p = bench.plan
    args: dict[str, Any] = {}
    if peer == "planboard":
        args["env_extra"] = {"PLANBOARD_IDLE_UNLOAD": "1"}
    with bench.running(peer, **args) as (server, gen):
        rooms = [server.room(0, 1) for _ in range(p.s3_boards)]
        if peer == "planboard":
            time.sleep(1.5)  # boards that creating them loaded are unloaded again
        base = server.sample()
        seeds = []
        for room in rooms:
            seeds.append(
                gen.call(
                    {
                        "cmd": "seed",
                        "url": room.seed_url(server.port),
                        "author": room.seed_author,
                        "notes": p.s3_notes,
                        "keep": True,
                    },
                    timeout=120,
                )
            )
        time.sleep(p.settle)
        loaded = server.sample()
        joins = gen.call(
            {"cmd": "coldjoin", "url": rooms[0].reader_urls(server.port)[0], "n": p.s3_joins},
            timeout=300,
        )
        out: dict[str, Any] = {
            "notes": p.s3_notes,
            "notes_received": joins["notes"],
            "doc_bytes": joins["bytes"],
            "join_p50_ms": _pct(joins["times_ms"], 0.5),
            "join_p95_ms": _pct(joins["times_ms"], 0.95),
            "join_max_ms": max(joins["times_ms"]),
            "handshake_p50_ms": _pct(joins["open_ms"], 0.5),
            "client_apply_p50_ms": _pct(joins["apply_ms"], 0.5),
            "seed_ms_p50": _pct([s["ms"] for s in seeds], 0.5),
            "boards": p.s3_boards,
            "rss_per_board_mib": (loaded.rss - base.rss) / p.s3_boards / MIB,
            "rss_mib": loaded.rss / MIB,
        }
        if peer == "planboard" and p.s3_store_joins:
            gen.call({"cmd": "close_all"}, timeout=30)  # keepers leave: boards unload after 1 s
            times: list[float] = []
            for _ in range(p.s3_store_joins):
                time.sleep(1.6)
                r = gen.call(
                    {
                        "cmd": "coldjoin",
                        "url": rooms[0].reader_urls(server.port)[0],
                        "n": 1,
                        "pause": 0,
                    },
                    timeout=120,
                )
                times.extend(r["times_ms"])
            out["from_store_p50_ms"] = _pct(times, 0.5)
            out["from_store_p95_ms"] = _pct(times, 0.95)
    log.info(
        "  S3 %s: join p50 %.2f ms p95 %.2f ms, %.1f MiB/board%s",
        peer,
        out["join_p50_ms"],
        out["join_p95_ms"],
        out["rss_per_board_mib"],
        f", from store p50 {out['from_store_p50_ms']:.1f} ms" if "from_store_p50_ms" in out else "",
    )
    return out


# -- S4: idle connections ---------------------------------------------------------------------
def s4_idle(bench: Bench, peer: str) -> dict[str, Any]:
    """1,000 synced, idle connections over 10 rooms: memory per connection."""
    p = bench.plan
    per_room = p.s4_connections // p.s4_rooms
    with bench.running(peer) as (server, gen):
        rooms = [server.room(0, per_room) for _ in range(p.s4_rooms)]
        openers = [
            {"kind": "reader", "count": 1, "urls": room.reader_urls(server.port)[:1]}
            for room in rooms
        ]
        connect(gen, openers)
        time.sleep(p.settle)
        base = server.sample()
        rest = [
            {
                "kind": "reader",
                "count": per_room - 1,
                "urls": room.reader_urls(server.port)[1:] or room.reader_urls(server.port),
            }
            for room in rooms
        ]
        t0 = time.monotonic()
        conn = connect(gen, rest, timeout=300)
        connect_s = time.monotonic() - t0
        time.sleep(2 * p.settle)
        after = server.sample()
        added = conn["connected"] - p.s4_rooms
        out = {
            "connections": conn["connected"],
            "failed": conn["failed"],
            "connect_s": connect_s,
            "rss_per_conn_kib": (after.rss - base.rss) / max(added, 1) / 1024,
            "rss_mib": after.rss / MIB,
            "cpu_ms_per_connect": 1000 * (after.cpu_s - base.cpu_s) / max(added, 1),
        }
    log.info("  S4 %s: %.1f KiB/conn (%d conns)", peer, out["rss_per_conn_kib"], out["connections"])
    return out


# -- S5: the Redis hop --------------------------------------------------------------------------
def s5_redis(bench: Bench) -> dict[str, Any]:
    """Two planboard instances on one Redis: writers on A, observers on A (local) and B (remote).

    Local and remote observers watch the same updates in the same window, so the difference
    of their latencies is the hop: store on Redis, publish, B's subscriber, B's fan-out.
    """
    reason = redis_available()
    if reason is not None:
        return {"available": False, "reason": reason}
    p = bench.plan
    where = bench.scratch("s5")
    redis = RedisServer(workdir=where / "redis")
    servers: list[Server] = []
    gen: LoadGen | None = None
    try:
        redis.start()
        a = PlanboardServer(workdir=where / "a", redis_url=redis.url)
        a.start()
        servers.append(a)
        b = PlanboardServer(workdir=where / "b", redis_url=redis.url, secret=a.secret)
        b.start()
        servers.append(b)
        gen = LoadGen(where / "loadgen.log")
        n = p.s5_clients
        room = a.room(p.writers, n - p.writers)
        readers_per_side = (n - p.writers - 2 * p.observers) // 2
        groups = [
            {
                "kind": "writer",
                "count": p.writers,
                "urls": room.writer_urls(a.port),
                "authors": room.writer_authors,
            },
            {
                "kind": "observer",
                "count": p.observers,
                "urls": room.reader_urls(a.port),
                "label": "local",
            },
            {
                "kind": "observer",
                "count": p.observers,
                "urls": room.reader_urls(b.port),
                "label": "remote",
            },
            {"kind": "reader", "count": readers_per_side, "urls": room.reader_urls(a.port)},
            {"kind": "reader", "count": readers_per_side, "urls": room.reader_urls(b.port)},
        ]
        conn = connect(gen, groups)
        res = measure(
            gen,
            [a, b, redis],
            rate=p.rate,
            warmup=p.warmup + 1.0,
            duration=p.duration,
            grace=p.grace,
        )
        local, remote = _latency(res, "local"), _latency(res, "remote")
        out = {
            "available": True,
            "clients": n,
            "connected": conn["connected"],
            "local": local,
            "remote": remote,
            "added_p50_ms": _sub(remote.get("p50"), local.get("p50")),
            "added_p99_ms": _sub(remote.get("p99"), local.get("p99")),
            "deliveries_per_s": res["deliveries_per_s"],
            "cpu_ms_per_1k": res["cpu_ms_per_1k"],
            "rss_mib": res["rss_mib"],
            "loadgen_cpu_pct": res["loadgen_cpu_pct"],
            "other_core0_pct": res["other_core0_pct"],
            "closes": res["closes"],
        }
    except Exception as exc:  # a store or backplane still being written: say so, go on
        log.exception("S5 failed")
        logs = " | ".join(s.log_tail(600) for s in servers)
        return {"available": False, "reason": f"failed: {exc}", "log": logs}
    finally:
        if gen is not None:
            with contextlib.suppress(Exception):
                gen.call({"cmd": "close_all"}, timeout=30)
            gen.close()
        for s in servers:
            s.stop()
        redis.stop()
    log.info(
        "  S5 planboard+redis: local p50 %s ms, remote p50 %s ms, added %s ms",
        local.get("p50"),
        remote.get("p50"),
        out["added_p50_ms"],
    )
    return out


# -- S6: saturation --------------------------------------------------------------------------
def s6_saturation(
    bench: Bench, peer: str, on_step: Callable[[Server, float], None] | None = None
) -> dict[str, Any]:
    """Raise the write rate (x1.35 per step) until p99 passes 100 ms; report deliveries/s.

    A step fails on p99 > 100 ms (updates never seen count as infinitely late) or when the
    server closes clients (planboard's bounded queues answer a backlog with 1013).
    """
    p = bench.plan
    with bench.running(peer) as (server, gen):
        room = server.room(p.s6_writers, p.s6_clients - p.s6_writers)
        groups = _fanout_groups(
            room,
            server.port,
            clients=p.s6_clients,
            writers=p.s6_writers,
            observers=p.observers,
        )
        conn = connect(gen, groups)
        steps: list[dict[str, Any]] = []
        total = p.s6_start
        started = time.monotonic()
        while time.monotonic() - started < p.s6_budget:
            if on_step is not None:
                on_step(server, total)
            res = measure(
                gen,
                [server],
                rate=total / p.s6_writers,
                warmup=p.warmup,
                duration=p.s6_duration,
                grace=p.grace,
            )
            step = {**_summary(res), "target_updates_per_s": total}
            p99 = step["p99_ms"]
            step["ok"] = (
                p99 is not None
                and p99 <= p.s6_p99_ms
                and not res["closes"]
                and res["open"] == conn["connected"]
            )
            steps.append(step)
            log.info("  S6 %s %.0f updates/s: %s", peer, total, _brief(step))
            if not step["ok"]:
                break
            total *= p.s6_factor
        passed = [s for s in steps if s["ok"]]
        best = max(passed, key=lambda s: s["deliveries_per_s"]) if passed else None
        return {
            "clients": p.s6_clients,
            "writers": p.s6_writers,
            "max_deliveries_per_s": best["deliveries_per_s"] if best else 0.0,
            "at_updates_per_s": best["updates_per_s"] if best else 0.0,
            "p99_at_max_ms": best["p99_ms"] if best else None,
            "reached_limit": bool(steps) and not steps[-1]["ok"],
            "generator_bound": any(s["loadgen_cpu_pct"] > 90 for s in steps),
            "steps": steps,
        }


# -- S7: presence ------------------------------------------------------------------------------
def s7_presence(bench: Bench, peer: str) -> dict[str, Any]:
    """100 clients each moving a cursor at 10 Hz (awareness updates), 5 observers timing them.

    Every client has its own token on planboard (it binds the member's identity into each
    state). Observers check that a mover's clock never goes backwards and, after the movers
    stop, that they hold every mover's last clock (latest state wins, none lost).
    """
    p = bench.plan
    with bench.running(peer) as (server, gen):
        room = server.room(0, p.s7_movers + p.s7_observers)
        urls = room.reader_urls(server.port)
        groups = [
            {"kind": "mover", "count": p.s7_movers, "urls": urls[: p.s7_movers]},
            {"kind": "pobserver", "count": p.s7_observers, "urls": urls[p.s7_movers :] or urls},
        ]
        conn = connect(gen, groups)
        res = _window(
            gen,
            [server],
            {
                "cmd": "presence",
                "rate": p.s7_rate,
                "warmup": p.warmup,
                "duration": p.duration,
                "grace": p.grace,
            },
            timeout=p.warmup + p.duration + p.grace + 60,
        )
        lat = res["latency"]
        wall = res["wall_ms"] / 1000
        cursor_in = res["sent_in_window"]
        stats = res["stats"]
        out = {
            "movers": p.s7_movers,
            "observers": p.s7_observers,
            "connected": conn["connected"],
            "cursor_updates_per_s": cursor_in / wall,
            "p50_ms": lat["p50"],
            "p95_ms": lat["p95"],
            "p99_ms": lat["p99"],
            "max_ms": lat["max"],
            "samples": lat["n"],
            "states_sent_x_observers": res["states_sent_x_observers"],
            "server_cpu_pct": res["server_cpu_pct"],
            "cpu_ms_per_1k_cursor": (1000 * res["server_cpu_s"] / (cursor_in / 1000))
            if cursor_in
            else None,
            "frames_per_s": res["frames_per_s"],
            "bytes_per_s": res["bytes_per_s"],
            "awareness_frames_per_s": res["awareness_frames"] / wall,
            "reordered": stats["reordered"],
            "duplicates": stats["duplicates"],
            "superseded": stats["superseded"],
            "undecodable": stats["undecodable"],
            "final_missing": res["final_missing"],
            "finals_expected": res["finals_expected"],
            "rss_mib": res["rss_mib"][0],
            "loadgen_cpu_pct": res["loadgen_cpu_pct"],
            "other_core0_pct": res["other_core0_pct"],
            "other_core1_pct": res["other_core1_pct"],
            "open": res["open"],
            "closes": res["closes"],
        }
    log.info(
        "  S7 %s: cursor p50 %s p99 %s ms, server %.1f%%, %.0f frames/s, %.0f KiB/s, "
        "reordered %d, finals missing %d/%d, loadgen %.0f%%",
        peer,
        out["p50_ms"],
        out["p99_ms"],
        out["server_cpu_pct"],
        out["frames_per_s"],
        out["bytes_per_s"] / 1024,
        out["reordered"],
        out["final_missing"],
        out["finals_expected"],
        out["loadgen_cpu_pct"],
    )
    return out


# -- S8: join storm ----------------------------------------------------------------------------
class RssSampler:
    """Samples a server's RSS every `interval` s in a thread: the peak of a short event."""

    def __init__(self, server: Server, interval: float = 0.05) -> None:
        self.server = server
        self.interval = interval
        self.peak = 0
        self.samples = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            with contextlib.suppress(Exception):
                self.peak = max(self.peak, self.server.sample().rss)
                self.samples += 1
            self._stop.wait(self.interval)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(5)


# planboard's limits a single writer of a multi-megabyte board passes (the seed is one client).
_BIG_SEED_ENV = {"PLANBOARD_RATE_BYTES": str(1 << 30)}


def s8_join_storm(bench: Bench, peer: str) -> dict[str, Any]:
    """150 clients join a ~4 MB board within one second: time to synced, the server's peak RSS."""
    p = bench.plan
    args: dict[str, Any] = {}
    if peer == "planboard":
        args["env_extra"] = dict(_BIG_SEED_ENV)
    with bench.running(peer, **args) as (server, gen):
        room = server.room(0, p.s8_clients)
        seeded = gen.call(
            {
                "cmd": "seed",
                "url": room.seed_url(server.port),
                "author": room.seed_author,
                "notes": p.s8_notes,
                "text": p.s8_text,
                "chunk": max(1, (400 * 1024) // max(p.s8_text, 1)),
                "keep": True,
                "timeout": 300,
            },
            timeout=320,
        )
        time.sleep(p.settle)
        before = server.sample()
        with RssSampler(server) as rss:
            storm = gen.call(
                {
                    "cmd": "storm",
                    "urls": room.reader_urls(server.port),
                    "n": p.s8_clients,
                    "within": p.s8_within,
                    "timeout": 120,
                },
                timeout=200,
            )
        after = server.sample()
        times = storm["times_ms"]
        out = {
            "clients": p.s8_clients,
            "joined": len(times),
            "failed": storm["failed"],
            "errors": storm["errors"],
            "notes": p.s8_notes,
            "seed_bytes": seeded["bytes"],
            "seed_ms": seeded["ms"],
            "step2_bytes": storm["bytes"],
            "synced_p50_ms": _pct(times, 0.5) if times else None,
            "synced_p95_ms": _pct(times, 0.95) if times else None,
            "synced_p99_ms": _pct(times, 0.99) if times else None,
            "synced_max_ms": max(times) if times else None,
            "handshake_p50_ms": _pct(storm["open_ms"], 0.5) if times else None,
            "storm_s": storm["total_ms"] / 1000,
            "rss_before_mib": before.rss / MIB,
            "peak_rss_mib": max(rss.peak, after.rss) / MIB,
            "rss_samples": rss.samples,
            "server_cpu_s": after.cpu_s - before.cpu_s,
            "loadgen_cpu_pct": 100 * storm["loadgen_cpu"],
        }
    log.info(
        "  S8 %s: %d/%d synced, p50 %s p99 %s ms, peak RSS %.0f MiB (before %.0f), %d B board",
        peer,
        out["joined"],
        out["clients"],
        _f(out["synced_p50_ms"]),
        _f(out["synced_p99_ms"]),
        out["peak_rss_mib"],
        out["rss_before_mib"],
        out["step2_bytes"],
    )
    return out


# -- S9: a large board ------------------------------------------------------------------------
def s9_large_board(bench: Bench, peer: str) -> dict[str, Any]:
    """A 5,000-note board: joins (loaded; planboard also from the store), memory, guard cost.

    The guard cost: the same writers move their notes at the same rate on the 5,000-note
    board and on a 10-note board of the same server; server CPU per update and the latency
    must not grow with the board.
    """
    p = bench.plan
    args: dict[str, Any] = {}
    if peer == "planboard":
        args["env_extra"] = {**_BIG_SEED_ENV, "PLANBOARD_IDLE_UNLOAD": "1"}
    with bench.running(peer, **args) as (server, gen):
        big = server.room(p.s9_writers, 2)
        small = server.room(p.s9_writers, 2)
        if peer == "planboard":
            time.sleep(1.5)  # boards that creating them loaded are unloaded again
        time.sleep(p.settle)
        base = server.sample()
        seeded = gen.call(
            {
                "cmd": "seed",
                "url": big.seed_url(server.port),
                "author": big.seed_author,
                "notes": p.s9_notes,
                "chunk": 1000,
                "keep": True,
                "timeout": 300,
            },
            timeout=320,
        )
        time.sleep(p.settle)
        loaded = server.sample()
        gen.call(
            {
                "cmd": "seed",
                "url": small.seed_url(server.port),
                "author": small.seed_author,
                "notes": p.s9_small_notes,
                "keep": True,
            },
            timeout=120,
        )
        joins = gen.call(
            {"cmd": "coldjoin", "url": big.reader_urls(server.port)[0], "n": p.s9_joins},
            timeout=600,
        )
        out: dict[str, Any] = {
            "notes": p.s9_notes,
            "notes_received": joins["notes"],
            "doc_bytes": joins["bytes"],
            "seed_bytes": seeded["bytes"],
            "join_p50_ms": _pct(joins["times_ms"], 0.5),
            "join_p99_ms": _pct(joins["times_ms"], 0.99),
            "joins": p.s9_joins,
            "rss_per_board_mib": (loaded.rss - base.rss) / MIB,
        }
        # The server's CPU with nothing to do (timers, pings): taken off the per-update cost.
        i0 = server.sample()
        time.sleep(p.duration)
        i1 = server.sample()
        idle_cpu_per_s = (i1.cpu_s - i0.cpu_s) / (i1.at - i0.at)
        out["idle_cpu_pct"] = 100 * idle_cpu_per_s
        for name, room in (("big", big), ("small", small)):
            readers = room.reader_urls(server.port)
            connect(
                gen,
                [
                    {
                        "kind": "writer",
                        "count": p.s9_writers,
                        "urls": room.writer_urls(server.port),
                        "authors": room.writer_authors,
                    },
                    {"kind": "observer", "count": 1, "urls": readers[:1]},
                ],
            )
            res = measure(
                gen,
                [server],
                rate=p.s9_rate,
                warmup=p.warmup,
                duration=p.duration,
                grace=p.grace,
            )
            sent = res["sent_in_window"]
            lat = _latency(res)
            out[f"guard_{name}"] = {
                "notes": p.s9_notes if name == "big" else p.s9_small_notes,
                "updates_per_s": res["updates_per_s"],
                "cpu_us_per_update": 1e6 * res["server_cpu_s"] / sent if sent else None,
                "net_cpu_us_per_update": 1e6
                * max(0.0, res["server_cpu_s"] - idle_cpu_per_s * res["wall_ms"] / 1000)
                / sent
                if sent
                else None,
                "server_cpu_pct": res["server_cpu_pct"],
                "p50_ms": lat.get("p50"),
                "p99_ms": lat.get("p99"),
                "missing": lat.get("missing"),
                "other_core0_pct": res["other_core0_pct"],
                "other_core1_pct": res["other_core1_pct"],
            }
            gen.call({"cmd": "close_clients"}, timeout=30)
        big_cpu = out["guard_big"]["net_cpu_us_per_update"]
        small_cpu = out["guard_small"]["net_cpu_us_per_update"]
        out["guard_cpu_ratio"] = big_cpu / small_cpu if big_cpu and small_cpu else None
        if peer == "planboard" and p.s9_store_joins:
            gen.call({"cmd": "close_all"}, timeout=30)  # keepers leave: boards unload after 1 s
            times: list[float] = []
            for _ in range(p.s9_store_joins):
                time.sleep(1.6)
                r = gen.call(
                    {"cmd": "coldjoin", "url": big.reader_urls(server.port)[0], "n": 1},
                    timeout=300,
                )
                times.extend(r["times_ms"])
            out["from_store_p50_ms"] = _pct(times, 0.5)
            out["from_store_p99_ms"] = _pct(times, 0.99)
    log.info(
        "  S9 %s: join p50 %.1f p99 %.1f ms, from store p50 %s ms, %.1f MiB/board, guard "
        "%s vs %s µs/update net of idle (x%s)",
        peer,
        out["join_p50_ms"],
        out["join_p99_ms"],
        _f(out.get("from_store_p50_ms")),
        out["rss_per_board_mib"],
        _f(big_cpu, ".0f"),
        _f(small_cpu, ".0f"),
        _f(out["guard_cpu_ratio"]),
    )
    return out


# -- helpers -----------------------------------------------------------------------------------
def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))
    return float(ordered[index])


def _f(v: float | None, spec: str = ".1f") -> str:
    return "-" if v is None else format(v, spec)


def _sub(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None else a - b


def _brief(s: dict[str, Any]) -> str:
    def f(v: Any, spec: str = ".1f") -> str:
        return "-" if v is None else format(v, spec)

    return (
        f"p50 {f(s.get('p50_ms'), '.2f')} p99 {f(s.get('p99_ms'), '.2f')} ms, "
        f"{f(s.get('deliveries_per_s'), '.0f')} deliveries/s, "
        f"{f(s.get('cpu_ms_per_1k'), '.2f')} CPU ms/1k, server {f(s.get('server_cpu_pct'))}%, "
        f"RSS {f(s.get('rss_mib'))} MiB, loadgen {f(s.get('loadgen_cpu_pct'))}%, "
        f"other on core0 {f(s.get('other_core0_pct'))}%"
        + (f", missing {s['missing']}" if s.get("missing") else "")
        + (f", closes {s['closes']}" if s.get("closes") else "")
    )


def py_spy_record(pid: int, seconds: float, out: Path, fmt: str = "raw") -> subprocess.Popen[bytes]:
    """Sample a server with py-spy (on the generator's core, never the server's)."""
    spy = shutil.which("py-spy") or str(Path(__file__).resolve().parent.parent / ".venv/bin/py-spy")
    return subprocess.Popen(
        [
            "taskset",
            "-c",
            "1",
            spy,
            "record",
            "--pid",
            str(pid),
            "--duration",
            str(max(1, round(seconds))),
            "--rate",
            "200",
            "--format",
            fmt,
            "--output",
            str(out),
            # --native shows the C underneath (system calls, uvloop); it pauses the server to
            # unwind, so it is slower: PROFILE_NATIVE=1 asks for it.
            *(["--native"] if os.environ.get("PROFILE_NATIVE") else ["--nonblocking"]),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
