"""Appends on the event loop: committed there when nothing can make them wait, else queued on the
store's thread in call order; checkpoints stay on the thread; a slow disk sends appends back."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from server.store.sqlite import SQLiteStore


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SQLiteStore]:
    store = SQLiteStore(tmp_path / "planboard.sqlite3")
    await store.open()
    yield store
    await store.close()


async def test_an_append_is_committed_before_its_future_is_handed_back(store: SQLiteStore) -> None:
    futures = [store.append_soon(f"doc{i % 3}", bytes([i])) for i in range(50)]
    assert all(f.done() for f in futures)  # committed on the loop, no hop to the thread
    positions = [f.result() for f in futures]
    assert positions == sorted(positions) and len(set(positions)) == 50
    assert store._appender.appended == 50
    loaded = await store.load_doc("doc1")  # read on the thread's own connection
    assert [data for _pos, data in loaded.updates] == [bytes([i]) for i in range(1, 50, 3)]


async def test_while_the_thread_holds_the_write_lock_appends_queue_there_in_order(
    store: SQLiteStore,
) -> None:
    holding, release = threading.Event(), threading.Event()

    def hold_the_write_lock(db: sqlite3.Connection) -> None:
        db.execute("BEGIN IMMEDIATE")
        holding.set()
        release.wait(30)
        db.execute("COMMIT")

    held = store._thread.call(hold_the_write_lock)
    assert await asyncio.to_thread(holding.wait, 30)
    first = store.append_soon("doc", b"first")  # busy: queued on the thread, the loop goes on
    assert not first.done()
    second = store.append_soon("doc", b"second")  # behind the first, though the lock is free
    release.set()
    await held
    assert not second.done() or second.result() > first.result()
    assert await second > await first
    third = store.append_soon("doc", b"third")
    assert third.done() and third.result() > second.result()  # on the loop again
    loaded = await store.load_doc("doc")
    assert [data for _pos, data in loaded.updates] == [b"first", b"second", b"third"]
    assert store._appender.appended == 1


async def test_the_thread_checkpoints_what_the_loop_appended(tmp_path: Path) -> None:
    sizes = {}
    for every in (10**9, 50):
        path = tmp_path / f"every-{every}.sqlite3"
        store = SQLiteStore(path)
        await store.open()
        store._appender.checkpoint_every = every
        before = path.stat().st_size
        for i in range(300):
            store.append_soon("doc", bytes(1000) + bytes([i % 256])).result()
        await store.flush()  # after the checkpoints asked for
        sizes[every] = path.stat().st_size - before
        assert len((await store.load_doc("doc")).updates) == 300
        await store.close()
    assert sizes[10**9] == 0  # the loop's connection never checkpoints: all of it is in the WAL
    assert sizes[50] > 200_000  # the thread copied the WAL into the file


async def test_a_slow_append_sends_the_next_ones_to_the_thread(store: SQLiteStore) -> None:
    store._appender.slow_s = 0.0  # every append counts as slow
    assert store.append_soon("doc", b"a").done()
    later = [store.append_soon("doc", bytes([i])) for i in range(5)]
    assert not any(f.done() for f in later)  # on the thread while the disk is "slow"
    assert await asyncio.gather(*later) == sorted(await asyncio.gather(*later))
    assert store._appender.appended == 1
    assert len((await store.load_doc("doc")).updates) == 6
