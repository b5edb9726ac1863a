"""Export of a whole session (notes, groups, revealed votes, decisions, actions) in every format,
through the API and through the CLI reading the store directly."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import time
from pathlib import Path
from typing import Any

import httpx
import jsonschema
from pycrdt import Array, Map, Text

from tests.boards import add_note
from tests.helpers import command, create_board, join_board
from tests.servers import VENV_BIN, PlanboardProcess
from tests.yclient import YClient, wait_for

SCHEMA = json.loads((Path(__file__).parents[2] / "docs" / "export-schema.json").read_text())


def export(server: PlanboardProcess, board: dict[str, Any], **params: str) -> httpx.Response:
    r = httpx.get(
        f"{server.url}/api/boards/{board['id']}/export",
        params=params,
        headers={"Authorization": f"Bearer {board['token']}"},
    )
    assert r.status_code == 200, r.text
    return r


async def _build_session(server: PlanboardProcess) -> tuple[dict[str, Any], dict[str, Any]]:
    board = create_board(server.url, template="prioritization", objective="Pick the top 3")
    base, bid = server.url, board["id"]
    ana = join_board(base, bid, "Ana")
    fac = await YClient(f"{server.ws_url}/ws/{bid}?token={board['token']}").connect()
    client = await YClient(f"{server.ws_url}/ws/{bid}?token={ana['token']}").connect()
    items = [i["id"] for i in fac.doc.get("agenda", type=Array).to_py() or []]
    groups = client.doc.get("groups", type=Map)
    groups["g1"] = Map(
        {"title": "Quick wins", "x": 0.0, "y": 0.0, "w": 400.0, "h": 300.0, "color": "blue"}
    )
    for i, text in enumerate(["Faster CI", "Fix onboarding <script>x</script>", "=cmd|calc"]):
        add_note(client.doc, f"n{i}", ana["participant_id"], text)
        note = client.doc.get("notes", type=Map)[f"n{i}"]
        note["item"] = items[0]
        if i < 2:
            note["group"] = "g1"
    actions = client.doc.get("actions", type=Map)
    actions["a1"] = Map(
        {
            "text": Text("Write the CI plan"),
            "owner": ana["participant_id"],
            "due": "2026-12-15",
            "status": "open",
            "note": "n0",
            "item": items[0],
            "created_at": time.time() * 1000,
        }
    )
    actions["a2"] = Map(
        {
            "text": Text("Someone should look at logs"),
            "owner": None,
            "due": None,
            "status": "open",
            "note": None,
            "item": None,
            "created_at": time.time() * 1000 + 1,
        }
    )
    await wait_for(
        lambda: (
            len(fac.doc.get("notes", type=Map)) == 3 and len(fac.doc.get("actions", type=Map)) == 2
        )
    )
    # Round 1: secret, revealed. Round 2: secret, never revealed.
    command(base, bid, board["token"], "voting.start", budget=3)
    for note in ("n0", "n0", "n1"):
        assert command(base, bid, ana["token"], "vote", note_id=note).status_code == 200
    assert command(base, bid, board["token"], "vote", note_id="n1").status_code == 200
    assert command(base, bid, board["token"], "voting.reveal").status_code == 200
    command(base, bid, board["token"], "voting.start", budget=1)
    assert command(base, bid, ana["token"], "vote", note_id="n2").status_code == 200
    decisions = fac.doc.get("decisions", type=Map)
    decisions["d1"] = Map(
        {
            "text": "Invest in CI first",
            "item": items[0],
            "created_at": time.time() * 1000,
            "rationale": "Most votes in round 1",
            "notes": ["n0"],
            "round": 1,
        }
    )
    command(base, bid, board["token"], "lock")
    await wait_for(lambda: len(client.doc.get("decisions", type=Map)) == 1)
    await fac.close()
    await client.close()
    return board, ana


async def test_export_in_every_format(live_server: PlanboardProcess) -> None:
    board, ana = await _build_session(live_server)
    data = export(live_server, board, format="json").json()
    jsonschema.validate(data, SCHEMA)
    assert data["board"]["objective"] == "Pick the top 3"
    assert [p["name"] for p in data["participants"]] == ["Ana", "Facilitator"]
    first = data["agenda"][0]
    assert [n["id"] for n in first["notes"]][:2] == ["n0", "n1"]
    assert first["notes"][0]["group_title"] == "Quick wins"
    assert [r["round"] for r in data["voting_rounds"]] == [1]  # round 2 is secret and unrevealed
    ranking = data["voting_rounds"][0]["ranking"]
    assert [(r["note_id"], r["votes"], r["rank"]) for r in ranking] == [("n0", 2, 1), ("n1", 2, 1)]
    assert data["decisions"][0]["evidence"] == [{"note_id": "n0", "text": "Faster CI", "votes": 2}]
    a1, a2 = data["actions"]
    assert a1["owner_name"] == "Ana" and a1["actionable"] is True
    assert a2["actionable"] is False and a2["warnings"] == ["no owner", "no due date"]
    assert {e["type"] for e in data["audit"]} >= {"voting.start", "voting.reveal", "lock"}
    assert not any(e["type"] == "vote" for e in data["audit"])

    md = export(live_server, board, format="md").text
    for heading in (
        "# ",
        "## Participants",
        "## Agenda and notes",
        "## Voting results",
        "## Decisions",
        "## Action items",
    ):
        assert heading in md
    assert "| 1 | Faster CI | 2 |" in md
    assert "<script>" not in md and "&lt;script&gt;" in md
    assert "not yet actionable" in md
    assert "Round 2" not in md

    rows = list(csv.DictReader(io.StringIO(export(live_server, board, format="csv").text)))
    assert [r["id"] for r in rows] == ["a1", "a2"]
    assert rows[0]["owner_name"] == "Ana" and rows[0]["due"] == "2026-12-15"
    results = list(
        csv.DictReader(io.StringIO(export(live_server, board, format="csv", table="results").text))
    )
    assert [(r["round"], r["note_id"], r["votes"]) for r in results] == [
        ("1", "n0", "2"),
        ("1", "n1", "2"),
    ]
    formula = export(live_server, board, format="csv", table="results", round="1").text
    assert "=cmd" not in formula.replace("'=cmd", "")

    bad = httpx.get(
        f"{live_server.url}/api/boards/{board['id']}/export",
        params={"format": "pdf"},
        headers={"Authorization": f"Bearer {ana['token']}"},
    )
    assert bad.status_code == 422


async def test_cli_export_equals_http_export(live_server: PlanboardProcess) -> None:
    board, _ = await _build_session(live_server)
    http_md = export(live_server, board, format="md").text
    http_json = export(live_server, board, format="json").json()
    run = lambda *a: subprocess.run(  # noqa: E731
        [str(VENV_BIN / "planboard"), *a, "--data", str(live_server.data_dir)],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert run("export", board["id"], "--format", "md").stdout == http_md
    cli_json = json.loads(run("export", board["id"], "--format", "json").stdout)
    cli_json.pop("generated_at")
    http_json.pop("generated_at")
    assert cli_json == http_json
    listing = run("boards").stdout
    assert board["id"] in listing and "Test board" in listing


async def test_follow_up_board_reviews_open_actions(live_server: PlanboardProcess) -> None:
    board, ana = await _build_session(live_server)
    base = live_server.url
    r = httpx.post(f"{base}/api/boards", json={"title": "Next", "follow_up_of": board["id"]})
    assert r.status_code == 401
    r = httpx.post(
        f"{base}/api/boards",
        json={"title": "Next", "follow_up_of": board["id"]},
        headers={"Authorization": f"Bearer {ana['token']}"},
    )
    assert r.status_code == 403
    r = httpx.post(
        f"{base}/api/boards",
        json={"title": "Next", "follow_up_of": board["id"]},
        headers={"Authorization": f"Bearer {board['token']}"},
    )
    assert r.status_code == 201
    later = r.json()
    data = export(live_server, later, format="json").json()
    assert data["board"]["follow_up_of"] == board["id"]
    review = data["agenda"][0]
    assert review["title"] == "Review last session's actions" and review["current"]
    assert sorted(a["text"] for a in data["actions"]) == [
        "Someone should look at logs",
        "Write the CI plan",
    ]
    assert all(a["item"] == review["id"] for a in data["actions"])
    earlier = export(live_server, board, format="json").json()
    assert earlier["board"]["follow_ups"] == [later["id"]]
    # The actions' status can be updated on the new board.
    client = await YClient(
        f"{live_server.ws_url}/ws/{later['id']}?token={later['token']}"
    ).connect()
    client.doc.get("actions", type=Map)["a1"]["status"] = "done"
    await wait_for(
        lambda: (
            export(live_server, later, format="json").json()["actions"][1]["status"] == "done"
            or export(live_server, later, format="json").json()["actions"][0]["status"] == "done"
        )
    )
    await client.close()
