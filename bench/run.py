"""planboard's load benchmark: `make bench` (full, < 10 min) or `python bench/run.py --quick`.

Runs the same workloads against planboard, pycrdt-websocket and @y/websocket-server in one
run and writes bench/results/latest.md and latest.json. See bench/README.md for the method.
`--profile` instead samples planboard with py-spy under the S1, S6 and S2 loads.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import dataclasses
import datetime as dt
import json
import logging
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from importlib.metadata import version
from pathlib import Path
from typing import Any

import report
import scenarios as sc
from servers import BENCH, NODE_SERVER, PEERS, ROOT

log = logging.getLogger("bench")
ALL_SCENARIOS = ("S1", "S2", "S3", "S4", "S5", "S6")
# Presence, join storm, large board: on demand (`--scenarios S7,S8,S9`), so that `make bench`
# stays under 10 minutes.
EXTRA_SCENARIOS = ("S7", "S8", "S9")


def _raise_fd_limit() -> None:
    """Thousands of sockets on both ends: lift the soft limit (children inherit it)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, 65536)), hard))


def _versions() -> dict[str, str]:
    out: dict[str, str] = {"python": platform.python_version()}
    for dist in ("pycrdt", "pycrdt-websocket", "uvicorn", "uvloop", "websockets", "starlette"):
        with contextlib.suppress(Exception):
            out[dist] = version(dist)
    with contextlib.suppress(Exception):
        out["node"] = subprocess.run(
            ["node", "--version"], capture_output=True, text=True, check=True
        ).stdout.strip()
    for pkg in ("@y/websocket-server", "yjs", "ws"):
        with contextlib.suppress(Exception):
            manifest = BENCH / "node_modules" / pkg / "package.json"
            out[pkg] = json.loads(manifest.read_text())["version"]
    return out


def _commit() -> str:
    try:
        return subprocess.run(
            ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except Exception:
        return "?"


def _machine() -> str:
    cores = os.cpu_count()
    model = "?"
    with contextlib.suppress(OSError), open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    load = os.getloadavg()
    return f"{cores} cores ({model}), load average at start {load[0]:.2f}"


def _windows(value: Any, where: str = "") -> list[tuple[str, float, float]]:
    """(where, other load on core 0, on core 1) of every measured window in the results."""
    found: list[tuple[str, float, float]] = []
    if isinstance(value, dict):
        if "other_core0_pct" in value:
            found.append(
                (where, float(value["other_core0_pct"]), float(value.get("other_core1_pct", 0)))
            )
        for k, v in value.items():
            if k != "steps" or isinstance(v, list):
                found += _windows(v, f"{where} {k}".strip())
    elif isinstance(value, list):
        for i, v in enumerate(value):
            found += _windows(v, f"{where}[{i}]")
    return found


def _quiet(results: dict[str, Any]) -> str:
    """The verdict on noise: what else ran on each core while a window was measured."""
    windows = _windows(results)
    if not windows:
        return "No load window was measured."
    core0 = [w[1] for w in windows]
    worst1 = max(w[2] for w in windows)
    mean0 = sum(core0) / len(core0)
    disturbed = [f"{w[0]} ({w[1]:.0f} %)" for w in windows if w[1] >= 10]
    if not disturbed and worst1 < 15:
        verdict = "quiet"
    elif mean0 < 5 and len(disturbed) <= 3:
        verdict = "mostly quiet"
    else:
        verdict = "NOISY: other processes shared the cores"
    text = (
        f"Machine {verdict}: other load during the {len(windows)} measured windows: core 0 "
        f"(server) mean {mean0:.1f} %, worst {max(core0):.1f} %; core 1 (generator) worst "
        f"{worst1:.1f} %."
    )
    if disturbed:
        text += " Windows with 10 % or more on core 0: " + ", ".join(disturbed[:8]) + "."
    return text


def _write(out_dir: Path, data: dict[str, Any]) -> None:
    """Atomic writes (tmp, then rename): an interrupted run never leaves half a table."""
    out_dir.mkdir(parents=True, exist_ok=True)
    for name, text in (
        ("latest.json", json.dumps(data, indent=2, default=str) + "\n"),
        ("latest.md", report.render(data)),
    ):
        tmp = out_dir / f"{name}.tmp"
        tmp.write_text(text)
        tmp.replace(out_dir / name)


def _check_setup() -> None:
    if not NODE_SERVER.exists():
        sys.exit("bench/node_modules is missing: run `cd bench && npm ci` (make bench does).")
    if shutil.which("taskset") is None:
        sys.exit("taskset (util-linux) is needed to pin the server and the generator.")


def run(args: argparse.Namespace) -> int:
    plan = sc.Plan.quick() if args.quick else sc.Plan()
    if args.s1_clients:
        plan = dataclasses.replace(plan, s1_clients=tuple(args.s1_clients))
    peers = args.peers
    wanted = args.scenarios
    workdir = Path(tempfile.mkdtemp(prefix="planboard-bench-"))
    bench = sc.Bench(plan, workdir)
    started = time.monotonic()
    data: dict[str, Any] = {
        "meta": {
            "started": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
            "quick": args.quick,
            "commit": _commit(),
            "machine": _machine(),
            "versions": _versions(),
            "plan": dataclasses.asdict(plan),
            "peers": peers,
            "scenarios": wanted,
        },
        "results": {p: {} for p in peers},
    }
    log.info("bench %s, scratch %s", "quick" if args.quick else "full", workdir)
    steps: list[tuple[str, str]] = []
    for scenario in wanted:
        if scenario == "S5":
            if "planboard" in peers:
                steps.append(("S5", "planboard"))
            continue
        # Alternate the peers inside a scenario so that a noisy minute hurts all of them.
        steps += [(scenario, p) for p in peers]
    runners = {
        "S1": sc.s1_one_room,
        "S2": sc.s2_many_rooms,
        "S3": sc.s3_cold_join,
        "S4": sc.s4_idle,
        "S6": sc.s6_saturation,
        "S7": sc.s7_presence,
        "S8": sc.s8_join_storm,
        "S9": sc.s9_large_board,
    }
    try:
        for scenario, peer in steps:
            log.info("%s %s", scenario, peer)
            results = data["results"][peer]
            try:
                if scenario == "S5":
                    results["S5"] = sc.s5_redis(bench)
                else:
                    results[scenario] = runners[scenario](bench, peer)
            except Exception as exc:
                log.exception("%s %s failed", scenario, peer)
                results.setdefault("errors", {})[scenario] = str(exc)[:500]
            data["meta"]["duration_s"] = time.monotonic() - started
            data["meta"]["quiet"] = _quiet(data["results"])
            _write(args.out, data)  # after every step: what is on disk is always usable
    finally:
        if not args.keep_workdir:
            shutil.rmtree(workdir, ignore_errors=True)
    log.info("done in %.0f s: %s", time.monotonic() - started, args.out / "latest.md")
    print((args.out / "latest.md").read_text())
    return 0


# -- profiling ---------------------------------------------------------------------------------
def _summarize_raw(raw: Path, top: int = 30) -> str:
    """py-spy's raw (collapsed) stacks -> the functions that hold the samples, self and total."""
    own: collections.Counter[str] = collections.Counter()
    total: collections.Counter[str] = collections.Counter()
    samples = 0
    for line in raw.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        samples += count
        frames = [
            f.split(" (")[0] + " (" + f.split(" (")[1].split(":")[0] + ")" if " (" in f else f
            for f in stack.split(";")
        ]
        own[frames[-1]] += count
        for frame in set(frames):
            total[frame] += count
    lines = [f"{samples} samples", "", "self (where the CPU is):"]
    lines += [f"  {100 * n / samples:5.1f}%  {f}" for f, n in own.most_common(top)]
    lines += ["", "total (including callees):"]
    lines += [f"  {100 * n / samples:5.1f}%  {f}" for f, n in total.most_common(top)]
    return "\n".join(lines) + "\n"


# Where a sample of the event-loop thread belongs, by the first of these found walking from the
# innermost frame outwards (py-spy's raw stacks; with --native, C frames too).
STAGES: list[tuple[str, tuple[str, ...]]] = [
    ("metrics (prometheus)", ("prometheus_client", "Metrics.")),
    ("logging", ("logging/__init__",)),
    ("guard: decode, judge, index", ("crdt/policy.py", "crdt/yupdate.py", "crdt/structindex.py")),
    ("pycrdt: apply, transaction, observers", ("pycrdt/",)),
    ("store append and thread hand-off", ("server/store/",)),
    ("fan-out: framing and socket writes", ("server/realtime/transport.py", "Connection.send")),
    ("y-websocket parse", ("crdt/protocol.py",)),
    ("presence", ("server/realtime/presence.py",)),
    ("room bookkeeping (core, cursor, features)", ("server/realtime/room", "server/features/")),
    ("receive loop: limits, counters", ("server/realtime/ws.py", "server/realtime/connection.py")),
    (
        "WebSocket frame parse and ASGI receive (uvicorn, websockets, starlette)",
        ("data_received", "handle_events", "websockets/", "starlette/websockets.py", "queues.py"),
    ),
    ("asyncio: tasks, futures, callbacks", ("asyncio/tasks", "asyncio/futures", "asyncio/events")),
]


def _stage_of(frames: list[str]) -> str:
    for frame in reversed(frames):
        for name, marks in STAGES:
            if any(mark in frame for mark in marks):
                return name
    leaf = frames[-1]
    if "epoll" in leaf:
        return "event loop: waiting in epoll"
    if leaf.startswith(("read ", "write ", "send", "recv", "writev")):
        return "event loop: socket system calls"
    return "event loop: other C (uvloop, interpreter)"


def _stage_table(raw: Path) -> str:
    """The event-loop thread's samples by stage of the per-update path."""
    counts: collections.Counter[str] = collections.Counter()
    for line in raw.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if "Runner.run" in stack and count_text.isdigit():
            counts[_stage_of(stack.split(";"))] += int(count_text)
    total = sum(counts.values()) or 1
    rows = [f"| {name} | {100 * n / total:.1f} % |" for name, n in counts.most_common()]
    head = ["", f"event-loop thread by stage ({total} samples):", "", "| stage | share |"]
    return "\n".join([*head, "| --- | --- |", *rows]) + "\n"


def profile(args: argparse.Namespace) -> int:
    """planboard under S1 (200 clients, 50 updates/s) and near saturation, sampled by py-spy."""
    plan = sc.Plan(duration=args.profile_seconds, grace=1.0)
    workdir = Path(tempfile.mkdtemp(prefix="planboard-profile-"))
    bench = sc.Bench(plan, workdir)
    args.out.mkdir(parents=True, exist_ok=True)
    s2_rooms = sc.Plan().s2_rooms
    loads = [
        ("s1", 200, 10, plan.rate * 10),
        ("s6", 200, 20, args.profile_rate),
        ("s2", s2_rooms * sc.Plan().s2_room_size, s2_rooms, plan.rate * s2_rooms),
    ]
    loads = [load for load in loads if load[0] in args.profile_loads]
    try:
        for name, clients, writers, total in loads:
            with bench.running("planboard") as (server, gen):
                if name == "s2":
                    sc.connect(gen, sc.s2_groups(server, sc.Plan()))
                else:
                    room = server.room(writers, clients - writers)
                    sc.connect(
                        gen,
                        sc._fanout_groups(
                            room, server.port, clients=clients, writers=writers, observers=4
                        ),
                    )
                raw = args.out / f"profile-{name}.raw"
                spy: list[subprocess.Popen[bytes]] = []

                def start_spy(event: str, raw: Path = raw, spy: list[Any] = spy) -> None:
                    if event == "measuring":
                        spy.append(sc.py_spy_record(server.pid, plan.duration, raw))

                res = gen.call(
                    {
                        "cmd": "load",
                        "rate": total / writers,
                        "warmup": 1.0,
                        "duration": plan.duration,
                        "grace": 1.0,
                    },
                    timeout=plan.duration + 60,
                    on_event=start_spy,
                )
                for p in spy:
                    p.wait(60)
                summary = (
                    _summarize_raw(raw) + _stage_table(raw)
                    if raw.exists()
                    else "py-spy wrote nothing\n"
                )
                lat = res["latency"].get("observer", {})
                head = (
                    f"planboard, {clients} clients, {writers} writers, {total:.0f} updates/s: "
                    f"p50 {lat.get('p50')} ms, p99 {lat.get('p99')} ms, "
                    f"{res['deliveries_per_s']:.0f} deliveries/s "
                    f"(py-spy sampling slows the server: these figures are not the benchmark's)\n\n"
                )
                (args.out / f"profile-{name}.txt").write_text(head + summary)
                log.info("%s\n%s", head, summary[:3000])
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smoke run, about a minute")
    parser.add_argument(
        "--scenarios",
        type=lambda s: [x.strip().upper() for x in s.split(",") if x.strip()],
        default=list(ALL_SCENARIOS),
        help="comma-separated subset of S1..S9 (default: S1..S6), or `cluster` alone",
    )
    parser.add_argument(
        "--peers",
        type=lambda s: [x.strip() for x in s.split(",") if x.strip()],
        default=list(PEERS),
        help=f"comma-separated subset of {','.join(PEERS)} (default: all)",
    )
    parser.add_argument(
        "--s1-clients", type=lambda s: [int(x) for x in s.split(",")], help="e.g. 50,200"
    )
    parser.add_argument("--out", type=Path, default=BENCH / "results", help="results folder")
    parser.add_argument("--keep-workdir", action="store_true", help="keep server logs and data")
    parser.add_argument("--profile", action="store_true", help="py-spy planboard under S1/S6")
    parser.add_argument("--profile-seconds", type=float, default=10.0)
    parser.add_argument(
        "--profile-loads",
        type=lambda s: [x.strip().lower() for x in s.split(",") if x.strip()],
        default=["s1", "s6", "s2"],
        help="which loads --profile samples: s1, s6, s2",
    )
    parser.add_argument(
        "--profile-rate", type=float, default=300.0, help="updates/s of the S6-like profile"
    )
    args = parser.parse_args(argv)
    if args.scenarios == ["CLUSTER"]:  # its own deployments and report (bench/cluster.py)
        import cluster

        _raise_fd_limit()
        return cluster.run_and_write(args.quick, args.out)
    unknown = [p for p in args.peers if p not in PEERS] + [
        s for s in args.scenarios if s not in ALL_SCENARIOS + EXTRA_SCENARIOS
    ]
    if unknown:
        parser.error(f"unknown: {', '.join(unknown)}")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    _check_setup()
    _raise_fd_limit()
    return profile(args) if args.profile else run(args)


if __name__ == "__main__":
    sys.exit(main())
