"""kill -9 of the cluster primary that owns a busy board, while clients on three instances write.

The primary's replica takes over (cluster-node-timeout 1.5 s); edits made during the failover
arrive; a fresh client sees every note that any client saw before the kill (counted: 0 lost),
and every note written before, during and after.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from tests.boards import note_texts
from tests.cluster import RedisClusterProcess
from tests.multi.busy_board import BusyBoard
from tests.multi.support import ws
from tests.servers import PlanboardProcess, wait_until
from tests.yclient import YClient

pytestmark = pytest.mark.redis


async def in_thread(fn: Any) -> Any:
    return await asyncio.get_running_loop().run_in_executor(None, fn)


async def synced_client(url: str, timeout: float = 20.0) -> YClient:
    """A client that got the board; one told to retry (1013: busy healing) tries again."""
    deadline = time.monotonic() + timeout
    while True:
        client = await YClient(url).connect()
        if client.close_code is None:
            return client
        if client.close_code != 1013 or time.monotonic() > deadline:
            raise AssertionError(f"closed with {client.close_code}")
        await client.close()
        await asyncio.sleep(0.2)  # a retry's pause, as clients do after 1013


async def test_killing_the_primary_of_a_busy_board_loses_nothing_anyone_saw(
    redis_cluster: RedisClusterProcess, cluster_instances: list[PlanboardProcess]
) -> None:
    servers = cluster_instances
    busy = await BusyBoard.open(servers)
    bid, board, written = busy.bid, busy.board, busy.written
    writers, observers = busy.writers, busy.observers
    async with busy.writing():
        owner = redis_cluster.owner(bid)
        seen_before_kill = busy.seen((*writers, *observers))
        busy.phase = "during"
        redis_cluster.node(owner).kill()
        await in_thread(
            lambda: wait_until(
                lambda: redis_cluster.owner(bid) != owner, 30, "the replica promoted"
            )
        )
        busy.phase = "after"
        await busy.flowing_after(30, "notes written after the failover flowing")
    await busy.everyone_has_every_note()
    during = {n for n in written if "-during-" in n}
    assert during  # edits were made while the shard failed over, and they all arrived
    fresh = [await synced_client(ws(s, bid, board["token"])) for s in servers]
    views = [set(note_texts(f.doc)) for f in fresh]
    lost = seen_before_kill - views[0]
    assert len(lost) == 0, f"{len(lost)} of {len(seen_before_kill)} seen notes lost"
    assert views[0] == views[1] == views[2] == written
    for client in (*writers, *observers, *fresh):
        await client.close()
