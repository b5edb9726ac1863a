"""The JSON API against a real server: shapes, statuses and errors of the design."""

from __future__ import annotations

from typing import Any

import httpx

from tests.boards import add_note, note_texts
from tests.helpers import create_board, join_board
from tests.servers import PlanboardProcess
from tests.yclient import YClient, wait_for


def test_create_board_and_read_it(live_server: PlanboardProcess) -> None:
    board = create_board(live_server.url, template="kickoff", name="Fay")
    assert board["role"] == "facilitator"
    assert len(board["id"]) >= 22
    assert board["board_url"].endswith(f"/b/{board['id']}")
    assert board["join_url"].endswith(f"/b/{board['id']}/join")
    r = httpx.get(
        f"{live_server.url}/api/boards/{board['id']}",
        headers={"Authorization": f"Bearer {board['token']}"},
    )
    assert r.status_code == 200
    summary = r.json()
    assert summary["title"] == "Test board"
    assert summary["template"] == "kickoff"
    assert len(summary["agenda"]) >= 3
    assert [p["name"] for p in summary["participants"]] == ["Fay"]
    assert summary["participants"][0]["role"] == "facilitator"
    assert "x-server-time" in r.headers


def test_join_as_participant_and_roles(live_server: PlanboardProcess) -> None:
    board = create_board(live_server.url)
    ana = join_board(live_server.url, board["id"], "Ana")
    assert ana["role"] == "participant"
    # A viewer needs a facilitator's token; a participant's is not enough.
    url = f"{live_server.url}/api/boards/{board['id']}/participants"
    assert httpx.post(url, json={"name": "V", "role": "viewer"}).status_code == 401
    r = httpx.post(
        url,
        json={"name": "V", "role": "viewer"},
        headers={"Authorization": f"Bearer {ana['token']}"},
    )
    assert r.status_code == 403
    assert r.json()["error"]["code"] == "forbidden"
    r = httpx.post(
        url,
        json={"name": "V", "role": "viewer"},
        headers={"Authorization": f"Bearer {board['token']}"},
    )
    assert r.status_code == 201
    assert r.json()["role"] == "viewer"


def test_errors_have_the_error_shape(live_server: PlanboardProcess) -> None:
    base = live_server.url
    board = create_board(base)
    other = create_board(base)
    cases = [
        (httpx.post(f"{base}/api/boards", content=b"{not json"), 400, "bad_json"),
        (httpx.post(f"{base}/api/boards", json=[1, 2]), 422, "invalid"),
        (httpx.post(f"{base}/api/boards", json={"title": 5}), 422, "invalid"),
        (httpx.post(f"{base}/api/boards", json={"template": "nope"}), 422, "unknown_template"),
        (httpx.post(f"{base}/api/boards", content=b"x" * 200_000), 413, "too_large"),
        (httpx.get(f"{base}/api/boards/{board['id']}"), 401, "unauthorized"),
        (
            httpx.get(
                f"{base}/api/boards/{board['id']}",
                headers={"Authorization": "Bearer forged.token.here"},
            ),
            401,
            "invalid_token",
        ),
        (
            httpx.get(
                f"{base}/api/boards/{board['id']}",
                headers={"Authorization": f"Bearer {other['token']}"},
            ),
            403,
            "wrong_board",
        ),
        (
            httpx.post(
                f"{base}/api/boards/AAAAAAAAAAAAAAAAAAAAAA/participants", json={"name": "x"}
            ),
            404,
            "board_not_found",
        ),
        (httpx.post(f"{base}/api/boards/bad!id/participants", json={"name": "x"}), 404, None),
        (httpx.post(f"{base}/api/boards/{board['id']}/participants", json={}), 422, "invalid"),
        (httpx.get(f"{base}/api/nothing-here"), 404, "not_found"),
    ]
    for response, status, code in cases:
        assert response.status_code == status, (response.request.url, response.text)
        body = response.json()
        assert set(body) == {"error"}
        assert isinstance(body["error"]["message"], str)
        if code:
            assert body["error"]["code"] == code


def test_health_ready_and_metrics(live_server: PlanboardProcess) -> None:
    assert httpx.get(f"{live_server.url}/healthz").json() == {"status": "ok"}
    assert httpx.get(f"{live_server.url}/readyz").status_code == 200
    text = httpx.get(f"{live_server.url}/metrics").text
    for name in ("planboard_connections", "planboard_rooms_loaded", "planboard_store_seconds"):
        assert name in text


def test_the_server_runs_the_compiled_guard_unless_told_not_to(server_factory: Any) -> None:
    compiled = server_factory()
    text = httpx.get(f"{compiled.url}/metrics").text
    assert _metric(text, "planboard_guard_compiled") == 1.0, "build/native: run `make native`"
    pure = server_factory(env={"PLANBOARD_PURE_PYTHON": "1"})
    assert _metric(httpx.get(f"{pure.url}/metrics").text, "planboard_guard_compiled") == 0.0


def test_every_template_seeds_its_agenda(live_server: PlanboardProcess) -> None:
    catalogue = httpx.get(f"{live_server.url}/api/templates").json()
    ids = [t["id"] for t in catalogue["templates"]]
    assert ids == ["quarterly", "prioritization", "kickoff", "problem-solving", "blank"]
    kickoff = next(t for t in catalogue["templates"] if t["id"] == "kickoff")
    titles = " ".join(i["title"].lower() for i in kickoff["agenda"])
    for topic in ("goals", "scope", "roles", "risks", "next steps"):
        assert topic in titles
    for template in catalogue["templates"]:
        board = httpx.post(
            f"{live_server.url}/api/boards", json={"template": template["id"]}
        ).json()
        summary = httpx.get(
            f"{live_server.url}/api/boards/{board['id']}",
            headers={"Authorization": f"Bearer {board['token']}"},
        ).json()
        assert summary["template"] == template["id"]
        assert summary["title"] == template["title"]
        assert [i["id"] for i in summary["agenda"]] == [i["id"] for i in template["agenda"]]
        assert all(i["minutes"] > 0 for i in summary["agenda"])
        assert summary["current_item"] == template["agenda"][0]["id"]


def _metric(text: str, name: str) -> float:
    """The value of one sample line of the Prometheus text format (0 when it is absent)."""
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[-1])
    return 0.0


async def test_websocket_traffic_is_counted(server_factory: Any) -> None:
    server = server_factory()  # a server of its own: no other test's traffic in the counters
    board = create_board(server.url)
    before = httpx.get(f"{server.url}/metrics").text
    a = await YClient(f"{server.ws_url}/ws/{board['id']}?token={board['token']}").connect()
    b = await YClient(f"{server.ws_url}/ws/{board['id']}?token={board['token']}").connect()
    add_note(a.doc, "n1", board["participant_id"], "counted")
    await wait_for(lambda: "n1" in note_texts(b.doc), what="the note at b")
    text = httpx.get(f"{server.url}/metrics").text
    kinds = ("SyncStep1", "SyncStep2", "SyncUpdate")
    received = {k: _metric(text, f'planboard_messages_in_total{{kind="{k}"}}') for k in kinds}
    assert received["SyncStep1"] >= 2 and received["SyncUpdate"] >= 1, received
    assert _metric(text, "planboard_bytes_in_total") > _metric(before, "planboard_bytes_in_total")
    assert _metric(text, "planboard_messages_out_total") >= 1  # broadcasts: the note to b
    assert _metric(text, "planboard_bytes_out_total") > 0
    for client in (a, b):
        await client.close()
