"""How frames reach one client's socket: the only module that knows which ASGI server runs us.

Server-to-client frames are not masked, so a message is framed once per broadcast and the same
bytes go to every client. On uvicorn's websockets-sansio protocol (what `planboard serve` runs)
`FastTransport` writes those bytes straight to the protocol's asyncio transport, batched once
per event-loop iteration: no task switch, no ASGI message, no per-client framing. That protocol
object is private to uvicorn, so it is checked, not trusted: when it is missing or does not look
as expected (another ASGI server, a uvicorn upgrade), `AsgiTransport` sends every message through
the plain ASGI `send`. Speed degrades then; behaviour does not. One thing only the server's
transport can do: abort a peer that does not even take a close frame. Where `send` leads to no
transport, such a peer keeps its TCP connection until it goes; its queue is dropped all the same.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any, Protocol

from starlette.types import Scope, Send
from starlette.websockets import WebSocket

_SansIO: type[Any] | None
_WRITABLE: tuple[type[Any], ...] = (asyncio.Event,)
try:  # uvicorn's default WebSocket protocol with uvicorn[standard]
    from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol

    from server.realtime.lean_protocol import Flag

    _SansIO = WebSocketsSansIOProtocol
    _WRITABLE = (asyncio.Event, Flag)  # Flag: planboard's lighter protocol subclass
except ImportError:  # pragma: no cover - another server or uvicorn without websockets
    _SansIO = None

log = logging.getLogger("planboard.transport")

_RAW_SEND = "planboard.raw_send"


class Transport(Protocol):
    """What a connection needs from the socket under it; it never awaits a peer to write."""

    batched: bool  # frames are collected per loop iteration and handed to write_frames

    def frame(self, message: bytes) -> bytes:
        """The bytes to queue for a message (the framed message, or the message itself)."""
        ...

    def write_frames(self, frames: list[bytes]) -> bool:
        """Write without waiting; False when the peer is over its buffer (queue the frames)."""
        ...

    async def send_frame(self, frame: bytes) -> None:
        """Write one queued frame once the peer has room; raises when the peer is gone."""
        ...

    async def close(self, code: int, reason: str) -> None:
        """Send the close frame through the server, which runs the closing handshake."""
        ...

    def abort(self) -> None:
        """Drop the TCP connection of a peer that cannot even take a close frame."""
        ...


def capture_raw_send(scope: Scope, send: Send) -> None:
    """Keep the server's own send, before Starlette wraps it: it leads to uvicorn's protocol.

    Called by the app for its WebSocket routes, and by the outermost middleware for any other
    WebSocket scope: the only places that see it.
    """
    scope[_RAW_SEND] = send


def open_transport(websocket: WebSocket) -> Transport:
    """The fast transport when uvicorn's protocol is there as expected, else plain ASGI."""
    send: Send = websocket.scope.get(_RAW_SEND) or websocket._send
    proto = _sansio_protocol(send)
    if proto is not None:
        return FastTransport(send, proto)
    _warn_once()
    return AsgiTransport(send)


def _sansio_protocol(send: Send) -> Any:
    """uvicorn's protocol object behind `send`, if it has what FastTransport uses."""
    proto = getattr(send, "__self__", None)
    if _SansIO is None or not isinstance(proto, _SansIO):
        return None
    transport = getattr(proto, "transport", None)
    if not (
        isinstance(getattr(proto, "writable", None), _WRITABLE)
        and isinstance(getattr(proto, "close_sent", None), bool)
        and isinstance(getattr(proto, "disconnected", None), bool)
        and all(callable(getattr(transport, n, None)) for n in ("write", "is_closing", "abort"))
    ):
        return None
    return proto


_warned = False


def _warn_once() -> None:
    global _warned
    if not _warned:
        _warned = True
        log.warning("uvicorn's websockets-sansio protocol not found: frames go through ASGI send")


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


class FlushScheduler:
    """Runs, once at the end of an event-loop iteration, the flush of each connection that
    collected frames during it.

    Updates that arrive together (a group commit releases several at once) then cost one
    write system call per client instead of one per update and client.
    """

    __slots__ = ("dirty", "loop", "scheduled")

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.dirty: list[Callable[[], None]] = []
        self.scheduled = False

    def add(self, flush: Callable[[], None]) -> None:
        self.dirty.append(flush)
        if not self.scheduled:
            self.scheduled = True
            self.loop.call_soon(self.flush)

    def flush(self) -> None:
        self.scheduled = False
        dirty, self.dirty = self.dirty, []
        for flush in dirty:
            flush()


_scheduler: FlushScheduler | None = None


def flush_scheduler() -> FlushScheduler:
    """The scheduler of the running loop (one per loop: tests run several in turn)."""
    global _scheduler
    loop = asyncio.get_running_loop()
    if _scheduler is None or _scheduler.loop is not loop:
        _scheduler = FlushScheduler(loop)
    return _scheduler


class FastTransport:
    """Pre-framed bytes straight to uvicorn's asyncio transport, respecting its flow control."""

    __slots__ = ("_proto", "_send")

    batched = True
    frame = staticmethod(_framed)

    def __init__(self, send: Send, proto: Any) -> None:
        self._send = send
        self._proto = proto

    def write_frames(self, frames: list[bytes]) -> bool:
        proto = self._proto
        if proto.close_sent or proto.disconnected:
            return True  # the receive loop notices the disconnect and cleans up
        transport = proto.transport
        if transport.is_closing():
            return True
        if proto.writable.is_set():
            transport.write(frames[0] if len(frames) == 1 else b"".join(frames))
            return True
        return False  # over the high-water mark: wait for drain

    async def send_frame(self, frame: bytes) -> None:
        proto = self._proto
        await proto.writable.wait()  # also set when the connection is lost
        if proto.close_sent or proto.disconnected:
            raise ConnectionError("peer gone")
        proto.transport.write(frame)

    async def close(self, code: int, reason: str) -> None:
        await self._send({"type": "websocket.close", "code": code, "reason": reason})

    def abort(self) -> None:
        self._proto.transport.abort()


class AsgiTransport:
    """Every message as an ASGI `websocket.send`: works on any server, at several times the CPU."""

    __slots__ = ("_send",)

    batched = False

    def __init__(self, send: Send) -> None:
        self._send = send

    @staticmethod
    def frame(message: bytes) -> bytes:
        return message  # the server frames it

    def write_frames(self, frames: list[bytes]) -> bool:
        return False  # an ASGI send must be awaited: everything takes the queue

    async def send_frame(self, frame: bytes) -> None:
        await self._send({"type": "websocket.send", "bytes": frame})

    async def close(self, code: int, reason: str) -> None:
        await self._send({"type": "websocket.close", "code": code, "reason": reason})

    def abort(self) -> None:
        """ASGI has no abort: use the server's transport if `send` leads to one (it does on
        uvicorn); otherwise the server's own timeouts end the connection."""
        transport = getattr(getattr(self._send, "__self__", None), "transport", None)
        abort = getattr(transport, "abort", None)
        if callable(abort):
            abort()
