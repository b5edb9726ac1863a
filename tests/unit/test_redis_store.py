"""RedisStore against a real redis-server: positions, compaction races, ballots, outages."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from pycrdt import Doc, Map, Text

from crdt.docload import doc_from_log
from server.store import redis as redis_module
from server.store.base import BoardInfo
from server.store.redis import RedisStore
from tests.multi.support import started_redis
from tests.servers import RedisProcess
from tests.yclient import wait_for

pytestmark = pytest.mark.redis


@pytest.fixture
def redis_proc() -> Iterator[RedisProcess]:
    yield from started_redis()


@pytest.fixture
async def store(redis_proc: RedisProcess) -> AsyncIterator[RedisStore]:
    s = RedisStore(redis_proc.url, prefix="t:")
    await s.open()
    yield s
    await s.close()


def edits(count: int, client_id: int = 1) -> tuple[list[bytes], Doc[Any]]:
    """`count` small updates of one doc (a map of counters and a growing text)."""
    doc: Doc[Any] = Doc(client_id=client_id)
    out: list[bytes] = []
    doc.observe(lambda event: out.append(event.update))
    m = doc.get("m", type=Map)
    doc["t"] = t = Text()
    out.clear()
    for i in range(count):
        with doc.transaction():
            m[f"k{i % 7}"] = i
            t += f"{i},"
    return out, doc


def state_of(snapshot: bytes | None, updates: list[tuple[int, bytes]]) -> dict[str, Any]:
    doc = doc_from_log(snapshot, (update for _, update in updates))
    return {"m": doc.get("m", type=Map).to_py(), "t": str(doc.get("t", type=Text))}


async def test_positions_are_consecutive_per_doc(store: RedisStore) -> None:
    updates, _ = edits(5)
    a = [await store.append_update("a", u) for u in updates[:3]]
    b = await asyncio.gather(*(store.append_update("b", u) for u in updates))
    a.append(await store.append_update("a", updates[3]))
    assert a == [1, 2, 3, 4]
    assert sorted(b) == [1, 2, 3, 4, 5]
    loaded = await store.load_doc("a")
    assert loaded.position == 4 and [p for p, _ in loaded.updates] == [1, 2, 3, 4]
    assert await store.read_updates_since("a", 2) == [(3, updates[2]), (4, updates[3])]
    assert await store.read_updates_since("a", 4) == []
    assert await store.log_length("b") == 5
    assert (await store.load_doc("nothing")).position == 0


async def test_compaction_keeps_positions_and_state(store: RedisStore) -> None:
    updates, doc = edits(40)
    for u in updates:
        await store.append_update("d", u)
    assert await store.compact("d")
    assert await store.log_length("d") == 0
    assert await store.append_update("d", updates[0]) == 41  # positions are never reused
    loaded = await store.load_doc("d")
    assert loaded.position == 41 and [p for p, _ in loaded.updates] == [41]
    assert state_of(loaded.snapshot, loaded.updates)["t"] == str(doc["t"])
    # A reader behind the snapshot gets the snapshot (at its position) and then the log.
    behind = await store.read_updates_since("d", 10)
    assert [p for p, _ in behind] == [40, 41]
    assert state_of(None, behind)["t"] == str(doc["t"])


async def test_concurrent_compactions_with_appends_lose_nothing(redis_proc: RedisProcess) -> None:
    """Two instances compact the same doc at once while a third keeps appending."""
    stores = [RedisStore(redis_proc.url, prefix="t:") for _ in range(3)]
    for s in stores:
        await s.open()
    try:
        updates, doc = edits(600)
        for u in updates[:300]:
            await stores[2].append_update("race", u)

        async def writer() -> None:
            for i, u in enumerate(updates[300:]):
                await stores[2].append_update("race", u)
                if i % 25 == 0:
                    await asyncio.sleep(0)

        async def compactor(s: RedisStore) -> int:
            done = 0
            for _ in range(12):
                done += await s.compact("race")
                await asyncio.sleep(0)
            return done

        results = await asyncio.gather(writer(), compactor(stores[0]), compactor(stores[1]))
        assert sum(results[1:]) >= 1
        await stores[0].compact("race")
        loaded = await stores[1].load_doc("race")
        assert loaded.position == 600
        expected = {"m": doc.get("m", type=Map).to_py(), "t": str(doc["t"])}
        assert state_of(loaded.snapshot, loaded.updates) == expected
        # and the uncompacted history replayed from scratch says the same
        assert state_of(None, [(i, u) for i, u in enumerate(updates)]) == expected
    finally:
        for s in stores:
            await s.close()


async def test_only_one_compactor_at_a_time(store: RedisStore) -> None:
    updates, _ = edits(5)
    for u in updates:
        await store.append_update("locked", u)
    assert await store.client.set("t:{locked}:doc:compact", "someone-else", nx=True, px=5000)
    assert not await store.compact("locked")  # another instance holds the lock
    assert await store.log_length("locked") == 5
    await store.client.delete("t:{locked}:doc:compact")
    assert await store.compact("locked")


async def test_votes_hold_budget_and_cap_under_concurrency(redis_proc: RedisProcess) -> None:
    a, b = RedisStore(redis_proc.url, prefix="t:"), RedisStore(redis_proc.url, prefix="t:")
    await a.open()
    await b.open()
    try:
        calls = [
            s.cast_vote("B", 1, "ana", f"n{i % 3}", budget=5, cap=2)
            for i in range(30)
            for s in (a, b)
        ]
        results = await asyncio.gather(*calls)
        assert sum(r.status == "ok" for r in results) == 5
        ballots = await a.ballots("B", 1, "ana")
        assert sum(ballots.values()) == 5 and max(ballots.values()) <= 2
        assert await a.tally("B", 1) == ballots
        assert await b.voters_done("B", 1, 5) == 1
        refused = await a.cast_vote("B", 1, "ana", "n0", budget=5, cap=2)
        assert refused.status == "budget" and refused.used == 5
        assert await a.remove_vote("B", 1, "ana", "n0")
        assert not await a.remove_vote("B", 1, "ana", "never-voted")
        assert (await a.cast_vote("B", 1, "bob", "n1", budget=5, cap=1)).status == "ok"
        assert (await a.cast_vote("B", 1, "bob", "n1", budget=5, cap=1)).status == "cap"
        assert await a.remove_note_votes("B", 1, "n1") == 2  # ana's and bob's
        assert "n1" not in await a.tally("B", 1)
        assert await a.voters_done("B", 1, 5) == 0
        assert await a.ballots("B", 2, "ana") == {}
    finally:
        await a.close()
        await b.close()


async def test_boards_docs_and_audit(store: RedisStore) -> None:
    await store.create_board(BoardInfo("b1", "One", "blank", 10.0, 10.0))
    await store.create_board(BoardInfo("b2", "Two", "quarterly", 20.0, 20.0))
    with pytest.raises(Exception, match="board exists"):
        await store.create_board(BoardInfo("b1", "Again", "blank", 30.0, 30.0))
    got = await store.get_board("b1")
    assert got is not None and got.title == "One" and got.created_at == 10.0
    assert await store.get_board("missing") is None
    await store.touch_board("b1", 50.0)
    await store.touch_board("missing", 60.0)
    assert [b.id for b in await store.list_boards()] == ["b1", "b2"]
    updates, _ = edits(2)
    for doc_id in ("b1/drafts/p1", "b1/drafts/p2", "b10/drafts/x", "b1"):
        await store.append_update(doc_id, updates[0])
    assert await store.list_docs("b1/drafts/") == ["b1/drafts/p1", "b1/drafts/p2"]
    await store.delete_doc("b1/drafts/p1")
    assert await store.list_docs("b1/drafts/") == ["b1/drafts/p2"]
    assert (await store.load_doc("b1/drafts/p1")).updates == []
    assert await store.append_update("b1/drafts/p1", updates[1]) == 2  # positions not reused
    await store.append_audit("b1", {"type": "lock", "by": "p1"})
    await store.append_audit("b1", {"type": "unlock", "by": "p1"})
    audit = await store.read_audit("b1")
    assert [e["type"] for e in audit] == ["lock", "unlock"] and "at" in audit[0]


async def test_appends_wait_for_redis_and_are_kept(redis_proc: RedisProcess) -> None:
    """Redis away: appends are retried, not lost; they resolve once it is back (AOF)."""
    store = RedisStore(redis_proc.url, prefix="t:")
    await store.open()
    try:
        updates, doc = edits(20)
        for u in updates[:10]:
            await store.append_update("out", u)
        await asyncio.get_running_loop().run_in_executor(None, redis_proc.stop)
        pending = [asyncio.create_task(store.append_update("out", u)) for u in updates[10:]]
        await wait_for(lambda: not store.available, 10, "the store noticed the outage")
        with pytest.raises(Exception):  # noqa: B017 - readiness says not ready
            await store.ping()
        assert not any(t.done() for t in pending)
        await asyncio.get_running_loop().run_in_executor(None, redis_proc.start)
        positions = await asyncio.wait_for(asyncio.gather(*pending), 15)
        assert positions == list(range(11, 21))
        await store.ping()
        loaded = await store.load_doc("out")
        assert state_of(loaded.snapshot, loaded.updates)["t"] == str(doc["t"])
    finally:
        await store.close()


async def test_expired_lock_cannot_lose_updates(
    redis_proc: RedisProcess, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A compactor outlives its lock, so a second one runs at the same time: both fold the same
    log while appends continue; the commit check lets exactly one of them through."""

    real_fold = redis_module.fold_updates
    folds: list[int] = []
    second_folding, first_committed = threading.Event(), threading.Event()

    def fold(snapshot: bytes | None, updates: list[bytes]) -> bytes:
        folds.append(len(updates))
        if len(folds) == 1:
            assert second_folding.wait(10)  # both are folding now
        else:
            second_folding.set()
            assert first_committed.wait(10)
        return real_fold(snapshot, updates)

    monkeypatch.setattr(redis_module, "COMPACT_LOCK_MS", 1)
    monkeypatch.setattr(redis_module, "fold_updates", fold)
    a, b = RedisStore(redis_proc.url, prefix="t:"), RedisStore(redis_proc.url, prefix="t:")
    await a.open()
    await b.open()
    try:
        updates, doc = edits(100)
        for u in updates[:60]:
            await a.append_update("slow", u)

        async def first() -> bool:
            done = await a.compact("slow")
            first_committed.set()
            return done

        async def second() -> bool:
            while True:  # until the first one's lock has expired
                if await b.compact("slow"):
                    return True
                if len(folds) >= 2:
                    return False
                await asyncio.sleep(0.005)

        async def appender() -> None:
            await wait_for(lambda: folds, 10, "the first fold started")
            for u in updates[60:]:
                await a.append_update("slow", u)

        results = await asyncio.gather(first(), second(), appender())
        assert results[:2] == [True, False]  # the stale fold was refused
        loaded = await a.load_doc("slow")
        assert loaded.position == 100
        assert state_of(loaded.snapshot, loaded.updates) == {
            "m": doc.get("m", type=Map).to_py(),
            "t": str(doc["t"]),
        }
    finally:
        await a.close()
        await b.close()
