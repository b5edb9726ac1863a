"""`/api/boards/{id}/webhooks`: facilitators register, list and delete endpoints, read the
deliveries log and redeliver. Secrets are shown once, at registration."""

from __future__ import annotations

import secrets
import time
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from crdt import facilitation
from crdt.errors import ApiError
from crdt.events import EVENT_TYPES
from server.features.webhooks import UnsafeTarget, check_target, delivery_dict
from server.http.httputil import bearer_claims, board_id_of, read_json, services_of
from server.services import Services

MAX_HOOKS_PER_BOARD = 10
MAX_URL = 2000


async def _facilitator(request: Request) -> tuple[Services, str]:
    services = services_of(request)
    board_id = board_id_of(request)
    claims = bearer_claims(request, board_id)
    assert claims is not None
    if await services.store.get_board(board_id) is None:
        raise ApiError(404, "board_not_found", "No such board.")
    async with services.rooms.using(board_id) as room:
        role = facilitation.current_role(room.doc, claims.participant_id, claims.role)
    if role != "facilitator":
        raise ApiError(403, "forbidden", "Only a facilitator manages this board's webhooks.")
    return services, board_id


def _public(hook: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in hook.items() if k != "secret"}


async def create_webhook(request: Request) -> Response:
    services, board_id = await _facilitator(request)
    body = await read_json(request, services.settings.max_json_body)
    url = body.get("url")
    if not isinstance(url, str) or not 0 < len(url) <= MAX_URL:
        raise ApiError(422, "invalid", f"`url` must be an http(s) URL of at most {MAX_URL} chars.")
    events = body.get("events", ["*"])
    if (
        not isinstance(events, list)
        or not events
        or not all(isinstance(e, str) and (e == "*" or e in EVENT_TYPES) for e in events)
    ):
        raise ApiError(
            422,
            "invalid",
            f'`events` must be a list of event types ({", ".join(EVENT_TYPES)}) or ["*"].',
        )
    secret = body.get("secret")
    if secret is None:
        secret = "whsec_" + secrets.token_urlsafe(24)
    if not isinstance(secret, str) or not 16 <= len(secret) <= 200:
        raise ApiError(422, "invalid", "`secret` must be a string of 16 to 200 characters.")
    try:
        await check_target(url, services.settings.webhook_allow_private)
    except UnsafeTarget as exc:
        raise ApiError(422, "unsafe_url", str(exc)) from exc
    hooks = await services.store.list_webhooks(board_id)
    if len(hooks) >= MAX_HOOKS_PER_BOARD:
        raise ApiError(409, "too_many", f"A board has at most {MAX_HOOKS_PER_BOARD} webhooks.")
    hook = {
        "id": "wh_" + secrets.token_urlsafe(9),
        "url": url,
        "events": list(dict.fromkeys(events)),
        "secret": secret,
        "created_at": time.time(),
    }
    await services.store.put_webhook(board_id, hook)
    return JSONResponse(hook, status_code=201)


async def list_webhooks(request: Request) -> Response:
    services, board_id = await _facilitator(request)
    hooks = await services.store.list_webhooks(board_id)
    return JSONResponse({"webhooks": [_public(h) for h in hooks]})


async def _hook(services: Services, board_id: str, webhook_id: str) -> dict[str, Any]:
    for hook in await services.store.list_webhooks(board_id):
        if hook.get("id") == webhook_id:
            return hook
    raise ApiError(404, "webhook_not_found", "No such webhook on this board.")


async def delete_webhook(request: Request) -> Response:
    services, board_id = await _facilitator(request)
    webhook_id = str(request.path_params["webhook_id"])
    await _hook(services, board_id, webhook_id)
    await services.store.delete_webhook(board_id, webhook_id)
    return JSONResponse({"ok": True, "id": webhook_id})


async def list_deliveries(request: Request) -> Response:
    services, board_id = await _facilitator(request)
    webhook_id = str(request.path_params["webhook_id"])
    await _hook(services, board_id, webhook_id)
    raw = request.query_params.get("limit", "100")
    if not raw.isdigit() or not 1 <= int(raw) <= 1000:
        raise ApiError(422, "invalid", "`limit` must be between 1 and 1000.")
    deliveries = await services.store.list_deliveries(board_id, webhook_id, int(raw))
    return JSONResponse({"deliveries": [delivery_dict(d) for d in deliveries]})


async def redeliver(request: Request) -> Response:
    services, board_id = await _facilitator(request)
    webhook_id = str(request.path_params["webhook_id"])
    await _hook(services, board_id, webhook_id)
    delivery_id = str(request.path_params["delivery_id"])
    if not await services.store.redeliver(board_id, webhook_id, delivery_id):
        raise ApiError(404, "delivery_not_found", "No such delivery for this webhook.")
    if services.outbox is not None:
        services.outbox.deliverer.wake()
    return JSONResponse({"ok": True, "queued": True}, status_code=202)


def webhook_routes() -> list[BaseRoute]:
    base = "/api/boards/{board_id}/webhooks"
    return [
        Route(base, create_webhook, methods=["POST"]),
        Route(base, list_webhooks, methods=["GET"]),
        Route(base + "/{webhook_id}", delete_webhook, methods=["DELETE"]),
        Route(base + "/{webhook_id}/deliveries", list_deliveries, methods=["GET"]),
        Route(
            base + "/{webhook_id}/deliveries/{delivery_id}/redeliver", redeliver, methods=["POST"]
        ),
    ]
