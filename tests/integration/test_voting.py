"""Dot-voting: budgets and caps under concurrency, secrecy down to the raw bytes, reveal."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from pycrdt import Doc, Map

from tests.boards import add_note
from tests.helpers import command, create_board, join_board
from tests.servers import PlanboardProcess
from tests.yclient import YClient, wait_for


def my_votes(server: PlanboardProcess, board_id: str, token: str) -> dict[str, Any]:
    r = httpx.get(
        f"{server.url}/api/boards/{board_id}/votes/me",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert r.status_code == 200, r.text
    data: dict[str, Any] = r.json()
    return data


async def _board_with_notes(
    server: PlanboardProcess, count: int = 3
) -> tuple[dict[str, Any], dict[str, Any], YClient]:
    board = create_board(server.url)
    ana = join_board(server.url, board["id"], "Ana")
    client = await YClient(f"{server.ws_url}/ws/{board['id']}?token={ana['token']}").connect()
    for i in range(count):
        add_note(client.doc, f"n{i}", ana["participant_id"], f"idea {i}")
    # Wait until the server has them: a fresh client sees all.
    probe = await YClient(f"{server.ws_url}/ws/{board['id']}?token={board['token']}").connect()
    await wait_for(lambda: len(probe.doc.get("notes", type=Map)) == count)
    await probe.close()
    return board, ana, client


async def test_budget_cap_unvote_and_errors(live_server: PlanboardProcess) -> None:
    board, ana, client = await _board_with_notes(live_server)
    base, bid = live_server.url, board["id"]
    vote = lambda note, tok=ana["token"]: command(base, bid, tok, "vote", note_id=note)  # noqa: E731
    r = vote("n0")
    assert r.status_code == 409 and r.json()["error"]["code"] == "voting_closed"
    assert command(base, bid, ana["token"], "voting.start").status_code == 403
    r = command(base, bid, board["token"], "voting.start", budget=3, max_per_note=2)
    assert r.status_code == 200 and r.json()["voting"]["round"] == 1
    assert command(base, bid, board["token"], "voting.start").status_code == 409
    assert command(base, bid, board["token"], "voting.start", budget=0).status_code == 422
    assert vote("n0").json()["left"] == 2
    assert vote("n0").json()["left"] == 1
    r = vote("n0")
    assert r.status_code == 409 and r.json()["error"]["code"] == "note_cap"
    assert vote("n1").json()["left"] == 0
    r = vote("n2")
    assert r.status_code == 409 and r.json()["error"]["code"] == "no_dots_left"
    assert vote("missing").status_code == 404
    assert my_votes(live_server, bid, ana["token"])["ballots"] == {"n0": 2, "n1": 1}
    assert command(base, bid, ana["token"], "unvote", note_id="n0").json()["left"] == 1
    r = command(base, bid, ana["token"], "unvote", note_id="n2")
    assert r.status_code == 409
    viewer = httpx.post(
        f"{base}/api/boards/{bid}/participants",
        json={"name": "V", "role": "viewer"},
        headers={"Authorization": f"Bearer {board['token']}"},
    ).json()
    assert vote("n0", viewer["token"]).status_code == 403
    assert command(base, bid, board["token"], "voting.close").status_code == 200
    assert vote("n2").status_code == 409
    await client.close()


async def test_fifty_concurrent_votes_accept_exactly_the_budget(
    live_server: PlanboardProcess,
) -> None:
    board, ana, client = await _board_with_notes(live_server, 5)
    base, bid = live_server.url, board["id"]
    command(base, bid, board["token"], "voting.start", budget=7, max_per_note=7)
    async with httpx.AsyncClient(timeout=30) as http:
        responses = await asyncio.gather(
            *(
                http.post(
                    f"{base}/api/boards/{bid}/commands",
                    json={"type": "vote", "note_id": f"n{i % 5}"},
                    headers={"Authorization": f"Bearer {ana['token']}"},
                )
                for i in range(50)
            )
        )
    statuses = [r.status_code for r in responses]
    assert statuses.count(200) == 7
    assert statuses.count(409) == 43
    assert sum(my_votes(live_server, bid, ana["token"])["ballots"].values()) == 7
    await client.close()


async def test_secret_round_leaks_nothing_until_reveal(live_server: PlanboardProcess) -> None:
    board, ana, client = await _board_with_notes(live_server)
    base, bid = live_server.url, board["id"]
    bo = join_board(base, bid, "Bo")
    spy = await YClient(f"{live_server.ws_url}/ws/{bid}?token={bo['token']}").connect()
    await spy.set_awareness({"user": {"name": "Bo"}})
    command(base, bid, board["token"], "voting.start", budget=2)
    for note in ("n0", "n2"):
        assert command(base, bid, ana["token"], "vote", note_id=note).status_code == 200
    await wait_for(lambda: (spy.doc.get("session", type=Map).to_py() or {})["voting"]["done"] == 1)
    # Decode every update the spy's socket received into a fresh doc: no tallies anywhere.
    replay: Doc[Any] = Doc()
    for update in spy.updates_received():
        replay.apply_update(update)
    assert (replay.get("results", type=Map).to_py() or {}) == {}
    voting = (replay.get("session", type=Map).to_py() or {})["voting"]
    assert set(voting) == {"round", "status", "budget", "max_per_note", "secret", "scope", "done"}
    for frame in spy.received:
        assert b"n2" not in frame or b"idea 2" in frame  # only the note itself, never a ballot
    # The API tells Bo nothing about Ana's ballots either.
    mine = my_votes(live_server, bid, bo["token"])
    assert mine["ballots"] == {} and mine["left"] == 2
    summary = httpx.get(
        f"{base}/api/boards/{bid}", headers={"Authorization": f"Bearer {bo['token']}"}
    ).json()
    assert summary["voting"]["done"] == 1 and "results" not in summary
    # Reveal: tallies appear for everyone, ranked.
    r = command(base, bid, board["token"], "voting.reveal")
    assert r.status_code == 200
    assert [row["note_id"] for row in r.json()["ranking"]] == ["n0", "n2"]
    await wait_for(lambda: (spy.doc.get("results", type=Map).to_py() or {}).get("1"))
    assert spy.doc.get("results", type=Map).to_py() == {"1": {"n0": 1.0, "n2": 1.0}}
    # A second round keeps the first round's results.
    command(base, bid, board["token"], "voting.start", budget=1, secret=False)
    command(base, bid, ana["token"], "vote", note_id="n1")
    await wait_for(lambda: (spy.doc.get("results", type=Map).to_py() or {}).get("2") == {"n1": 1.0})
    assert spy.doc.get("results", type=Map).to_py()["1"] == {"n0": 1.0, "n2": 1.0}
    await spy.close()
    await client.close()


async def test_deleting_a_voted_note_returns_its_dots(live_server: PlanboardProcess) -> None:
    board, ana, client = await _board_with_notes(live_server)
    base, bid = live_server.url, board["id"]
    command(base, bid, board["token"], "voting.start", budget=2, secret=False)
    command(base, bid, ana["token"], "vote", note_id="n1")
    assert my_votes(live_server, bid, ana["token"])["left"] == 1
    del client.doc.get("notes", type=Map)["n1"]  # Ana deletes her own note
    await wait_for(lambda: my_votes(live_server, bid, ana["token"])["left"] == 2, what="dots back")
    await wait_for(lambda: (client.doc.get("results", type=Map).to_py() or {}).get("1") == {})
    await client.close()


async def test_scoped_round_only_takes_notes_of_its_item(live_server: PlanboardProcess) -> None:
    board, ana, client = await _board_with_notes(live_server, 1)
    base, bid = live_server.url, board["id"]
    item = (client.doc.get("session", type=Map).to_py() or {})["current_item"]
    notes = client.doc.get("notes", type=Map)
    add_note(client.doc, "scoped", ana["participant_id"], "in scope")
    notes["scoped"]["item"] = item
    assert command(base, bid, board["token"], "voting.start", scope="nope").status_code == 404
    assert command(base, bid, board["token"], "voting.start", scope=item).status_code == 200
    await wait_for(
        lambda: (
            command(base, bid, ana["token"], "vote", note_id="scoped").status_code == 200 or False
        )
    )
    r = command(base, bid, ana["token"], "vote", note_id="n0")
    assert r.status_code == 409 and r.json()["error"]["code"] == "out_of_scope"
    await client.close()
