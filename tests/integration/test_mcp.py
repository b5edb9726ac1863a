"""`/mcp` with the official SDK's own client against a running server: tools, a session, roles."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.exceptions import MCPError

from tests.helpers import command, create_board, join_board
from tests.servers import PlanboardProcess

TOOLS = {
    "read_board",
    "add_note",
    "add_action",
    "record_decision",
    "start_voting",
    "close_voting",
    "reveal_voting",
    "advance_agenda",
    "export_board_outcomes",
}


@asynccontextmanager
async def mcp_client(server: PlanboardProcess, token: str) -> AsyncIterator[Client]:
    http = httpx2.AsyncClient(headers={"Authorization": f"Bearer {token}"}, timeout=30)
    async with http, Client(streamable_http_client(f"{server.url}/mcp", http_client=http)) as c:
        yield c


def structured(result: Any) -> dict[str, Any]:
    assert not result.is_error, result.content
    data = result.structured_content
    if data is None:
        data = json.loads(result.content[0].text)
    if set(data) == {"result"}:
        data = data["result"]
    assert isinstance(data, dict)
    return data


def text(result: Any) -> str:
    assert not result.is_error, result.content
    value: str = result.content[0].text
    return value


async def test_a_session_end_to_end_through_mcp(live_server: PlanboardProcess) -> None:
    board = create_board(live_server.url, title="Backlog triage", template="prioritization")
    ana = join_board(live_server.url, board["id"], "Ana")
    bo = join_board(live_server.url, board["id"], "Bo")
    async with mcp_client(live_server, board["token"]) as fac:
        tools = await fac.list_tools()
        assert {t.name for t in tools.tools} == TOOLS
        data = structured(await fac.call_tool("read_board"))
        assert data["board"]["title"] == "Backlog triage"
        assert data["agenda"][0]["current"] is True
    # Participants add notes through MCP (as themselves) ...
    note_ids = []
    for member, idea in ((ana, "Faster CI"), (bo, "Fix onboarding"), (ana, "Flaky tests")):
        async with mcp_client(live_server, member["token"]) as client:
            result = structured(await client.call_tool("add_note", {"text": idea}))
            note_ids.append(result["note_id"])
    async with mcp_client(live_server, board["token"]) as fac:
        data = structured(await fac.call_tool("read_board"))
        notes = {n["id"]: n for n in data["agenda"][0]["notes"]}
        assert notes[note_ids[0]]["author_name"] == "Ana"
        assert notes[note_ids[1]]["author_name"] == "Bo"
        structured(await fac.call_tool("start_voting", {"budget": 2}))
        # ... and vote through the HTTP API; nothing of the secret round shows before reveal.
        for member, note in ((ana, note_ids[0]), (bo, note_ids[0]), (bo, note_ids[1])):
            r = command(live_server.url, board["id"], member["token"], "vote", note_id=note)
            assert r.status_code == 200, r.text
        assert structured(await fac.call_tool("read_board"))["voting_rounds"] == []
        revealed = structured(await fac.call_tool("reveal_voting"))
        assert [row["note_id"] for row in revealed["ranking"]] == note_ids[:2]
        decision = structured(
            await fac.call_tool(
                "record_decision",
                {"text": "CI first", "rationale": "Most votes", "notes": [note_ids[0]], "round": 1},
            )
        )
        assert decision["decision_id"]
        structured(
            await fac.call_tool(
                "add_action",
                {"text": "Write the CI plan", "owner": ana["participant_id"], "due": "2026-12-15"},
            )
        )
        structured(await fac.call_tool("advance_agenda"))
        markdown = text(await fac.call_tool("export_board_outcomes", {"format": "md"}))
        assert (
            "**CI first**" in markdown
            and "Write the CI plan (owner: Ana; due 2026-12-15)" in markdown
        )
        assert "| 1 | Faster CI | 2 |" in markdown
        templates = await fac.list_resource_templates()
        uri = "planboard://boards/{board_id}/export.md"
        assert [t.uri_template for t in templates.resource_templates] == [uri]
        read = await fac.read_resource(uri.format(board_id=board["id"]))
        assert "CI first" in read.contents[0].text
        other = create_board(live_server.url)
        with pytest.raises(MCPError):  # the SDK reports the server's refusal as an error
            await fac.read_resource(uri.format(board_id=other["id"]))
        data = structured(await fac.call_tool("read_board"))
        assert data["agenda"][1]["current"] is True
        assert data["decisions"][0]["evidence"][0]["votes"] == 2
    # The writes went through the commands: they are in the audit log like any command.
    export = httpx.get(
        f"{live_server.url}/api/boards/{board['id']}/export?format=json",
        headers={"Authorization": f"Bearer {ana['token']}"},
    ).json()
    kinds = [entry["type"] for entry in export["audit"]]
    assert kinds.count("note.add") == 3 and "decision.record" in kinds and "agenda.next" in kinds


async def test_participant_token_is_refused_facilitator_tools(
    live_server: PlanboardProcess,
) -> None:
    board = create_board(live_server.url)
    ana = join_board(live_server.url, board["id"], "Ana")
    viewer = httpx.post(
        f"{live_server.url}/api/boards/{board['id']}/participants",
        json={"name": "Vi", "role": "viewer"},
        headers={"Authorization": f"Bearer {board['token']}"},
    ).json()
    async with mcp_client(live_server, ana["token"]) as client:
        for tool, args in (
            ("record_decision", {"text": "Mine"}),
            ("start_voting", {}),
            ("close_voting", {}),
            ("reveal_voting", {}),
            ("advance_agenda", {}),
        ):
            result = await client.call_tool(tool, args)
            assert result.is_error and "403" in result.content[0].text, (tool, result.content)
        assert structured(await client.call_tool("add_action", {"text": "Allowed"}))["action_id"]
    # A locked board: a participant cannot add notes, as in the UI; a viewer never can.
    command(live_server.url, board["id"], board["token"], "lock")
    async with mcp_client(live_server, ana["token"]) as client:
        result = await client.call_tool("add_note", {"text": "late idea"})
        assert result.is_error and "locked" in result.content[0].text
    async with mcp_client(live_server, viewer["token"]) as client:
        result = await client.call_tool("add_note", {"text": "hi"})
        assert result.is_error and "403" in result.content[0].text
        assert structured(await client.call_tool("read_board"))["board"]["id"] == board["id"]
    # A promotion takes effect at once: the roster, not the token, decides.
    command(
        live_server.url,
        board["id"],
        board["token"],
        "role.set",
        participant_id=ana["participant_id"],
        role="facilitator",
    )
    async with mcp_client(live_server, ana["token"]) as client:
        assert structured(await client.call_tool("advance_agenda"))["current_item"]


async def test_mcp_needs_a_valid_board_token(live_server: PlanboardProcess) -> None:
    url = f"{live_server.url}/mcp"
    body = {"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}}
    headers = {"accept": "application/json, text/event-stream"}
    r = httpx.post(url, json=body, headers=headers)
    assert r.status_code == 401 and r.json()["error"]["code"] == "unauthorized"
    assert r.headers["www-authenticate"].startswith("Bearer")
    r = httpx.post(url, json=body, headers={**headers, "authorization": "Bearer not-a-token"})
    assert r.status_code == 401 and r.json()["error"]["code"] == "invalid_token"
