"""The review's single-message attacks, sent over a real socket to a real server.

After each: the board holds no forbidden state (a fresh reader sees it), the attacker holds no
new power (commands answer 403), /healthz answers within a second, other members' lawful edits
still go through, and the board's HTTP readers (board info, export) answer 200.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx
from pycrdt import Doc, Map, Text

from crdt import protocol, yupdate
from crdt.structindex import StructIndex
from tests.boards import add_note, note_texts
from tests.helpers import command, create_board, join_board
from tests.servers import PlanboardProcess
from tests.yclient import YClient, wait_for
from tests.yjs_encoder import Item, Run, encode, find_type, find_value, state_of

HOSTILE = 888_000_001


def index_of(client: YClient) -> StructIndex:
    """Where every item of the client's replica sits (the server's doc has the same items)."""
    index = StructIndex()
    index.record(yupdate.decode_update(client.doc.get_update()))
    return index


async def healthy_within_a_second(server: PlanboardProcess) -> None:
    started = time.monotonic()
    async with httpx.AsyncClient(timeout=1.0) as http:
        response = await http.get(f"{server.url}/healthz")
    assert response.status_code == 200
    assert time.monotonic() - started < 1.0


async def setup(
    server: PlanboardProcess,
) -> tuple[dict[str, Any], dict[str, Any], YClient, YClient]:
    board = create_board(server.url, template="quarterly")
    ana = join_board(server.url, board["id"], "Ana")
    url = f"{server.ws_url}/ws/{board['id']}"
    fac_client = await YClient(f"{url}?token={board['token']}").connect()
    ana_client = await YClient(f"{url}?token={ana['token']}").connect()
    add_note(fac_client.doc, "fn", board["participant_id"], "facilitator's note")
    await wait_for(lambda: "fn" in note_texts(ana_client.doc), what="the note reaches Ana")
    return board, ana, fac_client, ana_client


async def connect_retrying(url: str) -> YClient:
    """Join as a browser does: a 1013 (the server is busy after a costly update) is retried."""
    deadline = time.monotonic() + 20
    while True:
        client = await YClient(url).connect()
        if client.close_code != 1013 or time.monotonic() > deadline:
            assert client.close_code is None, client.close_code
            return client
        await asyncio.sleep(0.2)  # a provider's reconnect backoff


async def board_still_works(
    server: PlanboardProcess, board: dict[str, Any], fac_client: YClient
) -> None:
    await healthy_within_a_second(server)
    add_note(fac_client.doc, f"after{time.monotonic_ns()}", board["participant_id"], "after")
    reader = await connect_retrying(f"{server.ws_url}/ws/{board['id']}?token={board['token']}")
    try:
        await wait_for(
            lambda: set(note_texts(reader.doc)) == set(note_texts(fac_client.doc)),
            20,
            what="a fresh reader sees the facilitator's lawful edits",
        )
    except AssertionError as exc:
        seen = f"{note_texts(reader.doc)} != {note_texts(fac_client.doc)}"
        raise AssertionError(f"{exc}: {seen}") from exc
    headers = {"Authorization": f"Bearer {board['token']}"}
    async with httpx.AsyncClient() as http:
        info = await http.get(f"{server.url}/api/boards/{board['id']}", headers=headers)
        export = await http.get(
            f"{server.url}/api/boards/{board['id']}/export?format=json", headers=headers
        )
    assert info.status_code == 200, info.text
    assert export.status_code == 200, export.text
    await reader.close()


async def test_partial_apply_grants_no_role(live_server: PlanboardProcess) -> None:
    board, ana, fac_client, ana_client = await setup(live_server)
    index = index_of(ana_client)
    entry = find_type(index, ("participants", ana["participant_id"]))
    run = Run(HOSTILE, 0)
    run.add(Item(("any", ["facilitator"]), origin=find_value(index, entry, "role")))
    run.add(Item(("any", ["x"]), parent="meta", sub="title"))
    string_id = run.add(Item(("string", "s"), parent="notes", sub="zz"))
    run.add(Item(("any", [1]), parent=string_id))
    await ana_client.send_raw(protocol.encode_update(encode([run])))
    await wait_for(lambda: ana_client.awareness.get(0), what="Ana is told her edit was undone")
    for kind in ("lock", "voting.reveal"):
        response = command(live_server.url, board["id"], ana["token"], kind)
        assert response.status_code == 403, (kind, response.text)
    await board_still_works(live_server, board, fac_client)


async def test_hostile_roots_and_contents_never_stop_the_server(
    live_server: PlanboardProcess,
) -> None:
    board, _ana, fac_client, ana_client = await setup(live_server)
    index = index_of(ana_client)
    text_id = find_type(index, ("notes", "fn", "text"))
    attacks = [
        Run(HOSTILE, 0, [Item(("string", "é"), parent="x")]),  # froze the process
        Run(HOSTILE + 1, 0, [Item(("format", ("b", "1")), parent="evil", sub="k")]),  # bricked
        Run(HOSTILE + 2, 0, [Item(("format", ("b", "1")), parent="notes", sub="f")]),  # a 500
        Run(HOSTILE + 3, 0, [Item(("embed", "x" * 50_000), parent=text_id)]),
        Run(HOSTILE + 4, 0, [Item(("doc", "sub"), parent="notes", sub="d")]),
    ]
    for attack in attacks:
        await fac_client.send_raw(protocol.encode_update(encode([attack])))
        await board_still_works(live_server, board, fac_client)
    assert "x" not in {str(k) for k in fac_client.doc} or not len(fac_client.doc.get("x", type=Map))
    assert note_texts(fac_client.doc)["fn"] == "facilitator's note"


async def test_deep_nesting_is_refused_without_blocking(live_server: PlanboardProcess) -> None:
    """Nesting deeper than any board holds is refused while decoding: 1007, nothing applied."""
    board, _ana, fac_client, ana_client = await setup(live_server)
    run = Run(HOSTILE, 0)
    parent: str | yupdate.ID = "notes"
    sub: str | None = "deep"
    for _ in range(40_000):
        parent = run.add(Item(("type", yupdate.TYPE_MAP), parent=parent, sub=sub))
        sub = "k"
    data = encode([run])
    assert len(data) < 1 << 20
    await ana_client.send_raw(protocol.encode_update(data))
    assert await ana_client.wait_closed(20) == 1007
    await board_still_works(live_server, board, fac_client)
    assert "deep" not in note_texts(fac_client.doc)


async def test_pending_blocks_are_never_released_as_someone_elses(
    live_server: PlanboardProcess,
) -> None:
    board, _ana, fac_client, ana_client = await setup(live_server)
    fac_next = state_of(fac_client.doc)[fac_client.doc.client_id]
    run = Run(HOSTILE, 0)
    run.add(Item(("any", ["hijacked"]), origin=(fac_client.doc.client_id, fac_next)))
    run.add(Item(("any", ["hijacked"]), parent="meta", sub="title"))
    await ana_client.send_raw(protocol.encode_update(encode([run])))
    # The facilitator's next keystrokes would have released it into their own transaction.
    for i in range(3):
        add_note(fac_client.doc, f"k{i}", board["participant_id"], "next keystroke")
    reader = await YClient(
        f"{live_server.ws_url}/ws/{board['id']}?token={board['token']}"
    ).connect()
    await wait_for(lambda: "k2" in note_texts(reader.doc), what="the facilitator's edits arrive")
    assert reader.doc.get("meta", type=Map)["title"] == "Test board"
    assert HOSTILE not in state_of(reader.doc)
    await board_still_works(live_server, board, fac_client)
    await asyncio.gather(reader.close(), ana_client.close(), fac_client.close())


async def test_a_connection_that_costs_too_much_judging_is_closed(server_factory: Any) -> None:
    server: PlanboardProcess = server_factory(env={"PLANBOARD_JUDGING_BURST": "0.05"})
    board, _ana, fac_client, ana_client = await setup(server)
    # 20,000 values a participant may not write (meta is the facilitator's): each one judged.
    run = Run(HOSTILE, 0, [Item(("any", [i]), parent="meta", sub=f"k{i}") for i in range(20_000)])
    frame = protocol.encode_update(encode([run]))
    for _ in range(5):
        if ana_client.closed.is_set():
            break
        await ana_client.send_raw(frame)
    assert await ana_client.wait_closed(20) == 4429
    await board_still_works(server, board, fac_client)


async def test_typing_that_crosses_a_compensated_delete_is_kept(
    live_server: PlanboardProcess,
) -> None:
    """Ana types into her note while Bob's forbidden delete of it is being compensated: her
    keystrokes, aimed at the deleted original, reach the restored copy."""
    board, ana, fac_client, ana_client = await setup(live_server)
    bob = join_board(live_server.url, board["id"], "Bob")
    bob_client = await YClient(
        f"{live_server.ws_url}/ws/{board['id']}?token={bob['token']}"
    ).connect()
    add_note(ana_client.doc, "an", ana["participant_id"], "ana's note")
    await wait_for(lambda: "an" in note_texts(bob_client.doc), what="Ana's note reaches Bob")
    # Ana's keystroke, made on her replica as it is now, held back until Bob's delete is judged.
    in_flight = Doc()
    in_flight.apply_update(ana_client.doc.get_update())
    since = in_flight.get_state()
    text: Text = in_flight.get("notes", type=Map)["an"]["text"]
    text.insert(len(text), "!")
    keystroke = in_flight.get_update(since)
    del bob_client.doc.get("notes", type=Map)["an"]
    await wait_for(lambda: bob_client.awareness.get(0), what="Bob is told his delete was undone")
    await ana_client.send_raw(protocol.encode_update(keystroke))
    reader = await YClient(
        f"{live_server.ws_url}/ws/{board['id']}?token={board['token']}"
    ).connect()
    await wait_for(
        lambda: note_texts(reader.doc).get("an") == "ana's note!",
        what="the keystroke reaches the restored copy",
        state=lambda: repr(note_texts(reader.doc).get("an")),
    )
    for client in (ana_client, bob_client, fac_client):
        await wait_for(
            lambda client=client: note_texts(client.doc).get("an") == "ana's note!",  # type: ignore[misc]
            what="everyone converges",
            state=lambda client=client: repr(note_texts(client.doc).get("an")),  # type: ignore[misc]
        )
    await board_still_works(live_server, board, fac_client)
