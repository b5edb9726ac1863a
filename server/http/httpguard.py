"""Slow and greedy HTTP clients (slowloris): a header deadline and a per-address cap.

uvicorn has no deadline for reading a request's headers (its keep-alive timeout starts only
after a response), so a client that opens connections and trickles headers keeps descriptors
forever. This subclass of uvicorn's httptools protocol adds, per connection:
- a deadline for the headers of each request (from the connection's start, or the request's
  first byte), after which the connection is closed;
- a limit on the bytes read before the headers end (431 and close);
- a cap on the open, not yet upgraded HTTP connections of one peer address (429 and close;
  WebSockets have their own per-address cap in server/realtime/ws.py).
Behind a reverse proxy every client has the proxy's address: the cap is then off, and the
proxy's own limits apply (docs/security.md).
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

log = logging.getLogger("planboard.http")


def _answer(status: bytes) -> bytes:
    return b"HTTP/1.1 " + status + b"\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"


TOO_MANY = _answer(b"429 Too Many Requests")
HEADERS_TOO_LARGE = _answer(b"431 Request Header Fields Too Large")


def guarded_protocol(
    *, header_timeout: float, max_header_bytes: int, max_per_address: int
) -> type[HttpToolsProtocol]:
    """A protocol class with these limits (uvicorn builds one instance per connection)."""
    open_by_address: Counter[str] = Counter()

    class GuardedHttpProtocol(HttpToolsProtocol):
        _counted: str | None = None
        _header_timer: asyncio.TimerHandle | None = None
        _header_bytes = 0

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            address = self.client[0] if self.client else None
            if max_per_address > 0 and address is not None:
                if open_by_address[address] >= max_per_address:
                    log.info("refused an HTTP connection from %s: too many open", address)
                    transport.write(TOO_MANY)
                    transport.close()
                    return
                open_by_address[address] += 1
                self._counted = address
            self._await_headers()

        def _await_headers(self) -> None:
            if self._header_timer is None and header_timeout > 0:
                self._header_bytes = 0
                self._header_timer = self.loop.call_later(header_timeout, self._headers_late)

        def _headers_done(self) -> None:
            if self._header_timer is not None:
                self._header_timer.cancel()
                self._header_timer = None

        def _headers_late(self) -> None:
            self._header_timer = None
            if not self.transport.is_closing():
                self.transport.close()

        def _release(self) -> None:
            self._headers_done()
            if self._counted is not None:
                open_by_address[self._counted] -= 1
                if open_by_address[self._counted] <= 0:
                    del open_by_address[self._counted]
                self._counted = None

        def data_received(self, data: bytes) -> None:
            waiting = self._header_timer is not None
            super().data_received(data)
            # Only bytes read while the headers are still incomplete count: a body that
            # arrives in the same read as the headers is the body limit's business.
            if waiting and self._header_timer is not None:
                self._header_bytes += len(data)
                if self._header_bytes > max_header_bytes:
                    self._headers_done()
                    self.transport.write(HEADERS_TOO_LARGE)
                    self.transport.close()

        def on_message_begin(self) -> None:
            super().on_message_begin()
            self._await_headers()  # the next request on a kept-alive connection

        def on_headers_complete(self) -> None:
            self._headers_done()
            super().on_headers_complete()

        def handle_websocket_upgrade(self) -> None:
            self._release()  # from now on a WebSocket, counted by server/realtime/ws.py
            super().handle_websocket_upgrade()

        def connection_lost(self, exc: Exception | None) -> None:
            self._release()
            super().connection_lost(exc)

    return GuardedHttpProtocol


def uvicorn_limits(settings: Any, *, behind_proxy: bool) -> dict[str, Any]:
    """The uvicorn.Config arguments that bound slow and greedy clients."""
    return {
        "http": guarded_protocol(
            header_timeout=settings.header_timeout_seconds,
            max_header_bytes=settings.max_header_bytes,
            max_per_address=0 if behind_proxy else settings.max_http_connections_per_ip,
        ),
        "timeout_keep_alive": settings.keep_alive_seconds,
        "limit_concurrency": settings.limit_concurrency or None,
        "h11_max_incomplete_event_size": settings.max_header_bytes,
    }
