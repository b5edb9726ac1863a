"""The WebSocket endpoint: admission (token, board, origin, limits), then the y-websocket loop."""

from __future__ import annotations

import logging
from collections.abc import Coroutine
from typing import Any
from urllib.parse import urlsplit

from starlette.datastructures import Headers, QueryParams
from starlette.websockets import WebSocket

from crdt import facilitation, protocol
from server.auth import Claims, TokenError, verify_token
from server.ids import is_board_id
from server.realtime.connection import (
    CLOSE_BAD_TOKEN,
    CLOSE_FORBIDDEN,
    CLOSE_MALFORMED,
    CLOSE_NOT_FOUND,
    CLOSE_OVERLOADED,
    CLOSE_RATE_LIMITED,
    CLOSE_RESTART,
    CLOSE_TOO_BIG,
    Connection,
)
from server.realtime.docref import DocRef
from server.realtime.room import Room
from server.realtime.transport import open_transport
from server.services import Services

log = logging.getLogger("planboard.ws")

# The token may also come in the handshake's Sec-WebSocket-Protocol header, out of URLs and
# so out of proxy and server logs: offer `planboard.v1, planboard.token.<JWT>` (a JWT is
# base64url and dots, a valid subprotocol token); the server answers `planboard.v1`.
SUBPROTOCOL = "planboard.v1"
TOKEN_SUBPROTOCOL_PREFIX = "planboard.token."


def offered_subprotocols(websocket: WebSocket) -> list[str]:
    offered = websocket.scope.get("subprotocols") or []
    return [name for name in offered if isinstance(name, str)]


def offered_token(websocket: WebSocket) -> str:
    """The token from the subprotocol header if there is one, else from `?token=`."""
    for proto in offered_subprotocols(websocket):
        if proto.startswith(TOKEN_SUBPROTOCOL_PREFIX):
            return proto[len(TOKEN_SUBPROTOCOL_PREFIX) :]
    # Not websocket.query_params, which the connection would keep parsed for its whole life.
    return QueryParams(websocket.scope.get("query_string", b"")).get("token", "")


def origin_allowed(websocket: WebSocket, services: Services) -> bool:
    """No Origin (non-browser clients), the server's own origin, or a configured one."""
    headers = Headers(scope=websocket.scope)  # uncached, unlike websocket.headers
    origin = headers.get("origin")
    if origin is None:
        return True
    allowed = services.settings.allowed_origins
    if "*" in allowed or origin in allowed:
        return True
    public = services.settings.public_url
    if public and origin.rstrip("/") == public.rstrip("/"):
        return True
    host = headers.get("host", "")
    return urlsplit(origin).netloc.lower() == host.lower() and bool(host)


async def _refuse(websocket: WebSocket, services: Services, code: int, reason: str) -> None:
    services.metrics.count_close(code)
    await websocket.close(code=code, reason=reason)


async def _current_role(services: Services, claims: Claims) -> str:
    """The roster's role wins over the token's (a member demoted to viewer loses drafts)."""
    async with services.rooms.using(claims.board_id) as board:
        return facilitation.current_role(board.doc, claims.participant_id, claims.role)


async def _admit(
    websocket: WebSocket, services: Services, drafts: bool
) -> tuple[Claims, DocRef] | None:
    """Return the claims of an admitted client and the doc it opens, or close with the
    design's code. A drafts doc is always the token subject's own: no URL names another's."""
    board_id = websocket.path_params["board_id"]
    if services.shutting_down:
        await _refuse(websocket, services, CLOSE_RESTART, "server restarting")
        return None
    if not is_board_id(board_id):
        await _refuse(websocket, services, CLOSE_NOT_FOUND, "no such board")
        return None
    if not origin_allowed(websocket, services):
        await _refuse(websocket, services, CLOSE_FORBIDDEN, "origin not allowed")
        return None
    try:
        claims = verify_token(services.settings.secret or "", offered_token(websocket))
    except TokenError as exc:
        await _refuse(websocket, services, CLOSE_BAD_TOKEN, str(exc))
        return None
    if claims.board_id != board_id:
        await _refuse(websocket, services, CLOSE_FORBIDDEN, "token is for another board")
        return None
    if board_id not in services.rooms.rooms:  # a loaded board exists: skip the store's trip
        try:
            info = await services.store.get_board(board_id)
        except Exception as exc:
            log.warning("board lookup for %s failed: %s", board_id, exc)
            await _refuse(websocket, services, CLOSE_OVERLOADED, "storage unavailable, retry")
            return None
        if info is None:
            await _refuse(websocket, services, CLOSE_NOT_FOUND, "no such board")
            return None
    ref = DocRef(board_id, claims.participant_id if drafts else None)
    if ref.is_drafts and await _current_role(services, claims) == "viewer":
        await _refuse(websocket, services, CLOSE_FORBIDDEN, "viewers have no drafts")
        return None
    if services.monitor.overloaded:
        await _refuse(websocket, services, CLOSE_OVERLOADED, "server overloaded, retry")
        return None
    return claims, ref


# The endpoints hand over _serve's coroutine rather than await it: one frame less kept for each
# connection's life (bench S4).
def websocket_endpoint(websocket: WebSocket) -> Coroutine[Any, Any, None]:
    """`/ws/{board_id}`: the board."""
    return _serve(websocket, drafts=False)


def drafts_endpoint(websocket: WebSocket) -> Coroutine[Any, Any, None]:
    """`/ws/{board_id}/drafts`: the token subject's private drafts of the board."""
    return _serve(websocket, drafts=True)


async def _serve(websocket: WebSocket, *, drafts: bool) -> None:
    services: Services = websocket.app.state.services
    settings = services.settings
    chosen = SUBPROTOCOL if SUBPROTOCOL in offered_subprotocols(websocket) else None
    await websocket.accept(subprotocol=chosen)
    admitted = await _admit(websocket, services, drafts)
    if admitted is None:
        return
    claims, ref = admitted
    _forget_handshake(websocket)
    address = websocket.client.host if websocket.client else "?"
    if services.connections_per_ip[address] >= settings.max_connections_per_ip:
        await _refuse(websocket, services, CLOSE_RATE_LIMITED, "too many connections")
        return
    services.connections_per_ip[address] += 1
    board_room = None
    try:
        # Drafts are writable only while the board says drafting is on: keep it loaded.
        board_room = await services.rooms.acquire(ref.board) if ref.is_drafts else None
        room = await services.rooms.acquire(ref)
    except Exception:
        if board_room is not None:
            services.rooms.release(board_room)
        services.connections_per_ip[address] -= 1
        log.exception("loading %s failed", ref)
        await _refuse(websocket, services, CLOSE_OVERLOADED, "board unavailable, retry")
        return
    conn = Connection(
        open_transport(websocket),
        claims,
        max_queue_messages=settings.send_queue_messages,
        max_queue_bytes=settings.send_queue_bytes,
        rate_messages=settings.rate_messages_per_s,
        burst_messages=settings.rate_burst_messages,
        rate_bytes=settings.rate_bytes_per_s,
        judging_burst=settings.judging_burst_seconds,
        max_message_bytes=settings.max_message_bytes,
        on_close=services.metrics.count_close,
    )
    try:
        if len(room.connections) >= settings.max_connections_per_board:
            await _refuse(websocket, services, CLOSE_OVERLOADED, "board is full")
            return
        services.metrics.connections.inc()
        room.join(conn)
        try:
            await _receive_loop(websocket, services, room, conn)
        finally:
            services.metrics.connections.dec()
            await room.leave(conn)
            await conn.stop()
    finally:
        services.rooms.release(room)
        if board_room is not None:
            services.rooms.release(board_room)
        services.connections_per_ip[address] -= 1
        if services.connections_per_ip[address] <= 0:
            services.connections_per_ip.pop(address, None)


def _forget_handshake(websocket: WebSocket) -> None:
    """Drop the handshake's headers, query (the token) and offered subprotocols from the scope
    the connection keeps for its whole life: admission was their only reader, and they are
    most of the scope's size (about 1 KiB per idle connection, bench S4)."""
    scope = websocket.scope
    scope["headers"] = ()  # ASGI allows any iterable: an empty tuple is shared
    scope["query_string"] = b""
    scope["subprotocols"] = ()


async def _receive_loop(
    websocket: WebSocket, services: Services, room: Room, conn: Connection
) -> None:
    settings = services.settings
    traffic = services.metrics.traffic
    # The server's receive, not Starlette's wrapper around it (one more frame held while idle):
    # after the accept only these two message types come, and nothing reads Starlette's state.
    receive = websocket._receive
    while not conn.closed:
        event = await receive()
        if event["type"] == "websocket.disconnect":
            return
        data = event.get("bytes")
        if data is None:
            conn.close(CLOSE_MALFORMED, "text frames are not part of the protocol")
            return
        size = len(data)
        traffic.bytes_in += size
        if size > settings.max_message_bytes:
            conn.close(CLOSE_TOO_BIG, "message too big")
            return
        if not conn.messages.take(1) or not conn.bytes.take(size):
            conn.close(CLOSE_RATE_LIMITED, "rate limit exceeded")
            return
        try:
            message = protocol.parse_message(data)
        except protocol.ProtocolError as exc:
            conn.close(CLOSE_MALFORMED, str(exc))
            return
        traffic.messages_in[type(message).__name__] += 1
        await room.handle_message(conn, message)
    # The room closed this connection (malformed update, overflow): drain until the peer goes.
    while True:
        event = await receive()
        if event["type"] == "websocket.disconnect":
            return
