"""One client's WebSocket: a bounded send queue drained by its own writer task.

The room never awaits a client: it queues the (shared, already encoded) frame and moves on. A
client that stays over the bound is closed with 1013 so it can reconnect and resync, and the
server's memory stays bounded whatever the client does.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from starlette.types import Send

from server.auth import Claims

log = logging.getLogger("planboard.connection")

CLOSE_GRACE_SECONDS = 3.0
CLOSE_NORMAL = 1000
CLOSE_MALFORMED = 1007
CLOSE_TOO_BIG = 1009
CLOSE_RESTART = 1012
CLOSE_OVERLOADED = 1013
CLOSE_BAD_TOKEN = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_NOT_FOUND = 4404
CLOSE_RATE_LIMITED = 4429


class TokenBucket:
    """Messages and bytes per second with a burst; refilled lazily on each check."""

    __slots__ = ("burst", "level", "rate", "stamp")

    def __init__(self, rate: float, burst: float) -> None:
        self.rate = rate
        self.burst = burst
        self.level = burst
        self.stamp = time.monotonic()

    def take(self, amount: float) -> bool:
        now = time.monotonic()
        self.level = min(self.burst, self.level + (now - self.stamp) * self.rate)
        self.stamp = now
        self.level -= amount
        return self.level >= 0


class Connection:
    def __init__(
        self,
        send: Send,
        claims: Claims,
        *,
        max_queue_messages: int,
        max_queue_bytes: int,
        rate_messages: float,
        burst_messages: int,
        rate_bytes: float,
        max_message_bytes: int,
        on_close: Callable[[int], None] | None = None,
    ) -> None:
        self._send = send
        self.claims = claims
        self.awareness_ids: set[int] = set()
        self._queue: deque[bytes] = deque()
        self._queued_bytes = 0
        self._max_messages = max_queue_messages
        self._max_bytes = max_queue_bytes
        self._wakeup = asyncio.Event()
        self._writer: asyncio.Task[None] | None = None
        self._closer: asyncio.Task[None] | None = None
        self._sending = False
        self.closed = False
        self.close_code: int | None = None
        self._on_close = on_close
        self.messages = TokenBucket(rate_messages, burst_messages)
        self.bytes = TokenBucket(rate_bytes, max(rate_bytes * 2, max_message_bytes * 2))

    def start(self) -> None:
        self._writer = asyncio.create_task(self._write_loop())

    def send(self, frame: bytes) -> None:
        """Queue a frame without waiting; overflow closes the connection (1013)."""
        if self.closed:
            return
        if len(self._queue) >= self._max_messages or self._queued_bytes > self._max_bytes:
            self.close(CLOSE_OVERLOADED, "send queue full: reconnect and resync")
            return
        self._queue.append(frame)
        self._queued_bytes += len(frame)
        self._wakeup.set()

    def close(self, code: int, reason: str = "") -> None:
        """Close after nothing else; queued frames are dropped (the client resyncs anyway)."""
        if self.closed:
            return
        self.closed = True
        self.close_code = code
        if self._on_close is not None:
            self._on_close(code)
        self._queue.clear()
        self._queued_bytes = 0
        self._closer = asyncio.create_task(self._send_close(code, reason))
        self._wakeup.set()

    async def _send_close(self, code: int, reason: str) -> None:
        writer = self._writer
        if self._sending and writer is not None:
            # The writer is parked in the transport's flow control (a peer that does not read):
            # the server allows one pending send, so the writer yields its place to the close.
            writer.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await writer
        try:
            await asyncio.wait_for(
                self._send({"type": "websocket.close", "code": code, "reason": reason[:120]}),
                CLOSE_GRACE_SECONDS,
            )
        except Exception:
            # Not even the close frame fits: drop the TCP connection.
            self.abort()

    def abort(self) -> None:
        """Drop the TCP connection of a peer that cannot even take a close frame.

        ASGI has no abort; uvicorn's send is a method of its protocol object, which holds the
        transport. Without it the connection would linger until keepalive gives up.
        """
        transport = getattr(getattr(self._send, "__self__", None), "transport", None)
        if transport is not None:
            transport.abort()

    async def _write_loop(self) -> None:
        queue = self._queue
        send = self._send
        try:
            while not self.closed:
                if not queue:
                    self._wakeup.clear()
                    await self._wakeup.wait()
                    continue
                frame = queue.popleft()
                self._queued_bytes -= len(frame)
                message: dict[str, Any] = {"type": "websocket.send", "bytes": frame}
                self._sending = True
                await send(message)
                self._sending = False
        except Exception:  # the peer went away; the receive loop notices and cleans up
            self.closed = True

    async def stop(self) -> None:
        self.closed = True
        self._wakeup.set()
        if self._writer is not None:
            self._writer.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._writer
