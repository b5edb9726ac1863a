"""Exports agree with the board (issue 15, item 7): file names from the title, signed short-lived
download links, each round keeps its own secret flag, per-note votes per round, per-group totals,
and "1 vote" in Markdown."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import httpx
import jsonschema
from pycrdt import Map

from tests.boards import add_note
from tests.helpers import command, create_board, join_board
from tests.servers import PlanboardProcess
from tests.yclient import YClient, wait_for

SCHEMA = json.loads((Path(__file__).parents[2] / "docs" / "export-schema.json").read_text())


def link(server: PlanboardProcess, board_id: str, token: str, **body: Any) -> httpx.Response:
    return httpx.post(
        f"{server.url}/api/boards/{board_id}/export/link",
        json=body,
        headers={"Authorization": f"Bearer {token}"},
    )


async def test_export_links_names_and_rounds(live_server: PlanboardProcess) -> None:
    base = live_server.url
    board = create_board(base, title="Q1 Planning: Zürich & Co", template="blank")
    bid = board["id"]
    ana = join_board(base, bid, "Ana")
    client = await YClient(f"{live_server.ws_url}/ws/{bid}?token={ana['token']}").connect()
    client.doc.get("groups", type=Map)["g1"] = Map(
        {"title": "Growth", "x": 0.0, "y": 0.0, "w": 400.0, "h": 300.0, "color": "blue"}
    )
    for note_id in ("n0", "n1"):
        add_note(client.doc, note_id, ana["participant_id"], f"idea {note_id}")
    client.doc.get("notes", type=Map)["n0"]["group"] = "g1"
    fac = await YClient(f"{live_server.ws_url}/ws/{bid}?token={board['token']}").connect()
    await wait_for(lambda: len(fac.doc.get("notes", type=Map)) == 2)
    await wait_for(lambda: fac.doc.get("notes", type=Map)["n0"].get("group") == "g1")
    await fac.close()
    # round 1 secret, revealed; round 2 open, revealed
    assert command(base, bid, board["token"], "voting.start", budget=2).status_code == 200
    assert command(base, bid, ana["token"], "vote", note_id="n0").status_code == 200
    assert command(base, bid, board["token"], "voting.reveal").status_code == 200
    r2 = command(base, bid, board["token"], "voting.start", budget=2, secret=False)
    assert r2.status_code == 200
    assert command(base, bid, ana["token"], "vote", note_id="n0").status_code == 200
    assert command(base, bid, ana["token"], "vote", note_id="n1").status_code == 200
    assert command(base, bid, board["token"], "voting.reveal").status_code == 200
    await client.close()

    # a signed link: works without a bearer header (a new tab), for that export only
    made = link(live_server, bid, ana["token"], format="json")
    assert made.status_code == 200, made.text
    url = made.json()["url"]
    assert made.json()["expires_at"] > time.time() * 1000
    got = httpx.get(base + url)
    assert got.status_code == 200, got.text
    assert 'filename="planboard-q1-planning-zurich-co.json"' in got.headers["content-disposition"]
    data = got.json()
    jsonschema.validate(data, SCHEMA)
    secrets = {r["round"]: r["secret"] for r in data["voting_rounds"]}
    assert secrets == {1: True, 2: False}
    notes: dict[str, Any] = {}
    for item in data["agenda"]:
        notes.update({n["id"]: n for n in item["notes"]})
    notes.update({n["id"]: n for n in data["unassigned_notes"]})
    assert notes["n0"]["votes_by_round"] == {"1": 1, "2": 1}
    assert notes["n1"]["votes_by_round"] == {"2": 1}
    totals = data["voting_rounds"][1]["group_totals"]
    assert [(t["title"], t["votes"], t["notes"]) for t in totals] == [
        ("Growth", 1, 1),
        (None, 1, 1),
    ]
    md = httpx.get(base + link(live_server, bid, ana["token"], format="md").json()["url"]).text
    assert "1 votes" not in md
    assert "round 1: 1 vote, round 2: 1 vote" in md
    assert "| Growth | 1 | 1 |" in md

    # tampering, a link for another format, or no signature at all: 401, never the export
    tampered = httpx.get(base + url.replace("format=json", "format=md"))
    assert tampered.status_code == 401
    assert tampered.json()["error"]["code"] == "invalid_link"
    assert httpx.get(base + url[: url.index("&sig=")] + "&sig=00").status_code == 401
    expired = url.replace(f"expires={url.split('expires=')[1].split('&')[0]}", "expires=1")
    assert httpx.get(base + expired).status_code == 401
    # bad input: clear errors, not 500
    assert link(live_server, bid, ana["token"], format="pdf").status_code == 422
    assert link(live_server, bid, "nope", format="md").status_code == 401
    no_auth = httpx.post(f"{base}/api/boards/{bid}/export/link", json={"format": "md"})
    assert no_auth.status_code == 401
