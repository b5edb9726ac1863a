"""The Redis Cluster benchmark: 300 boards over 3 planboard instances, cluster vs one Redis.

    .venv/bin/python bench/run.py --scenarios cluster [--quick]     (or bench/cluster.py)

Two deployments under the same load, one after the other: three planboard instances on a local
Redis Cluster (3 primaries with 1 replica each, AOF on; each instance given another node), and
three instances on one standalone redis-server (AOF on, no replica). Every board has a writer on
one instance and an observer on the next, so every measured delivery crosses the backplane.
The write rate rises (x1.5 per step) until p99 passes 100 ms; reported: deliveries/s at the
best step with p99 <= 100 ms, Redis commands per primary during that step (INFO commandstats)
and their spread, and what waiting for the replica (WAIT) costs per append: the instances'
own `planboard_store_seconds{op="wait"}` histograms during that step (interpolated), and a
direct measurement of sequential appends on the cluster (exact p50/p99).

Redis and planboard run on the server core (taskset), the generator on the other, as in run.py.
Results go to bench/results/cluster.md and cluster.json (run.py's latest.md is left alone).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import re
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

from generator import LoadGen
from scenarios import _summary, connect, measure
from servers import ROOT, SERVER_CPU, PlanboardServer, RedisServer, Server

sys.path.insert(0, str(ROOT))

from tests.cluster import RedisClusterProcess, cli

log = logging.getLogger("bench")
P99_LIMIT_MS = 100.0


class _Pinned(Server):
    """A process started elsewhere (a cluster node), sampled like the bench's own servers."""

    def __init__(self, pid: int, workdir: Path) -> None:
        super().__init__(workdir=workdir)
        self._pid = pid

    @property
    def pid(self) -> int:
        return self._pid


def commands_per_primary(ports: list[int]) -> dict[int, int]:
    """Calls of every command so far, per primary (INFO commandstats), minus our own probes."""
    out: dict[int, int] = {}
    for port in ports:
        total = 0
        for line in cli(port, "INFO", "commandstats").splitlines():
            found = re.match(r"cmdstat_([^:]+):calls=(\d+)", line)
            if found and found.group(1) not in ("info", "cluster|nodes", "cluster|info"):
                total += int(found.group(2))
        out[port] = total
    return out


def wait_histogram(servers: list[PlanboardServer]) -> dict[float, float]:
    """Cumulative `planboard_store_seconds{op="wait"}` buckets summed over the instances."""
    buckets: dict[float, float] = {}
    pattern = re.compile(r'planboard_store_seconds_bucket\{le="([^"]+)",op="wait"\} (\S+)')
    for server in servers:
        with urllib.request.urlopen(f"http://127.0.0.1:{server.port}/metrics", timeout=5) as r:
            text = r.read().decode()
        for le, count in pattern.findall(text):
            bound = float("inf") if le == "+Inf" else float(le)
            buckets[bound] = buckets.get(bound, 0.0) + float(count)
    return buckets


def histogram_quantile(q: float, before: dict[float, float], after: dict[float, float]) -> Any:
    """Prometheus' histogram_quantile over the window (linear inside a bucket), in ms."""
    bounds = sorted(after)
    counts = [after[b] - before.get(b, 0.0) for b in bounds]
    if not counts or counts[-1] <= 0:
        return None
    rank = q * counts[-1]
    lower, below = 0.0, 0.0
    for bound, cumulative in zip(bounds, counts, strict=True):
        if cumulative >= rank:
            if bound == float("inf"):
                return lower * 1000
            inside = cumulative - below
            share = (rank - below) / inside if inside else 1.0
            return round((lower + (bound - lower) * share) * 1000, 3)
        lower, below = bound, cumulative
    return None


def _groups(boards: list[Any], servers: list[PlanboardServer]) -> list[dict[str, Any]]:
    groups: list[dict[str, Any]] = []
    for i, room in enumerate(boards):
        home, other = servers[i % 3], servers[(i + 1) % 3]
        groups.append(
            {
                "kind": "writer",
                "count": 1,
                "urls": room.writer_urls(home.port),
                "authors": room.writer_authors,
                "index_base": i,
            }
        )
        groups.append({"kind": "observer", "count": 1, "urls": room.reader_urls(other.port)})
    return groups


def ladder(
    deployment: str,
    servers: list[PlanboardServer],
    samples: list[Server],
    primaries: list[int],
    args: argparse.Namespace,
    workdir: Path,
) -> dict[str, Any]:
    """The same load on three instances of one deployment; steps until p99 passes 100 ms."""
    boards = [servers[i % 3].room(1, 1) for i in range(args.boards)]
    gen = LoadGen(workdir / f"loadgen-{deployment}.log")
    steps: list[dict[str, Any]] = []
    try:
        conn = connect(gen, _groups(boards, servers), timeout=300)
        total = args.start
        started = time.monotonic()
        while time.monotonic() - started < args.budget:
            calls0, waits0 = commands_per_primary(primaries), wait_histogram(servers)
            res = measure(
                gen,
                samples,
                rate=total / args.boards,
                warmup=1.0,
                duration=args.duration,
                grace=1.5,
            )
            calls1, waits1 = commands_per_primary(primaries), wait_histogram(servers)
            per_primary = {str(p): calls1[p] - calls0[p] for p in primaries}
            step = {
                **_summary(res),
                "target_updates_per_s": total,
                "commands_per_primary": per_primary,
                "wait_p50_ms": histogram_quantile(0.5, waits0, waits1),
                "wait_p99_ms": histogram_quantile(0.99, waits0, waits1),
                "connected": conn["connected"],
            }
            p99 = step["p99_ms"]
            step["ok"] = (
                p99 is not None
                and p99 <= P99_LIMIT_MS
                and not res["closes"]
                and res["open"] == conn["connected"]
            )
            steps.append(step)
            log.info(
                "  %s %.0f updates/s: p99 %s ms, %.0f deliveries/s, commands %s, WAIT %s/%s ms",
                deployment,
                total,
                p99,
                step["deliveries_per_s"],
                per_primary,
                step["wait_p50_ms"],
                step["wait_p99_ms"],
            )
            if not step["ok"]:
                break
            total *= args.factor
    finally:
        with contextlib.suppress(Exception):
            gen.call({"cmd": "close_all"}, timeout=60)
        gen.close()
    passed = [s for s in steps if s["ok"]]
    best = max(passed, key=lambda s: s["deliveries_per_s"]) if passed else None
    out: dict[str, Any] = {"boards": args.boards, "steps": steps, "best": best}
    if best:
        counts = list(best["commands_per_primary"].values())
        mean = sum(counts) / len(counts)
        out["commands_spread_pct"] = round(100 * (max(counts) - min(counts)) / (2 * mean), 1)
    return out


async def direct_wait(url: str, count: int) -> dict[str, Any]:
    """Sequential appends to one board on the cluster: WAIT and append latency, exact."""
    from pycrdt import Doc, Map

    from server.store.redis import RedisStore

    doc: Doc[Any] = Doc()
    updates: list[bytes] = []
    doc.observe(lambda event: updates.append(event.update))
    notes = doc.get("notes", type=Map)
    for i in range(count):
        notes[f"n{i}"] = Map({"text": f"note {i}", "x": float(i), "y": 0.0})
    out: dict[str, Any] = {"appends": count}
    for label, required in (("no_wait", 0), ("wait_1", None)):
        store = RedisStore(url, prefix=f"bench-{label}:", min_replicas=required)
        waits: list[float] = []
        store.on_wait = waits.append
        await store.open()
        appends: list[float] = []
        try:
            for update in updates:
                t = time.perf_counter()
                await store.append_update("board", update)
                appends.append(time.perf_counter() - t)
        finally:
            await store.close()
        cuts = statistics.quantiles(appends, n=100)
        out[f"{label}_append_p50_ms"] = round(cuts[49] * 1000, 3)
        out[f"{label}_append_p99_ms"] = round(cuts[98] * 1000, 3)
        if waits:
            wcuts = statistics.quantiles(waits, n=100)
            out["wait_p50_ms"] = round(wcuts[49] * 1000, 3)
            out["wait_p99_ms"] = round(wcuts[98] * 1000, 3)
    return out


def _instances(urls: list[str], workdir: Path) -> list[PlanboardServer]:
    secret = "bench-cluster-secret-0123456789abcdef0123456789"
    servers = []
    for i, url in enumerate(urls):
        server = PlanboardServer(workdir=workdir / f"planboard{i}", redis_url=url, secret=secret)
        server.start(60.0)
        servers.append(server)
    return servers


def run(args: argparse.Namespace) -> dict[str, Any]:
    workdir = Path(tempfile.mkdtemp(prefix="planboard-bench-cluster-"))
    data: dict[str, Any] = {
        "started": time.strftime("%Y-%m-%d %H:%M:%S %z"),
        "boards": args.boards,
        "quick": args.quick,
    }
    cluster = RedisClusterProcess().start()
    servers: list[PlanboardServer] = []
    try:
        nodes = []
        for node in cluster.nodes:
            assert node.proc is not None
            subprocess.run(["taskset", "-pc", SERVER_CPU, str(node.proc.pid)], check=True)
            nodes.append(_Pinned(node.proc.pid, workdir))
        servers = _instances([cluster.url(0), cluster.url(1), cluster.url(2)], workdir)
        data["cluster"] = ladder(
            "cluster", servers, [*servers, *nodes], cluster.primary_ports(), args, workdir
        )
        for server in servers:
            server.stop()
        servers = []
        data["direct_wait"] = asyncio.run(direct_wait(cluster.url(0), args.appends))
        log.info("  direct WAIT: %s", data["direct_wait"])
    finally:
        for server in servers:
            server.stop()
        cluster.cleanup()
    redis = RedisServer(workdir=workdir / "redis")
    redis.start()
    try:
        servers = _instances([redis.url] * 3, workdir)
        data["standalone"] = ladder(
            "standalone", servers, [*servers, redis], [redis.port], args, workdir
        )
    finally:
        for server in servers:
            server.stop()
        redis.stop()
    return data


def render(data: dict[str, Any]) -> str:
    def best(kind: str, key: str) -> Any:
        found = (data.get(kind, {}).get("best") or {}).get(key)
        return "—" if found is None else (f"{found:.0f}" if isinstance(found, float) else found)

    wait = data.get("direct_wait", {})
    cluster = data.get("cluster", {})
    lines = [
        "# Redis Cluster benchmark",
        "",
        f"Run {data['started']}, {data['boards']} boards over 3 planboard instances "
        "(writer on one instance, observer on the next); servers and Redis on core 0, "
        "generator on core 1.",
        "",
        "| deployment | deliveries/s at p99 <= 100 ms | at updates/s | p99 ms |",
        "| --- | --- | --- | --- |",
        "| Redis Cluster (3 primaries + 3 replicas, WAIT 1) | "
        f"{best('cluster', 'deliveries_per_s')} | {best('cluster', 'updates_per_s')} | "
        f"{best('cluster', 'p99_ms')} |",
        "| one standalone Redis (no replica, no WAIT) | "
        f"{best('standalone', 'deliveries_per_s')} | {best('standalone', 'updates_per_s')} | "
        f"{best('standalone', 'p99_ms')} |",
        "",
        f"Redis commands per primary at the cluster's best step: "
        f"{best('cluster', 'commands_per_primary')}; spread ±{cluster.get('commands_spread_pct')} "
        "% around the mean.",
        "",
        f"WAIT during that step (instances' histograms, interpolated): p50 "
        f"{best('cluster', 'wait_p50_ms')} ms, p99 {best('cluster', 'wait_p99_ms')} ms.",
        "",
        f"WAIT measured directly ({wait.get('appends')} sequential appends to one board): p50 "
        f"{wait.get('wait_p50_ms')} ms, p99 {wait.get('wait_p99_ms')} ms; append p50/p99 "
        f"{wait.get('no_wait_append_p50_ms')}/{wait.get('no_wait_append_p99_ms')} ms without "
        f"WAIT, {wait.get('wait_1_append_p50_ms')}/{wait.get('wait_1_append_p99_ms')} ms with.",
        "",
        "Every step (other load on core 0: CPU used there by processes outside the run):",
        "",
        "| deployment | target/s | updates/s | deliveries/s | p50 ms | p99 ms | closes | "
        "commands per primary | WAIT p50/p99 ms | other load core 0 % |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for kind in ("cluster", "standalone"):
        for step in data.get(kind, {}).get("steps", []):
            lines.append(
                f"| {kind} | {step['target_updates_per_s']:.0f} | {step['updates_per_s']:.0f} | "
                f"{step['deliveries_per_s']:.0f} | {step['p50_ms']} | {step['p99_ms']} | "
                f"{step['closes'] or 0} | {step['commands_per_primary']} | "
                f"{step['wait_p50_ms']}/{step['wait_p99_ms']} | {step['other_core0_pct']:.0f} |"
            )
    return "\n".join([*lines, ""])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smoke run: 60 boards, short steps")
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results")
    args = parser.parse_args(argv)
    return run_and_write(args.quick, args.out)


def run_and_write(quick: bool, out: Path) -> int:
    args = argparse.Namespace(
        quick=quick,
        boards=60 if quick else 300,
        start=40.0 if quick else 20.0,
        factor=2.0 if quick else 1.5,
        duration=2.0 if quick else 4.0,
        budget=10.0 if quick else 90.0,
        appends=200 if quick else 2000,
    )
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    data = run(args)
    out.mkdir(parents=True, exist_ok=True)
    (out / "cluster.json").write_text(json.dumps(data, indent=2, default=str) + "\n")
    (out / "cluster.md").write_text(render(data))
    print(render(data))
    return 0


if __name__ == "__main__":
    sys.exit(main())
