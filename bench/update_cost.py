"""What one S2 update costs planboard, stage by stage, in process (no network), median µs.

The update is S2's: a writer sets `x` of its own note. Each stage is timed alone, in a loop,
so these are lower bounds (warm caches); the server pays more per stage under load (bench S2
and `run.py --profile --profile-loads s2` measure that). Pin it to one core for figures
comparable with the benchmark's server:

    taskset -c 0 .venv/bin/python bench/update_cost.py [--compiled]
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pycrdt import Doc, Map

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

if "--compiled" in sys.argv:  # the guard as `planboard serve` runs it after `make native`
    from server.native import use_compiled_crdt

    if not use_compiled_crdt():
        sys.exit("build/native is missing or stale: run `make native`")

from policy_cost import board_with  # bench/policy_cost.py: the same 10-note board

from crdt import protocol
from server.realtime.transport import ws_frame
from server.store.sqlite import SQLiteStore

RUNS = 3000


def median_us(samples: list[float]) -> float:
    return round(statistics.median(samples) * 1e6, 1)


def timed(fn: Callable[[bytes], Any], arg: bytes) -> float:
    start = time.perf_counter()
    fn(arg)
    return time.perf_counter() - start


async def store_append_us() -> tuple[float, float]:
    """A stored update through the SQLite store (committed on the loop when nothing makes it
    wait): CPU and wall time per append, one after the other as S2's writers send them."""
    with tempfile.TemporaryDirectory() as tmp:
        store = SQLiteStore(Path(tmp) / "cost.sqlite3")
        await store.open()
        update = b"\x01\x01" + bytes(49)
        cpu, wall = time.process_time(), time.perf_counter()
        for i in range(RUNS):
            await store.append_update(f"doc{i % 100}", update)
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        await store.close()
    return round(cpu / RUNS * 1e6, 1), round(wall / RUNS * 1e6, 1)


def main() -> None:
    doc, guard = board_with(10)
    client: Doc[Any] = Doc()
    client.apply_update(doc.get_update())
    plain: Doc[Any] = Doc()
    plain.apply_update(doc.get_update())
    notes: Map[Any] = client.get("notes", type=Map)
    stages: dict[str, list[float]] = {
        name: []
        for name in (
            "y-websocket parse (crdt/protocol.py)",
            "guard: decode and order (prepare)",
            "guard: judge, integrate, index (apply_prepared)",
            "pycrdt alone: apply the same update, no guard",
            "encode the update message and its WebSocket frame",
        )
    }
    parse, prepare, apply, alone, frame = stages.values()
    for i in range(RUNS):
        since = client.get_state()
        notes["mine"]["x"] = i
        update = client.get_update(since)
        message = protocol.encode_update(update)
        parse.append(timed(protocol.parse_message, message))
        start = time.perf_counter()
        prepared = guard.prepare(update)
        prepare.append(time.perf_counter() - start)
        start = time.perf_counter()
        assert not guard.apply_prepared(prepared, "ana")
        apply.append(time.perf_counter() - start)
        alone.append(timed(plain.apply_update, update))
        frame.append(timed(lambda u: ws_frame(protocol.encode_update(u)), update))
    cpu, wall = asyncio.run(store_append_us())
    print(f"one S2 update ({len(update)} bytes), median of {RUNS}:\n")
    print("| stage | µs |")
    print("| --- | ---: |")
    for name, samples in stages.items():
        print(f"| {name} | {median_us(samples)} |")
    print(f"| store append (CPU / wall) | {cpu} / {wall} |")


if __name__ == "__main__":
    main()
