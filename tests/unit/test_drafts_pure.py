"""crdt/drafts.py in process: reading a private drafts doc, the cap, keyed reveal ids, and a
reveal that is fair to every member, respects the note limit and can run twice safely."""

from __future__ import annotations

from typing import Any

from pycrdt import Doc, Map, Text

from crdt import drafts
from crdt.drafts import COLUMNS, NOTE_H, NOTE_W, Draft

KEY = "server-key"


def private_doc(*entries: tuple[str, Any]) -> Doc[Any]:
    doc: Doc[Any] = Doc()
    notes = doc.get("notes", type=Map)
    for note_id, entry in entries:
        notes[note_id] = entry
    return doc


def draft(text: str, created_at: float, color: str = "pink") -> Map[Any]:
    return Map({"text": Text(text), "color": color, "created_at": created_at, "x": 0.0})


def test_read_drafts_oldest_first_and_cleaned() -> None:
    doc = private_doc(
        ("late", draft("second", 20.0)),
        ("early", draft("first and long", 10.0, color="not-a-color")),
        ("junk", "not a map"),
        ("x" * 65, draft("id too long", 5.0)),
    )
    assert drafts.count_drafts(doc) == 4
    assert drafts.read_drafts(doc, max_text=5) == [
        Draft(note_id="early", text="first", color="yellow", created_at=10.0),
        Draft(note_id="late", text="secon", color="pink", created_at=20.0),
    ]


def test_drafts_beyond_the_cap_malformed_first_then_newest() -> None:
    doc = private_doc(
        ("a", draft("a", 1.0)), ("b", draft("b", 2.0)), ("c", draft("c", 3.0)), ("bad", 7)
    )
    assert drafts.drafts_beyond(doc, 4) == []
    assert drafts.drafts_beyond(doc, 3) == ["bad"]
    assert drafts.drafts_beyond(doc, 2) == ["bad", "c"]
    drafts.remove_drafts(doc, ["bad", "c", "never-there"])
    assert sorted(doc.get("notes", type=Map).keys()) == ["a", "b"]


def test_reveal_ids_are_keyed_and_stable() -> None:
    one = Draft("d1", "text", "yellow", 1.0)
    first = drafts.reveal_id(KEY, "board", "ana", one)
    assert first == drafts.reveal_id(KEY, "board", "ana", one)
    assert first.startswith("r") and len(first) == 32
    others = {
        drafts.reveal_id("another-key", "board", "ana", one),
        drafts.reveal_id(KEY, "other-board", "ana", one),
        drafts.reveal_id(KEY, "board", "bob", one),
        drafts.reveal_id(KEY, "board", "ana", Draft("d1", "text", "yellow", 2.0)),
    }
    assert first not in others and len(others) == 4


def reveal(board: Doc[Any], by_member: dict[str, list[Draft]], max_notes: int) -> Any:
    return drafts.place_drafts(
        board,
        by_member,
        key=KEY,
        board_id="board",
        now_ms=99.0,
        item="i1",
        max_notes=max_notes,
        origin_x=10.0,
        origin_y=500.0,
    )


def many(prefix: str, count: int) -> list[Draft]:
    return [Draft(f"{prefix}{i}", f"{prefix} {i}", "blue", float(i)) for i in range(count)]


def test_reveal_lays_out_one_band_per_member() -> None:
    board: Doc[Any] = Doc()
    placement = reveal(board, {"bob": many("b", 2), "ana": many("a", COLUMNS + 1)}, 100)
    assert placement.placed == {"ana": [f"a{i}" for i in range(COLUMNS + 1)], "bob": ["b0", "b1"]}
    assert (placement.placed_count, placement.left_count) == (COLUMNS + 3, 0)
    notes = board.get("notes", type=Map)
    placed = {str(n["text"]): n.to_py() for n in notes.values()}
    assert placed["a 0"] == {
        "text": "a 0",
        "x": 10.0,
        "y": 500.0,
        "color": "blue",
        "author": "ana",
        "created_at": 99.0,
        "group": None,
        "item": "i1",
    }
    assert (placed[f"a {COLUMNS}"]["x"], placed[f"a {COLUMNS}"]["y"]) == (10.0, 500.0 + NOTE_H)
    assert (placed["a 1"]["x"], placed["a 1"]["y"]) == (10.0 + NOTE_W, 500.0)
    bob_band = 500.0 + 2 * NOTE_H + 40.0  # ana's two rows, then a gap
    assert (placed["b 0"]["x"], placed["b 0"]["y"]) == (10.0, bob_band)
    assert drafts.lowest_note_y(board) == bob_band + NOTE_H + 40.0


def test_reveal_is_fair_under_the_note_limit_and_safe_to_repeat() -> None:
    board: Doc[Any] = Doc()
    by_member = {"ana": many("a", 3), "bob": many("b", 3)}
    first = reveal(board, by_member, 3)
    assert first.placed == {"ana": ["a0", "a1"], "bob": ["b0"]}  # round robin: a0 b0 a1
    assert first.left == {"ana": 1, "bob": 2}
    again = reveal(board, by_member, 100)  # a second reveal skips what is already on the board
    assert again.already == {"ana": ["a0", "a1"], "bob": ["b0"]}
    assert again.placed == {"ana": ["a2"], "bob": ["b1", "b2"]}
    assert len(board.get("notes", type=Map)) == 6


def test_drafting_and_counts() -> None:
    board: Doc[Any] = Doc()
    counts = board.get("session", type=Map)
    drafts.set_draft_count(board, "ana", 3)  # not drafting: nothing shown
    assert "drafts" not in counts
    drafts.set_drafting(board, True)
    assert drafts.is_drafting(board)
    drafts.set_draft_count(board, "ana", 3)
    drafts.set_draft_count(board, "bob", 1)
    drafts.set_draft_count(board, "bob", 0)
    assert counts["drafts"].to_py() == {"ana": 3}
    drafts.set_drafting(board, False)
    assert not drafts.is_drafting(board)
    assert "drafts" not in counts
