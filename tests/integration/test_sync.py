"""Sync between real clients through a real server: convergence, late joiners, awareness,
reconnects with offline edits on both sides."""

from __future__ import annotations

from pycrdt import Map, Text

from crdt import protocol
from tests.boards import add_note, note_texts, state_vector
from tests.helpers import create_board, join_board
from tests.servers import PlanboardProcess
from tests.yclient import YClient, wait_for


def ws_url(server: PlanboardProcess, board_id: str, token: str) -> str:
    return f"{server.ws_url}/ws/{board_id}?token={token}"


async def test_two_clients_converge_and_late_joiner_catches_up(
    live_server: PlanboardProcess,
) -> None:
    board = create_board(live_server.url)
    ana = join_board(live_server.url, board["id"], "Ana")
    a = await YClient(ws_url(live_server, board["id"], board["token"])).connect()
    b = await YClient(ws_url(live_server, board["id"], ana["token"])).connect()
    # The template's content reached both through step2.
    assert a.doc.get("meta", type=Map)["title"] == "Test board"
    add_note(a.doc, "n1", board["participant_id"], "from a")
    add_note(b.doc, "n2", ana["participant_id"], "from b")
    await wait_for(lambda: set(note_texts(a.doc)) == {"n1", "n2"}, what="a sees both")
    await wait_for(lambda: set(note_texts(b.doc)) == {"n1", "n2"}, what="b sees both")
    # Concurrent text edits in one note merge (b's own note; a facilitates, so may edit it).
    text_a = a.doc.get("notes", type=Map)["n2"]["text"]
    text_b = b.doc.get("notes", type=Map)["n2"]["text"]
    assert isinstance(text_a, Text) and isinstance(text_b, Text)
    text_a += " +a"
    text_b.insert(0, "b+ ")
    await wait_for(
        lambda: str(text_a) == str(text_b) and "+a" in str(text_a) and "b+" in str(text_b)
    )
    late = await YClient(ws_url(live_server, board["id"], ana["token"])).connect()
    assert note_texts(late.doc) == note_texts(a.doc)
    assert state_vector(late.doc) == state_vector(a.doc)
    for client in (a, b, late):
        await client.close()


async def test_awareness_relay_query_and_removal(live_server: PlanboardProcess) -> None:
    board = create_board(live_server.url)
    a = await YClient(ws_url(live_server, board["id"], board["token"])).connect()
    b = await YClient(ws_url(live_server, board["id"], board["token"])).connect()
    await a.set_awareness({"user": {"name": "Ana"}, "cursor": {"x": 1, "y": 2}})
    await wait_for(lambda: b.awareness.get(a.doc.client_id), what="b sees a's cursor")
    # The server binds the identity in `user` to the token's member and the roster.
    assert b.awareness[a.doc.client_id] == {
        "user": {"name": "Facilitator", "id": board["participant_id"], "role": "facilitator"},
        "cursor": {"x": 1, "y": 2},
    }
    # A late joiner receives current states on join.
    c = await YClient(ws_url(live_server, board["id"], board["token"])).connect()
    await wait_for(lambda: c.awareness.get(a.doc.client_id), what="late joiner sees a")
    # Query-awareness is answered.
    before = len(c.received)
    await c.send_raw(bytes([3]))
    await wait_for(lambda: len(c.received) > before, what="query-awareness answer")
    # b may not forge a's awareness: the server drops entries for ids another connection owns.

    await b.send_raw(
        protocol.encode_awareness([protocol.AwarenessEntry(a.doc.client_id, 99, "null")])
    )
    await b.set_awareness({"user": {"name": "Bo"}})
    await wait_for(lambda: c.awareness.get(b.doc.client_id), what="c sees b")
    assert c.awareness[a.doc.client_id] is not None
    # When a leaves, everyone learns its state is gone.
    await a.close()
    await wait_for(lambda: a.doc.client_id in b.awareness and b.awareness[a.doc.client_id] is None)
    await wait_for(lambda: c.awareness.get(a.doc.client_id, 1) is None)
    await b.close()
    await c.close()


async def test_reconnect_with_offline_edits_on_both_sides(live_server: PlanboardProcess) -> None:
    board = create_board(live_server.url)
    ana = join_board(live_server.url, board["id"], "Ana")
    url_a = ws_url(live_server, board["id"], board["token"])
    url_b = ws_url(live_server, board["id"], ana["token"])
    a = await YClient(url_a).connect()
    b = await YClient(url_b).connect()
    add_note(a.doc, "shared", board["participant_id"], "base")
    await wait_for(lambda: "shared" in note_texts(b.doc))
    b.drop()  # b goes offline without a goodbye
    add_note(b.doc, "offline-b", ana["participant_id"], "written offline")
    add_note(a.doc, "online-a", board["participant_id"], "written while b was away")
    await wait_for(lambda: "online-a" in note_texts(a.doc))
    a.drop()  # a goes offline too, then edits
    text = a.doc.get("notes", type=Map)["shared"]["text"]
    assert isinstance(text, Text)
    text += " (edited offline by a)"
    await a.connect()
    await b.connect()
    expected = {"shared", "offline-b", "online-a"}
    await wait_for(lambda: set(note_texts(a.doc)) == expected, what="a merged")
    await wait_for(lambda: set(note_texts(b.doc)) == expected, what="b merged")
    await wait_for(lambda: note_texts(a.doc) == note_texts(b.doc))
    assert note_texts(b.doc)["shared"] == "base (edited offline by a)"
    # A third client sees the same merged state from the server alone.
    c = await YClient(url_a).connect()
    assert note_texts(c.doc) == note_texts(a.doc)
    for client in (a, b, c):
        await client.close()
