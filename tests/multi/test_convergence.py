"""Three instances behind no load balancer at all: clients on different instances converge, and a
late joiner on any instance gets everything; the pub/sub connections can die without loss."""

from __future__ import annotations

import asyncio

import pytest
import redis.asyncio as aioredis
from pycrdt import Map, Text

from tests.boards import add_note, note_texts, state_vector
from tests.helpers import create_board, join_board
from tests.multi.conftest import StartInstances
from tests.multi.support import eventually, ws
from tests.servers import RedisProcess
from tests.yclient import YClient, wait_for

pytestmark = pytest.mark.redis


async def test_clients_on_three_instances_converge_and_late_joiners_get_everything(
    instances: StartInstances,
) -> None:
    a, b, c = instances(3)
    board = create_board(a.url)
    bid = board["id"]
    ana = join_board(b.url, bid, "Ana")
    bob = join_board(c.url, bid, "Bob")
    fay_a = await YClient(ws(a, bid, board["token"])).connect()
    ana_b = await YClient(ws(b, bid, ana["token"])).connect()
    bob_c = await YClient(ws(c, bid, bob["token"])).connect()
    clients = [fay_a, ana_b, bob_c]
    authors = [board["participant_id"], ana["participant_id"], bob["participant_id"]]
    for round_no in range(10):
        for i, (client, author) in enumerate(zip(clients, authors, strict=True)):
            add_note(client.doc, f"n{i}-{round_no}", author, f"from {i} #{round_no}")
    expected = {f"n{i}-{r}" for i in range(3) for r in range(10)}
    for client in clients:
        await wait_for(lambda cl=client: set(note_texts(cl.doc)) == expected, 15, "converged")
    # Concurrent edits of one text from all three instances merge identically everywhere.
    for i, client in enumerate(clients):
        text = client.doc.get("notes", type=Map)[f"n{i}-0"]["text"]
        assert isinstance(text, Text)
        text += f" edited on {i}"
    await wait_for(
        lambda: (
            all(note_texts(cl.doc) == note_texts(fay_a.doc) for cl in clients)
            and all(" edited on " in note_texts(fay_a.doc)[f"n{i}-0"] for i in range(3))
        ),
        15,
        "text edits merged everywhere",
    )
    reference = note_texts(fay_a.doc)
    for server in (a, b, c):
        late = await YClient(ws(server, bid, board["token"])).connect()
        assert note_texts(late.doc) == reference
        await wait_for(lambda lt=late: state_vector(lt.doc) == state_vector(fay_a.doc), 10, "state")
        await late.close()
    for client in clients:
        await client.close()


async def test_killed_pubsub_connections_are_gap_filled(
    instances: StartInstances, redis_proc: RedisProcess
) -> None:
    """`CLIENT KILL TYPE pubsub`: what is written while the instances resubscribe still reaches
    every instance, read from the store (a gap in positions, or the reconnect itself)."""
    servers = instances(3)
    board = create_board(servers[0].url)
    bid = board["id"]
    writer = await YClient(ws(servers[0], bid, board["token"])).connect()
    readers = [await YClient(ws(s, bid, board["token"])).connect() for s in servers[1:]]
    add_note(writer.doc, "before", board["participant_id"], "before the kill")
    for reader in readers:
        await wait_for(lambda r=reader: "before" in note_texts(r.doc), 10, "relay works")
    admin = aioredis.Redis.from_url(redis_proc.url)
    try:
        killed = await admin.execute_command("CLIENT", "KILL", "TYPE", "pubsub")
        assert int(killed) >= 3  # one subscriber per instance
        # Written at once, while every instance is reconnecting its subscriber.
        for i in range(30):
            add_note(writer.doc, f"during{i}", board["participant_id"], f"written meanwhile {i}")
            if i % 5 == 0:
                await asyncio.sleep(0)  # let them go out as separate updates
        expected = {"before"} | {f"during{i}" for i in range(30)}
        for reader in readers:
            await wait_for(lambda r=reader: set(note_texts(r.doc)) == expected, 15, "gap filled")

        async def all_resubscribed() -> bool:
            numsub = await admin.pubsub_numsub(f"planboard:{{{bid}}}:ch:{bid}")
            return int(numsub[0][1]) == 3

        await eventually(all_resubscribed, 10, "every instance subscribed again")
    finally:
        await admin.aclose()
    for client in (writer, *readers):
        await client.close()
