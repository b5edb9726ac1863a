"""FastReceive (server/realtime/transport.py) without a network: plain frames go to the app's
queue whole however they are cut; every other frame reaches uvicorn's reader as whole frames."""

from __future__ import annotations

import asyncio
import os
from typing import Any

import pytest
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.protocol import State
from websockets.server import ServerProtocol

from server.realtime.transport import FastReceive


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
    """What FastReceive uses of the socket's transport."""

    def __init__(self) -> None:
        self.paused = 0
        self.protocol: Any = None

    def pause_reading(self) -> None:
        self.paused += 1

    def set_protocol(self, protocol: Any) -> None:
        self.protocol = protocol


def protocol() -> Any:
    """A uvicorn protocol object, accepted, whose own reader only records what it is given."""
    proto: Any = object.__new__(WebSocketsSansIOProtocol)
    proto.conn = ServerProtocol(max_size=1 << 20)
    proto.conn.state = State.OPEN
    proto.queue = asyncio.Queue()
    proto.read_paused = False
    proto.frames = []
    proto.close_sent = False
    proto.transport = Socket()
    proto.given = []
    proto.data_received = proto.given.append
    return proto


def fed(proto: Any) -> Any:
    """FastReceive on `proto`'s socket: what the event loop now hands the bytes it reads."""
    FastReceive.install(proto)
    receiver = proto.transport.protocol
    assert isinstance(receiver, FastReceive)
    return receiver.data_received


def queued(proto: Any) -> list[bytes]:
    out = []
    while not proto.queue.empty():
        out.append(proto.queue.get_nowait()["bytes"])
    return out


@pytest.mark.parametrize("piece", [1, 2, 3, 7, 1000])
async def test_plain_frames_arrive_whole_however_they_are_cut(piece: int) -> None:
    proto = protocol()
    feed = fed(proto)
    messages = [b"", b"a", b"x" * 125, b"y" * 126, b"z" * 70_000, b"w" * 300]
    data = b"".join(frame(m) for m in messages)
    for start in range(0, len(data), piece):
        feed(data[start : start + piece])
    small = [m for m in messages if len(m) < 65536]
    assert queued(proto) == small  # the large one went to uvicorn's reader, as it came
    assert b"".join(proto.given) == frame_bytes_of(data, b"z" * 70_000)


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


async def test_other_frames_go_to_uvicorn_whole_and_in_order() -> None:
    proto = protocol()
    feed = fed(proto)
    ping, text = frame(b"hi", opcode=0x9), frame(b"{}", opcode=0x1)
    start, rest = frame(b"ab", fin=False), frame(b"cd", opcode=0x0)
    feed(frame(b"1") + ping + frame(b"2") + text + start + rest)
    assert queued(proto) == [b"1", b"2"]
    assert proto.given == [ping, text, start, rest]


async def test_reading_pauses_only_when_messages_pile_up() -> None:
    proto = protocol()
    feed = fed(proto)
    feed(b"".join(frame(bytes([i])) for i in range(FastReceive.PAUSE_AT - 1)))
    assert proto.transport.paused == 0 and not proto.read_paused
    feed(frame(b"last"))
    assert proto.transport.paused == 1 and proto.read_paused


async def test_a_closing_connection_leaves_everything_to_uvicorn() -> None:
    proto = protocol()
    feed = fed(proto)
    proto.close_sent = True
    data = frame(b"late")
    feed(data)
    assert queued(proto) == [] and proto.given == [data]


@pytest.mark.parametrize("change", ["compression", "bytes in the parser", "not open"])
async def test_uvicorn_keeps_reading_when_the_connection_is_not_plain(change: str) -> None:
    proto = protocol()
    if change == "compression":
        proto.conn.extensions = [object()]
    elif change == "bytes in the parser":
        proto.conn.reader.buffer.extend(b"\x82")
    else:
        proto.conn.state = State.CLOSING
    FastReceive.install(proto)
    assert proto.transport.protocol is None  # uvicorn's protocol reads on
