"""A hostile raw client against a real server: every forbidden write is compensated.

The offender is the Python test client, so no UI restraint helps. An observer records every
update frame the server sends; replaying them one by one into a fresh doc must never show a
forbidden state. The offender's replica must converge back, and its later lawful edits must
still integrate. The compensations are counted in /metrics.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
from pycrdt import Array, Doc, Map, Text

from crdt.facilitation import is_locked
from crdt.schema import BoardDoc
from server.realtime.notices import MESSAGES, SERVER_CLIENT_ID
from tests.helpers import command, create_board, join_board
from tests.policy_harness import new_note
from tests.servers import PlanboardProcess
from tests.yclient import YClient, wait_for

Mutation = Callable[[Doc[Any], dict[str, str]], None]


def notes(doc: Doc[Any]) -> Map[Any]:
    m: Map[Any] = doc.get("notes", type=Map)
    return m


def text_of(doc: Doc[Any], note_id: str) -> Text:
    t: Text = notes(doc)[note_id]["text"]
    return t


# (case, sender, needs lock, mutation); ids maps member names to participant ids.
CASES: list[tuple[str, str, bool, Mutation]] = [
    ("viewer creates a note", "vic", False,
     lambda d, ids: notes(d).__setitem__("v1", new_note(ids["vic"]))),
    ("participant renames the board", "ana", False,
     lambda d, ids: d.get("meta", type=Map).__setitem__("title", "pwned")),
    ("participant rewrites the agenda", "ana", False,
     lambda d, ids: d.get("agenda", type=Array).__delitem__(0)),
    ("facilitator unlocks through the doc", "fac", True,
     lambda d, ids: d.get("session", type=Map).__setitem__("locked", False)),
    ("participant promotes itself", "ana", False,
     lambda d, ids: d.get("participants", type=Map)[ids["ana"]].__setitem__("role", "facilitator")),
    ("participant forges tallies", "ana", False,
     lambda d, ids: d.get("results", type=Map).__setitem__("1", Map({"an": 99}))),
    ("participant writes as someone else", "ana", False,
     lambda d, ids: notes(d).__setitem__("forged", new_note(ids["bob"]))),
    ("participant edits another's note", "ana", False,
     lambda d, ids: text_of(d, "bn").insert(0, "<img src=x onerror=alert(1)>")),
    ("participant deletes another's note", "ana", False,
     lambda d, ids: notes(d).__delitem__("fn")),
    ("locked: participant edits its own note", "ana", True,
     lambda d, ids: text_of(d, "an").insert(0, "late ")),
    ("locked: participant moves a note", "ana", True,
     lambda d, ids: notes(d)["an"].__setitem__("x", 999.0)),
    ("note of the wrong shape", "ana", False,
     lambda d, ids: notes(d).__setitem__("bad", Map({"text": 5, "x": "left"}))),
    ("a root the schema does not know", "ana", False,
     lambda d, ids: d.get("evil", type=Map).__setitem__("payload", "x" * 100)),
]  # fmt: skip


def visible(doc: Doc[Any]) -> dict[str, Any]:
    state = BoardDoc(doc).to_py()
    state["evil"] = doc.get("evil", type=Map).to_py()
    return state


async def test_hostile_client_cannot_cheat_and_nobody_sees_it(
    server_factory: Any,
) -> None:
    server: PlanboardProcess = server_factory(env={"PLANBOARD_RATE_MESSAGES": "1000"})
    board = create_board(server.url, template="kickoff")
    bid, base = board["id"], server.url
    ana = join_board(base, bid, "Ana")
    bob = join_board(base, bid, "Bob")
    headers = {"Authorization": f"Bearer {board['token']}"}
    vic_response = httpx.post(
        f"{base}/api/boards/{bid}/participants",
        json={"name": "Vic", "role": "viewer"},
        headers=headers,
    )
    assert vic_response.status_code == 201
    vic = vic_response.json()
    tokens = {"fac": board["token"], "ana": ana["token"], "bob": bob["token"], "vic": vic["token"]}
    ids = {
        "fac": board["participant_id"],
        "ana": ana["participant_id"],
        "bob": bob["participant_id"],
        "vic": vic["participant_id"],
    }

    def url(member: str) -> str:
        return f"{server.ws_url}/ws/{bid}?token={tokens[member]}"

    clients = {m: await YClient(url(m)).connect() for m in tokens}
    for member, note_id in (("fac", "fn"), ("ana", "an"), ("bob", "bn")):
        notes(clients[member].doc)[note_id] = new_note(ids[member], f"{member}'s note")
    observer = await YClient(url("fac")).connect()
    await wait_for(lambda: len(notes(observer.doc)) == 3, what="seed notes")
    replay: Doc[Any] = Doc()
    replayed = 0

    def replay_new_frames() -> list[dict[str, Any]]:
        """Apply the observer's not yet replayed frames one by one; the state after each."""
        nonlocal replayed
        states = []
        updates = observer.updates_received()
        for update in updates[replayed:]:
            replay.apply_update(update)
            states.append(visible(replay))
        replayed = len(updates)
        return states

    async def settled(locked: bool) -> None:
        """Every client (observer included) sees the lock state the case needs."""
        for client in [*clients.values(), observer]:
            await wait_for(
                lambda client=client: is_locked(client.doc) is locked,
                what="lock state reached every client",
            )

    for case, sender, locked, mutate in CASES:
        if locked:
            assert command(base, bid, board["token"], "lock").status_code == 200
        await settled(locked)
        replay_new_frames()
        before = visible(observer.doc)
        offender = clients[sender]
        notice_before = offender.awareness.get(SERVER_CLIENT_ID)
        mutate(offender.doc, ids)
        assert visible(offender.doc) != before, f"{case}: the mutation did nothing"
        await wait_for(
            lambda offender=offender, before=before: visible(offender.doc) == before,
            what=f"{case}: offender converges back",
        )
        # The offender is told why, in an awareness notice only it receives.
        notice = await wait_for(
            lambda offender=offender, notice_before=notice_before: (
                offender.awareness.get(SERVER_CLIENT_ID) != notice_before
                and offender.awareness[SERVER_CLIENT_ID]
            ),
            what=f"{case}: notice",
        )
        assert notice["notice"]["rule"] in MESSAGES and notice["notice"]["message"]
        assert SERVER_CLIENT_ID not in observer.awareness
        # Whatever the observer received meanwhile never showed the forbidden state.
        for state in replay_new_frames():
            assert state == before, case
        assert visible(observer.doc) == before, case
        if locked:
            assert command(base, bid, board["token"], "unlock").status_code == 200
            await settled(False)

    # One update mixing lawful and forbidden edits is compensated as a whole...
    ana_doc = clients["ana"].doc
    replay_new_frames()
    before = visible(observer.doc)
    with ana_doc.transaction():
        notes(ana_doc)["lawful"] = new_note(ids["ana"], "fine")
        text_of(ana_doc, "an").insert(0, "ok ")
        notes(ana_doc).__delitem__("bn")
    await wait_for(lambda: visible(ana_doc) == before, what="mixed update compensated")
    for state in replay_new_frames():
        assert state == before
    # ...and the offender's later lawful edits still integrate.
    text_of(ana_doc, "an").insert(0, "after ")
    await wait_for(
        lambda: str(text_of(observer.doc, "an")).startswith("after "), what="later edit lands"
    )
    replay_new_frames()
    assert visible(replay) == visible(observer.doc)

    metrics = httpx.get(f"{base}/metrics").text
    counted = sum(
        float(line.rsplit(" ", 1)[1])
        for line in metrics.splitlines()
        if line.startswith("planboard_compensations_total{")
    )
    assert counted >= len(CASES) + 1
    assert "not_owner" in metrics and "server_only" in metrics
    for client in [*clients.values(), observer]:
        await client.close()


async def test_a_full_board_takes_only_deletions_and_says_why(server_factory: Any) -> None:
    server: PlanboardProcess = server_factory(env={"PLANBOARD_MAX_DOC_BYTES": "40000"})
    board = create_board(server.url)
    client = await YClient(f"{server.ws_url}/ws/{board['id']}?token={board['token']}").connect()
    pid = board["participant_id"]
    for i in range(30):  # about 1.7 KB each: the board fills up around the 20th note
        notes(client.doc)[f"n{i}"] = new_note(pid, f"{i} " + "x" * 1600)
    notice = await wait_for(
        lambda: client.awareness.get(SERVER_CLIENT_ID), what="the server says the board is full"
    )
    assert notice["notice"]["rule"] == "limit"
    await wait_for(lambda: 15 <= len(notes(client.doc)) < 30, what="the overflow was undone")
    watcher = await YClient(f"{server.ws_url}/ws/{board['id']}?token={board['token']}").connect()
    # The server judges the 30 updates one by one: wait until it has answered them all.
    await wait_for(
        lambda: len(notes(client.doc)) == len(notes(watcher.doc)) < 30,
        what="the writer and a fresh reader agree",
    )
    kept = len(notes(client.doc))
    assert len(notes(watcher.doc)) == kept
    del notes(client.doc)["n0"]  # deletions are still accepted
    await wait_for(lambda: "n0" not in notes(watcher.doc), what="a deletion goes through")
    for c in (client, watcher):
        await c.close()
