"""`move_note_votes` (merging duplicates) on both stores: every dot moves, budgets unchanged."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from server.store.redis import RedisStore
from server.store.sqlite import SQLiteStore
from tests.multi.support import started_redis
from tests.servers import RedisProcess


@pytest.fixture
def redis_proc() -> Iterator[RedisProcess]:
    yield from started_redis()


async def _check(store: Any) -> None:
    for who, note in (("ana", "a"), ("ana", "b"), ("bob", "b"), ("bob", "b"), ("cy", "c")):
        assert (await store.cast_vote("B", 1, who, note, budget=5, cap=3)).status == "ok"
    assert await store.move_note_votes("B", 1, "b", "a") == 3
    assert await store.tally("B", 1) == {"a": 4, "c": 1}
    assert await store.ballots("B", 1, "ana") == {"a": 2}
    assert await store.ballots("B", 1, "bob") == {"a": 2}
    assert await store.ballots("B", 1, "cy") == {"c": 1}
    assert await store.move_note_votes("B", 1, "gone", "a") == 0
    # Budgets are what each person used, as before: ana has 3 dots left.
    assert (await store.cast_vote("B", 1, "ana", "c", budget=5, cap=3)).used == 3
    assert await store.tally("B", 2) == {}


async def test_sqlite_moves_votes(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "p.sqlite3")
    await store.open()
    try:
        await _check(store)
    finally:
        await store.close()


@pytest.mark.redis
async def test_redis_moves_votes(redis_proc: RedisProcess) -> None:
    store = RedisStore(redis_proc.url, prefix="m:")
    await store.open()
    try:
        await _check(store)
    finally:
        await store.close()
