"""The permission table, one rule at a time, judged in process (no network).

For every forbidden write: the guard reports the rule, the server's visible state is exactly
what it was, an observer that applies the net update sees nothing change, and the offender
converges back once it applies the net update. Lawful writes pass untouched.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from pycrdt import Array, Doc, Map, Text

from crdt.policy import DocLimits, MalformedUpdate
from crdt.schema import BoardDoc
from tests.boards import add_action, add_decision, add_group
from tests.policy_harness import Board, new_note, snapshot

Mutation = Callable[[Doc[Any]], None]


def seeded(locked: bool = False, limits: DocLimits | None = None) -> Board:
    board = Board(limits)

    def seed(doc: Doc[Any]) -> None:
        b = BoardDoc(doc)
        b.add_note("fn", author="fac", text="facilitator's note")
        b.add_note("an", author="ana", text="ana's note")
        b.add_note("bn", author="bob", text="bob's note")
        add_group(doc, "g1", title="Risks", x=0, y=0)
        add_action(doc, "a1", text="Write the plan", owner="ana")
        add_decision(doc, "d1", text="Ship it", item=None, created_at=1.0)
        if locked:
            doc.get("session", type=Map)["locked"] = True

    board.server_change(seed)
    return board


def notes(doc: Doc[Any]) -> Map[Any]:
    m: Map[Any] = doc.get("notes", type=Map)
    return m


def note(doc: Doc[Any], note_id: str) -> Map[Any]:
    n: Map[Any] = notes(doc)[note_id]
    return n


def text_of(doc: Doc[Any], note_id: str) -> Text:
    t: Text = note(doc, note_id)["text"]
    return t


FORBIDDEN: list[tuple[str, str, bool, Mutation, str]] = [
    # (case, sender, locked, mutation, rule)
    (
        "viewer creates a note",
        "vic",
        False,
        lambda d: notes(d).__setitem__("v1", new_note("vic")),
        "read_only",
    ),
    (
        "viewer moves a note",
        "vic",
        False,
        lambda d: note(d, "an").__setitem__("x", 99.0),
        "read_only",
    ),
    (
        "non-member creates a note",
        "eve",
        False,
        lambda d: notes(d).__setitem__("e1", new_note("eve")),
        "read_only",
    ),
    (
        "participant edits meta",
        "ana",
        False,
        lambda d: d.get("meta", type=Map).__setitem__("title", "mine"),
        "facilitator_only",
    ),
    (
        "participant adds an agenda item",
        "ana",
        False,
        lambda d: d.get("agenda", type=Array).append(
            Map({"id": "x", "title": "x", "minutes": 5, "kind": "discuss"})
        ),
        "facilitator_only",
    ),
    (
        "participant deletes an agenda item",
        "ana",
        False,
        lambda d: d.get("agenda", type=Array).__delitem__(0),
        "facilitator_only",
    ),
    (
        "participant records a decision",
        "ana",
        False,
        lambda d: d.get("decisions", type=Map).__setitem__(
            "d2", Map({"text": "mine", "item": None, "created_at": 1.0})
        ),
        "facilitator_only",
    ),
    (
        "facilitator unlocks through the doc",
        "fac",
        True,
        lambda d: d.get("session", type=Map).__setitem__("locked", False),
        "server_only",
    ),
    (
        "participant promotes itself",
        "ana",
        False,
        lambda d: d.get("participants", type=Map)["ana"].__setitem__("role", "facilitator"),
        "server_only",
    ),
    (
        "participant writes tallies",
        "ana",
        False,
        lambda d: d.get("results", type=Map).__setitem__("1", Map({"an": 99})),
        "server_only",
    ),
    (
        "participant writes a note as someone else",
        "ana",
        False,
        lambda d: notes(d).__setitem__("forged", new_note("bob")),
        "author",
    ),
    (
        "participant edits another's text",
        "ana",
        False,
        lambda d: text_of(d, "bn").insert(0, "hacked "),
        "not_owner",
    ),
    (
        "participant recolours another's note",
        "ana",
        False,
        lambda d: note(d, "bn").__setitem__("color", "pink"),
        "not_owner",
    ),
    (
        "participant deletes another's note",
        "ana",
        False,
        lambda d: notes(d).__delitem__("fn"),
        "not_owner",
    ),
    (
        "participant replaces another's note",
        "ana",
        False,
        lambda d: notes(d).__setitem__("bn", new_note("ana")),
        "not_owner",
    ),
    (
        "participant takes over its note's authorship",
        "ana",
        False,
        lambda d: note(d, "an").__setitem__("author", "fac"),
        "immutable",
    ),
    (
        "locked: participant creates a note",
        "ana",
        True,
        lambda d: notes(d).__setitem__("n9", new_note("ana")),
        "locked",
    ),
    (
        "locked: participant moves a note",
        "ana",
        True,
        lambda d: note(d, "an").__setitem__("x", 1.0),
        "locked",
    ),
    (
        "locked: participant edits its own text",
        "ana",
        True,
        lambda d: text_of(d, "an").insert(0, "late "),
        "locked",
    ),
    (
        "locked: participant deletes its own note",
        "ana",
        True,
        lambda d: notes(d).__delitem__("an"),
        "locked",
    ),
    (
        "locked: participant adds a group",
        "ana",
        True,
        lambda d: d.get("groups", type=Map).__setitem__(
            "g2", Map({"title": "t", "x": 0.0, "y": 0.0, "w": 1.0, "h": 1.0})
        ),
        "locked",
    ),
    (
        "locked: participant marks an action done",
        "ana",
        True,
        lambda d: d.get("actions", type=Map)["a1"].__setitem__("status", "done"),
        "locked",
    ),
    (
        "note with a string for x",
        "ana",
        False,
        lambda d: notes(d).__setitem__("s1", new_note("ana", x="left")),
        "shape",
    ),
    (
        "note text as a plain string",
        "ana",
        False,
        lambda d: notes(d).__setitem__(
            "s2", Map({"text": "plain", "x": 1.0, "y": 1.0, "color": "yellow", "author": "ana"})
        ),
        "shape",
    ),
    (
        "note with an unknown field",
        "ana",
        False,
        lambda d: notes(d).__setitem__("s3", new_note("ana", script="<b>")),
        "shape",
    ),
    (
        "note missing its position",
        "ana",
        False,
        lambda d: notes(d).__setitem__("s4", Map({"text": Text("x"), "author": "ana"})),
        "shape",
    ),
    (
        "a note that is not a map",
        "ana",
        False,
        lambda d: notes(d).__setitem__("s5", "just a string"),
        "shape",
    ),
    (
        "a field removed from a note",
        "ana",
        False,
        lambda d: note(d, "an").__delitem__("y"),
        "shape",
    ),
    (
        "a nested map inside a note",
        "ana",
        False,
        lambda d: note(d, "an").__setitem__("group", Map({"x": 1})),
        "shape",
    ),
    (
        "colour that is not a colour",
        "ana",
        False,
        lambda d: note(d, "an").__setitem__("color", "url(javascript:alert(1))"),
        "shape",
    ),
    (
        "notes root filled like an array",
        "ana",
        False,
        lambda d: d.get("notes", type=Array).append(1),
        "shape",
    ),
    (
        "group of negative width",
        "ana",
        False,
        lambda d: d.get("groups", type=Map)["g1"].__setitem__("w", -5.0),
        "shape",
    ),
    (
        "action with an unknown status",
        "ana",
        False,
        lambda d: d.get("actions", type=Map)["a1"].__setitem__("status", "maybe"),
        "shape",
    ),
    (
        "action due date that is not a date",
        "ana",
        False,
        lambda d: d.get("actions", type=Map)["a1"].__setitem__("due", "soon"),
        "shape",
    ),
    (
        "agenda item of an unknown kind",
        "fac",
        False,
        lambda d: d.get("agenda", type=Array).append(
            Map({"id": "x", "title": "x", "minutes": 5, "kind": "party"})
        ),
        "shape",
    ),
    (
        "meta value that is a map",
        "fac",
        False,
        lambda d: d.get("meta", type=Map).__setitem__("title", Map({"a": 1})),
        "shape",
    ),
    (
        "note text over the limit",
        "ana",
        False,
        lambda d: text_of(d, "an").insert(0, "x" * 300),
        "limit",
    ),
    (
        "new note text over the limit",
        "ana",
        False,
        lambda d: notes(d).__setitem__("big", new_note("ana", text="y" * 300)),
        "limit",
    ),
    (
        "a root the schema does not know (map)",
        "fac",
        False,
        lambda d: d.get("evil", type=Map).__setitem__("k", "v"),
        "unknown_root",
    ),
    (
        "a root the schema does not know (text)",
        "ana",
        False,
        lambda d: d.get("evil_text", type=Text).insert(0, "payload"),
        "unknown_root",
    ),
]


@pytest.mark.parametrize(
    ("sender", "locked", "mutate", "rule"),
    [case[1:] for case in FORBIDDEN],
    ids=[case[0] for case in FORBIDDEN],
)
def test_forbidden_write_is_compensated(
    sender: str, locked: bool, mutate: Mutation, rule: str
) -> None:
    board = seeded(locked=locked, limits=DocLimits(max_note_text=200, max_notes=100))
    before = board.state()
    offender = board.client()
    observer = board.client()
    since = offender.get_state()
    mutate(offender)
    violations, net = board.push(offender, sender, since)
    assert rule in {v.rule for v in violations}, violations
    assert board.state() == before
    # What the room stores and broadcasts shows nothing forbidden to anyone else...
    if net is not None:
        observer.apply_update(net)
    assert snapshot(observer) == before
    # ...and brings the offender back.
    if net is not None:
        offender.apply_update(net)
    assert snapshot(offender) == before


LAWFUL: list[tuple[str, str, bool, Mutation]] = [
    (
        "participant creates its own note",
        "ana",
        False,
        lambda d: notes(d).__setitem__("n1", new_note("ana")),
    ),
    (
        "participant edits its own text",
        "ana",
        False,
        lambda d: text_of(d, "an").insert(0, "better "),
    ),
    (
        "participant recolours its own note",
        "ana",
        False,
        lambda d: note(d, "an").__setitem__("color", "#aabbcc"),
    ),
    ("participant deletes its own note", "ana", False, lambda d: notes(d).__delitem__("an")),
    (
        "participant moves another's note",
        "ana",
        False,
        lambda d: note(d, "bn").__setitem__("x", 300.0),
    ),
    (
        "participant regroups another's note",
        "ana",
        False,
        lambda d: note(d, "bn").__setitem__("group", "g1"),
    ),
    (
        "participant adds a group",
        "ana",
        False,
        lambda d: d.get("groups", type=Map).__setitem__(
            "g2", Map({"title": "Ideas", "x": 0.0, "y": 0.0, "w": 100.0, "h": 80.0})
        ),
    ),
    (
        "participant adds an action",
        "ana",
        False,
        lambda d: d.get("actions", type=Map).__setitem__(
            "a2",
            Map({"text": Text("Call Bob"), "owner": "bob", "due": "2027-01-31", "status": "open"}),
        ),
    ),
    (
        "participant edits an action's text",
        "bob",
        False,
        lambda d: d.get("actions", type=Map)["a1"]["text"].insert(0, "Now: "),
    ),
    (
        "facilitator edits anyone's text",
        "fac",
        False,
        lambda d: text_of(d, "bn").insert(0, "edited "),
    ),
    ("facilitator deletes anyone's note", "fac", False, lambda d: notes(d).__delitem__("an")),
    (
        "facilitator edits while locked",
        "fac",
        True,
        lambda d: note(d, "an").__setitem__("color", "blue"),
    ),
    (
        "facilitator renames the board",
        "fac",
        False,
        lambda d: d.get("meta", type=Map).__setitem__("title", "Kick-off v2"),
    ),
    (
        "facilitator edits the agenda",
        "fac",
        False,
        lambda d: d.get("agenda", type=Array)[0].__setitem__("minutes", 25),
    ),
    (
        "facilitator records a decision",
        "fac",
        False,
        lambda d: d.get("decisions", type=Map).__setitem__(
            "d2", Map({"text": "Go", "item": "goals", "created_at": 2.0, "notes": ["an"]})
        ),
    ),
]


@pytest.mark.parametrize(
    ("sender", "locked", "mutate"),
    [case[1:] for case in LAWFUL],
    ids=[case[0] for case in LAWFUL],
)
def test_lawful_write_passes(sender: str, locked: bool, mutate: Mutation) -> None:
    board = seeded(locked=locked)
    client = board.client()
    since = client.get_state()
    mutate(client)
    violations, net = board.push(client, sender, since)
    assert violations == []
    assert net is not None
    assert snapshot(client) == board.state()


def test_one_broken_rule_reverts_the_whole_update_and_later_edits_integrate() -> None:
    board = seeded()
    before = board.state()
    ana = board.client()
    since = ana.get_state()
    with ana.transaction():
        notes(ana)["mine"] = new_note("ana", "lawful")
        text_of(ana, "an").insert(0, "lawful edit ")
        text_of(ana, "bn").insert(0, "forbidden edit ")
    violations, net = board.push(ana, "ana", since)
    assert [v.rule for v in violations] == ["not_owner"]
    assert board.state() == before
    assert net is not None
    ana.apply_update(net)
    assert snapshot(ana) == before
    # The offender's next, lawful edit builds on the compensated state and integrates.
    since = board.doc.get_state()
    text_of(ana, "an").insert(0, "again ")
    violations, _ = board.push(ana, "ana", since)
    assert violations == []
    assert str(text_of(board.doc, "an")).startswith("again ")
    assert snapshot(ana) == board.state()


def test_a_replayed_forbidden_update_is_compensated_every_time() -> None:
    board = seeded()
    before = board.state()
    ana = board.client()
    since = ana.get_state()
    notes(ana).__delitem__("fn")
    update = ana.get_update(since)
    for _ in range(3):
        board.apply(update, "ana")
        assert board.state() == before
    assert board.guard.compensations >= 1


def test_role_comes_from_the_board_not_the_token() -> None:
    board = seeded()
    board.server_change(
        lambda d: d.get("participants", type=Map)["ana"].__setitem__("role", "viewer")
    )
    ana = board.client()
    since = ana.get_state()
    text_of(ana, "an").insert(0, "x")
    violations, _ = board.push(ana, "ana", since)  # the harness's actor still says participant
    assert [v.rule for v in violations] == ["read_only"]


def test_note_limit() -> None:
    board = Board(DocLimits(max_notes=3))
    ana = board.client()
    for i in range(3):
        since = board.doc.get_state()
        notes(ana)[f"n{i}"] = new_note("ana")
        assert board.push(ana, "ana", since)[0] == []
    since = board.doc.get_state()
    notes(ana)["n3"] = new_note("ana")
    violations, _ = board.push(ana, "ana", since)
    assert [v.rule for v in violations] == ["limit"]
    assert len(notes(board.doc)) == 3
    # Deleting one frees a place.
    since = board.doc.get_state()
    del notes(ana)["n0"]
    assert board.push(ana, "ana", since)[0] == []


def test_unknown_root_is_emptied_and_later_writes_to_it_too() -> None:
    board = seeded()
    hostile = Doc()
    hostile.apply_update(board.doc.get_update())
    hostile.get("evil", type=Array).extend([1, 2, 3])
    violations, net = board.apply(hostile.get_update(), "fac")
    assert [v.rule for v in violations] == ["unknown_root"]
    assert board.doc.get("evil", type=Array).to_py() == []
    assert net is not None
    observer = Doc()
    observer.apply_update(board.doc.get_update())
    assert observer.get("evil", type=Array).to_py() == []
    hostile.apply_update(net)
    hostile.get("evil", type=Array).append("again")
    violations, _ = board.apply(hostile.get_update(board.doc.get_state()), "fac")
    assert [v.rule for v in violations] == ["unknown_root"]
    assert board.doc.get("evil", type=Array).to_py() == []


def test_malformed_bytes_raise_and_change_nothing() -> None:
    board = seeded()
    before = board.state()
    for junk in (b"\xff\xff\xff", b"\x01\x02", b"\x05" + bytes(range(1, 40))):
        with pytest.raises(MalformedUpdate):
            board.apply(junk, "fac")
    assert board.state() == before


def test_author_index_survives_a_reload() -> None:
    board = seeded()
    reloaded = Board()
    reloaded.doc.apply_update(board.doc.get_update())
    ana = reloaded.client()
    since = ana.get_state()
    text_of(ana, "bn").insert(0, "not mine")
    violations, _ = reloaded.push(ana, "ana", since)
    assert [v.rule for v in violations] == ["not_owner"]


def test_a_full_board_accepts_only_deletions() -> None:
    board = Board(DocLimits(max_doc_bytes=20_000))

    def fill(doc: Doc[Any]) -> None:
        for i in range(60):
            BoardDoc(doc).add_note(f"n{i}", author="ana", text="x" * 400)

    board.server_change(fill)
    assert board.guard.full
    ana = board.client()
    since = ana.get_state()
    notes(ana)["one-more"] = new_note("ana")
    violations, _ = board.push(ana, "ana", since)
    assert [v.rule for v in violations] == ["limit"]
    assert "one-more" not in notes(board.doc)
    since = board.doc.get_state()
    for i in range(60):
        del notes(ana)[f"n{i}"]
    assert board.push(ana, "ana", since)[0] == []
    assert len(notes(board.doc)) == 0
    # Deleted content is collected when the board is next loaded: then there is room again.
    reloaded = Board(DocLimits(max_doc_bytes=20_000))
    reloaded.doc.apply_update(board.doc.get_update())
    assert not reloaded.guard.full
    ana = reloaded.client()
    since = ana.get_state()
    notes(ana)["fits"] = new_note("ana")
    assert reloaded.push(ana, "ana", since)[0] == []
