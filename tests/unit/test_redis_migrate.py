"""`planboard migrate-keys` against a real redis-server filled by the previous release's store."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from typing import Any

import pytest
import redis.asyncio as aioredis
from pycrdt import Doc

from server.store.base import BoardInfo, Delivery
from server.store.redis import RedisStore
from tests.boards import add_note, note_texts
from tests.legacy.redis_store_v1 import RedisStore as RedisStoreV1
from tests.multi.support import started_redis
from tests.servers import VENV_BIN, RedisProcess

pytestmark = pytest.mark.redis


@pytest.fixture
def redis_proc() -> Iterator[RedisProcess]:
    yield from started_redis()


def note_update(note_id: str, author: str) -> bytes:
    doc: Doc[Any] = Doc()
    add_note(doc, note_id, author, f"text of {note_id}")
    return doc.get_update()


def migrate(url: str) -> str:
    done = subprocess.run(
        [str(VENV_BIN / "planboard"), "migrate-keys", "--redis-url", url],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return done.stdout


async def fill_with_the_old_layout(url: str) -> None:
    old = RedisStoreV1(url, prefix="planboard:")
    await old.open()
    try:
        now = time.time()
        await old.create_board(BoardInfo("b1", "Retro", "blank", now, now))
        await old.create_board(BoardInfo("b2", "Other", "blank", now, now))
        for i in range(3):
            await old.append_update("b1", note_update(f"n{i}", "p1"))
        assert await old.compact("b1")  # a snapshot, and a log after it
        await old.append_update("b1", note_update("n3", "p1"))
        await old.append_update("b1/drafts/p1", note_update("d0", "p1"))
        await old.claim_clients("b1", {7: "p1"})
        for note in ("n0", "n0", "n1"):
            await old.cast_vote("b1", 1, "p1", note, 5, 2)
        await old.cast_estimate("b1", 2, "p1", "n1", "5")
        await old.close_estimates("b1", 2)
        await old.append_audit("b1", {"type": "lock"})
        await old.put_webhook("b1", {"id": "wh1", "url": "https://x.example", "created_at": 1})
        await old.enqueue_deliveries(
            [
                Delivery("d1", "b1", "wh1", "e1", "board.locked", b"{}", "pending", 0, 0.0, now),
            ]
        )
    finally:
        await old.close()


async def test_migrate_keys_brings_old_data_to_the_per_board_layout(
    redis_proc: RedisProcess,
) -> None:
    await fill_with_the_old_layout(redis_proc.url)
    out = migrate(redis_proc.url)
    assert "renamed" in out and " 0 conflict" in out, out

    admin = aioredis.Redis.from_url(redis_proc.url)
    try:
        names = {k.decode() async for k in admin.scan_iter(match="*")}
    finally:
        await admin.aclose()
    untagged = {k for k in names if not k.startswith("planboard:{")}
    assert untagged == {"planboard:boards", "planboard:outbox:boards", "planboard:epoch"}
    assert {k[: k.index("}") + 1] for k in names - untagged} == {"planboard:{b1}", "planboard:{b2}"}

    store = RedisStore(redis_proc.url)
    await store.open()
    try:
        board = await store.get_board("b1")
        assert board is not None and board.title == "Retro"
        assert {b.id for b in await store.list_boards()} == {"b1", "b2"}
        loaded = await store.load_doc("b1")
        assert loaded.snapshot is not None and loaded.position == 4
        doc: Doc[Any] = Doc()
        doc.apply_update(loaded.snapshot)
        for _, update in loaded.updates:
            doc.apply_update(update)
        assert set(note_texts(doc)) == {"n0", "n1", "n2", "n3"}
        assert await store.list_docs("b1/drafts/") == ["b1/drafts/p1"]
        assert (await store.load_doc("b1/drafts/p1")).position == 1
        assert await store.claim_clients("b1", {7: "someone else"}) == {7: "p1"}
        assert await store.ballots("b1", 1, "p1") == {"n0": 2, "n1": 1}
        assert await store.tally("b1", 1) == {"n0": 2, "n1": 1}
        assert await store.estimate_ballots("b1", 2) == {"p1": {"n1": "5"}}
        assert not await store.cast_estimate("b1", 2, "p1", "n1", "8")  # still closed
        assert [e["type"] for e in await store.read_audit("b1")] == ["lock"]
        assert [h["id"] for h in await store.list_webhooks("b1")] == ["wh1"]
        claimed = await store.claim_deliveries(time.time(), 30.0, 10)
        assert [d.id for d in claimed] == ["d1"]
        assert [d.id for d in await store.list_deliveries("b1", "wh1", 10)] == ["d1"]
        # Positions go on where the old store left them.
        assert (await store.append_stamped("b1", note_update("n4", "p1")))[1] == 5
    finally:
        await store.close()

    # Idempotent: a second run finds nothing left to do.
    again = migrate(redis_proc.url)
    assert again.startswith("renamed 0 key(s), moved 0"), again
