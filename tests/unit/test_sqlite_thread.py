"""The SQLite store's thread: queue order, group commits, errors kept to their own caller."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from server.store.sqlite_thread import SQLiteThread


def _connect(path: Path) -> sqlite3.Connection:
    db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
    db.execute("CREATE TABLE updates (pos INTEGER PRIMARY KEY AUTOINCREMENT, doc TEXT, data BLOB)")
    return db


async def test_appends_commit_in_order_and_a_read_after_them_sees_them(tmp_path: Path) -> None:
    thread = SQLiteThread(lambda: _connect(tmp_path / "a.db"))
    await thread.start()
    futures = [thread.append(f"doc{i % 3}", bytes([i])) for i in range(200)]
    count = thread.call(lambda db: db.execute("SELECT count(*) FROM updates").fetchone()[0])
    positions = await asyncio.gather(*futures)
    assert positions == sorted(positions) and len(set(positions)) == 200
    assert await count == 200  # queued after the appends: it saw every one
    rows = await thread.call(
        lambda db: db.execute("SELECT data FROM updates ORDER BY pos").fetchall()
    )
    assert [row[0] for row in rows] == [bytes([i]) for i in range(200)]
    await thread.stop()
    with pytest.raises(RuntimeError):
        thread.call(lambda db: None)


async def test_a_failing_job_fails_its_caller_only(tmp_path: Path) -> None:
    thread = SQLiteThread(lambda: _connect(tmp_path / "b.db"))
    await thread.start()
    bad = thread.call(lambda db: db.execute("SELECT * FROM nowhere"))
    good = thread.append("doc", b"x")
    with pytest.raises(sqlite3.OperationalError):
        await bad
    assert await good >= 1
    await thread.stop()


async def test_a_connection_that_cannot_open_fails_start(tmp_path: Path) -> None:
    def refuse() -> sqlite3.Connection:
        raise sqlite3.OperationalError("unable to open database file")

    thread = SQLiteThread(refuse)
    with pytest.raises(sqlite3.OperationalError):
        await thread.start()
    with pytest.raises(RuntimeError):
        thread.append("doc", b"x")
