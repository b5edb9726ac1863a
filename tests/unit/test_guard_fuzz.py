"""Hypothesis against the guard, in process: hand-encoded updates of every shape.

Structs with random content kinds (multi-byte strings, any, JSON, binary, embed, format,
types of every kind, sub-docs, tombstones, GC and skip runs), parents by name (schema roots
and unknown ones) or by id (existing types, items that are not types, items of the same
update, clocks nobody has), random map keys, origins anywhere, delete sets over anything,
sent by members of every role. After every case the live doc holds nothing forbidden, the
guard raised only its two documented errors, the doc round-trips, and a lawful edit passes.
"""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pycrdt import Doc, Map

from crdt import yupdate
from crdt.policy import DocLimits, MalformedUpdate, PendingUpdate
from crdt.schema import ROOTS, BoardDoc, note_problem
from tests.boards import add_action, add_group
from tests.policy_harness import MEMBERS, Board, new_note, snapshot
from tests.yjs_encoder import Item, Run, encode

HOSTILE = 999_000_000


LIMITS = DocLimits(max_note_text=300, max_notes=50)


def base_board() -> Board:
    board = Board(LIMITS, client_id=345_281_548)  # fixed ids: failing cases replay

    def seed(doc: Doc[Any]) -> None:
        b = BoardDoc(doc)
        b.add_note("fn", author="fac", text="facilitator ✓ note")
        b.add_note("an", author="ana", text="ana's note")
        add_group(doc, "g1", title="Risks", x=0, y=0)
        add_action(doc, "a1", text="Write the plan", owner="ana")

    board.server_change(seed)
    return board


BOARD = base_board()
SEED_UPDATE = BOARD.doc.get_update()


def known_ids(board: Board) -> list[yupdate.ID]:
    out: list[yupdate.ID] = []
    for client, runs in board.guard.index._runs.items():
        for start, end in zip(runs.starts, runs.ends, strict=True):
            out.extend((client, c) for c in (start, end - 1))
    return out


TYPE_IDS = sorted(BOARD.guard.index.types)
ITEM_IDS = sorted(set(known_ids(BOARD)))
KEYS = [
    "text",
    "x",
    "y",
    "color",
    "author",
    "created_at",
    "group",
    "item",
    "title",
    "role",
    "locked",
    "fn",
    "an",
    "g1",
    "a1",
    "new",
    "é",
    "evil",
    "status",
    "owner",
    "due",
]
VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 10**6),
    st.floats(allow_nan=True),
    st.text(max_size=12),
    st.sampled_from(["fac", "ana", "bob", "facilitator", "yellow"]),
    st.lists(st.integers(0, 3), max_size=3),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)
CONTENT = st.one_of(
    st.tuples(st.just("string"), st.text(min_size=1, max_size=8)),
    st.tuples(st.just("any"), st.lists(VALUES, min_size=1, max_size=3)),
    st.tuples(st.just("type"), st.integers(0, 7)),
    st.tuples(st.just("deleted"), st.integers(1, 3)),
    st.tuples(st.just("embed"), st.just('{"x":1}')),
    st.tuples(st.just("format"), st.just(("bold", "true"))),
    st.tuples(st.just("json"), st.just(["1"])),
    st.tuples(st.just("binary"), st.just(b"\x00\x01")),
    st.tuples(st.just("doc"), st.just("guid")),
    st.tuples(st.just("gc"), st.integers(1, 3)),
    st.tuples(st.just("skip"), st.integers(1, 2)),
)


@st.composite
def hostile_updates(
    draw: st.DrawFn,
    type_ids: list[yupdate.ID] = TYPE_IDS,
    item_ids: list[yupdate.ID] = ITEM_IDS,
    senders: tuple[str, ...] = (*MEMBERS, "eve"),
) -> tuple[bytes, str]:
    """An update of 1-6 hand-made structs and a random delete set, and who sends it."""
    sender = draw(st.sampled_from(senders))
    run = Run(HOSTILE + draw(st.integers(0, 3)), draw(st.sampled_from([0, 0, 0, 1])))
    own: list[yupdate.ID] = []
    for _ in range(draw(st.integers(1, 6))):
        parent_kind = draw(st.sampled_from(["root", "type", "own", "item", "origin", "origin"]))
        item = Item(draw(CONTENT))
        if parent_kind == "origin":
            pool = item_ids + own + [(HOSTILE + 9, 0)]
            item.origin = draw(st.sampled_from(pool))
            if draw(st.booleans()):
                item.right_origin = draw(st.sampled_from(pool))
        else:
            if parent_kind == "root":
                item.parent = draw(st.sampled_from([*ROOTS, "evil", "é"]))
            elif parent_kind == "type" or not own:
                item.parent = draw(st.sampled_from(type_ids))
            elif parent_kind == "own":
                item.parent = draw(st.sampled_from(own))
            else:
                item.parent = draw(st.sampled_from(item_ids))
            if draw(st.booleans()):
                item.sub = draw(st.sampled_from(KEYS))
        if item.content[0] in ("gc", "skip"):
            item.origin = item.right_origin = None
        own.append(run.add(item))
    deletes: dict[int, list[tuple[int, int]]] = {}
    for client, clock in draw(st.lists(st.sampled_from(item_ids), max_size=3)):
        deletes.setdefault(client, []).append((clock, draw(st.integers(1, 4))))
    return encode([run], deletes), sender


def check_invariants(
    before: dict[str, Any], board: Board, sender: str, violations: list[Any]
) -> None:
    after = board.state()
    if violations:
        assert after == before, violations
        return
    for root in ("participants", "session", "results"):
        assert after[root] == before[root]
    role = MEMBERS.get(sender)
    if role in (None, "viewer"):
        assert after == before
    if role != "facilitator":
        assert after["meta"] == before["meta"]
        assert after["agenda"] == before["agenda"]
        assert after["decisions"] == before["decisions"]
    notes = board.doc.get("notes", type=Map)
    for note_id, note in notes.items():
        assert note_problem(note, 300) is None, (note_id, note_problem(note, 300))
        if note_id not in before["notes"]:
            assert note["author"] == sender
        else:
            assert note["author"] == before["notes"][note_id]["author"]
    for name in board.doc:
        assert name in ROOTS or not board.doc.get(name, type=Map).to_py()


@settings(
    max_examples=1500,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    derandomize=True,
)
@given(hostile_updates())
def test_hostile_updates_never_leave_forbidden_state(case: tuple[bytes, str]) -> None:
    data, sender = case
    board = Board.from_update(SEED_UPDATE, LIMITS)
    before = board.state()
    try:
        violations, net = board.apply(data, sender)
    except (MalformedUpdate, PendingUpdate):
        assert board.state() == before
        violations, net = [], None
    else:
        check_invariants(before, board, sender, violations)
    # An observer of what the room broadcasts sees exactly the server's state.
    observer: Doc[Any] = Doc()
    observer.apply_update(SEED_UPDATE)
    if net is not None:
        observer.apply_update(net)
    assert snapshot(observer) == board.state()
    # The doc round-trips, and the board takes a lawful edit.
    fresh: Doc[Any] = Doc()
    fresh.apply_update(board.doc.get_update())
    assert snapshot(fresh) == board.state()
    ana = board.client()
    since = ana.get_state()
    ana.get("notes", type=Map)["lawful"] = new_note("ana", "fine")
    assert board.push(ana, "ana", since)[0] == []
