"""uvicorn's websockets-sansio protocol, lighter: less memory per idle connection (bench S4) and
less work per received message (S2, S7).

Same protocol, frames, closing handshake and keepalive. Client frames: once the accept is
written, each complete, final, masked binary frame is unmasked here and put in the app's queue
as uvicorn would put it; every other frame (control frames, text, fragments, anything malformed
or over the size limit) goes whole to uvicorn's own reader, which answers pings, closes, and
refuses what is wrong as before. uvicorn feeds every byte through websockets' generator-based
parser, builds an event per frame, and stops and restarts reading the socket after every
message: together more than the y-websocket parse and the guard of a small update. Here reading
pauses only when messages pile up.

What it keeps for a connection's whole life is smaller:
- its attributes, in slots rather than in a dict of its own (see _ATTRIBUTES);
- the receive queue: an asyncio.Queue is four deques, about 3 KiB before its first message,
  for what is one consumer and, between messages, nothing;
- the `writable` flag: an asyncio.Event keeps a deque (0.7 KiB) for waiters that rarely exist;
- the handshake's Request and Response (the headers parsed again into str, about 4 KiB), which
  uvicorn and the websockets parser keep though nothing reads them once the handshake is over.
  The ASGI scope keeps its own copy of the request headers.

The protocol is private to uvicorn: each part is replaced only when it is found as expected
(server/realtime/transport.py checks the same object before writing to it).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from typing import Any, Generic, TypeVar

from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.datastructures import Headers
from websockets.protocol import State

try:  # websockets' C unmasking, as its own parser uses it
    from websockets.speedups import apply_mask
except ImportError:  # pragma: no cover - a build without the C extension
    from websockets.utils import apply_mask

T = TypeVar("T")


class Flag:
    """asyncio.Event's set/clear/is_set/wait, without a deque until someone waits."""

    __slots__ = ("_value", "_waiters")

    def __init__(self, value: bool = False) -> None:
        self._value = value
        self._waiters: list[asyncio.Future[bool]] | None = None

    def is_set(self) -> bool:
        return self._value

    def set(self) -> None:
        if not self._value:
            self._value = True
            for waiter in self._waiters or ():
                if not waiter.done():
                    waiter.set_result(True)

    def clear(self) -> None:
        self._value = False

    async def wait(self) -> bool:
        if self._value:
            return True
        waiter: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        if self._waiters is None:
            self._waiters = []
        self._waiters.append(waiter)
        try:
            await waiter
            return True
        finally:
            self._waiters.remove(waiter)
            if not self._waiters:
                self._waiters = None


# A connection with a backlog yields the event loop once after this long without a pause: its
# messages are judged and stored without suspending (appends on the loop), so one client's
# burst would otherwise hold every other connection, timer and new connection until it is
# through.
TURN_SECONDS = 0.002


class ReceiveQueue(Generic[T]):
    """The part of an unbounded asyncio.Queue that uvicorn uses (put_nowait, get, empty), with
    asyncio.Queue's order and cancellation rules; storage exists only while items or getters do.
    A consumer that finds items waiting turn after turn yields once per TURN_SECONDS.
    """

    __slots__ = ("_getters", "_items", "_turn")

    def __init__(self) -> None:
        self._items: deque[T] | None = None
        self._getters: list[asyncio.Future[None]] | None = None
        self._turn = 0.0  # when the consumer last waited or yielded

    def empty(self) -> bool:
        return not self._items

    def qsize(self) -> int:
        return len(self._items) if self._items else 0

    def put_nowait(self, item: T) -> None:
        if self._items is None:
            self._items = deque()
        self._items.append(item)
        self._wakeup_next()

    def _wakeup_next(self) -> None:
        getters = self._getters
        while getters:
            getter = getters.pop(0)
            if not getter.done():
                getter.set_result(None)
                break
        if not getters:
            self._getters = None

    def get_nowait(self) -> T:
        items = self._items
        if not items:
            raise asyncio.QueueEmpty
        item = items.popleft()
        if not items:
            self._items = None
        return item

    async def get(self) -> T:
        if self._items and time.perf_counter() - self._turn > TURN_SECONDS:
            await asyncio.sleep(0)  # a backlog: everything else that is ready runs once
            self._turn = time.perf_counter()
        while not self._items:
            getter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            if self._getters is None:
                self._getters = []
            self._getters.append(getter)
            try:
                await getter
                self._turn = time.perf_counter()
            except BaseException:
                getter.cancel()  # just in case getter is not done yet
                if self._getters is not None and getter in self._getters:
                    self._getters.remove(getter)
                    if not self._getters:
                        self._getters = None
                if self._items and not getter.cancelled():
                    self._wakeup_next()  # another getter takes the item this one was woken for
                raise
        return self.get_nowait()


# uvicorn's protocol sets about 37 attributes; CPython shares the keys of an instance dict
# among a class's instances only up to 30, so each connection had its own 1.5 KiB dict. As slots
# (a subclass may add them to a class with a dict) they take 8 bytes each. Only names that the
# class does not define otherwise (a method, a property) become slots.
_ATTRIBUTES = [
    "config",
    "app",
    "loop",
    "logger",
    "root_path",
    "asgi_version",
    "app_state",
    "connections",
    "tasks",
    "default_headers",
    "transport",
    "server",
    "client",
    "scheme",
    "queue",
    "handshake_initiated",
    "handshake_complete",
    "close_sent",
    "disconnected",
    "close_timer",
    "close_timeout",
    "initial_response",
    "conn",
    "read_paused",
    "writable",
    "ping_interval",
    "ping_timeout",
    "ping_timer",
    "pong_timer",
    "pending_ping_payload",
    "ping_sent_at",
    "last_ping_rtt",
    "frames",
    "curr_msg_data_type",
    "request",
    "response",
    "scope",
]


class LeanWebSocketsProtocol(WebSocketsSansIOProtocol):
    """What `planboard serve` runs WebSockets on; see the module docstring."""

    __slots__ = (
        *(n for n in _ATTRIBUTES if not hasattr(WebSocketsSansIOProtocol, n)),
        "_split",
        "_partial",
        "_owed",
    )

    PAUSE_AT = 16  # queued messages before the socket stops being read (uvicorn: 1)
    SPLIT_UP_TO = 65536  # larger frames go to uvicorn's reader as they come, not buffered here

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._split = False  # frames are split here: from the accept on, see start_keepalive
        self._partial = b""  # the start of a frame not complete yet
        self._owed = 0  # bytes of a frame handed to uvicorn's reader that are still to come
        if type(self.queue) is asyncio.Queue and self.queue.empty():
            self.queue = ReceiveQueue()  # type: ignore[assignment]
        if type(self.writable) is asyncio.Event:
            self.writable = Flag(self.writable.is_set())  # type: ignore[assignment]

    def handle_connect(self, event: Any) -> None:
        super().handle_connect(event)
        # Read only while handle_connect runs; the scope holds the headers the app sees. The
        # websockets parser keeps the request in a local of its (lifelong) generator: empty it.
        with contextlib.suppress(AttributeError):
            del self.request
        if isinstance(getattr(event, "headers", None), Headers):
            event.headers.clear()
        if isinstance(getattr(event, "path", None), str):
            event.path = ""

    def start_keepalive(self) -> None:
        # Called once the accept's response is written: nothing reads it again.
        with contextlib.suppress(AttributeError):
            del self.response
        # From here frames are split here, unless the connection is compressed or the client
        # sent bytes before the accept (then uvicorn's reader may be inside a frame).
        conn = self.conn
        self._split = conn.state is State.OPEN and not conn.extensions and not conn.reader.buffer
        super().start_keepalive()

    def data_received(self, data: bytes) -> None:
        if not self._split:
            super().data_received(data)
            return
        if self._owed:  # the rest of a frame uvicorn's reader is taking
            take = min(self._owed, len(data))
            self._owed -= take
            super().data_received(data[:take])
            data = data[take:]
            if not data:
                return
        if self._partial:
            data = self._partial + data
            self._partial = b""
        conn = self.conn
        limit = conn.max_message_size or 0
        pos, size = 0, len(data)
        while pos < size:
            if conn.state is not State.OPEN or self.close_sent:
                self._split = False  # closing: uvicorn's reader takes the rest
                super().data_received(data[pos:])
                return
            if size - pos < 2:
                break
            first, second = data[pos], data[pos + 1]
            length = second & 0x7F
            head = 2
            if length == 126:
                if size - pos < 4:
                    break
                length = int.from_bytes(data[pos + 2 : pos + 4], "big")
                head = 4
            elif length == 127:
                if size - pos < 10:
                    break
                length = int.from_bytes(data[pos + 2 : pos + 10], "big")
                head = 10
            masked = second & 0x80
            if masked:
                head += 4
            end = pos + head + length
            plain = first == 0x82 and masked and length <= limit and not self.frames
            if plain and end <= size:
                start = pos + head
                self._deliver(apply_mask(data[start:end], data[start - 4 : start]))
                pos = end
                continue
            if plain and head + length <= self.SPLIT_UP_TO:
                break  # a small message not complete yet: wait for the rest
            # Any other frame, or a large one: uvicorn's reader takes it, whole or as it comes.
            if end <= size:
                super().data_received(data[pos:end])
                pos = end
                continue
            self._owed = end - size
            super().data_received(data[pos:])
            return
        self._partial = data[pos:]

    def _deliver(self, payload: bytes) -> None:
        """What uvicorn does with a complete binary message, without the pause per message."""
        if self.close_sent:
            return  # past the close: discarded, as uvicorn does
        queue = self.queue
        queue.put_nowait({"type": "websocket.receive", "bytes": payload})
        if not self.read_paused and queue.qsize() >= self.PAUSE_AT:
            self.read_paused = True  # uvicorn's `receive` resumes once the queue is empty
            self.transport.pause_reading()
