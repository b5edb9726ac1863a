"""Estimation rounds (planning poker): scales, one card per member per note, secrecy, reveal."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from pycrdt import Doc, Map

from tests.boards import add_note
from tests.helpers import command, create_board, join_board
from tests.integration.test_voting import _board_with_notes, my_votes
from tests.servers import PlanboardProcess
from tests.yclient import YClient, wait_for


def start_round(base: str, bid: str, token: str, **args: Any) -> httpx.Response:
    """voting.start with a `kind` (the shared helper's own parameter is named kind)."""
    return httpx.post(
        f"{base}/api/boards/{bid}/commands",
        json={"type": "voting.start", "kind": "estimate", **args},
        headers={"Authorization": f"Bearer {token}"},
    )


def _results(client: YClient) -> dict[str, Any]:
    return client.doc.get("results", type=Map).to_py() or {}


async def test_estimate_round_life_cycle(live_server: PlanboardProcess) -> None:
    board, ana, client = await _board_with_notes(live_server, 3)
    base, bid = live_server.url, board["id"]
    bo = join_board(base, bid, "Bo")
    est = lambda tok, note, value: command(base, bid, tok, "estimate", note_id=note, value=value)  # noqa: E731
    assert est(ana["token"], "n0", 5).json()["error"]["code"] == "voting_closed"
    assert (
        start_round(
            base,
            bid,
            ana["token"],
        ).status_code
        == 403
    )
    bad = start_round(base, bid, board["token"], scale="dice")
    assert bad.status_code == 422
    bad = start_round(base, bid, board["token"], scale=["1", "1"])
    assert bad.status_code == 422
    assert start_round(base, bid, board["token"], kind="poll").status_code == 422
    r = start_round(base, bid, board["token"], scale="fibonacci")
    assert r.status_code == 200, r.text
    voting = r.json()["voting"]
    assert voting["kind"] == "estimate" and voting["scale"][:5] == ["0", "1", "2", "3", "5"]
    # Off the scale: 422; dot votes do not belong to this round.
    r = est(ana["token"], "n0", 4)
    assert r.status_code == 422 and r.json()["error"]["code"] == "off_scale"
    assert est(ana["token"], "n0", "huge").status_code == 422
    assert est(ana["token"], "n0", True).status_code == 422
    assert command(base, bid, ana["token"], "vote", note_id="n0").json()["error"]["code"] == (
        "wrong_kind"
    )
    assert est(ana["token"], "missing", 5).status_code == 404
    # One card per member per note, changeable: the last one counts.
    assert est(ana["token"], "n0", 3).status_code == 200
    r = est(ana["token"], "n0", "13")
    assert r.status_code == 200 and r.json()["mine"] == {"n0": "13"}
    assert est(bo["token"], "n0", 3.0).status_code == 200
    assert est(bo["token"], "n1", 5).status_code == 200
    assert est(ana["token"], "n1", 8).status_code == 200
    assert est(ana["token"], "n2", "?").status_code == 200
    assert est(ana["token"], "n2", None).json()["mine"] == {"n0": "13", "n1": "8"}
    mine = my_votes(live_server, bid, ana["token"])
    assert mine["kind"] == "estimate" and mine["estimates"] == {"n0": "13", "n1": "8"}
    assert my_votes(live_server, bid, bo["token"])["estimates"] == {"n0": "3", "n1": "5"}
    # Close: later cards are refused; reveal writes distribution, median and spread.
    assert command(base, bid, board["token"], "voting.close").status_code == 200
    assert est(ana["token"], "n0", 1).json()["error"]["code"] == "voting_closed"
    r = command(base, bid, board["token"], "voting.reveal")
    assert r.status_code == 200, r.text
    n0 = r.json()["estimates"]["n0"]
    assert n0["distribution"] == {"3": 1, "13": 1} and n0["median"] == "13"
    assert n0["discuss"] == "discuss: 3 to 13"
    n1 = r.json()["estimates"]["n1"]
    assert n1["median"] == "8" and n1["discuss"] is None
    await wait_for(lambda: "1" in _results(client))
    stored = _results(client)["1"]
    assert stored["n0"]["distribution"] == {"3": 1.0, "13": 1.0}
    assert stored["n1"]["median"] == "8" and "n2" not in stored
    # The facilitator records the agreed value on the note; off-scale is 422, members 403.
    agree = lambda tok, value: command(base, bid, tok, "estimate.agree", note_id="n0", value=value)  # noqa: E731
    assert agree(ana["token"], 8).status_code == 403
    assert agree(board["token"], 9).status_code == 422
    assert agree(board["token"], 8).status_code == 200
    notes = client.doc.get("notes", type=Map)
    await wait_for(lambda: notes["n0"].get("estimate") == "8")
    # The note stays an ordinary note for its author: moving and editing it still land.
    notes["n0"]["x"] = 321.0
    notes["n0"]["text"].insert(0, "sized: ")
    watcher = await YClient(f"{live_server.ws_url}/ws/{bid}?token={bo['token']}").connect()
    watched = watcher.doc.get("notes", type=Map)
    await wait_for(
        lambda: watched["n0"]["x"] == 321.0 and str(watched["n0"]["text"]) == "sized: idea 0"
    )
    assert watched["n0"]["estimate"] == "8"
    await watcher.close()
    # A client cannot write the agreed value itself: the guard undoes it.
    notes["n1"]["estimate"] = "1"
    probe = await YClient(f"{live_server.ws_url}/ws/{bid}?token={board['token']}").connect()
    await wait_for(lambda: "estimate" not in client.doc.get("notes", type=Map)["n1"])
    assert "estimate" not in probe.doc.get("notes", type=Map)["n1"]
    # Exports carry the agreed estimate and the round.
    headers = {"Authorization": f"Bearer {bo['token']}"}
    data = httpx.get(f"{base}/api/boards/{bid}/export?format=json", headers=headers).json()
    rows = {row["note_id"]: row for row in data["estimation_rounds"][0]["notes"]}
    assert rows["n0"]["agreed"] == "8" and rows["n0"]["discuss"] == "discuss: 3 to 13"
    every_note = data["unassigned_notes"] + [n for i in data["agenda"] for n in i["notes"]]
    assert {n["id"]: n["estimate"] for n in every_note}["n0"] == "8"
    assert data["voting_rounds"] == []
    md = httpx.get(f"{base}/api/boards/{bid}/export?format=md", headers=headers).text
    assert "Estimation round 1" in md and "estimate 8" in md and "discuss: 3 to 13" in md
    await probe.close()
    await client.close()


async def test_custom_scale_scope_and_notes_list(live_server: PlanboardProcess) -> None:
    board, ana, client = await _board_with_notes(live_server, 3)
    base, bid = live_server.url, board["id"]
    r = start_round(base, bid, board["token"], scale=["S", "M", 13], notes=["n1"])
    assert r.status_code == 200 and r.json()["voting"]["scale"] == ["S", "M", "13"]
    r = command(base, bid, ana["token"], "estimate", note_id="n0", value="S")
    assert r.status_code == 409 and r.json()["error"]["code"] == "out_of_scope"
    assert command(base, bid, ana["token"], "estimate", note_id="n1", value=13).status_code == 200
    session = client.doc.get("session", type=Map)
    await wait_for(lambda: session["voting"]["done"] == 1)  # Ana estimated every note
    bad = start_round(base, bid, board["token"], notes=["zz"])
    assert bad.status_code == 409  # a round is open
    command(base, bid, board["token"], "voting.reveal")
    bad = start_round(base, bid, board["token"], notes=["zz"])
    assert bad.status_code == 404
    await client.close()


async def test_secret_until_reveal_down_to_the_frames(live_server: PlanboardProcess) -> None:
    board, ana, client = await _board_with_notes(live_server, 2)
    base, bid = live_server.url, board["id"]
    bo = join_board(base, bid, "Bo")
    spy = await YClient(f"{live_server.ws_url}/ws/{bid}?token={bo['token']}").connect()
    scale = ["tiny", "large", "zebra-sized"]
    start_round(base, bid, board["token"], scale=scale)
    # A card that is not on the public scale cannot leak: use a ballot value that the
    # scale shows, and check that no summary, no per-member ballot and no count appears.
    for note in ("n0", "n1"):
        r = command(base, bid, ana["token"], "estimate", note_id=note, value="zebra-sized")
        assert r.status_code == 200
    await wait_for(lambda: (spy.doc.get("session", type=Map).to_py() or {})["voting"]["done"] == 1)
    replay: Doc[Any] = Doc()
    for update in spy.updates_received():
        replay.apply_update(update)
    assert (replay.get("results", type=Map).to_py() or {}) == {}
    voting = (replay.get("session", type=Map).to_py() or {})["voting"]
    assert set(voting) == {
        "round",
        "status",
        "kind",
        "scale_name",
        "scale",
        "notes",
        "budget",
        "max_per_note",
        "secret",
        "scope",
        "done",
    }
    assert ana["participant_id"].encode() not in b"".join(
        f for f in spy.received if b"zebra" in f and b"scale" not in f
    )
    for frame in spy.received:
        assert b"distribution" not in frame and b"median" not in frame
    mine = my_votes(live_server, bid, bo["token"])
    assert mine["estimates"] == {}
    summary = httpx.get(
        f"{base}/api/boards/{bid}", headers={"Authorization": f"Bearer {bo['token']}"}
    ).json()
    assert "results" not in summary and summary["voting"]["done"] == 1
    command(base, bid, board["token"], "voting.reveal")
    await wait_for(lambda: "1" in (spy.doc.get("results", type=Map).to_py() or {}))
    assert spy.doc.get("results", type=Map).to_py()["1"]["n0"]["median"] == "zebra-sized"
    await spy.close()
    await client.close()


async def test_concurrent_cards_keep_one_per_member_per_note(live_server: PlanboardProcess) -> None:
    board, ana, client = await _board_with_notes(live_server, 2)
    base, bid = live_server.url, board["id"]
    start_round(base, bid, board["token"], scale="powers")
    cards = ["1", "2", "4", "8", "16"]
    async with httpx.AsyncClient(timeout=30) as http:
        responses = await asyncio.gather(
            *(
                http.post(
                    f"{base}/api/boards/{bid}/commands",
                    json={"type": "estimate", "note_id": f"n{i % 2}", "value": cards[i % 5]},
                    headers={"Authorization": f"Bearer {ana['token']}"},
                )
                for i in range(40)
            )
        )
    assert all(r.status_code == 200 for r in responses)
    r = command(base, bid, board["token"], "voting.reveal").json()
    for note in ("n0", "n1"):
        assert r["estimates"][note]["count"] == 1
    await client.close()


async def test_create_board_then_estimate_without_notes_round(
    live_server: PlanboardProcess,
) -> None:
    """Agreeing without any estimation round takes any short card; clearing removes it."""
    board = create_board(live_server.url)
    ana = join_board(live_server.url, board["id"], "Ana")
    client = await YClient(f"{live_server.ws_url}/ws/{board['id']}?token={ana['token']}").connect()

    add_note(client.doc, "solo", ana["participant_id"], "solo")
    base, bid = live_server.url, board["id"]
    await wait_for(
        lambda: (
            command(
                base, bid, board["token"], "estimate.agree", note_id="solo", value="3d"
            ).status_code
            == 200
        )
    )
    notes = client.doc.get("notes", type=Map)
    await wait_for(lambda: notes["solo"].get("estimate") == "3d")
    r = command(base, bid, board["token"], "estimate.agree", note_id="solo", value=None)
    assert r.status_code == 200
    await wait_for(lambda: "estimate" not in notes["solo"])
    await client.close()
