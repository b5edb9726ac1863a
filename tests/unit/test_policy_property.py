"""Property: whatever members with random roles do, in whatever order it arrives, replicas
converge and the permission table holds on the server and on every observer at every step.

Clients edit their own replicas (lawfully or not), send their changes in order, receive the
server's net updates with random interleaving and random reordering, and sometimes drop their
connection and resync by state vectors, as y-websocket clients do.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pycrdt import Doc, Map, Text

from crdt.facilitation import is_locked
from crdt.policy import DocLimits
from crdt.schema import ROOTS, note_problem
from tests.boards import state_vector
from tests.policy_harness import MEMBERS, Board, new_note, snapshot

LIMITS = DocLimits(max_note_text=60, max_notes=12)
ORIGINAL_TITLE = "Kick-off"


@dataclass
class Client:
    pid: str
    doc: Doc[Any]
    sent: bytes  # state vector of what this client has already sent
    inbox: list[bytes] = field(default_factory=list)


OPS = (
    "create",
    "create_forged",
    "edit_text",
    "long_text",
    "recolor",
    "move",
    "delete",
    "retitle",
    "lock_via_doc",
    "bad_shape",
    "unknown_root",
    "send",
    "receive",
    "reconnect",
    "server_lock",
    "server_unlock",
)


def check_invariants(doc: Doc[Any]) -> None:
    """The table's guarantees, readable from any replica's visible state."""
    state = snapshot(doc)
    notes: dict[str, Any] = state["notes"]
    live_notes = doc.get("notes", type=Map)
    for note_id, note in notes.items():
        author = note["author"]
        assert MEMBERS.get(author) in ("facilitator", "participant"), (note_id, author)
        assert note_problem(live_notes[note_id], LIMITS.max_note_text) is None, note
        text = note["text"]
        # Text marks "[pid]" may come only from the author or the facilitator.
        for pid in MEMBERS:
            if f"[{pid}]" in text:
                assert pid in (author, "fac"), (note_id, author, text)
        color = note["color"]
        if color.startswith("#"):  # recolours encode the editor: #00000<n>
            editor = list(MEMBERS)[int(color[-1])]
            assert editor in (author, "fac"), (note_id, author, color)
    assert len(notes) <= LIMITS.max_notes
    assert state["meta"]["title"] in (ORIGINAL_TITLE, "by fac")
    assert set(state["participants"]) == set(MEMBERS)
    for name in list(doc.keys()):
        if name not in ROOTS:
            assert doc.get(name, type=Map).to_py() in (None, {}), name


def mutate(client: Client, op: str, rng: random.Random, counter: int) -> None:
    doc, pid = client.doc, client.pid
    notes = doc.get("notes", type=Map)
    ids = sorted(notes.keys())
    target = notes[rng.choice(ids)] if ids else None
    if op == "create":
        notes[f"{pid}-{counter}"] = new_note(pid, f"[{pid}] idea")
    elif op == "create_forged":
        other = rng.choice([m for m in MEMBERS if m != pid])
        notes[f"{pid}-{counter}"] = new_note(other, f"[{pid}] forged")
    elif op == "edit_text" and target is not None:
        text = target["text"]
        if isinstance(text, Text):
            text.insert(0, f"[{pid}]")
    elif op == "long_text" and target is not None:
        text = target["text"]
        if isinstance(text, Text):
            text.insert(0, "z" * 80)
    elif op == "recolor" and target is not None:
        target["color"] = f"#00000{list(MEMBERS).index(pid)}"
    elif op == "move" and target is not None:
        target["x"] = float(rng.randint(0, 999))
    elif op == "delete" and ids:
        del notes[rng.choice(ids)]
    elif op == "retitle":
        doc.get("meta", type=Map)["title"] = f"by {pid}"
    elif op == "lock_via_doc":
        doc.get("session", type=Map)["locked"] = rng.random() < 0.5
    elif op == "bad_shape":
        notes[f"{pid}-bad-{counter}"] = Map({"text": "plain", "x": "left", "author": pid})
    elif op == "unknown_root":
        doc.get("intruder", type=Map)[str(counter)] = pid


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(
    pids=st.lists(st.sampled_from(sorted(MEMBERS)), min_size=2, max_size=4, unique=True),
    steps=st.lists(st.tuples(st.integers(0, 3), st.sampled_from(OPS)), min_size=5, max_size=60),
    seed=st.integers(0, 2**32 - 1),
)
def test_replicas_converge_and_the_table_holds(
    pids: list[str], steps: list[tuple[int, str]], seed: int
) -> None:
    rng = random.Random(seed)
    board = Board(LIMITS)
    observer = board.client()
    clients = []
    for pid in pids:
        doc = board.client()
        clients.append(Client(pid, doc, doc.get_state()))

    def broadcast(net: bytes | None) -> None:
        if net is None:
            return
        observer.apply_update(net)
        check_invariants(observer)
        for c in clients:
            c.inbox.append(net)

    def send(c: Client) -> None:
        update = c.doc.get_update(c.sent)
        c.sent = c.doc.get_state()
        if update != b"\x00\x00":
            _violations, net = board.apply(update, c.pid)
            check_invariants(board.doc)
            broadcast(net)

    def receive(c: Client) -> None:
        inbox, c.inbox = c.inbox, []
        rng.shuffle(inbox)  # out of order: Yjs keeps what it cannot integrate yet
        for update in inbox:
            c.doc.apply_update(update)

    def reconnect(c: Client) -> None:
        c.inbox.clear()  # whatever was in flight is lost with the connection
        c.doc.apply_update(board.doc.get_update(c.doc.get_state()))
        c.sent = board.doc.get_state()
        send(c)

    for counter, (index, op) in enumerate(steps):
        client = clients[index % len(clients)]
        if op == "send":
            send(client)
        elif op == "receive":
            receive(client)
        elif op == "reconnect":
            reconnect(client)
        elif op in ("server_lock", "server_unlock"):
            locked = op == "server_lock"
            broadcast(
                board.server_change(
                    lambda d, locked=locked: d.get("session", type=Map).__setitem__(
                        "locked", locked
                    )
                )
            )
        else:
            mutate(client, op, rng, counter)

    # Quiesce: everyone sends what it has and receives everything, until nothing moves.
    for _ in range(4):
        for c in clients:
            send(c)
        for c in clients:
            receive(c)
    for c in clients:
        reconnect(c)
        receive(c)
    expected = snapshot(board.doc)
    check_invariants(board.doc)
    for c in [*clients]:
        assert snapshot(c.doc) == expected, c.pid
        assert state_vector(c.doc) == state_vector(board.doc)
    observer.apply_update(board.doc.get_update(observer.get_state()))
    assert snapshot(observer) == expected
    assert is_locked(board.doc) in (True, False)
