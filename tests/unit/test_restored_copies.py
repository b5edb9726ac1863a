"""A note restored by a compensation is a copy: edits that reach the original are carried over.

Bob (a participant) deletes Ana's note: forbidden, so the server restores it, as a new copy under
the same key (Yjs deletions cannot be undone). Ana, who has not yet received the compensation,
keeps typing into her note and moves it: her edits land in the deleted original. The server
carries them over to the copy, so nothing Ana did is lost and everyone converges.
"""

from __future__ import annotations

from typing import Any

from pycrdt import Doc, Map, Text

from tests.policy_harness import Board, new_note


def board_with_anas_note() -> Board:
    board = Board()
    ana = board.client()
    since = ana.get_state()
    ana.get("notes", type=Map)["an"] = new_note("ana", "ana's note")
    assert board.push(ana, "ana", since)[0] == []
    return board


def note(doc: Doc[Any], key: str = "an") -> dict[str, Any]:
    entry = doc.get("notes", type=Map)[key]
    return {"text": str(entry["text"]), "x": entry["x"], "y": entry["y"], "author": entry["author"]}


def test_edits_to_a_restored_original_reach_the_copy() -> None:
    board = board_with_anas_note()
    ana = board.client()
    bob = board.client()
    # Ana types and moves her note, not yet knowing of Bob's delete.
    ana_since = ana.get_state()
    ana_text: Text = ana.get("notes", type=Map)["an"]["text"]
    ana_text.insert(len(ana_text), "!")
    ana.get("notes", type=Map)["an"]["x"] = 99.0
    # Bob's forbidden delete arrives first: compensated by a copy.
    bob_since = bob.get_state()
    del bob.get("notes", type=Map)["an"]
    violations, bob_net = board.push(bob, "bob", bob_since)
    assert [v.rule for v in violations] == ["not_owner"]
    assert note(board.doc)["text"] == "ana's note"
    # Ana's edits arrive afterwards, aimed at the original.
    violations, ana_net = board.push(ana, "ana", ana_since)
    assert violations == []
    assert note(board.doc) == {"text": "ana's note!", "x": 99.0, "y": 20.0, "author": "ana"}
    # Every client converges to it: Ana, Bob, and a newcomer.
    assert bob_net is not None and ana_net is not None
    for peer in (ana, bob):
        peer.apply_update(board.doc.get_update(peer.get_state()))
        assert note(peer) == note(board.doc)
    fresh: Doc[Any] = Doc()
    fresh.apply_update(board.doc.get_update())
    assert note(fresh) == note(board.doc)


def test_later_edits_go_to_the_copy_as_usual() -> None:
    board = board_with_anas_note()
    bob = board.client()
    bob_since = bob.get_state()
    del bob.get("notes", type=Map)["an"]
    assert board.push(bob, "bob", bob_since)[0]
    ana = board.client()  # has the copy
    since = ana.get_state()
    text: Text = ana.get("notes", type=Map)["an"]["text"]
    text.insert(0, "> ")
    assert board.push(ana, "ana", since)[0] == []
    assert note(board.doc)["text"] == "> ana's note"


def test_concurrent_typing_in_the_original_and_the_copy_keeps_both() -> None:
    board = board_with_anas_note()
    ana_old = board.client()  # will type into the original
    bob = board.client()
    old_since = ana_old.get_state()
    old_text: Text = ana_old.get("notes", type=Map)["an"]["text"]
    old_text.insert(0, "A ")
    bob_since = bob.get_state()
    del bob.get("notes", type=Map)["an"]
    assert board.push(bob, "bob", bob_since)[0]
    fac = board.client()  # has the copy; the facilitator types at its end
    fac_since = fac.get_state()
    fac_text: Text = fac.get("notes", type=Map)["an"]["text"]
    fac_text.insert(len(fac_text), " (ok)")
    assert board.push(fac, "fac", fac_since)[0] == []
    assert board.push(ana_old, "ana", old_since)[0] == []
    assert note(board.doc)["text"] == "A ana's note (ok)"
