"""Compaction by several instances at once, and ballots cast through several instances at once."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
import redis.asyncio as aioredis
from pycrdt import Doc, Map

from tests.boards import add_note, note_texts, state_vector
from tests.helpers import command, create_board, join_board
from tests.multi.conftest import StartInstances
from tests.multi.support import eventually, ws
from tests.servers import RedisProcess
from tests.yclient import YClient, wait_for

pytestmark = pytest.mark.redis


async def test_instances_compacting_one_board_at_once_keep_every_update(
    instances: StartInstances, redis_proc: RedisProcess
) -> None:
    """Every instance compacts the board every 25 updates while clients on both write: the
    compacted state is the uncompacted one (the clients' docs hold the full history)."""
    a, b = instances(2, PLANBOARD_COMPACT_EVERY="25")
    board = create_board(a.url)
    bid = board["id"]
    ana = join_board(a.url, bid, "Ana")
    bob = join_board(b.url, bid, "Bob")
    on_a = await YClient(ws(a, bid, ana["token"])).connect()
    on_b = await YClient(ws(b, bid, bob["token"])).connect()
    for i in range(150):
        add_note(on_a.doc, f"a{i}", ana["participant_id"], f"a {i}")
        add_note(on_b.doc, f"b{i}", bob["participant_id"], f"b {i}")
        notes = on_b.doc.get("notes", type=Map)
        notes[f"b{i}"]["x"] = float(i)
        if i % 10 == 0:
            await asyncio.sleep(0)
    await wait_for(lambda: len(note_texts(on_a.doc)) == 300 == len(note_texts(on_b.doc)), 20)
    await wait_for(lambda: state_vector(on_a.doc) == state_vector(on_b.doc), 10, "same state")
    admin = aioredis.Redis.from_url(redis_proc.url)
    try:
        snapshot_key = f"planboard:{{{bid}}}:doc:snap"
        assert await admin.exists(snapshot_key)  # compaction did run
        log_left = await admin.llen(f"planboard:{{{bid}}}:doc:log")
        assert log_left < 100, log_left  # far less than the ~450 updates written
        # The stored state (snapshot + log) equals the clients' uncompacted history.
        snapshot = await admin.get(snapshot_key)
        entries = await admin.lrange(f"planboard:{{{bid}}}:doc:log", 0, -1)
    finally:
        await admin.aclose()
    stored: Doc[Any] = Doc()
    stored.apply_update(snapshot)
    for entry in entries:
        stored.apply_update(entry)
    assert stored.get("notes", type=Map).to_py() == on_a.doc.get("notes", type=Map).to_py()
    assert state_vector(stored) == state_vector(on_a.doc)
    for server in (a, b):
        fresh = await YClient(ws(server, bid, board["token"])).connect()
        assert fresh.doc.get("notes", type=Map).to_py() == on_a.doc.get("notes", type=Map).to_py()
        await fresh.close()
    await on_a.close()
    await on_b.close()


async def test_votes_through_two_instances_hold_budget_and_cap(
    instances: StartInstances,
) -> None:
    a, b = instances(2)
    board = create_board(a.url)
    bid = board["id"]
    ana = join_board(a.url, bid, "Ana")
    writer = await YClient(ws(b, bid, ana["token"])).connect()
    for i in range(4):
        add_note(writer.doc, f"n{i}", ana["participant_id"], f"idea {i}")
    probe = await YClient(ws(a, bid, board["token"])).connect()
    await wait_for(lambda: len(note_texts(probe.doc)) == 4, 10, "notes everywhere")
    r = command(a.url, bid, board["token"], "voting.start", budget=5, max_per_note=2)
    assert r.status_code == 200, r.text

    async def voting_open_on_b() -> bool:
        async with httpx.AsyncClient() as http:
            r = await http.get(
                f"{b.url}/api/boards/{bid}/votes/me",
                headers={"Authorization": f"Bearer {ana['token']}"},
            )
        return r.status_code == 200

    await eventually(voting_open_on_b, 10, "b knows the round")
    headers = {"Authorization": f"Bearer {ana['token']}"}
    async with httpx.AsyncClient(timeout=20) as http:
        calls = [
            http.post(
                f"{server.url}/api/boards/{bid}/commands",
                json={"type": "vote", "note_id": f"n{i % 4}"},
                headers=headers,
            )
            for i in range(16)
            for server in (a, b)
        ]
        responses = await asyncio.gather(*calls)
        codes = [r.status_code for r in responses]
        assert codes.count(200) == 5, [r.text for r in responses]
        assert set(codes) == {200, 409}
        mine = [
            (await http.get(f"{server.url}/api/boards/{bid}/votes/me", headers=headers)).json()
            for server in (a, b)
        ]
    assert mine[0]["ballots"] == mine[1]["ballots"]
    ballots: dict[str, int] = mine[0]["ballots"]
    assert sum(ballots.values()) == 5 and max(ballots.values()) <= 2
    await writer.close()
    await probe.close()
