"""Facilitation commands through the API, each seen by a connected client through sync."""

from __future__ import annotations

from typing import Any

import httpx
from pycrdt import Array, Map

from tests.helpers import command, create_board, join_board
from tests.servers import PlanboardProcess
from tests.yclient import YClient, wait_for


def session(client: YClient) -> dict[str, Any]:
    value: dict[str, Any] = client.doc.get("session", type=Map).to_py() or {}
    return value


def agenda_ids(client: YClient) -> list[str]:
    return [item["id"] for item in client.doc.get("agenda", type=Array).to_py() or []]


async def _setup(server: PlanboardProcess) -> tuple[dict[str, Any], dict[str, Any], YClient]:
    board = create_board(server.url, template="kickoff")
    ana = join_board(server.url, board["id"], "Ana")
    client = await YClient(f"{server.ws_url}/ws/{board['id']}?token={ana['token']}").connect()
    return board, ana, client


async def test_lock_and_unlock_are_idempotent_and_synced(live_server: PlanboardProcess) -> None:
    board, ana, client = await _setup(live_server)
    run = lambda kind, **a: command(live_server.url, board["id"], board["token"], kind, **a)  # noqa: E731
    assert run("lock").json() == {"ok": True, "locked": True}
    await wait_for(lambda: session(client).get("locked") is True, what="locked")
    assert run("lock").status_code == 200  # twice: still locked
    assert run("unlock").status_code == 200
    await wait_for(lambda: session(client).get("locked") is False, what="unlocked")
    r = command(live_server.url, board["id"], ana["token"], "lock")
    assert r.status_code == 403
    assert r.json()["error"]["code"] == "forbidden"
    await client.close()


async def test_agenda_walk_with_timeboxes(live_server: PlanboardProcess) -> None:
    board, _, client = await _setup(live_server)
    run = lambda kind, **a: command(live_server.url, board["id"], board["token"], kind, **a)  # noqa: E731
    ids = agenda_ids(client)
    assert len(ids) >= 3
    assert session(client)["current_item"] == ids[0]
    assert run("agenda.prev").status_code == 409  # nothing before the first item
    r = run("agenda.next")
    assert r.status_code == 200 and r.json()["current_item"] == ids[1]
    await wait_for(lambda: session(client).get("current_item") == ids[1])
    # Moving to an item starts its timebox.
    timer = session(client)["timer"]
    assert timer["duration_ms"] > 0 and timer["started_at"] > 0
    assert run("agenda.goto", item=ids[-1]).status_code == 200
    await wait_for(lambda: session(client).get("current_item") == ids[-1])
    r = run("agenda.next")
    assert r.status_code == 409 and r.json()["error"]["code"] == "agenda_end"
    assert run("agenda.goto", item="nope").status_code == 404
    assert run("agenda.goto", item=5).status_code == 422
    assert run("agenda.prev").json()["current_item"] == ids[-2]  # going back always works
    assert run("agenda.goto", item=ids[0], start_timer=False).status_code == 200
    await client.close()


async def test_timer_commands(live_server: PlanboardProcess) -> None:
    board, _, client = await _setup(live_server)
    run = lambda kind, **a: command(live_server.url, board["id"], board["token"], kind, **a)  # noqa: E731
    assert run("timer.reset").status_code == 200
    assert run("timer.resume").status_code == 409  # not paused
    assert run("timer.pause").status_code == 409  # not running
    for bad in (-5, 0, 10**9, "ten", True, None):
        r = run("timer.start", seconds=bad)
        assert r.status_code == 422, bad
    assert run("timer.start").status_code == 422
    r = run("timer.start", seconds=300)
    assert r.status_code == 200
    server_time = int(r.headers["x-server-time"])
    await wait_for(lambda: (session(client).get("timer") or {}).get("duration_ms") == 300_000)
    started = session(client)["timer"]["started_at"]
    assert abs(started - server_time) < 5_000
    assert run("timer.pause").status_code == 200
    await wait_for(lambda: session(client)["timer"].get("remaining_ms") is not None)
    paused = session(client)["timer"]
    assert paused["started_at"] is None and 0 < paused["remaining_ms"] <= 300_000
    assert run("timer.pause").status_code == 409  # already paused
    assert run("timer.resume").status_code == 200
    await wait_for(lambda: session(client)["timer"].get("started_at") is not None)
    assert run("timer.reset").status_code == 200
    await wait_for(lambda: "timer" not in session(client))
    await client.close()


async def test_roles_handover_and_last_facilitator(live_server: PlanboardProcess) -> None:
    board, ana, client = await _setup(live_server)
    base, bid = live_server.url, board["id"]
    fac = board["participant_id"]
    assert (
        command(base, bid, ana["token"], "role.set", participant_id=fac, role="viewer").status_code
        == 403
    )
    r = command(base, bid, board["token"], "role.set", participant_id=fac, role="participant")
    assert r.status_code == 409 and r.json()["error"]["code"] == "last_facilitator"
    r = command(base, bid, board["token"], "role.set", participant_id="ghost", role="viewer")
    assert r.status_code == 404
    r = command(
        base, bid, board["token"], "role.set", participant_id=ana["participant_id"], role="boss"
    )
    assert r.status_code == 422
    # Hand over: Ana becomes facilitator, then demotes the creator.
    r = command(
        base,
        bid,
        board["token"],
        "role.set",
        participant_id=ana["participant_id"],
        role="facilitator",
    )
    assert r.status_code == 200
    participants = lambda: client.doc.get("participants", type=Map).to_py() or {}  # noqa: E731
    await wait_for(lambda: participants()[ana["participant_id"]]["role"] == "facilitator")
    # Ana's token still says "participant"; the roster wins.
    assert command(base, bid, ana["token"], "lock").status_code == 200
    r = command(base, bid, ana["token"], "role.set", participant_id=fac, role="participant")
    assert r.status_code == 200
    # The demoted creator's token no longer runs facilitator commands.
    assert command(base, bid, board["token"], "unlock").status_code == 403
    await client.close()


async def test_participation_signals(live_server: PlanboardProcess) -> None:
    board, ana, client = await _setup(live_server)
    base, bid = live_server.url, board["id"]
    viewer = httpx.post(
        f"{base}/api/boards/{bid}/participants",
        json={"name": "Vic", "role": "viewer"},
        headers={"Authorization": f"Bearer {board['token']}"},
    ).json()
    pid = ana["participant_id"]
    assert command(base, bid, ana["token"], "ready").status_code == 200
    assert command(base, bid, ana["token"], "ready").status_code == 200
    assert command(base, bid, ana["token"], "hand.raise").status_code == 200
    await wait_for(
        lambda: pid in session(client).get("ready", {}) and pid in session(client).get("hands", {})
    )
    assert command(base, bid, viewer["token"], "ready").status_code == 403
    assert command(base, bid, ana["token"], "hand.lower").status_code == 200
    await wait_for(lambda: pid not in session(client).get("hands", {}))
    # Ready resets when the item changes.
    assert command(base, bid, board["token"], "agenda.next").status_code == 200
    await wait_for(lambda: session(client).get("ready") == {})
    assert command(base, bid, ana["token"], "summon").status_code == 403
    r = command(base, bid, board["token"], "summon", x=100, y=-50, zoom=1.5)
    assert r.status_code == 200 and r.json()["counter"] == 1
    await wait_for(lambda: (session(client).get("summon") or {}).get("counter") == 1)
    assert session(client)["summon"]["x"] == 100
    assert command(base, bid, board["token"], "summon", zoom=0).status_code == 422
    await client.close()


def test_command_input_errors(live_server: PlanboardProcess) -> None:
    board = create_board(live_server.url)
    url = f"{live_server.url}/api/boards/{board['id']}/commands"
    auth = {"Authorization": f"Bearer {board['token']}"}
    assert httpx.post(url, content=b"{oops", headers=auth).status_code == 400
    assert httpx.post(url, json={"type": "fly"}, headers=auth).status_code == 422
    assert httpx.post(url, json={"nottype": 1}, headers=auth).status_code == 422
    assert httpx.post(url, json={"type": "lock"}).status_code == 401
    other = create_board(live_server.url)
    r = httpx.post(
        url, json={"type": "lock"}, headers={"Authorization": f"Bearer {other['token']}"}
    )
    assert r.status_code == 403
    r = httpx.post(
        f"{live_server.url}/api/boards/{'B' * 22}/commands",
        json={"type": "lock"},
        headers=auth,
    )
    assert r.status_code == 403  # token for another board, whatever that board is
