"""The JSON API: boards, participants, board summary, health, readiness, metrics."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pycrdt import Doc, Map
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response

from crdt.errors import ApiError
from crdt.facilitation import role_of
from crdt.followup import add_follow_up_link, open_actions, seed_follow_up
from crdt.schema import ROLES, BoardDoc, Role
from crdt.templates import TEMPLATES, init_board
from server.auth import mint_token
from server.http.httputil import bearer_claims, board_id_of, read_json, services_of, text_field
from server.ids import is_board_id, new_board_id, new_participant_id
from server.services import Services
from server.store.base import BoardInfo


def _base_url(request: Request, services: Services) -> str:
    if services.settings.public_url:
        return services.settings.public_url.rstrip("/")
    return str(request.base_url).rstrip("/")


def _token(services: Services, board_id: str, pid: str, role: Role, name: str) -> str:
    return mint_token(
        services.settings.secret or "",
        participant_id=pid,
        board_id=board_id,
        role=role,
        name=name,
        ttl_seconds=services.settings.token_ttl_seconds,
    )


async def create_board(request: Request) -> Response:
    services = services_of(request)
    address = request.client.host if request.client else "?"
    body = await read_json(request, services.settings.max_json_body)
    template_id = text_field(body, "template", required=False, max_len=40, default="blank")
    template = TEMPLATES.get(template_id)
    if template is None:
        raise ApiError(
            422, "unknown_template", f"Unknown template; choose one of {', '.join(TEMPLATES)}."
        )
    title = text_field(body, "title", required=False, max_len=200) or template.title
    objective = text_field(body, "objective", required=False, max_len=2000) or template.objective
    name = text_field(body, "name", required=False, max_len=80) or "Facilitator"
    earlier = await _follow_up_source(request, services, body)
    if not services.board_creation.allow(address):
        raise ApiError(429, "rate_limited", "Too many boards created from this address.")
    board_id = new_board_id()
    pid = new_participant_id()
    now = time.time()
    doc: Doc[Any] = Doc()
    init_board(
        doc, title=title, objective=objective, template_id=template_id, created_at_ms=now * 1000
    )
    BoardDoc(doc).add_participant(pid, name=name, role="facilitator", joined_at=now * 1000)
    if earlier is not None:
        earlier_id, actions = earlier
        with doc.transaction(origin="server"):
            seed_follow_up(doc, earlier_id, actions, now * 1000)
    await services.store.create_board(
        BoardInfo(id=board_id, title=title, template=template_id, created_at=now, last_activity=now)
    )
    await services.store.append_update(board_id, doc.get_update())
    if earlier is not None:
        async with services.rooms.using(earlier[0]) as room:
            await room.apply_server_change(lambda d: add_follow_up_link(d, board_id))
    base = _base_url(request, services)
    if services.outbox is not None:
        await services.outbox.emit(
            board_id,
            "board.created",
            {"template": template_id, "objective": objective, "board_url": f"{base}/b/{board_id}"},
            title=title,
        )
    return JSONResponse(
        {
            "id": board_id,
            "token": _token(services, board_id, pid, "facilitator", name),
            "participant_id": pid,
            "role": "facilitator",
            "board_url": f"{base}/b/{board_id}",
            "join_url": f"{base}/b/{board_id}/join",
        },
        status_code=201,
    )


async def _follow_up_source(
    request: Request, services: Services, body: dict[str, Any]
) -> tuple[str, list[dict[str, Any]]] | None:
    """For `follow_up_of`: the earlier board and its open actions; needs its facilitator."""
    earlier_id = body.get("follow_up_of")
    if earlier_id is None:
        return None
    if not isinstance(earlier_id, str) or not is_board_id(earlier_id):
        raise ApiError(422, "invalid", "`follow_up_of` must be a board id.")
    claims = bearer_claims(request, earlier_id)
    assert claims is not None
    await _require_board(services, earlier_id)
    async with services.rooms.using(earlier_id) as room:
        if role_of(room.doc, claims.participant_id) != "facilitator":
            raise ApiError(403, "forbidden", "Only a facilitator of that board may follow it up.")
        return earlier_id, open_actions(room.doc)


async def _require_board(services: Services, board_id: str) -> BoardInfo:
    info = await services.store.get_board(board_id)
    if info is None:
        raise ApiError(404, "board_not_found", "No such board.")
    return info


async def join_board(request: Request) -> Response:
    services = services_of(request)
    board_id = board_id_of(request)
    body = await read_json(request, services.settings.max_json_body)
    name = text_field(body, "name", required=True, max_len=80)
    role = body.get("role", "participant")
    if role not in ROLES:
        raise ApiError(422, "invalid", f"`role` must be one of {', '.join(ROLES)}.")
    await _require_board(services, board_id)
    if role != "participant":
        claims = bearer_claims(request, board_id, required=False)
        if claims is None:
            raise ApiError(401, "unauthorized", f"Joining as {role} needs a facilitator token.")
        async with services.rooms.using(board_id) as room:
            current = role_of(room.doc, claims.participant_id)
        if current != "facilitator":
            raise ApiError(403, "forbidden", f"Only a facilitator may add a {role}.")
    pid = new_participant_id()
    async with services.rooms.using(board_id) as room:
        await room.apply_server_change(
            lambda doc: BoardDoc(doc).add_participant(
                pid, name=name, role=role, joined_at=time.time() * 1000
            )
        )
        title = room.doc.get("meta", type=Map).get("title")
    if services.outbox is not None:
        await services.outbox.emit(
            board_id,
            "participant.joined",
            {"participant": {"id": pid, "name": name, "role": role}},
            title=title if isinstance(title, str) else None,
        )
    return JSONResponse(
        {"participant_id": pid, "token": _token(services, board_id, pid, role, name), "role": role},
        status_code=201,
    )


def board_summary(board_id: str, doc: Doc[Any]) -> dict[str, Any]:
    data = BoardDoc(doc).to_py()
    meta = data.get("meta", {})
    session = data.get("session", {})
    participants = [
        {"id": pid, **entry} for pid, entry in sorted(data.get("participants", {}).items())
    ]
    return {
        "id": board_id,
        "title": meta.get("title"),
        "objective": meta.get("objective"),
        "template": meta.get("template"),
        "created_at": meta.get("created_at"),
        "agenda": data.get("agenda", []),
        "current_item": session.get("current_item"),
        "locked": bool(session.get("locked", False)),
        "timer": session.get("timer"),
        "voting": session.get("voting"),
        "drafting": bool(session.get("drafting", False)),
        "participants": participants,
        "notes": len(data.get("notes", {})),
    }


async def get_board(request: Request) -> Response:
    services = services_of(request)
    board_id = board_id_of(request)
    bearer_claims(request, board_id)
    await _require_board(services, board_id)
    async with services.rooms.using(board_id) as room:
        summary = board_summary(board_id, room.doc)
    return JSONResponse(summary)


async def healthz(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


READY_TIMEOUT_SECONDS = 2.0


async def readyz(request: Request) -> Response:
    services = services_of(request)
    problems = {}
    # Bounded: a load balancer's probe must get an answer even while Redis hangs.
    try:
        await asyncio.wait_for(services.store.ping(), READY_TIMEOUT_SECONDS)
    except Exception as exc:
        problems["store"] = str(exc) or type(exc).__name__
    try:
        await asyncio.wait_for(services.backplane.ping(), READY_TIMEOUT_SECONDS)
    except Exception as exc:
        problems["backplane"] = str(exc) or type(exc).__name__
    if services.shutting_down:
        problems["server"] = "shutting down"
    if problems:
        return JSONResponse({"status": "unavailable", "problems": problems}, status_code=503)
    # A Redis Cluster shard failing over: its boards wait (503/1013), the others work.
    shards = [
        name
        for part in (services.store, services.backplane)
        for name in (getattr(part, "degraded", list)())
    ]
    if shards:
        return JSONResponse({"status": "ready", "degraded": shards})
    return JSONResponse({"status": "ready"})


async def metrics(request: Request) -> Response:
    services = services_of(request)
    return PlainTextResponse(
        generate_latest(services.metrics.registry), media_type=CONTENT_TYPE_LATEST
    )
