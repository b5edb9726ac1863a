"""Headers on every HTTP response: the server clock for timers, and browser hardening."""

from __future__ import annotations

import re
import time
from urllib.parse import urlsplit

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from server.realtime.transport import capture_raw_send

CSP_TEMPLATE = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src {connect}; font-src 'self'; object-src 'none'; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)
# A Host header goes into the policy only when it is a plain host[:port].
_PLAIN_HOST = re.compile(r"^(?:[A-Za-z0-9.-]{1,253}|\[[0-9A-Fa-f:.]{2,45}\])(?::\d{1,5})?$")
_MAX_CACHED_POLICIES = 64


def public_sources(public_url: str | None) -> list[str]:
    """The configured public URL's origin and its WebSocket origin (for connect-src)."""
    if not public_url:
        return []
    parts = urlsplit(public_url)
    if parts.scheme not in ("http", "https") or not _PLAIN_HOST.match(parts.netloc):
        return []
    ws = "wss" if parts.scheme == "https" else "ws"
    return [f"{ws}://{parts.netloc}", f"{parts.scheme}://{parts.netloc}"]


def content_security_policy(host: str, public: list[str]) -> str:
    """WebSockets only to this server: the request's own host (ws and wss, since a TLS proxy
    may sit in front) and the configured public URL; never any host (`ws:`/`wss:`)."""
    sources = ["'self'"]
    if _PLAIN_HOST.match(host):
        sources += [f"ws://{host}", f"wss://{host}"]
    sources += [s for s in public if s not in sources]
    return CSP_TEMPLATE.format(connect=" ".join(sources))


STATIC_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
]


class SecurityHeadersMiddleware:
    """Pure ASGI (no BaseHTTPMiddleware): costs nothing on WebSocket traffic."""

    # It is the outermost user middleware, so it also sees the server's raw WebSocket send.

    def __init__(self, app: ASGIApp, public_url: str | None = None) -> None:
        self.app = app
        self._public = public_sources(public_url)
        self._policies: dict[bytes, bytes] = {}

    def _policy(self, scope: Scope) -> bytes:
        host = b""
        for name, value in scope.get("headers", ()):
            if name == b"host":
                host = value
                break
        policy = self._policies.get(host)
        if policy is None:
            policy = content_security_policy(host.decode("latin-1"), self._public).encode()
            if len(self._policies) >= _MAX_CACHED_POLICIES:
                self._policies.clear()
            self._policies[host] = policy
        return policy

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            capture_raw_send(scope, send)
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        policy = self._policy(scope)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers.append((b"content-security-policy", policy))
                headers.extend(STATIC_HEADERS)
                headers.append((b"x-server-time", str(int(time.time() * 1000)).encode()))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)
