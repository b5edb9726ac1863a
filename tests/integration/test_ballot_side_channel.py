"""A secret round tells nobody about ballots, also not through deleting a voted-for note."""

from __future__ import annotations

from typing import Any

import httpx
from pycrdt import Map

from tests.boards import add_note
from tests.helpers import command, create_board, join_board
from tests.servers import PlanboardProcess
from tests.yclient import YClient, wait_for


def _voting(server: PlanboardProcess, board: dict[str, Any]) -> dict[str, Any]:
    r = httpx.get(
        f"{server.url}/api/boards/{board['id']}",
        headers={"Authorization": f"Bearer {board['token']}"},
    )
    assert r.status_code == 200, r.text
    voting: dict[str, Any] = r.json()["voting"]
    return voting


def _my_votes(server: PlanboardProcess, board_id: str, token: str) -> dict[str, Any]:
    r = httpx.get(
        f"{server.url}/api/boards/{board_id}/votes/me",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert r.status_code == 200, r.text
    data: dict[str, Any] = r.json()
    return data


async def test_deleting_a_voted_note_leaves_done_until_the_voter_acts(
    live_server: PlanboardProcess,
) -> None:
    base = live_server.url
    board = create_board(base)
    bid = board["id"]
    ana, bo, cy = (join_board(base, bid, n) for n in ("Ana", "Bo", "Cy"))
    bo_client = await YClient(f"{live_server.ws_url}/ws/{bid}?token={bo['token']}").connect()
    add_note(bo_client.doc, "bo-note", bo["participant_id"], "Bo's idea")
    add_note(bo_client.doc, "other", bo["participant_id"], "another idea")
    watcher = await YClient(f"{live_server.ws_url}/ws/{bid}?token={board['token']}").connect()
    await wait_for(lambda: len(watcher.doc.get("notes", type=Map)) == 2, what="the notes")
    assert command(base, bid, board["token"], "voting.start", budget=2).status_code == 200
    for _ in range(2):
        assert command(base, bid, ana["token"], "vote", note_id="bo-note").status_code == 200
    assert _voting(live_server, board)["done"] == 1  # Ana used all her dots
    # Bo deletes his own note: he must not learn that a done voter had dots on it.
    del bo_client.doc.get("notes", type=Map)["bo-note"]
    await wait_for(lambda: "bo-note" not in watcher.doc.get("notes", type=Map), what="deletion")
    # Ana sees her dots back at once...
    await wait_for(lambda: _my_votes(live_server, bid, ana["token"])["left"] == 2, what="refund")
    assert _my_votes(live_server, bid, ana["token"])["ballots"] == {}
    # ...while the public count stays, also when somebody else votes (which republishes it).
    assert command(base, bid, cy["token"], "vote", note_id="other").status_code == 200
    assert _voting(live_server, board)["done"] == 1
    # When Ana acts again, her own ballot moves the count.
    r = command(base, bid, ana["token"], "vote", note_id="other")
    assert r.status_code == 200, r.text
    assert r.json()["used"] == 1 and r.json()["left"] == 1
    assert _voting(live_server, board)["done"] == 0
    # The reveal counts only notes that exist.
    r = command(base, bid, board["token"], "voting.reveal")
    assert r.status_code == 200
    assert {row["note_id"] for row in r.json()["ranking"]} == {"other"}
    await wait_for(lambda: watcher.doc.get("results", type=Map).get("1") is not None)
    assert set(watcher.doc.get("results", type=Map)["1"].to_py()) == {"other"}
    await bo_client.close()
    await watcher.close()
