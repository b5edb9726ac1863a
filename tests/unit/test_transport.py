"""server/realtime/transport.py without a network: which transport a connection gets, and that the
connection's bound and close work the same over both."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from starlette.types import Message
from starlette.websockets import WebSocket
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol

from server.auth import Claims
from server.realtime.connection import CLOSE_OVERLOADED, Connection
from server.realtime.transport import (
    AsgiTransport,
    FastTransport,
    Transport,
    capture_raw_send,
    open_transport,
    ws_frame,
)

CLAIMS = Claims("p1", "b1", "participant", "Ana", 0)


class FakeSocket:
    """What FastTransport uses of an asyncio transport."""

    def __init__(self) -> None:
        self.writes: list[bytes] = []
        self.aborted = False

    def write(self, data: bytes) -> None:
        self.writes.append(data)

    def is_closing(self) -> bool:
        return self.aborted

    def abort(self) -> None:
        self.aborted = True


def sansio_protocol() -> Any:
    """A uvicorn protocol object with the state FastTransport reads, without a server."""
    proto: Any = object.__new__(WebSocketsSansIOProtocol)
    proto.transport = FakeSocket()
    proto.writable = asyncio.Event()
    proto.writable.set()
    proto.close_sent = False
    proto.disconnected = False
    return proto


def websocket_with_raw_send(send: Any) -> WebSocket:
    async def receive() -> Message:
        raise AssertionError("not used")

    async def wrapped(message: Message) -> None:
        raise AssertionError("the raw send is used, not Starlette's wrapper")

    scope: dict[str, Any] = {"type": "websocket", "path": "/ws/b1", "headers": []}
    capture_raw_send(scope, send)
    return WebSocket(scope, receive, wrapped)


def connection(transport: Transport, max_queue_messages: int = 8) -> Connection:
    return Connection(
        transport,
        CLAIMS,
        max_queue_messages=max_queue_messages,
        max_queue_bytes=1 << 20,
        rate_messages=100,
        burst_messages=100,
        rate_bytes=1 << 20,
        max_message_bytes=1 << 20,
    )


@pytest.mark.parametrize("size", [0, 125, 126, 65535, 65536])
def test_frames_are_unmasked_binary_with_the_shortest_length(size: int) -> None:
    frame = ws_frame(b"x" * size)
    header = len(frame) - size
    assert frame[0] == 0x82
    assert header == (2 if size < 126 else 4 if size < 65536 else 10)
    assert frame[1] & 0x80 == 0


async def test_uvicorn_protocol_as_expected_gets_the_fast_transport() -> None:
    proto = sansio_protocol()
    assert isinstance(open_transport(websocket_with_raw_send(proto.send)), FastTransport)


@pytest.mark.parametrize("moved", ["writable", "close_sent", "disconnected", "transport"])
async def test_a_moved_private_attribute_falls_back_to_asgi(moved: str) -> None:
    proto = sansio_protocol()
    delattr(proto, moved)
    assert isinstance(open_transport(websocket_with_raw_send(proto.send)), AsgiTransport)


async def test_a_send_that_hides_its_protocol_falls_back_to_asgi() -> None:
    async def send(message: Message) -> None:
        pass

    assert isinstance(open_transport(websocket_with_raw_send(send)), AsgiTransport)


async def test_fast_transport_writes_one_iteration_at_once_and_queues_while_paused() -> None:
    proto = sansio_protocol()
    conn = connection(FastTransport(proto.send, proto))
    conn.send(b"a")
    conn.send(b"b")
    await asyncio.sleep(0)
    assert proto.transport.writes == [ws_frame(b"a") + ws_frame(b"b")]
    proto.writable.clear()  # the peer stopped reading
    conn.send(b"c")
    await asyncio.sleep(0)
    assert len(proto.transport.writes) == 1
    proto.writable.set()
    for _ in range(3):
        await asyncio.sleep(0)
    assert proto.transport.writes[1:] == [ws_frame(b"c")]
    await conn.stop()


async def test_asgi_transport_keeps_order_and_closes_an_overflowing_client() -> None:
    sent: list[Message] = []
    release = asyncio.Event()

    async def send(message: Message) -> None:
        if message["type"] == "websocket.send":
            await release.wait()  # a client that does not read
        sent.append(message)

    conn = connection(AsgiTransport(send), max_queue_messages=4)
    for i in range(6):
        conn.send(bytes([i]))
    assert conn.closed and conn.close_code == CLOSE_OVERLOADED
    await conn.stop()
    assert [(m["type"], m["code"]) for m in sent] == [("websocket.close", CLOSE_OVERLOADED)]

    sent.clear()
    release.set()
    conn = connection(AsgiTransport(send))
    for i in range(3):
        conn.send(bytes([i]))
    for _ in range(5):
        await asyncio.sleep(0)
    assert [m["bytes"] for m in sent] == [b"\x00", b"\x01", b"\x02"]
    await conn.stop()


async def test_a_burst_in_one_loop_iteration_is_written_not_taken_for_a_stalled_client() -> None:
    """More messages than the queue bound within one iteration (a writer's burst judged in one
    go) go out in writes of at most the bound; only a client that does not read is closed."""
    proto = sansio_protocol()
    conn = connection(FastTransport(proto.send, proto), max_queue_messages=8)
    for i in range(20):
        conn.send(bytes([i]))
    assert not conn.closed
    await asyncio.sleep(0)
    assert b"".join(proto.transport.writes) == b"".join(ws_frame(bytes([i])) for i in range(20))
    assert all(w.count(b"\x82\x01") <= 8 for w in proto.transport.writes)

    proto.writable.clear()  # now the client stops reading: the bound applies to what waits
    for i in range(20):
        conn.send(bytes([i]))
    assert conn.closed and conn.close_code == CLOSE_OVERLOADED
    await conn.stop()
