"""What waiting for a replica (WAIT, PLANBOARD_REDIS_MIN_REPLICAS=1) costs per update.

A primary with one replica on this machine (both AOF on); RedisStore appends small board updates
one after the other, first with 0 replicas required, then with 1. Prints the append latency
(p50/p99) of both and the WAIT itself (p50/p99), as the store's `on_wait` hook measures it.

    .venv/bin/python bench/redis_wait.py [appends]
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import time
from pathlib import Path

from pycrdt import Doc, Map

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from server.store.redis import RedisStore
from tests.multi.support import start_replica
from tests.servers import RedisProcess


def quantiles(values: list[float]) -> tuple[float, float]:
    cuts = statistics.quantiles(values, n=100)
    return cuts[49] * 1000, cuts[98] * 1000


def edits(count: int) -> list[bytes]:
    doc: Doc = Doc()
    out: list[bytes] = []
    doc.observe(lambda event: out.append(event.update))
    notes = doc.get("notes", type=Map)
    for i in range(count):
        notes[f"n{i}"] = Map({"text": f"note {i}", "x": float(i), "y": 0.0})
    return out


async def measure(url: str, required: int, updates: list[bytes]) -> dict[str, list[float]]:
    store = RedisStore(url, prefix=f"bench{required}:", min_replicas=required)
    waits: list[float] = []
    store.on_wait = waits.append
    await store.open()
    appends: list[float] = []
    try:
        for update in updates:
            started = time.perf_counter()
            await store.append_update("board", update)
            appends.append(time.perf_counter() - started)
    finally:
        await store.close()
    return {"append": appends, "wait": waits}


async def main(count: int) -> None:
    primary = RedisProcess().start()
    replica = start_replica(primary.port)
    try:
        updates = edits(count)
        for required in (0, 1):
            result = await measure(primary.url, required, updates)
            p50, p99 = quantiles(result["append"])
            line = f"min replicas {required}: append p50 {p50:.3f} ms, p99 {p99:.3f} ms"
            if result["wait"]:
                w50, w99 = quantiles(result["wait"])
                line += f"; WAIT p50 {w50:.3f} ms, p99 {w99:.3f} ms"
            print(line)
    finally:
        replica.cleanup()
        primary.cleanup()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 2000))
