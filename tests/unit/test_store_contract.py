"""The storage contract (server/store/base.py) held by both stores: a real SQLite file and a
real redis-server on a free port. A missing redis-server fails these tests; it never skips them.

Only what the protocol promises is asserted: positions increase per doc (SQLite's are shared by
all docs, Redis's are consecutive per doc), and `read_updates_since` is asked only for what lies
after the snapshot (Redis then answers with the snapshot first, SQLite has no such entry).
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator, Iterator
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
from pycrdt import Doc, Map, Text

from crdt.docload import doc_from_log
from server.store.base import BoardInfo, LoadedDoc, Store, VoteResult
from server.store.redis import RedisStore
from server.store.sqlite import SQLiteStore
from tests.servers import RedisProcess


@pytest.fixture(scope="module")
def redis_server() -> Iterator[RedisProcess]:
    """One redis-server for the module (each test has its own key prefix)."""
    server = RedisProcess().start()  # raises, failing the test, when there is no redis-server
    try:
        yield server
    finally:
        server.cleanup()


@pytest.fixture(params=["sqlite", pytest.param("redis", marks=pytest.mark.redis)])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    if request.param == "sqlite":
        made: Store = SQLiteStore(tmp_path / "planboard.sqlite3")
    else:
        server: RedisProcess = request.getfixturevalue("redis_server")
        made = RedisStore(server.url, prefix=f"contract-{secrets.token_hex(4)}:")
    await made.open()
    yield made
    await made.close()


def edits(count: int) -> tuple[list[bytes], dict[str, Any]]:
    """`count` updates of one doc, and the state they make together."""
    doc: Doc[Any] = Doc()
    updates: list[bytes] = []
    doc.observe(lambda event: updates.append(event.update))
    counters = doc.get("m", type=Map)
    doc["t"] = text = Text()
    for i in range(count):
        with doc.transaction():
            counters[f"k{i % 3}"] = i
            text += f"{i},"
    return updates, state(doc)


def state(doc: Doc[Any]) -> dict[str, Any]:
    return {"m": doc.get("m", type=Map).to_py(), "t": str(doc.get("t", type=Text))}


def state_of(loaded: LoadedDoc) -> dict[str, Any]:
    return state(doc_from_log(loaded.snapshot, (update for _, update in loaded.updates)))


def increasing(positions: list[int]) -> bool:
    return all(a < b for a, b in pairwise(positions))


async def test_boards(store: Store) -> None:
    info = BoardInfo(id="b1", title="Q3", template="quarterly", created_at=10.0, last_activity=10.0)
    await store.create_board(info)
    await store.create_board(BoardInfo("b2", "Other", "blank", 20.0, 20.0))
    got = await store.get_board("b1")
    assert got is not None
    assert (got.id, got.title, got.template, got.created_at) == ("b1", "Q3", "quarterly", 10.0)
    assert await store.get_board("missing") is None
    assert {board.id for board in await store.list_boards()} == {"b1", "b2"}


async def test_an_empty_doc_loads_empty(store: Store) -> None:
    loaded = await store.load_doc("nothing")
    assert (loaded.snapshot, loaded.updates, loaded.position) == (None, [], 0)
    assert await store.read_updates_since("nothing", 0) == []
    assert await store.log_length("nothing") == 0
    assert await store.compact("nothing") is False


async def test_append_load_and_read_since(store: Store) -> None:
    updates, expected = edits(5)
    positions = [await store.append_update("doc-a", update) for update in updates[:3]]
    other = await store.append_update("doc-b", updates[0])
    positions.append(await store.append_update("doc-a", updates[3]))
    positions.append(await store.append_update("doc-a", updates[4]))
    assert increasing(positions) and positions[0] > 0 and other > 0
    loaded = await store.load_doc("doc-a")
    assert loaded.updates == list(zip(positions, updates, strict=True))
    assert loaded.position == positions[-1]
    assert state_of(loaded) == expected
    assert await store.read_updates_since("doc-a", positions[2]) == [
        (positions[3], updates[3]),
        (positions[4], updates[4]),
    ]
    assert await store.read_updates_since("doc-a", positions[-1]) == []
    assert await store.log_length("doc-a") == 5
    assert (await store.load_doc("doc-b")).updates == [(other, updates[0])]


async def test_concurrent_appends_get_distinct_increasing_positions(store: Store) -> None:
    updates, expected = edits(20)
    positions = await asyncio.gather(*(store.append_update("doc", u) for u in updates))
    assert len(set(positions)) == 20
    loaded = await store.load_doc("doc")
    assert increasing([p for p, _ in loaded.updates])
    assert sorted(positions) == [p for p, _ in loaded.updates]
    assert state_of(loaded) == expected


async def test_compaction_keeps_state_and_positions(store: Store) -> None:
    updates, expected = edits(8)
    positions = [await store.append_update("doc", u) for u in updates[:6]]
    assert await store.compact("doc") is True
    compacted = await store.load_doc("doc")
    assert compacted.snapshot is not None and compacted.updates == []
    assert compacted.position == positions[-1]
    assert await store.log_length("doc") == 0
    assert await store.compact("doc") is False  # nothing new to fold
    later = [await store.append_update("doc", u) for u in updates[6:]]
    assert later[0] > positions[-1] and increasing(later)
    assert await store.read_updates_since("doc", positions[-1]) == list(
        zip(later, updates[6:], strict=True)
    )
    loaded = await store.load_doc("doc")
    assert loaded.position == later[-1]
    assert state_of(loaded) == expected
    assert await store.compact("doc") is True
    assert state_of(await store.load_doc("doc")) == expected


async def test_docs_by_prefix_and_deletion(store: Store) -> None:
    updates, _ = edits(1)
    for doc_id in ("b1/drafts/ana", "b1/drafts/bob", "b1", "b2/drafts/ana"):
        await store.append_update(doc_id, updates[0])
    await store.compact("b1/drafts/bob")
    assert await store.list_docs("b1/drafts/") == ["b1/drafts/ana", "b1/drafts/bob"]
    await store.delete_doc("b1/drafts/bob")
    assert await store.list_docs("b1/drafts/") == ["b1/drafts/ana"]
    assert (await store.load_doc("b1/drafts/bob")).updates == []


async def test_the_first_claim_of_a_client_id_wins(store: Store) -> None:
    assert await store.claim_clients("doc", {1: "ana", 2: "bob"}) == {1: "ana", 2: "bob"}
    assert await store.claim_clients("doc", {1: "eve", 3: "eve"}) == {1: "ana", 3: "eve"}
    assert await store.claim_clients("other-doc", {1: "eve"}) == {1: "eve"}


async def test_ballots_hold_budget_and_cap(store: Store) -> None:
    def vote(member: str, note: str) -> Any:
        return store.cast_vote("b", 1, member, note, 3, 2)

    assert await vote("ana", "n1") == VoteResult("ok", 1, 1)
    assert await vote("ana", "n1") == VoteResult("ok", 2, 2)
    assert await vote("ana", "n1") == VoteResult("cap", 2, 2)
    assert await vote("ana", "n2") == VoteResult("ok", 3, 1)
    assert await vote("ana", "n3") == VoteResult("budget", 3, 0)
    await vote("bob", "n2")
    assert await store.ballots("b", 1, "ana") == {"n1": 2, "n2": 1}
    assert await store.ballots("b", 2, "ana") == {}  # rounds are separate
    assert await store.tally("b", 1) == {"n1": 2, "n2": 2}
    assert await store.voters_done("b", 1, 3) == 1
    assert await store.remove_vote("b", 1, "ana", "n1") is True
    assert await store.remove_vote("b", 1, "ana", "n3") is False
    assert await store.ballots("b", 1, "ana") == {"n1": 1, "n2": 1}
    assert await store.voters_done("b", 1, 3) == 0


async def test_concurrent_votes_never_pass_the_budget(store: Store) -> None:
    results = await asyncio.gather(
        *(store.cast_vote("b", 1, "ana", f"n{i}", 3, 1) for i in range(10))
    )
    assert sorted(r.status for r in results).count("ok") == 3
    assert sum((await store.ballots("b", 1, "ana")).values()) == 3


async def test_note_votes_moved_and_removed(store: Store) -> None:
    for member, note in (("ana", "dup"), ("bob", "dup"), ("bob", "keep"), ("cy", "gone")):
        await store.cast_vote("b", 1, member, note, 5, 5)
    assert await store.move_note_votes("b", 1, "dup", "keep") == 2
    assert await store.tally("b", 1) == {"keep": 3, "gone": 1}
    assert await store.ballots("b", 1, "bob") == {"keep": 2}
    assert await store.remove_note_votes("b", 1, "gone") == 1
    assert await store.tally("b", 1) == {"keep": 3}
    assert await store.ballots("b", 1, "cy") == {}


async def test_estimates_until_the_round_closes(store: Store) -> None:
    assert await store.cast_estimate("b", 1, "ana", "n1", "3") is True
    assert await store.cast_estimate("b", 1, "ana", "n1", "5") is True  # changed, not added
    assert await store.cast_estimate("b", 1, "bob", "n1", "8") is True
    assert await store.my_estimates("b", 1, "ana") == {"n1": "5"}
    assert await store.estimate_ballots("b", 1) == {"ana": {"n1": "5"}, "bob": {"n1": "8"}}
    await store.close_estimates("b", 1)
    assert await store.cast_estimate("b", 1, "ana", "n1", "1") is False
    assert await store.my_estimates("b", 1, "ana") == {"n1": "5"}


async def test_audit_reads_back_in_order(store: Store) -> None:
    entries = [{"at": 1.0, "actor": "fay", "action": "lock"}, {"at": 2.0, "action": "unlock"}]
    for entry in entries:
        await store.append_audit("b", entry)
    assert await store.read_audit("b") == entries
    assert await store.read_audit("other") == []
