"""The lean protocol's frame splitting (server/realtime/lean_protocol.py) without a network: plain
frames go to the app's queue whole however they are cut; every other frame reaches uvicorn's
reader as whole frames."""

from __future__ import annotations

import asyncio
import os
from typing import Any

import pytest
import uvicorn
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from uvicorn.server import ServerState
from websockets.protocol import State

from server.realtime.lean_protocol import LeanWebSocketsProtocol


def frame(payload: bytes, opcode: int = 2, fin: bool = True) -> bytes:
    n = len(payload)
    head = bytes(((0x80 if fin else 0) | opcode,))
    if n < 126:
        head += bytes((0x80 | n,))
    elif n < 65536:
        head += bytes((0x80 | 126,)) + n.to_bytes(2, "big")
    else:
        head += bytes((0x80 | 127,)) + n.to_bytes(8, "big")
    key = os.urandom(4)
    return head + key + bytes(b ^ key[i % 4] for i, b in enumerate(payload))


class Socket:
    """What the protocol uses of the socket's transport here."""

    def __init__(self) -> None:
        self.paused = 0

    def pause_reading(self) -> None:
        self.paused += 1


@pytest.fixture
def given(monkeypatch: pytest.MonkeyPatch) -> list[bytes]:
    """What reaches uvicorn's own reader (recorded instead of parsed)."""
    out: list[bytes] = []
    monkeypatch.setattr(WebSocketsSansIOProtocol, "data_received", lambda self, d: out.append(d))
    return out


async def accepted(*, buffered: bytes = b"", compressed: bool = False) -> Any:
    """A lean protocol whose accept was just written (no network: the socket is a stand-in)."""

    async def app(scope: Any, receive: Any, send: Any) -> None:
        pass

    config = uvicorn.Config(app, ws=LeanWebSocketsProtocol, ws_max_size=1 << 20)
    config.load()
    proto: Any = LeanWebSocketsProtocol(
        config=config, server_state=ServerState(), app_state={}, _loop=asyncio.get_running_loop()
    )
    proto.transport = Socket()
    proto.conn.state = State.OPEN
    proto.conn.reader.buffer.extend(buffered)
    if compressed:
        proto.conn.extensions = [object()]
    proto.ping_interval = None
    proto.start_keepalive()  # what uvicorn calls once the accept's response is written
    return proto


def queued(proto: Any) -> list[bytes]:
    out = []
    while not proto.queue.empty():
        out.append(proto.queue.get_nowait()["bytes"])
    return out


@pytest.mark.parametrize("piece", [1, 2, 3, 7, 1000])
async def test_plain_frames_arrive_whole_however_they_are_cut(
    piece: int, given: list[bytes]
) -> None:
    proto = await accepted()
    feed = proto.data_received
    messages = [b"", b"a", b"x" * 125, b"y" * 126, b"z" * 70_000, b"w" * 300]
    data = b"".join(frame(m) for m in messages)
    for start in range(0, len(data), piece):
        feed(data[start : start + piece])
    small = [m for m in messages if len(m) < 65536]
    assert queued(proto) == small  # the large one went to uvicorn's reader, as it came
    assert b"".join(given) == frame_bytes_of(data, b"z" * 70_000)


def frame_bytes_of(data: bytes, payload: bytes) -> bytes:
    """The frame in `data` that carries `payload` (headers: 10 bytes, mask: 4)."""
    start = 0
    while True:
        n = data[start + 1] & 0x7F
        head = 2 + (2 if n == 126 else 8 if n == 127 else 0) + 4
        length = (
            n
            if n < 126
            else int.from_bytes(data[start + 2 : start + 4 if n == 126 else start + 10], "big")
        )
        if length == len(payload):
            return data[start : start + head + length]
        start += head + length


async def test_other_frames_go_to_uvicorn_whole_and_in_order(given: list[bytes]) -> None:
    proto = await accepted()
    feed = proto.data_received
    ping, text = frame(b"hi", opcode=0x9), frame(b"{}", opcode=0x1)
    start, rest = frame(b"ab", fin=False), frame(b"cd", opcode=0x0)
    feed(frame(b"1") + ping + frame(b"2") + text + start + rest)
    assert queued(proto) == [b"1", b"2"]
    assert given == [ping, text, start, rest]


async def test_reading_pauses_only_when_messages_pile_up(given: list[bytes]) -> None:
    proto = await accepted()
    feed = proto.data_received
    feed(b"".join(frame(bytes([i])) for i in range(LeanWebSocketsProtocol.PAUSE_AT - 1)))
    assert proto.transport.paused == 0 and not proto.read_paused
    feed(frame(b"last"))
    assert proto.transport.paused == 1 and proto.read_paused


async def test_a_closing_connection_leaves_everything_to_uvicorn(given: list[bytes]) -> None:
    proto = await accepted()
    proto.close_sent = True
    late, later = frame(b"late"), frame(b"later")
    proto.data_received(late)
    proto.data_received(later)
    assert queued(proto) == [] and given == [late, later]


@pytest.mark.parametrize("change", ["compression", "bytes before the accept"])
async def test_uvicorn_reads_every_frame_when_the_connection_is_not_plain(
    change: str, given: list[bytes]
) -> None:
    if change == "compression":
        proto = await accepted(compressed=True)
    else:
        proto = await accepted(buffered=b"\x82")
    data = frame(b"x")
    proto.data_received(data)
    assert queued(proto) == [] and given == [data]
