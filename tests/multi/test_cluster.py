"""Three planboard instances on a real Redis Cluster (3 primaries, 1 replica each).

Each instance is given a different node. Clients converge, commands and the vote budget hold
across instances, every key of a board is in one slot, per-board channels are sharded (on the
owning primary only, never classic), boards spread over every primary, a restart of every
instance keeps the boards whole, and a slot migration of a busy board loses nothing.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from typing import Any

import httpx
import pytest
import redis.asyncio as aioredis

from server.store.redis import RedisStore
from tests.boards import add_note, note_texts
from tests.cluster import RedisClusterProcess, migrate_slot
from tests.helpers import create_board, join_board
from tests.multi.busy_board import BusyBoard
from tests.multi.support import eventually, ws
from tests.servers import PlanboardProcess
from tests.yclient import YClient, wait_for

pytestmark = pytest.mark.redis

GLOBAL_KEYS = {"planboard:boards", "planboard:outbox:boards"}


async def in_thread(fn: Any) -> Any:
    return await asyncio.get_running_loop().run_in_executor(None, fn)


def tag(key: str) -> str:
    return key[key.index("{") + 1 : key.index("}")]


async def keys_by_primary(cluster: RedisClusterProcess) -> dict[int, list[str]]:
    """Every planboard key on every primary (SCAN), by the primary's port."""
    out: dict[int, list[str]] = {}
    for port in cluster.primary_ports():
        node = aioredis.Redis(port=port)
        try:
            out[port] = [k.decode() async for k in node.scan_iter(match="planboard:*", count=500)]
        finally:
            await node.aclose()
    return out


async def node_command(port: int, *args: Any) -> Any:
    node = aioredis.Redis(port=port)
    try:
        return await node.execute_command(*args)
    finally:
        await node.aclose()


async def test_instances_on_three_nodes_converge_and_keep_each_board_in_one_slot(
    redis_cluster: RedisClusterProcess, cluster_instances: list[PlanboardProcess]
) -> None:
    servers = cluster_instances
    boards = [create_board(servers[i % 3].url, title=f"board {i}") for i in range(30)]
    board = boards[0]
    bid = board["id"]
    people = [join_board(s.url, bid, f"P{i}") for i, s in enumerate(servers)]
    clients = [
        await YClient(ws(s, bid, p["token"])).connect()
        for s, p in zip(servers, people, strict=True)
    ]
    # Listen on the board's sharded channel like an instance does: updates travel there.
    listener = aioredis.RedisCluster(host="127.0.0.1", port=redis_cluster.nodes[0].port)
    sharded = listener.pubsub()
    channel = f"planboard:{{{bid}}}:ch:{bid}".encode()
    await sharded.ssubscribe(channel)
    for i, (client, person) in enumerate(zip(clients, people, strict=True)):
        for j in range(10):
            add_note(client.doc, f"n{i}-{j}", person["participant_id"], f"note {i}-{j}")
    expected = {f"n{i}-{j}" for i in range(3) for j in range(10)}
    for client in clients:
        await wait_for(lambda c=client: set(note_texts(c.doc)) == expected, 20, "converged")
    senders: dict[bytes, int] = defaultdict(int)  # instance id -> update messages it published
    while (message := await sharded.get_sharded_message(timeout=0.5)) is not None:
        data = message["data"]
        if message["type"] == "smessage" and data[:1] == b"U":
            senders[data[2 : 2 + data[1]]] += 1
    await sharded.aclose()
    await listener.aclose()
    assert len(senders) == 3 and sum(senders.values()) >= 30, senders

    # The vote budget holds across instances: 24 concurrent votes, budget 2, exactly 2 count.
    async with httpx.AsyncClient(timeout=20) as http:
        started = await http.post(
            f"{servers[0].url}/api/boards/{bid}/commands",
            json={"type": "voting.start", "budget": 2, "max_per_note": 2},
            headers={"Authorization": f"Bearer {board['token']}"},
        )
        assert started.status_code == 200, started.text
        voter = {"Authorization": f"Bearer {people[1]['token']}"}

        async def round_open_everywhere() -> bool:
            for server in servers:
                r = await http.get(f"{server.url}/api/boards/{bid}/votes/me", headers=voter)
                if r.status_code != 200 or r.json().get("budget") != 2:
                    return False
            return True

        await eventually(round_open_everywhere, 10, "every instance knows the round")
        responses = await asyncio.gather(
            *(
                http.post(
                    f"{servers[i % 3].url}/api/boards/{bid}/commands",
                    json={"type": "vote", "note_id": f"n0-{i % 10}"},
                    headers=voter,
                )
                for i in range(24)
            )
        )
    codes = [r.status_code for r in responses]
    assert codes.count(200) == 2 and codes.count(409) == 22, [r.text for r in responses]

    # Every key of a board is in the board's slot; only the global keys carry no tag.
    found = await keys_by_primary(redis_cluster)
    slots: dict[str, set[int]] = defaultdict(set)
    owners: dict[str, set[int]] = defaultdict(set)
    for port, keys in found.items():
        untagged = {k for k in keys if "{" not in k}
        assert untagged <= GLOBAL_KEYS, untagged
        for key in keys:
            if "{" in key:
                slots[tag(key)].add(int(await node_command(port, "CLUSTER", "KEYSLOT", key)))
                owners[tag(key)].add(port)
    assert {b["id"] for b in boards} <= set(slots)
    assert all(len(s) == 1 for s in slots.values()), {b: s for b, s in slots.items() if len(s) > 1}
    for board_id, slot in slots.items():
        want = int(await node_command(redis_cluster.nodes[0].port, "CLUSTER", "KEYSLOT", board_id))
        assert slot == {want}
    assert {p for b in boards for p in owners[b["id"]]} == set(redis_cluster.primary_ports())

    # The board's channel is sharded, on the primary that owns the board, and nowhere classic.
    owner = redis_cluster.owner(bid)
    channel = f"planboard:{{{bid}}}:ch:{bid}".encode()
    for port in redis_cluster.primary_ports():
        sharded = await node_command(port, "PUBSUB", "SHARDCHANNELS")
        assert (channel in sharded) == (port == owner), (port, owner, sharded)
    for node in redis_cluster.live():
        classic = await node_command(node.port, "PUBSUB", "CHANNELS")
        assert set(classic) <= {b"planboard:instances"}, classic

    for client in clients:
        await client.close()
    # A restart of every instance: every board comes back whole, through any instance.
    await asyncio.gather(*(in_thread(s.stop) for s in servers))
    await asyncio.gather(*(in_thread(lambda s=s: s.start(30.0)) for s in servers))
    for server in servers:
        again = await YClient(ws(server, bid, board["token"])).connect()
        assert set(note_texts(again.doc)) == expected
        await again.close()


async def test_a_busy_board_survives_the_migration_of_its_slot(
    redis_cluster: RedisClusterProcess, cluster_instances: list[PlanboardProcess]
) -> None:
    servers = cluster_instances
    busy = await BusyBoard.open(servers)
    bid, board, written = busy.bid, busy.board, busy.written
    async with busy.writing():
        slot = int(await node_command(redis_cluster.nodes[0].port, "CLUSTER", "KEYSLOT", bid))
        source = redis_cluster.slot_owner(slot)
        target = next(p for p in redis_cluster.primary_ports() if p != source)
        busy.phase = "during"
        moved = await in_thread(lambda: migrate_slot(redis_cluster, slot, source, target))
        assert moved >= 3  # the board's log, counter, metadata... went along
        assert redis_cluster.slot_owner(slot) == target
        busy.phase = "after"
        await busy.flowing_after(20, "notes written after the migration flowing")
    await busy.everyone_has_every_note()
    fresh = [await YClient(ws(s, bid, board["token"])).connect() for s in servers]
    views = [set(note_texts(f.doc)) for f in fresh]
    assert views[0] == views[1] == views[2] == written  # 0 lost, nothing else
    # No duplicates in the store: every position once, consecutive, all on the new owner.
    store = RedisStore(redis_cluster.url(0))
    await store.open()
    try:
        loaded = await store.load_doc(bid)
    finally:
        await store.close()
    positions = [p for p, _ in loaded.updates]
    assert positions == list(range(positions[0], positions[0] + len(positions)))
    assert redis_cluster.owner(f"planboard:{{{bid}}}:doc:log") == target
    for client in (*busy.writers, *busy.observers, *fresh):
        await client.close()
