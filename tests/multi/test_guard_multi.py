"""The guard across instances: relayed content is not forgery, pending blocks never wait.

Finding 10 of the review: a client that moves to an instance whose Redis link lags re-sends
content of other members that instance has not seen yet; it must catch up from the store
instead of compensating (which deleted notes everyone had seen). Finding 4: an update that
waits for another instance's next item must never be released unjudged.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from crdt import protocol, yupdate
from crdt.structindex import StructIndex
from tests.boards import add_note, note_texts
from tests.helpers import command, create_board, join_board
from tests.multi.conftest import StartInstances
from tests.multi.support import ws
from tests.servers import RedisProcess
from tests.tcpproxy import TcpProxy
from tests.yclient import YClient, wait_for
from tests.yjs_encoder import Item, Run, encode, find_type, find_value, state_of

pytestmark = pytest.mark.redis


@pytest.fixture
def slow_link(redis_proc: RedisProcess) -> Iterator[TcpProxy]:
    proxy = TcpProxy(redis_proc.port).start()
    yield proxy
    proxy.close()


def compensations(url: str) -> float:
    text = httpx.get(f"{url}/metrics").text
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith("planboard_compensations_total{")
    )


async def test_a_client_moving_to_a_lagging_instance_deletes_nothing(
    instances: StartInstances, slow_link: TcpProxy
) -> None:
    (a,) = instances(1)
    (b,) = instances(1, REDIS_URL=slow_link.url)
    board = create_board(a.url)
    bid = board["id"]
    ana = join_board(a.url, bid, "Ana")
    ben = join_board(a.url, bid, "Ben")
    ana_a = await YClient(ws(a, bid, ana["token"])).connect()
    ben_a = await YClient(ws(a, bid, ben["token"])).connect()
    fay_b = await YClient(ws(b, bid, board["token"])).connect()  # B has the board loaded
    slow_link.delay(0.5)  # B hears of everything half a second late
    add_note(ana_a.doc, "ana-note", ana["participant_id"], "Ana's idea")
    await wait_for(lambda: "ana-note" in note_texts(ben_a.doc), what="Ben sees Ana's note")
    ben_a.drop()
    add_note(ben_a.doc, "ben-note", ben["participant_id"], "written offline")
    ben_b = await YClient(ws(b, bid, ben["token"]), doc=ben_a.doc).connect()
    for client in (ana_a, fay_b, ben_b):
        await wait_for(
            lambda c=client: {"ana-note", "ben-note"} <= set(note_texts(c.doc)),
            20,
            "both notes everywhere",
        )
    slow_link.heal()
    for server in (a, b):
        reader = await YClient(ws(server, bid, board["token"])).connect()
        await wait_for(
            lambda r=reader: {"ana-note", "ben-note"} <= set(note_texts(r.doc)), 10, "stored"
        )
        await reader.close()
    assert "ana-note" in note_texts(ana_a.doc)  # nobody deleted it
    assert ben_b.awareness.get(0) is None  # Ben was told of no undone edit
    assert compensations(b.url) == 0
    for client in (ana_a, fay_b, ben_b):
        await client.close()


async def test_an_update_waiting_for_another_instance_is_never_released(
    instances: StartInstances,
) -> None:
    a, b = instances(2)
    board = create_board(a.url)
    bid = board["id"]
    eve = join_board(a.url, bid, "Eve")
    eve_a = await YClient(ws(a, bid, eve["token"])).connect()
    fay_b = await YClient(ws(b, bid, board["token"])).connect()
    add_note(fay_b.doc, "fn", board["participant_id"], "first")
    await wait_for(lambda: "fn" in note_texts(eve_a.doc), 10, "the note reaches Eve")
    index = StructIndex()
    index.record(yupdate.decode_update(eve_a.doc.get_update()))
    entry = find_type(index, ("participants", eve["participant_id"]))
    fay_client = fay_b.doc.client_id
    run = Run(888_000_002, 0)
    run.add(Item(("any", ["x"]), origin=(fay_client, state_of(fay_b.doc)[fay_client])))
    run.add(Item(("any", ["facilitator"]), origin=find_value(index, entry, "role")))
    await eve_a.send_raw(protocol.encode_update(encode([run])))
    for i in range(3):  # the facilitator's next items, which A learns through Redis
        add_note(fay_b.doc, f"k{i}", board["participant_id"], "next")
    await wait_for(lambda: "k2" in note_texts(eve_a.doc), 10, "Fay's edits reach A")
    for server in (a, b):
        response = command(server.url, bid, eve["token"], "lock")
        assert response.status_code == 403, response.text
        info = httpx.get(
            f"{server.url}/api/boards/{bid}", headers={"Authorization": f"Bearer {board['token']}"}
        ).json()
        roles = {p["id"]: p["role"] for p in info["participants"]}
        assert roles[eve["participant_id"]] == "participant", info["participants"]
    for client in (eve_a, fay_b):
        await client.close()
