"""Request helpers shared by the JSON handlers: bounded body, strict JSON, bearer tokens."""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request

from crdt.errors import ApiError
from server.auth import Claims, TokenError, verify_token
from server.ids import is_board_id
from server.services import Services


def services_of(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


async def read_json(request: Request, limit: int) -> dict[str, Any]:
    """The body as a JSON object; 413 over the limit, 400 not JSON, 422 not an object."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise ApiError(413, "too_large", f"Request body over {limit} bytes.")
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise ApiError(413, "too_large", f"Request body over {limit} bytes.")
    if not body.strip():
        return {}
    try:
        value = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ApiError(400, "bad_json", "The body is not valid JSON.") from exc
    if not isinstance(value, dict):
        raise ApiError(422, "invalid", "The body must be a JSON object.")
    return value


def board_id_of(request: Request) -> str:
    board_id = str(request.path_params["board_id"])
    if not is_board_id(board_id):
        raise ApiError(404, "board_not_found", "No such board.")
    return board_id


def bearer_claims(request: Request, board_id: str, *, required: bool = True) -> Claims | None:
    """Claims of the request's token for this board: 401 missing/invalid, 403 other board."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        if not required:
            return None
        raise ApiError(401, "unauthorized", "Send `Authorization: Bearer <token>`.")
    try:
        claims = verify_token(services_of(request).settings.secret or "", token.strip())
    except TokenError as exc:
        raise ApiError(401, "invalid_token", f"Token refused: {exc}.") from exc
    if claims.board_id != board_id:
        raise ApiError(403, "wrong_board", "This token is for another board.")
    return claims


def text_field(
    body: dict[str, Any], name: str, *, required: bool, max_len: int, default: str = ""
) -> str:
    value = body.get(name)
    if value is None:
        if required:
            raise ApiError(422, "invalid", f"`{name}` is required.")
        return default
    if not isinstance(value, str):
        raise ApiError(422, "invalid", f"`{name}` must be a string.")
    value = value.strip()
    if required and not value:
        raise ApiError(422, "invalid", f"`{name}` must not be empty.")
    if len(value) > max_len:
        raise ApiError(422, "invalid", f"`{name}` is longer than {max_len} characters.")
    return value
