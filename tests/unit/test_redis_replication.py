"""RedisStore and asynchronous replication: WAIT for replicas, epochs across a failover."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from pycrdt import Doc, Map

from server.store.redis import RedisStore
from tests.multi.support import kill_redis, redis_command
from tests.replication import primary, replica, replica_link, vip  # noqa: F401 - fixtures
from tests.servers import RedisProcess
from tests.tcpproxy import TcpProxy
from tests.yclient import wait_for

pytestmark = pytest.mark.redis


@pytest.fixture
async def store(vip: TcpProxy) -> AsyncIterator[RedisStore]:
    s = RedisStore(vip.url, prefix="t:", wait_timeout=0.2, watch_interval=0.2)
    await s.open()
    yield s
    await s.close()


def updates(count: int) -> list[bytes]:
    doc: Doc = Doc(client_id=7)
    out: list[bytes] = []
    doc.observe(lambda event: out.append(event.update))
    m = doc.get("m", type=Map)
    for i in range(count):
        m[f"k{i}"] = i
    return out


def keys_of(server: RedisProcess, key: str) -> bytes:
    return redis_command(server.port, "LLEN", key)


async def test_standalone_waits_for_nobody(store: RedisStore) -> None:
    assert store.replicas.required() == 0
    epoch, position = await store.append_stamped("d", updates(1)[0])
    assert epoch != 0 and position == 1
    assert store.epoch.changes == 0


async def test_an_append_is_acknowledged_only_once_a_replica_has_it(
    store: RedisStore, replica: RedisProcess, replica_link: TcpProxy
) -> None:
    waits: list[float] = []
    store.on_wait = waits.append
    await wait_for(lambda: store.replicas.required() == 1, 10, "the store saw the replica")
    ups = updates(3)
    await store.append_stamped("d", ups[0])
    assert waits  # the append waited for the replica
    replica_link.blackhole()  # the replica lags from now on
    pending = asyncio.create_task(store.append_stamped("d", ups[1]))
    await wait_for(lambda: not store.available, 10, "not ready while the replica lags")
    assert not pending.done()  # stored on the primary, but not acknowledged: nobody sees it
    replica_link.heal()
    _, position = await asyncio.wait_for(pending, 15)
    assert position == 2
    await wait_for(lambda: store.available, 10, "ready again")
    assert b":2" in redis_command(replica.port, "LLEN", "t:{d}:doc:log")


async def test_failover_to_a_lagging_replica_starts_a_new_epoch(
    primary: RedisProcess,
    store: RedisStore,
    replica: RedisProcess,
    replica_link: TcpProxy,
    vip: TcpProxy,
) -> None:
    await wait_for(lambda: store.replicas.required() == 1, 10, "the store saw the replica")
    # (A primary takes a new replication id when its first replica attaches: one epoch change.)
    changes = store.epoch.changes
    ups = updates(4)
    first = [await store.append_stamped("d", u) for u in ups[:2]]
    old_epoch = first[0][0]
    assert first == [(old_epoch, 1), (old_epoch, 2)]
    replica_link.blackhole()
    lost = asyncio.create_task(store.append_stamped("d", ups[2]))  # on the primary only
    await wait_for(lambda: not store.available, 10, "waiting for the replica")
    kill_redis(primary)
    replica_link.refuse()
    redis_command(replica.port, "REPLICAOF", "NO", "ONE")
    vip.repoint(replica.port)
    # The writer retries the unacknowledged append on the new primary, in a new epoch.
    epoch, position = await asyncio.wait_for(lost, 20)
    assert epoch != old_epoch
    assert position == 3  # the same number as the lost one: but in another epoch
    assert store.epoch.changes == changes + 1
    loaded = await store.load_doc("d")
    assert loaded.epoch == epoch and loaded.position == 3
    # A reader that knew position 3 of the old epoch is told it is in another one: everything.
    got_epoch, seq, entries = await store.read_stamped("d", old_epoch, 3)
    assert (got_epoch, seq) == (epoch, 3)
    assert [p for p, _ in entries] == [1, 2, 3]
    assert store.replicas.required() == 0  # the new primary has no replica


async def test_a_doc_that_went_back_in_time_gets_a_new_epoch(store: RedisStore) -> None:
    ups = updates(3)
    stamps = [await store.append_stamped("d", u) for u in ups]
    epoch = stamps[0][0]

    async def go_back() -> None:  # what a restore (or a failover nobody noticed) does
        await store.client.hset("t:{d}:doc:seq", "seq", 1)
        await store.client.ltrim("t:{d}:doc:log", 0, 0)

    # The writer, which saw position 3, does not reuse position 2 in the same epoch.
    await go_back()
    bumped, position = await store.append_stamped("d", ups[0])
    assert bumped not in (epoch, 0) and position == 2
    # A reader that knew position 2 of that epoch finds the doc behind it: everything, anew.
    await go_back()
    again, seq, entries = await store.read_stamped("d", bumped, 2)
    assert again not in (epoch, bumped, 0) and seq == 1
    assert [p for p, _ in entries] == [1]
    assert store.epoch.changes == 0  # the primary did not change: only that doc's epoch
