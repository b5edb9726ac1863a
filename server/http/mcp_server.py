"""`/mcp`: the board as a Model Context Protocol server (streamable HTTP, official `mcp` SDK).

An assistant connects with a board token (`Authorization: Bearer …`, 401 without a valid one)
and acts as that token's participant. Every tool runs through commands_api.execute_command,
the path of `POST /api/boards/{id}/commands`: the same roster-based role checks, state checks,
audit log and webhook events; a participant token cannot do what a participant cannot do in
the UI. Stateless mode with JSON responses: each request stands alone, so any instance behind
a load balancer can answer it.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.server.transport_security import TransportSecuritySettings
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.types import Receive, Scope, Send

from crdt.errors import ApiError
from server.auth import Claims, TokenError, verify_token
from server.http.commands_api import execute_command
from server.http.errors import error_response
from server.http.export_api import export_board, render
from server.services import Services

CLAIMS_KEY = "planboard.claims"
PATH = "/mcp"

INSTRUCTIONS = (
    "A planboard planning board. read_board shows the board as its members see it (secret"
    " ballots and drafts are never visible before their reveal). Write tools act as the token's"
    " participant; facilitator tools need a facilitator token."
)


def _claims(ctx: Context[Any, Any]) -> Claims:
    request = ctx.request_context.request
    claims = request.scope.get(CLAIMS_KEY) if isinstance(request, Request) else None
    if not isinstance(claims, Claims):  # the endpoint authenticates before the SDK runs
        raise ToolError("Not authenticated.")
    return claims


def build_mcp(services: Services) -> MCPServer[Any]:
    """The MCP server with planboard's tools and the export resource."""
    mcp: MCPServer[Any] = MCPServer(name="planboard", instructions=INSTRUCTIONS)

    async def command(ctx: Context[Any, Any], body: dict[str, Any]) -> dict[str, Any]:
        claims = _claims(ctx)
        try:
            result = await execute_command(services, claims.board_id, claims, body)
        except ApiError as exc:
            raise ToolError(f"{exc.status} {exc.code}: {exc.message}") from exc
        return {"ok": True, **result}

    async def export(ctx: Context[Any, Any], fmt: str) -> str:
        claims = _claims(ctx)
        if await services.store.get_board(claims.board_id) is None:
            raise ToolError("404 board_not_found: No such board.")
        async with services.rooms.using(claims.board_id) as room:
            data = await export_board(services.store, claims.board_id, room.doc)
        return render(data, fmt)

    @mcp.tool(
        description="Read the board: title, objective, agenda with the current item, groups"
        " and notes, revealed voting and estimation results, decisions and action items."
    )
    async def read_board(ctx: Context[Any, Any]) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(await export(ctx, "json"))
        data.pop("audit", None)
        return data

    @mcp.tool(
        description="Add a sticky note as the token's participant (not while the board is"
        " locked, unless facilitator). `item` is an agenda item id (default: the current"
        " one); color: yellow, orange, pink, purple, blue, green or gray."
    )
    async def add_note(
        ctx: Context[Any, Any], text: str, color: str = "yellow", item: str | None = None
    ) -> dict[str, Any]:
        body: dict[str, Any] = {"type": "note.add", "text": text, "color": color}
        if item is not None:
            body["item"] = item
        return await command(ctx, body)

    @mcp.tool(description="Add an action item. `owner` is a participant id, `due` YYYY-MM-DD.")
    async def add_action(
        ctx: Context[Any, Any], text: str, owner: str | None = None, due: str | None = None
    ) -> dict[str, Any]:
        return await command(ctx, {"type": "action.add", "text": text, "owner": owner, "due": due})

    @mcp.tool(
        description="Record a decision (facilitator), with its rationale and the note ids"
        " that are its evidence."
    )
    async def record_decision(
        ctx: Context[Any, Any],
        text: str,
        rationale: str = "",
        notes: list[str] | None = None,
        round: int | None = None,
    ) -> dict[str, Any]:
        body = {"type": "decision.record", "text": text, "rationale": rationale}
        return await command(ctx, {**body, "notes": notes or [], "round": round})

    @mcp.tool(
        description="Start a voting round (facilitator): kind 'dots' (budget dots per"
        " member, max_per_note, secret) or 'estimate' (scale: fibonacci, tshirt, powers)."
    )
    async def start_voting(
        ctx: Context[Any, Any],
        kind: str = "dots",
        budget: int = 5,
        max_per_note: int | None = None,
        secret: bool = True,
        scale: str = "fibonacci",
    ) -> dict[str, Any]:
        body: dict[str, Any] = {"type": "voting.start", "kind": kind}
        if kind == "estimate":
            body["scale"] = scale
        else:
            body.update(budget=budget, secret=secret)
            if max_per_note is not None:
                body["max_per_note"] = max_per_note
        return await command(ctx, body)

    @mcp.tool(description="Close the open voting round (facilitator).")
    async def close_voting(ctx: Context[Any, Any]) -> dict[str, Any]:
        return await command(ctx, {"type": "voting.close"})

    @mcp.tool(
        description="Reveal the voting round (facilitator): the ranking, or per note the"
        " distribution and median of an estimation round."
    )
    async def reveal_voting(ctx: Context[Any, Any]) -> dict[str, Any]:
        return await command(ctx, {"type": "voting.reveal"})

    @mcp.tool(description="Move the agenda to the next item (facilitator), starting its timebox.")
    async def advance_agenda(ctx: Context[Any, Any]) -> dict[str, Any]:
        return await command(ctx, {"type": "agenda.next"})

    @mcp.tool(description="Export the session's outcomes: format 'md' (Markdown) or 'json'.")
    async def export_board_outcomes(ctx: Context[Any, Any], format: str = "md") -> str:
        if format not in ("md", "json"):
            raise ToolError("422 invalid: `format` must be md or json.")
        return await export(ctx, format)

    @mcp.resource(
        "planboard://boards/{board_id}/export.md",
        name="export",
        description="The session's outcomes as Markdown (the token's board).",
        mime_type="text/markdown",
    )
    async def export_resource(board_id: str, ctx: Context[Any, Any]) -> str:
        if board_id != _claims(ctx).board_id:
            raise ToolError("403 wrong_board: This token is for another board.")
        return await export(ctx, "md")

    return mcp


class McpEndpoint:
    """ASGI endpoint of `/mcp`: authenticates the Bearer token, then hands over to the SDK."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self.mcp = build_mcp(services)
        # No DNS-rebinding check of the SDK: a token is needed, and Origins are not cookies.
        self.app: Starlette = self.mcp.streamable_http_app(
            streamable_http_path=PATH,
            stateless_http=True,
            json_response=True,
            transport_security=TransportSecuritySettings(enable_dns_rebinding_protection=False),
        )

    @asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """The SDK's session manager must run for the app's lifetime (the app's lifespan)."""
        async with self.app.router.lifespan_context(self.app):
            yield

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            error = ApiError(401, "unauthorized", "Send `Authorization: Bearer <board token>`.")
            await self._refuse(error, scope, receive, send)
            return
        try:
            claims = verify_token(self.services.settings.secret or "", token.strip())
        except TokenError as exc:
            await self._refuse(
                ApiError(401, "invalid_token", f"Token refused: {exc}."), scope, receive, send
            )
            return
        scope[CLAIMS_KEY] = claims
        await self.app(scope, receive, send)

    @staticmethod
    async def _refuse(error: ApiError, scope: Scope, receive: Receive, send: Send) -> None:
        response = error_response(error.status, error.code, error.message)
        response.headers["www-authenticate"] = 'Bearer realm="planboard"'
        await response(scope, receive, send)
