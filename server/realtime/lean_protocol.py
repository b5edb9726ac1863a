"""uvicorn's websockets-sansio protocol with less memory held per idle connection (bench S4).

Same protocol, frames, closing handshake and keepalive; only what it keeps for a connection's
whole life is smaller:
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
from collections import deque
from typing import Any, Generic, TypeVar

from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.datastructures import Headers

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


class ReceiveQueue(Generic[T]):
    """The part of an unbounded asyncio.Queue that uvicorn uses (put_nowait, get, empty), with
    asyncio.Queue's order and cancellation rules; storage exists only while items or getters do.
    """

    __slots__ = ("_getters", "_items")

    def __init__(self) -> None:
        self._items: deque[T] | None = None
        self._getters: list[asyncio.Future[None]] | None = None

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
        while not self._items:
            getter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            if self._getters is None:
                self._getters = []
            self._getters.append(getter)
            try:
                await getter
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

    __slots__ = tuple(n for n in _ATTRIBUTES if not hasattr(WebSocketsSansIOProtocol, n))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
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
        super().start_keepalive()
