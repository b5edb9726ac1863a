"""One client's WebSocket: frames go out without awaiting, within a bound per client.

The room never awaits a client: it hands the (shared, already encoded) message to every
connection and moves on. A client that stays over the bound is closed with 1013 so it can
reconnect and resync, and the server's memory stays bounded whatever the client does.

The write path (what the load benchmark measures): server-to-client frames are not masked, so
a message is framed once per broadcast and the same bytes go to every client's transport. Each
connection collects the frames of one event-loop iteration and writes them with one call at the
end of it; no task switch, no ASGI message, no per-client framing. Only a client whose transport
is paused (it does not read fast enough) gets a queue and a writer task, which waits for the
transport to drain; the queue is bounded (1013 above). With an ASGI server other than uvicorn's
websockets-sansio protocol, every frame takes that queue and the ASGI `send`.
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

_SansIO: type[Any] | None
try:  # uvicorn's default WebSocket protocol with uvicorn[standard]
    from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol

    _SansIO = WebSocketsSansIOProtocol
except ImportError:  # pragma: no cover - another server or uvicorn without websockets
    _SansIO = None

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


def ws_frame(payload: bytes) -> bytes:
    """A complete server-to-client binary frame: FIN, opcode 2, no mask (RFC 6455 5.2)."""
    n = len(payload)
    if n < 126:
        return bytes((0x82, n)) + payload
    if n < 65536:
        return b"\x82\x7e" + n.to_bytes(2, "big") + payload
    return b"\x82\x7f" + n.to_bytes(8, "big") + payload


class _Framer:
    """Frames a message once per broadcast: the room hands the same object to every client."""

    __slots__ = ("frame", "payload")

    def __init__(self) -> None:
        self.payload: bytes | None = None
        self.frame = b""

    def __call__(self, payload: bytes) -> bytes:
        if payload is not self.payload:
            self.frame = ws_frame(payload)
            self.payload = payload  # held, so its identity cannot be reused meanwhile
        return self.frame


_framed = _Framer()


class _Flusher:
    """Writes, once per event-loop iteration, what each connection collected during it.

    Updates that arrive together (a group commit releases several at once) then cost one
    write system call per client instead of one per update and client.
    """

    __slots__ = ("dirty", "loop", "scheduled")

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.dirty: list[Connection] = []
        self.scheduled = False

    def add(self, conn: Connection) -> None:
        self.dirty.append(conn)
        if not self.scheduled:
            self.scheduled = True
            self.loop.call_soon(self.flush)

    def flush(self) -> None:
        self.scheduled = False
        dirty, self.dirty = self.dirty, []
        for conn in dirty:
            conn._flush()


_flusher: _Flusher | None = None


def _flusher_for(loop: asyncio.AbstractEventLoop) -> _Flusher:
    global _flusher
    if _flusher is None or _flusher.loop is not loop:
        _flusher = _Flusher(loop)
    return _flusher


def _direct_protocol(send: Send) -> Any:
    """uvicorn's protocol object behind `send`, when frames may be written to its transport."""
    proto = getattr(send, "__self__", None)
    if _SansIO is not None and isinstance(proto, _SansIO):
        return proto
    return None


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
        self.last_state_request = float("-inf")  # monotonic time the server last asked for state
        self._proto: Any = _direct_protocol(send)
        self._flusher: _Flusher | None = None
        if self._proto is not None:
            self._flusher = _flusher_for(asyncio.get_running_loop())
        self._pending: list[bytes] = []  # direct path: frames of this loop iteration
        self._queue: deque[bytes] = deque()  # slow path: frames (direct) or messages (ASGI)
        self._queued_bytes = 0
        self._max_messages = max_queue_messages
        self._max_bytes = max_queue_bytes
        self._wakeup: asyncio.Event | None = None
        self._writer: asyncio.Task[None] | None = None
        self._closer: asyncio.Task[None] | None = None
        self._sending = False
        self.closed = False
        self.close_code: int | None = None
        self._on_close = on_close
        self.messages = TokenBucket(rate_messages, burst_messages)
        self.bytes = TokenBucket(rate_bytes, max(rate_bytes * 2, max_message_bytes * 2))

    def start(self) -> None:
        """Nothing to start: the writer task is made only when a client lags behind."""

    def send(self, frame: bytes) -> None:
        """Hand over a message without waiting; overflow closes the connection (1013)."""
        if self.closed:
            return
        flusher = self._flusher
        if flusher is not None and not self._queue and not self._sending:
            pending = self._pending
            if len(pending) >= self._max_messages:
                self.close(CLOSE_OVERLOADED, "send queue full: reconnect and resync")
                return
            if not pending:
                flusher.add(self)
            pending.append(_framed(frame))
            return
        self._enqueue(_framed(frame) if self._proto is not None else frame)

    def _enqueue(self, item: bytes) -> None:
        if len(self._queue) >= self._max_messages or self._queued_bytes > self._max_bytes:
            self.close(CLOSE_OVERLOADED, "send queue full: reconnect and resync")
            return
        self._queue.append(item)
        self._queued_bytes += len(item)
        if self._writer is None:
            self._wakeup = asyncio.Event()
            self._writer = asyncio.create_task(self._write_loop())
        assert self._wakeup is not None
        self._wakeup.set()

    def _flush(self) -> None:
        """The end of a loop iteration: write what was collected, or queue it if paused."""
        pending = self._pending
        if not pending:
            return
        self._pending = []
        proto = self._proto
        if self.closed or proto.close_sent or proto.disconnected:
            return  # the receive loop notices the disconnect and cleans up
        transport = proto.transport
        if transport.is_closing():
            return
        if proto.writable.is_set():
            transport.write(pending[0] if len(pending) == 1 else b"".join(pending))
            return
        for frame in pending:  # the transport is over its high-water mark: wait for drain
            self._enqueue(frame)
            if self.closed:
                return

    def close(self, code: int, reason: str = "") -> None:
        """Close after nothing else; unsent frames are dropped (the client resyncs anyway)."""
        if self.closed:
            return
        self.closed = True
        self.close_code = code
        if self._on_close is not None:
            self._on_close(code)
        self._pending = []
        self._queue.clear()
        self._queued_bytes = 0
        self._closer = asyncio.create_task(self._send_close(code, reason))
        if self._wakeup is not None:
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
        """The slow path: one frame at a time, each after the transport has room for it."""
        queue = self._queue
        wakeup = self._wakeup
        assert wakeup is not None
        proto = self._proto
        send = self._send
        try:
            while not self.closed:
                if not queue:
                    wakeup.clear()
                    await wakeup.wait()
                    continue
                self._sending = True
                if proto is not None:
                    await proto.writable.wait()
                    if self.closed or proto.close_sent or proto.disconnected:
                        break
                    if not queue:
                        self._sending = False
                        continue
                    frame = queue.popleft()
                    self._queued_bytes -= len(frame)
                    proto.transport.write(frame)
                else:
                    frame = queue.popleft()
                    self._queued_bytes -= len(frame)
                    message: dict[str, Any] = {"type": "websocket.send", "bytes": frame}
                    await send(message)
                self._sending = False
        except Exception:  # the peer went away; the receive loop notices and cleans up
            self.closed = True
        finally:
            self._sending = False

    async def stop(self) -> None:
        """End the writer; let a close frame under way go out before the endpoint returns.

        uvicorn drops the TCP connection of an app that returns without having closed, and a
        peer with unread data then sees a reset (1006) instead of the close code it was sent.
        """
        self.closed = True
        self._pending = []
        if self._wakeup is not None:
            self._wakeup.set()
        if self._writer is not None:
            self._writer.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._writer
        if self._closer is not None:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._closer  # bounded: CLOSE_GRACE_SECONDS, then abort
