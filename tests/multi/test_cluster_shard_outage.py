"""One shard of a Redis Cluster down: only its boards wait; the others and readiness go on.

The primary owning a busy board is killed while its replica is told not to take over yet
(`cluster-replica-no-failover yes`), so the outage lasts as long as the test needs, whatever the
machine's speed. Meanwhile every instance answers /readyz 200 with that shard listed as
degraded, a board on another shard keeps working (HTTP and live edits across instances), the
busy board answers 503 and its clients' edits are kept. Then the replica may take over: every
edit made during the outage arrives.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import httpx
import pytest

from tests.boards import add_note, note_texts
from tests.cluster import RedisClusterProcess, cli
from tests.helpers import create_board, join_board
from tests.multi.support import eventually, ws
from tests.servers import PlanboardProcess
from tests.yclient import YClient, wait_for

pytestmark = pytest.mark.redis


def replica_of(cluster: RedisClusterProcess, primary: int) -> int:
    primary_id = cluster.node_id(primary)
    for line in cli(cluster.live()[0].port, "CLUSTER", "NODES").splitlines():
        fields = line.split()
        if "slave" in fields[2] and fields[3] == primary_id:
            return int(fields[1].split("@")[0].rsplit(":", 1)[1])
    raise AssertionError(f"no replica of {primary}")


async def readiness(server: PlanboardProcess) -> tuple[int, dict[str, Any]]:
    async with httpx.AsyncClient(timeout=5) as http:
        r = await http.get(f"{server.url}/readyz")
    return r.status_code, r.json()


async def test_a_failing_shard_holds_up_only_its_own_boards(
    redis_cluster: RedisClusterProcess, cluster_instances: list[PlanboardProcess]
) -> None:
    servers = cluster_instances
    heartbeat_node = redis_cluster.owner("planboard:instances")
    board = create_board(servers[0].url)
    while redis_cluster.owner(board["id"]) == heartbeat_node:  # keep heartbeats out of it
        board = create_board(servers[0].url)
    bid = board["id"]
    owner = redis_cluster.owner(bid)
    other = create_board(servers[0].url)
    while redis_cluster.owner(other["id"]) == owner:
        other = create_board(servers[0].url)
    oid = other["id"]

    people = [join_board(s.url, bid, f"W{i}") for i, s in enumerate(servers)]
    writers = [
        await YClient(ws(s, bid, p["token"])).connect()
        for s, p in zip(servers, people, strict=True)
    ]
    observers = [await YClient(ws(s, bid, board["token"])).connect() for s in servers]
    author = join_board(servers[0].url, oid, "Other")
    other_writer = await YClient(ws(servers[0], oid, author["token"])).connect()
    other_observer = await YClient(ws(servers[1], oid, other["token"])).connect()
    written: set[str] = set()
    phase = {"name": "before"}

    async def write(index: int) -> None:
        for i in range(10_000):
            note = f"w{index}-{phase['name']}-{i}"
            add_note(writers[index].doc, note, people[index]["participant_id"], note)
            written.add(note)
            await asyncio.sleep(0.02)  # pacing: a steady stream, not a synchronisation

    streams = [asyncio.create_task(write(i)) for i in range(3)]
    replica = replica_of(redis_cluster, owner)
    shard = f"store-writer@127.0.0.1:{owner}"
    try:
        await wait_for(
            lambda: all(len(note_texts(o.doc)) >= 30 for o in observers), 20, "traffic flowing"
        )
        cli(replica, "CONFIG", "SET", "cluster-replica-no-failover", "yes")
        phase["name"] = "outage"
        redis_cluster.node(owner).kill()

        last: list[Any] = []

        async def degraded_but_ready() -> bool:
            last[:] = [await readiness(server) for server in servers]
            return all(code == 200 and shard in body.get("degraded", []) for code, body in last)

        try:
            await eventually(degraded_but_ready, 20, "every instance ready, the shard degraded")
        except AssertionError as exc:
            raise AssertionError(f"{exc}: /readyz said {last}") from None
        # The other shard's board works, across instances, while this shard is down.
        add_note(other_writer.doc, "during-outage", author["participant_id"], "still here")
        await wait_for(
            lambda: "during-outage" in note_texts(other_observer.doc), 10, "the other board live"
        )
        async with httpx.AsyncClient(timeout=30) as http:
            auth = {"Authorization": f"Bearer {other['token']}"}
            assert (await http.get(f"{servers[2].url}/api/boards/{oid}", headers=auth)).is_success
            auth = {"Authorization": f"Bearer {board['token']}"}
            down = await http.get(f"{servers[2].url}/api/boards/{bid}", headers=auth)
            assert down.status_code == 503, down.text
        assert redis_cluster.owner(bid) == owner  # all of it happened during the outage
        assert any("-outage-" in n for n in written)

        cli(replica, "CONFIG", "SET", "cluster-replica-no-failover", "no")
        await eventually(
            lambda: asyncio.to_thread(lambda: redis_cluster.owner(bid) == replica),
            30,
            "the replica promoted",
        )
        phase["name"] = "after"
        await wait_for(
            lambda: all(any("-after-" in n for n in note_texts(o.doc)) for o in observers),
            30,
            "notes written after the outage flowing",
        )
    finally:
        for task in streams:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
    for observer in observers:  # every edit kept during the outage arrives
        await wait_for(
            lambda o=observer: set(note_texts(o.doc)) >= written,
            30,
            "every note at every observer",
            state=lambda o=observer: f"missing {sorted(written - set(note_texts(o.doc)))[:10]}",
        )

    async def healthy_again() -> bool:
        results = [await readiness(s) for s in servers]
        return all(status == 200 and "degraded" not in body for status, body in results)

    await eventually(healthy_again, 20, "every instance healthy again")
    for client in (*writers, *observers, other_writer, other_observer):
        await client.close()
