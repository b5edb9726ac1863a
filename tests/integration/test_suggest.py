"""groups.suggest, groups.accept and notes.merge against a real server process."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
from pycrdt import Map

from tests.boards import add_note
from tests.helpers import command, create_board, join_board
from tests.servers import PlanboardProcess
from tests.themes_fixture import NOTES
from tests.yclient import YClient, wait_for

BUILTIN = {"PLANBOARD_SUGGEST_BACKEND": "builtin", "PLANBOARD_EMBEDDINGS_URL": ""}


async def _board(server: PlanboardProcess, texts: list[tuple[str, str]]) -> dict[str, Any]:
    board = create_board(server.url)
    ana = join_board(server.url, board["id"], "Ana")
    bo = join_board(server.url, board["id"], "Bo")
    writers = []
    for person in (ana, bo):
        url = f"{server.ws_url}/ws/{board['id']}?token={person['token']}"
        writers.append((person, await YClient(url).connect()))
    for i, (note_id, text) in enumerate(texts):
        person, client = writers[i % 2]
        add_note(client.doc, note_id, person["participant_id"], text, x=i * 5.0)
    probe = await YClient(f"{server.ws_url}/ws/{board['id']}?token={board['token']}").connect()
    await wait_for(lambda: len(probe.doc.get("notes", type=Map)) == len(texts))
    for _, client in writers:
        await client.close()
    return {"board": board, "ana": ana, "bo": bo, "probe": probe}


def _notes(probe: YClient) -> dict[str, Any]:
    return probe.doc.get("notes", type=Map).to_py() or {}


async def test_suggest_changes_nothing_and_is_facilitator_only(
    server_factory: Any,
) -> None:
    server = server_factory(env=BUILTIN)
    ctx = await _board(server, [(n, t) for n, t, _ in NOTES])
    board, probe = ctx["board"], ctx["probe"]
    before = probe.doc.get_state()
    r = command(server.url, board["id"], ctx["ana"]["token"], "groups.suggest")
    assert r.status_code == 403
    r = command(server.url, board["id"], board["token"], "groups.suggest")
    assert r.status_code == 200, r.text
    data = r.json()
    assert data["ok"] is True and data["backend"] == "builtin"
    assert set(data) >= {"themes", "ungrouped", "duplicates"}
    placed = [n for t in data["themes"] for n in t["note_ids"]] + data["ungrouped"]
    assert sorted(placed) == sorted(n for n, _, _ in NOTES)
    assert all(isinstance(t["title"], str) and t["title"] for t in data["themes"])
    assert any(d["score"] == 1.0 for d in data["duplicates"])
    again = command(server.url, board["id"], board["token"], "groups.suggest").json()
    assert again == data
    assert probe.doc.get_state() == before  # nothing changed on the board
    await probe.close()


def _overlap(a: dict[str, float], b: dict[str, float]) -> bool:
    return not (
        a["x"] + a["w"] <= b["x"]
        or b["x"] + b["w"] <= a["x"]
        or a["y"] + a["h"] <= b["y"]
        or b["y"] + b["h"] <= a["y"]
    )


async def test_accept_creates_groups_and_moves_notes(server_factory: Any) -> None:
    server = server_factory(env=BUILTIN)
    ctx = await _board(server, [(n, t) for n, t, _ in NOTES[:30]])
    board, probe = ctx["board"], ctx["probe"]
    base, bid, tok = server.url, board["id"], board["token"]
    themes = command(base, bid, tok, "groups.suggest").json()["themes"]
    chosen = [{"title": "Renamed: " + t["title"], "note_ids": t["note_ids"]} for t in themes[:2]]
    r = command(base, bid, ctx["ana"]["token"], "groups.accept", themes=chosen)
    assert r.status_code == 403
    bad = [{"title": "", "note_ids": chosen[0]["note_ids"]}]
    assert command(base, bid, tok, "groups.accept", themes=bad).status_code == 422
    twice = [chosen[0], {"title": "Again", "note_ids": chosen[0]["note_ids"][:1]}]
    assert command(base, bid, tok, "groups.accept", themes=twice).status_code == 422
    missing = [{"title": "X", "note_ids": ["nope"]}]
    assert command(base, bid, tok, "groups.accept", themes=missing).status_code == 404
    assert command(base, bid, tok, "groups.accept", themes="x").status_code == 422
    assert (probe.doc.get("groups", type=Map).to_py() or {}) == {}  # bad input changed nothing
    r = command(base, bid, tok, "groups.accept", themes=chosen)
    assert r.status_code == 200, r.text
    created = r.json()["groups"]
    assert [g["title"] for g in created] == [c["title"] for c in chosen]
    await wait_for(lambda: len(probe.doc.get("groups", type=Map)) == 2)
    groups = probe.doc.get("groups", type=Map).to_py() or {}
    notes = _notes(probe)
    boxes = list(groups.values())
    assert not _overlap(boxes[0], boxes[1])
    for g in created:
        box = groups[g["id"]]
        assert box["title"] == g["title"]
        cells = []
        for note_id in g["note_ids"]:
            note = notes[note_id]
            assert note["group"] == g["id"]
            cell = {"x": note["x"], "y": note["y"], "w": 200.0, "h": 140.0}
            assert box["x"] <= cell["x"] and cell["x"] + 200 <= box["x"] + box["w"]
            assert box["y"] <= cell["y"] and cell["y"] + 140 <= box["y"] + box["h"]
            assert not any(_overlap(cell, other) for other in cells)
            cells.append(cell)
    # The notes left out are not inside any new group.
    others = [n for n in notes if all(n not in g["note_ids"] for g in created)]
    for note_id in others:
        cell = {"x": notes[note_id]["x"], "y": notes[note_id]["y"], "w": 200.0, "h": 140.0}
        assert not any(_overlap(cell, box) for box in boxes)
    await probe.close()


async def test_merge_keeps_both_authors_and_combines_votes(server_factory: Any) -> None:
    server = server_factory(env=BUILTIN)
    texts = [
        ("a", "Launch self-serve onboarding flow"),
        ("b", "Launch self-serve onboarding"),
        ("c", "Annual billing plan"),
    ]
    ctx = await _board(server, texts)
    board, probe, ana, bo = ctx["board"], ctx["probe"], ctx["ana"], ctx["bo"]
    base, bid, tok = server.url, board["id"], board["token"]
    assert command(base, bid, tok, "voting.start", budget=3, secret=False).status_code == 200
    assert command(base, bid, ana["token"], "vote", note_id="a").status_code == 200
    assert command(base, bid, bo["token"], "vote", note_id="b").status_code == 200
    assert command(base, bid, bo["token"], "vote", note_id="b").status_code == 200
    assert command(base, bid, ana["token"], "vote", note_id="b").status_code == 200
    r = command(base, bid, ana["token"], "notes.merge", note_ids=["a", "b"])
    assert r.status_code == 403
    assert command(base, bid, tok, "notes.merge", note_ids=["a"]).status_code == 422
    assert command(base, bid, tok, "notes.merge", note_ids=["a", "zz"]).status_code == 404
    r = command(base, bid, tok, "notes.merge", note_ids=["a", "b"])
    assert r.status_code == 200, r.text
    assert r.json()["kept"] == "a" and r.json()["votes_moved"] == 3
    await wait_for(lambda: "b" not in _notes(probe))
    text = _notes(probe)["a"]["text"]
    assert "Launch self-serve onboarding flow" in text
    assert "+ Launch self-serve onboarding" in text
    assert "Ana" in text and "Bo" in text
    mine = httpx.get(
        f"{base}/api/boards/{bid}/votes/me", headers={"Authorization": f"Bearer {ana['token']}"}
    ).json()
    assert mine["ballots"] == {"a": 2} and mine["used"] == 2
    r = command(base, bid, tok, "voting.reveal")
    assert r.status_code == 200
    assert r.json()["ranking"][0]["note_id"] == "a"
    results = probe.doc.get("results", type=Map).to_py() or {}
    await wait_for(
        lambda: (probe.doc.get("results", type=Map).to_py() or {}).get("1", {}).get("a") == 4
    )
    assert "b" not in results.get("1", {})
    await probe.close()


class _Embeddings(BaseHTTPRequestHandler):
    """A small OpenAI-compatible /v1/embeddings: a hashed bag of words per text."""

    seen: list[dict[str, Any]] = []

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).seen.append(
            {"path": self.path, "body": body, "auth": self.headers.get("Authorization")}
        )
        if self.path != "/v1/embeddings":
            self.send_response(404)
            self.end_headers()
            return
        data = []
        for index, text in enumerate(body["input"]):
            vector = [0.0] * 64
            for word in text.lower().split():
                vector[sum(map(ord, word)) % 64] += 1.0
            data.append({"object": "embedding", "index": index, "embedding": vector})
        payload = json.dumps({"object": "list", "data": list(reversed(data))}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def embeddings_server() -> Iterator[ThreadingHTTPServer]:
    _Embeddings.seen = []
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Embeddings)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()


async def test_configured_endpoint_is_used(
    server_factory: Any, embeddings_server: ThreadingHTTPServer
) -> None:
    port = embeddings_server.server_address[1]
    server = server_factory(
        env={
            "PLANBOARD_SUGGEST_BACKEND": "auto",
            "PLANBOARD_EMBEDDINGS_URL": f"http://127.0.0.1:{port}/v1/embeddings",
            "PLANBOARD_EMBEDDINGS_MODEL": "test-model",
            "PLANBOARD_EMBEDDINGS_KEY": "k3y",
        }
    )
    texts = [("x1", "ship the beta"), ("x2", "ship the beta now"), ("x3", "hire a designer")]
    ctx = await _board(server, texts)
    r = command(server.url, ctx["board"]["id"], ctx["board"]["token"], "groups.suggest")
    assert r.status_code == 200, r.text
    assert r.json()["backend"] == "endpoint"
    assert len(_Embeddings.seen) == 1
    call = _Embeddings.seen[0]
    assert call["body"]["model"] == "test-model" and call["auth"] == "Bearer k3y"
    assert sorted(call["body"]["input"]) == sorted(t for _, t in texts)
    await ctx["probe"].close()


async def test_failing_endpoint_falls_back_to_builtin(
    server_factory: Any, embeddings_server: ThreadingHTTPServer
) -> None:
    port = embeddings_server.server_address[1]
    server = server_factory(env={"PLANBOARD_EMBEDDINGS_URL": f"http://127.0.0.1:{port}/wrong/path"})
    ctx = await _board(server, [("x1", "ship the beta"), ("x2", "ship the beta")])
    r = command(server.url, ctx["board"]["id"], ctx["board"]["token"], "groups.suggest")
    assert r.status_code == 200, r.text
    assert r.json()["backend"] == "builtin" and "endpoint" in r.json()["fallback"]
    assert r.json()["duplicates"][0]["note_ids"] == ["x1", "x2"]
    await ctx["probe"].close()


async def test_time_limit_answers_503(server_factory: Any) -> None:
    server = server_factory(env={**BUILTIN, "PLANBOARD_SUGGEST_TIMEOUT": "0.0001"})
    ctx = await _board(server, [(n, t) for n, t, _ in NOTES])
    r = command(server.url, ctx["board"]["id"], ctx["board"]["token"], "groups.suggest")
    assert r.status_code == 503, r.text
    assert r.json()["error"]["code"] == "suggest_timeout"
    # The server stays healthy and answers the next command.
    r = command(server.url, ctx["board"]["id"], ctx["board"]["token"], "lock")
    assert r.status_code == 200
    await ctx["probe"].close()
