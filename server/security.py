"""Headers on every HTTP response: the server clock for timers, and browser hardening."""

from __future__ import annotations

import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self' ws: wss:; font-src 'self'; object-src 'none'; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)
STATIC_HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
]


class SecurityHeadersMiddleware:
    """Pure ASGI (no BaseHTTPMiddleware): costs nothing on WebSocket traffic."""

    # It is the outermost user middleware, so it also sees the server's raw WebSocket send.

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            # The server's own send, before Starlette wraps it: the fan-out path writes frames
            # through it directly, and it leads to the transport for aborting dead peers.
            scope["planboard.raw_send"] = send
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers.extend(STATIC_HEADERS)
                headers.append((b"x-server-time", str(int(time.time() * 1000)).encode()))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)
