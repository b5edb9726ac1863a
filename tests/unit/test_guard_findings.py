"""The review's findings against the guard, one test each, judged in process.

Each hand-encodes the update the review sent (tests/yjs_encoder.py) and checks that nothing of
it reaches the live doc unjudged, that the guard neither raises nor loops, and that the board
keeps working for lawful edits afterwards. The same updates go over a real server in
tests/integration/test_guard_findings_live.py.
"""

from __future__ import annotations

from typing import Any

import pytest
from pycrdt import Doc, Map, Text

from crdt import yupdate
from crdt.policy import DocLimits, MalformedUpdate, PendingUpdate
from crdt.schema import BoardDoc
from tests.policy_harness import Board, new_note, snapshot
from tests.yjs_encoder import Item, Run, encode, find_type, find_value, state_of

HOSTILE = 777_000_001  # the hostile client's Yjs client id


def seeded(limits: DocLimits | None = None) -> Board:
    board = Board(limits)

    def seed(doc: Doc[Any]) -> None:
        b = BoardDoc(doc)
        b.add_note("fn", author="fac", text="facilitator's note")
        b.add_note("an", author="ana", text="ana's note")

    board.server_change(seed)
    return board


def role_of(board: Board, pid: str) -> Any:
    return board.doc.get("participants", type=Map)[pid]["role"]


def lawful_edit_works(board: Board) -> None:
    ana = board.client()
    since = ana.get_state()
    ana.get("notes", type=Map)["later"] = new_note("ana", "still works")
    violations, _ = board.push(ana, "ana", since)
    assert violations == []
    assert "later" in board.doc.get("notes", type=Map)


def test_1_a_partial_apply_cannot_make_a_participant_facilitator() -> None:
    board = seeded()
    index = board.guard.index
    ana_entry = find_type(index, ("participants", "ana"))
    role_item = find_value(index, ana_entry, "role")
    run = Run(HOSTILE, 0)
    run.add(Item(("any", ["facilitator"]), origin=role_item))  # participants.ana.role
    run.add(Item(("any", ["x"]), parent="meta", sub="title"))
    string_id = run.add(Item(("string", "s"), parent="notes", sub="zz"))
    run.add(Item(("any", [1]), parent=string_id))  # a parent that is not a type
    violations, _ = board.apply(encode([run]), "ana")
    assert violations
    assert role_of(board, "ana") == "participant"
    assert board.doc.get("meta", type=Map)["title"] == "Kick-off"
    lawful_edit_works(board)


def test_2_multibyte_string_under_an_unknown_root_does_not_hang() -> None:
    board = seeded()
    run = Run(HOSTILE, 0, [Item(("string", "é"), parent="x")])
    data = encode([run])
    assert len(data) <= 16
    violations, _ = board.apply(data, "ana")
    assert [v.rule for v in violations] == ["unknown_root"]
    assert "x" not in list(board.doc.keys())
    lawful_edit_works(board)


def test_3_pending_blocks_never_wait_in_the_doc_for_someone_elses_clock() -> None:
    board = seeded()
    fac = board.client()
    fac_client = fac.client_id
    next_clock = state_of(board.doc).get(fac_client, 0)  # every member learns it from the sv
    run = Run(HOSTILE, 0)
    run.add(Item(("any", ["hijacked"]), origin=(fac_client, next_clock)))
    with pytest.raises(PendingUpdate):
        board.apply(encode([run]), "ana")
    # The facilitator's next edits release nothing: the hostile blocks were never kept.
    since = board.doc.get_state()
    fac.get("notes", type=Map)["fn"]["text"].insert(0, "Hello ")
    assert board.push(fac, "fac", since)[0] == []
    assert board.doc.get("meta", type=Map)["title"] == "Kick-off"
    assert HOSTILE not in state_of(board.doc)


def test_5_a_format_item_under_an_unknown_root_key_does_not_brick_the_board() -> None:
    board = seeded()
    run = Run(HOSTILE, 0, [Item(("format", ("bold", "true")), parent="evil", sub="k")])
    violations, _ = board.apply(encode([run]), "fac")
    assert [v.rule for v in violations] == ["unknown_root"]
    for _ in range(3):
        lawful_edit_works(board)


def test_6_deep_nesting_is_refused_while_decoding() -> None:
    board = seeded()
    before = snapshot(board.doc)
    run = Run(HOSTILE, 0)
    parent: str | yupdate.ID = "notes"
    sub: str | None = "deep"
    for _ in range(50_000):
        parent = run.add(Item(("type", yupdate.TYPE_MAP), parent=parent, sub=sub))
        sub = "k"
    data = encode([run])
    assert len(data) < 1 << 20
    with pytest.raises(MalformedUpdate, match="nested 4 levels deep"):
        board.apply(data, "ana")
    assert snapshot(board.doc) == before
    lawful_edit_works(board)


def test_6_nesting_through_siblings_is_refused_too() -> None:
    """A level reached through an origin (a sibling) counts as deep as the sibling."""
    board = seeded()
    run = Run(HOSTILE, 0)
    entry = run.add(Item(("type", yupdate.TYPE_MAP), parent="notes", sub="deep"))
    text = run.add(Item(("type", yupdate.TYPE_TEXT), parent=entry, sub="text"))
    first = run.add(Item(("string", "a"), parent=text))
    sibling = run.add(Item(("type", yupdate.TYPE_MAP), origin=first))  # inside the text, like "a"
    run.add(Item(("any", [1]), parent=sibling, sub="k"))
    with pytest.raises(MalformedUpdate, match="nested 4 levels deep"):
        board.apply(encode([run]), "ana")
    lawful_edit_works(board)


def test_6_nesting_inside_an_existing_note_is_refused() -> None:
    board = seeded()
    text_id = find_type(board.guard.index, ("notes", "an", "text"))
    run = Run(HOSTILE, 0)
    inner = run.add(Item(("type", yupdate.TYPE_MAP), parent=text_id))
    run.add(Item(("any", [1]), parent=inner, sub="k"))
    with pytest.raises(MalformedUpdate, match="nested 4 levels deep"):
        board.apply(encode([run]), "ana")
    lawful_edit_works(board)


def test_7_a_format_item_as_a_note_entry_is_compensated_and_readable() -> None:
    board = seeded()
    run = Run(HOSTILE, 0, [Item(("format", ("bold", "true")), parent="notes", sub="fmt")])
    violations, _ = board.apply(encode([run]), "ana")
    assert [v.rule for v in violations] == ["shape"]
    assert "fmt" not in board.doc.get("notes", type=Map)
    BoardDoc(board.doc).to_py()  # every reader still works
    lawful_edit_works(board)


def test_8_pending_embeds_never_accumulate() -> None:
    board = seeded(DocLimits(max_doc_bytes=1_000_000))
    ana = board.client()
    ana_client = ana.client_id
    for i in range(24):
        run = Run(HOSTILE + i, 0, [Item(("embed", "x" * 700_000), origin=(ana_client, 5))])
        with pytest.raises(PendingUpdate):
            board.apply(encode([run]), "bob")
    since = board.doc.get_state()
    ana.get("notes", type=Map)["an"]["text"].insert(0, "abcdefgh")  # releases nothing
    assert board.push(ana, "ana", since)[0] == []
    assert len(board.doc.get_update()) < 100_000


@pytest.mark.parametrize(
    "content",
    [("embed", '{"image": "' + "x" * 50_000 + '"}'), ("format", ("href", "javascript:alert(1)"))],
    ids=["embed", "format"],
)
def test_9_note_text_is_plain_text(content: tuple[str, Any]) -> None:
    board = seeded()
    text_id = find_type(board.guard.index, ("notes", "an", "text"))
    run = Run(HOSTILE, 0, [Item(content, parent=text_id)])
    violations, _ = board.apply(encode([run]), "ana")
    assert [v.rule for v in violations] == ["shape"]
    assert str(board.doc.get("notes", type=Map)["an"]["text"]) == "ana's note"


def test_9_no_map_nested_in_a_note_text() -> None:
    board = seeded()
    text_id = find_type(board.guard.index, ("notes", "an", "text"))
    run = Run(HOSTILE, 0)
    run.add(Item(("type", yupdate.TYPE_MAP), parent=text_id))  # with content inside: refused (6)
    violations, _ = board.apply(encode([run]), "ana")
    assert {v.rule for v in violations} == {"shape"}
    assert str(board.doc.get("notes", type=Map)["an"]["text"]) == "ana's note"


def test_9_text_length_counts_utf16_units_of_what_is_stored() -> None:
    board = seeded(DocLimits(max_note_text=20))
    ana = board.client()
    since = ana.get_state()
    ana.get("notes", type=Map)["an"]["text"].insert(0, "😀" * 6)  # 12 units + 10 = 22
    violations, _ = board.push(ana, "ana", since)
    assert [v.rule for v in violations] == ["limit"]
    # Replacing text near the limit counts what is deleted too.
    ana = board.client()
    since = ana.get_state()
    text: Text = ana.get("notes", type=Map)["an"]["text"]
    with ana.transaction():
        del text[0 : len(text)]
        text.insert(0, "x" * 20)
    assert board.push(ana, "ana", since)[0] == []


def test_11_compensation_pins_no_history() -> None:
    """Deleted content is collected at once: the joiner's download follows the board's size."""
    board = seeded()
    ana = board.client()
    for i in range(400):
        since = board.doc.get_state()
        note = ana.get("notes", type=Map)["an"]
        with ana.transaction():
            text: Text = note["text"]
            del text[0 : len(text)]
            text.insert(0, f"version {i} " + "y" * 40)
            note["x"] = float(i)
        assert board.push(ana, "ana", since)[0] == []
        # and a forbidden edit, compensated every time
        since = board.doc.get_state()
        ana.get("notes", type=Map)["fn"]["text"].insert(0, "no ")
        violations, net = board.push(ana, "ana", since)
        assert violations
        assert net is not None
        ana.apply_update(net)
    fresh: Doc[Any] = Doc()
    fresh.apply_update(board.doc.get_update())
    assert snapshot(fresh) == board.state()
    assert len(board.doc.get_update()) < 40_000


def test_a_facilitator_may_bring_back_a_deleted_note_with_its_author() -> None:
    """Undo of a delete: the note comes back under its key with its original author."""
    board = seeded()
    fac = board.client()
    since = fac.get_state()
    del fac.get("notes", type=Map)["an"]
    assert board.push(fac, "fac", since)[0] == []
    since = fac.get_state()
    fac.get("notes", type=Map)["an"] = new_note("ana", "ana's note")
    assert board.push(fac, "fac", since)[0] == []
    assert board.doc.get("notes", type=Map)["an"]["author"] == "ana"
    # ... but never under another author, nor as a note that never was, nor by a participant.
    for sender, key, author in (("fac", "new", "ana"), ("fac", "fn", "bob"), ("bob", "an2", "ana")):
        client = board.client()
        since = client.get_state()
        if key == "fn":
            del client.get("notes", type=Map)["fn"]
            board.push(client, "fac", since)
            since = client.get_state()
        client.get("notes", type=Map)[key] = new_note(author)
        violations, _ = board.push(client, sender, since)
        assert "author" in {v.rule for v in violations}, (sender, key, author)


def test_an_overwrite_without_its_delete_does_not_make_the_next_sender_a_suspect() -> None:
    """A crafted update sets a key without deleting the value it replaces (every Yjs client
    sends both); yrs deletes the old value anyway. Every later update carries that deletion
    in its delete set: it is no deletion of theirs (found by tests/unit/test_guard_fuzz.py)."""
    board = seeded()
    title = find_value(board.guard.index, "meta", "title")
    run = Run(HOSTILE, 0)
    run.add(Item(("any", [None]), origin=title))  # meta.title, by the facilitator
    violations, _ = board.apply(encode([run]), "fac")
    assert violations == []
    lawful_edit_works(board)
