"""Estimation ballots cast through two instances at once: one card per member per note."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from pycrdt import Map

from tests.boards import add_note, note_texts
from tests.helpers import command, create_board, join_board
from tests.multi.conftest import StartInstances
from tests.multi.support import eventually, ws
from tests.yclient import YClient, wait_for

pytestmark = pytest.mark.redis


async def test_cards_through_two_instances_keep_one_per_member_per_note(
    instances: StartInstances,
) -> None:
    a, b = instances(2)
    board = create_board(a.url)
    bid = board["id"]
    members = [join_board(a.url, bid, name) for name in ("Ana", "Bo", "Cy")]
    writer = await YClient(ws(b, bid, members[0]["token"])).connect()
    for i in range(3):
        add_note(writer.doc, f"n{i}", members[0]["participant_id"], f"task {i}")
    probe = await YClient(ws(a, bid, board["token"])).connect()
    await wait_for(lambda: len(note_texts(probe.doc)) == 3, 10, "notes everywhere")
    r = httpx.post(
        f"{a.url}/api/boards/{bid}/commands",
        json={"type": "voting.start", "kind": "estimate", "scale": "fibonacci"},
        headers={"Authorization": f"Bearer {board['token']}"},
    )
    assert r.status_code == 200, r.text

    async def round_known_on_b() -> bool:
        async with httpx.AsyncClient() as http:
            r = await http.get(
                f"{b.url}/api/boards/{bid}/votes/me",
                headers={"Authorization": f"Bearer {members[0]['token']}"},
            )
        return bool(r.json().get("kind") == "estimate")

    await eventually(round_known_on_b, 10, "b knows the round")
    cards = ["1", "2", "3", "5", "8"]
    async with httpx.AsyncClient(timeout=30) as http:
        calls = [
            http.post(
                f"{server.url}/api/boards/{bid}/commands",
                json={"type": "estimate", "note_id": f"n{i % 3}", "value": cards[i % 5]},
                headers={"Authorization": f"Bearer {member['token']}"},
            )
            for i in range(15)
            for server in (a, b)
            for member in members
        ]
        responses = await asyncio.gather(*calls)
        assert all(r.status_code == 200 for r in responses), [r.text for r in responses]
        mine = [
            (
                await http.get(
                    f"{server.url}/api/boards/{bid}/votes/me",
                    headers={"Authorization": f"Bearer {members[0]['token']}"},
                )
            ).json()["estimates"]
            for server in (a, b)
        ]
    assert mine[0] == mine[1] and set(mine[0]) == {"n0", "n1", "n2"}
    # Everyone estimated every note: the public count says so on both instances.
    session = writer.doc.get("session", type=Map)
    await wait_for(lambda: session["voting"]["done"] == 3, 10, "3 done")
    # Close through b; a late card through a is refused; reveal counts one card per member.
    assert command(b.url, bid, board["token"], "voting.close").status_code == 200
    late = command(a.url, bid, members[1]["token"], "estimate", note_id="n0", value="13")
    assert late.status_code == 409
    r = command(a.url, bid, board["token"], "voting.reveal")
    assert r.status_code == 200, r.text
    for note in ("n0", "n1", "n2"):
        summary = r.json()["estimates"][note]
        assert summary["count"] == 3 and sum(summary["distribution"].values()) == 3
        assert "13" not in summary["distribution"]
    await wait_for(lambda: "1" in (writer.doc.get("results", type=Map).to_py() or {}), 10)
    await writer.close()
    await probe.close()
