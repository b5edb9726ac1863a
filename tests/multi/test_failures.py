"""Instances and Redis failing: kill -9 of an instance, presence of its clients, Redis restart."""

from __future__ import annotations

import asyncio
import contextlib

import httpx
import pytest

from tests.boards import add_note, note_texts
from tests.helpers import create_board, join_board
from tests.multi.conftest import INSTANCE_TIMEOUT, StartInstances, ready
from tests.multi.support import ws
from tests.servers import RedisProcess, wait_until
from tests.yclient import YClient, wait_for

pytestmark = pytest.mark.redis


async def test_kill_9_of_an_instance_loses_nothing_any_client_saw(
    instances: StartInstances,
) -> None:
    a, b, c = instances(3)
    board = create_board(a.url)
    bid = board["id"]
    ana = join_board(a.url, bid, "Ana")
    bob = join_board(b.url, bid, "Bob")
    writer_a = await YClient(ws(a, bid, ana["token"])).connect()
    observer_a = await YClient(ws(a, bid, board["token"])).connect()
    writer_b = await YClient(ws(b, bid, bob["token"])).connect()
    observer_c = await YClient(ws(c, bid, board["token"])).connect()

    async def write(client: YClient, author: str, prefix: str) -> None:
        for i in range(400):
            add_note(client.doc, f"{prefix}{i}", author, f"{prefix} {i}")
            await asyncio.sleep(0.002)  # pacing: a steady stream, not a synchronisation

    streams = [
        asyncio.create_task(write(writer_a, ana["participant_id"], "a")),
        asyncio.create_task(write(writer_b, bob["participant_id"], "b")),
    ]
    await wait_for(lambda: len(note_texts(observer_a.doc)) >= 60, 15, "traffic flowing")
    a.kill()  # kill -9 in the middle of the stream
    # What any client had seen at that moment (the clients of A see nothing more now).
    await observer_a.wait_closed(10)
    seen = set(note_texts(observer_a.doc)) | set(note_texts(observer_c.doc))
    for task in streams:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    # The writer on A vanishes with its unsent edits; the observer of A reconnects elsewhere.
    writer_a.drop()
    observer_a.drop()
    moved = await YClient(ws(b, bid, board["token"]), doc=observer_a.doc).connect()
    seen |= set(note_texts(writer_b.doc))
    everything = seen | set(note_texts(moved.doc))
    for client in (moved, writer_b, observer_c):
        await wait_for(
            lambda cl=client: set(note_texts(cl.doc)) >= everything, 15, "all seen notes"
        )
    fresh = await YClient(ws(c, bid, board["token"])).connect()
    assert set(note_texts(fresh.doc)) >= seen
    for client in (moved, writer_b, observer_c, fresh):
        await client.close()


async def test_presence_crosses_instances_and_dies_with_its_instance(
    instances: StartInstances,
) -> None:
    a, b, c = instances(3)
    board = create_board(a.url)
    bid = board["id"]
    on_a = await YClient(ws(a, bid, board["token"])).connect()
    on_b = await YClient(ws(b, bid, board["token"])).connect()
    await on_a.set_awareness({"user": {"name": "Fay"}, "cursor": {"x": 1, "y": 2}})
    await on_b.set_awareness({"user": {"name": "Ana"}})
    await wait_for(lambda: on_b.awareness.get(on_a.doc.client_id), 10, "b sees a's cursor")
    assert on_b.awareness[on_a.doc.client_id] == {  # the identity is bound by the server
        "user": {"name": "Facilitator", "id": board["participant_id"], "role": "facilitator"},
        "cursor": {"x": 1, "y": 2},
    }
    await wait_for(lambda: on_a.awareness.get(on_b.doc.client_id), 10, "a sees b")
    # An instance that loads the board later asks the others for their clients' presence.
    on_c = await YClient(ws(c, bid, board["token"])).connect()
    await wait_for(
        lambda: on_c.awareness.get(on_a.doc.client_id) and on_c.awareness.get(on_b.doc.client_id),
        10,
        "a late instance learns everyone's presence",
    )
    # A clean leave is relayed at once.
    await on_b.close()
    await wait_for(lambda: on_c.awareness.get(on_b.doc.client_id, 1) is None, 10, "b left")
    # kill -9: nobody tells anyone; the heartbeats stop and the others time A's clients out.
    loop = asyncio.get_running_loop()
    killed_at = loop.time()
    a.kill()
    await wait_for(
        lambda: on_c.awareness.get(on_a.doc.client_id, 1) is None,
        float(INSTANCE_TIMEOUT) + 1.0,  # within the timeout (+1 s for a loaded test machine)
        "a's client removed after its instance died",
    )
    assert loop.time() - killed_at >= float(INSTANCE_TIMEOUT) * 0.3  # by the timeout, not a bye
    await on_c.close()
    await on_a.close()


async def test_redis_restart_instances_recover_and_keep_edits(
    instances: StartInstances, redis_proc: RedisProcess
) -> None:
    """Redis goes away for longer than the instance timeout and comes back (same port, AOF):
    nobody is disconnected, edits made meanwhile reach everyone and the store, presence stays."""
    servers = instances(2)
    board = create_board(servers[0].url)
    other_board = create_board(servers[0].url)
    bid = board["id"]
    people = [join_board(s.url, bid, f"P{i}") for i, s in enumerate(servers)]
    clients = [
        await YClient(ws(s, bid, person["token"])).connect()
        for s, person in zip(servers, people, strict=True)
    ]
    add_note(clients[0].doc, "before", people[0]["participant_id"], "before the outage")
    await clients[0].set_awareness({"user": {"name": "P0"}})
    for client in clients:
        await wait_for(lambda cl=client: "before" in note_texts(cl.doc), 10, "relay works")
    await wait_for(lambda: clients[1].awareness.get(clients[0].doc.client_id), 10, "presence")
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, redis_proc.stop)
    await loop.run_in_executor(
        None,
        lambda: wait_until(
            lambda: all(ready(s) == 503 for s in servers), 15, "/readyz says not ready"
        ),
    )
    # Edits on every instance while Redis is away: kept in memory, waiting for the store.
    for i, (client, person) in enumerate(zip(clients, people, strict=True)):
        for j in range(5):
            add_note(client.doc, f"out{i}-{j}", person["participant_id"], f"outage {i} {j}")
    expected = {"before"} | {f"out{i}-{j}" for i in range(2) for j in range(5)}
    # The outage itself lasts longer than the instance timeout (this is the scenario, not a
    # synchronisation): no instance may take the silence for the death of the other.
    await asyncio.sleep(float(INSTANCE_TIMEOUT) + 1.0)
    assert all(not c.closed.is_set() for c in clients)
    assert "out0-0" not in note_texts(clients[1].doc)  # nothing can cross without Redis
    # Meanwhile, new requests get a clear "retry" rather than an internal error.
    outage = httpx.post(f"{servers[0].url}/api/boards/{bid}/participants", json={"name": "Late"})
    assert outage.status_code == 503, outage.text
    assert outage.json()["error"]["code"] == "unavailable"
    # A board this instance has not loaded cannot be looked up: 1013, the client retries.
    other = YClient(ws(servers[1], other_board["id"], other_board["token"]))
    await other.connect(wait_synced=False)
    assert await other.wait_closed(10) == 1013
    # A board it has loaded admits the client, which syncs once the store is back.
    late = await YClient(ws(servers[1], bid, board["token"])).connect(wait_synced=False)
    await loop.run_in_executor(None, redis_proc.start)  # same port, AOF reloaded
    await loop.run_in_executor(
        None,
        lambda: wait_until(lambda: all(ready(s) == 200 for s in servers), 20, "ready again"),
    )
    for client in clients:
        await wait_for(lambda cl=client: set(note_texts(cl.doc)) == expected, 20, "delivered")
        assert not client.closed.is_set()  # nobody was disconnected
    await wait_for(lambda: set(note_texts(late.doc)) == expected, 20, "late joiner synced")
    await late.close()
    assert clients[1].awareness.get(clients[0].doc.client_id) == {
        "user": {"name": "P0", "id": people[0]["participant_id"], "role": "participant"}
    }
    for server in servers:
        fresh = await YClient(ws(server, bid, board["token"])).connect()
        assert set(note_texts(fresh.doc)) == expected  # stored, too
        await fresh.close()
    for client in clients:
        await client.close()
