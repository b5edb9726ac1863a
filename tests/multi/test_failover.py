"""A Redis failover to a replica that lags, done the way Sentinel or a managed service does it.

A primary and a replica; the instances reach "the primary" through one address (a TCP proxy
standing for the virtual IP). The replica's replication is stopped so that it lags, the primary
is killed (-9), the replica is promoted (REPLICAOF NO ONE) and the address repointed. Nothing any
observer saw may be lost, before or after a restart of every instance; what is written after the
failover reaches everyone; fresh clients agree everywhere; nothing served is missing from Redis.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from crdt.docload import doc_from_log
from server.store.redis import RedisStore
from tests.boards import note_texts
from tests.multi.busy_board import BusyBoard
from tests.multi.conftest import ready
from tests.multi.support import kill_redis, redis_command, ws
from tests.replication import primary, replica, replica_link, vip  # noqa: F401 - fixtures
from tests.servers import PlanboardProcess, RedisProcess, wait_until
from tests.tcpproxy import TcpProxy
from tests.yclient import YClient

pytestmark = pytest.mark.redis


async def notes_in_redis(url: str, board_id: str) -> set[str]:
    """The notes of the board as stored in that Redis (snapshot and log)."""
    store = RedisStore(url)
    await store.open()
    try:
        loaded = await store.load_doc(board_id)
    finally:
        await store.close()
    doc = doc_from_log(loaded.snapshot, (update for _, update in loaded.updates))
    return set(note_texts(doc))


async def in_thread(fn: Any) -> Any:
    return await asyncio.get_running_loop().run_in_executor(None, fn)


async def test_failover_to_a_lagging_replica_loses_nothing_anyone_saw(
    primary: RedisProcess,
    replica: RedisProcess,
    replica_link: TcpProxy,
    vip: TcpProxy,
    tmp_path: Path,
) -> None:
    env = {
        "REDIS_URL": vip.url,
        "PLANBOARD_SECRET": "failover-test-secret-0123456789abcdef",
        "PLANBOARD_AWARENESS_TIMEOUT": "3",
        "PLANBOARD_REDIS_WAIT_TIMEOUT": "0.3",
        "PLANBOARD_RATE_MESSAGES": "100000",
        "PLANBOARD_RATE_BURST": "100000",
    }
    servers = [PlanboardProcess(tmp_path / f"i{i}", env=env) for i in range(3)]
    try:
        await asyncio.gather(*(in_thread(lambda s=s: s.start(30.0)) for s in servers))
        await run_failover(servers, primary, replica, replica_link, vip)
    finally:
        await asyncio.gather(*(in_thread(s.stop) for s in servers))


async def run_failover(
    servers: list[PlanboardProcess],
    primary: RedisProcess,
    replica: RedisProcess,
    replica_link: TcpProxy,
    vip: TcpProxy,
) -> None:
    busy = await BusyBoard.open(servers)
    bid, board, written = busy.bid, busy.board, busy.written
    writers, observers = busy.writers, busy.observers
    async with busy.writing():
        # The replica stops replicating: from now on no append is acknowledged, so nothing new
        # may be shown; the writers keep writing (their edits wait in the instances' memory).
        await in_thread(replica_link.blackhole)
        busy.phase = "lag"
        await in_thread(
            lambda: wait_until(lambda: all(ready(s) == 503 for s in servers), 15, "not ready")
        )
        seen_before = busy.seen()
        kill_redis(primary)
        seen = busy.seen()
        assert seen == seen_before  # nothing unacknowledged was shown
        await in_thread(replica_link.refuse)
        redis_command(replica.port, "REPLICAOF", "NO", "ONE")
        await in_thread(lambda: vip.repoint(replica.port))
        busy.phase = "after"
        await in_thread(
            lambda: wait_until(lambda: all(ready(s) == 200 for s in servers), 30, "ready again")
        )
        await busy.flowing_after(20, "notes written after the failover flowing")
    # Every note written, before, during and after, reaches every observer.
    await busy.everyone_has_every_note()
    fresh = [await YClient(ws(s, bid, board["token"])).connect() for s in servers]
    views = [set(note_texts(f.doc)) for f in fresh]
    assert views[0] == views[1] == views[2]
    assert views[0] >= written >= seen
    stored = await notes_in_redis(f"redis://127.0.0.1:{replica.port}/0", bid)
    assert stored >= views[0]  # no note served is missing from the new primary
    for client in (*writers, *observers, *fresh):
        await client.close()
    # A restart of every instance: the boards come back whole from the new primary.
    await asyncio.gather(*(in_thread(s.stop) for s in servers))
    await asyncio.gather(*(in_thread(lambda s=s: s.start(30.0)) for s in servers))
    for server in servers:
        again = await YClient(ws(server, bid, board["token"])).connect()
        assert set(note_texts(again.doc)) >= written
        await again.close()
