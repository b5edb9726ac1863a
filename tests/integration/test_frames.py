"""Client frames however TCP cuts them: byte by byte, several per packet, fragmented, large, with
control frames between; and frames a client must not send (server/realtime/transport.py reads
plain ones itself and hands every other to uvicorn)."""

from __future__ import annotations

import asyncio
import base64
import os
from typing import Any

from pycrdt import Doc

from crdt import protocol
from tests.boards import add_note, note_texts
from tests.helpers import create_board
from tests.servers import PlanboardProcess
from tests.yclient import YClient, wait_for


def _frame(payload: bytes, *, opcode: int = 2, fin: bool = True, mask: bool = True) -> bytes:
    """A client frame (RFC 6455 5.2), masked as a client's must be."""
    head = bytes(((0x80 if fin else 0) | opcode,))
    n = len(payload)
    bit = 0x80 if mask else 0
    if n < 126:
        head += bytes((bit | n,))
    elif n < 65536:
        head += bytes((bit | 126,)) + n.to_bytes(2, "big")
    else:
        head += bytes((bit | 127,)) + n.to_bytes(8, "big")
    if not mask:
        return head + payload
    key = os.urandom(4)
    return head + key + bytes(b ^ key[i % 4] for i, b in enumerate(payload))


class RawSocket:
    """A WebSocket client that writes bytes exactly as told, and reads the server's frames."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.frames: list[tuple[int, bytes]] = []  # (opcode, payload) from the server
        self._task = asyncio.create_task(self._read())

    @classmethod
    async def open(cls, server: PlanboardProcess, path: str) -> RawSocket:
        host, port = server.url.removeprefix("http://").split(":")
        reader, writer = await asyncio.open_connection(host, int(port))
        key = base64.b64encode(os.urandom(16)).decode()
        writer.write(
            f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
            "Sec-WebSocket-Version: 13\r\n\r\n".encode()
        )
        status = await reader.readuntil(b"\r\n\r\n")
        assert status.startswith(b"HTTP/1.1 101"), status
        return cls(reader, writer)

    async def _read(self) -> None:
        try:
            while True:
                first, second = await self.reader.readexactly(2)
                n = second & 0x7F
                if n == 126:
                    n = int.from_bytes(await self.reader.readexactly(2), "big")
                elif n == 127:
                    n = int.from_bytes(await self.reader.readexactly(8), "big")
                self.frames.append((first & 0x0F, await self.reader.readexactly(n)))
        except (asyncio.IncompleteReadError, ConnectionError):
            return

    async def send(self, data: bytes, *, pieces: int = 1) -> None:
        """Write `data` in `pieces` writes, each drained before the next."""
        step = max(1, -(-len(data) // pieces))
        for start in range(0, len(data), step):
            self.writer.write(data[start : start + step])
            await self.writer.drain()

    def close_code(self) -> int | None:
        for opcode, payload in self.frames:
            if opcode == 0x8:
                return int.from_bytes(payload[:2], "big")
        return None

    def messages(self) -> list[Any]:
        return [protocol.parse_message(p) for op, p in self.frames if op == 0x2]

    async def close(self) -> None:
        self.writer.close()
        self._task.cancel()


def _update_adding(base: Doc[Any], note_id: str, author: str, text: str) -> bytes:
    doc: Doc[Any] = Doc()
    doc.apply_update(base.get_update())
    before = doc.get_state()
    add_note(doc, note_id, author, text)
    return doc.get_update(before)


async def test_frames_cut_anyhow_reach_the_board_as_the_same_messages(
    live_server: PlanboardProcess,
) -> None:
    board = create_board(live_server.url)
    bid, token, author = board["id"], board["token"], board["participant_id"]
    observer = await YClient(f"{live_server.ws_url}/ws/{bid}?token={token}").connect()
    raw = await RawSocket.open(live_server, f"/ws/{bid}?token={token}")
    # Sync step 1 one byte at a time: the server answers with its state (step 2).
    await raw.send(_frame(protocol.encode_sync_step1(b"\x00")), pieces=40)
    await wait_for(
        lambda: any(isinstance(m, protocol.SyncStep2) for m in raw.messages()), what="step 2"
    )
    # Two updates in one write, a ping between them, then a fragmented third with a ping
    # inside, then a fourth cut in three.
    one = _update_adding(observer.doc, "one", author, "one")
    two = _update_adding(observer.doc, "two", author, "two")
    three = protocol.encode_update(_update_adding(observer.doc, "three", author, "three"))
    four = _update_adding(observer.doc, "four", author, "four")
    await raw.send(
        _frame(protocol.encode_update(one))
        + _frame(b"hello", opcode=0x9)
        + _frame(protocol.encode_update(two))
        + _frame(three[:5], fin=False)
        + _frame(b"again", opcode=0x9)
        + _frame(three[5:], opcode=0x0)
    )
    await raw.send(_frame(protocol.encode_update(four)), pieces=3)
    want = {"one", "two", "three", "four"}
    await wait_for(lambda: want <= set(note_texts(observer.doc)), what="every note")
    await wait_for(lambda: [p for op, p in raw.frames if op == 0xA] == [b"hello", b"again"])
    # A large message (over 64 KiB) written in 1,000-byte pieces.
    texts = {f"big{i}": f"{i} " + "x" * 1900 for i in range(40)}
    doc: Doc[Any] = Doc()
    doc.apply_update(observer.doc.get_update())
    before = doc.get_state()
    for note_id, text in texts.items():
        add_note(doc, note_id, author, text)
    big = _frame(protocol.encode_update(doc.get_update(before)))
    assert len(big) > 65536
    await raw.send(big, pieces=len(big) // 1000)
    await wait_for(lambda: set(texts) <= set(note_texts(observer.doc)), what="the large one")
    assert {k: note_texts(observer.doc)[k] for k in texts} == texts
    assert raw.close_code() is None
    await raw.close()
    await observer.close()


async def test_frames_a_client_must_not_send_close_the_connection(
    live_server: PlanboardProcess,
) -> None:
    board = create_board(live_server.url)
    path = f"/ws/{board['id']}?token={board['token']}"
    step1 = protocol.encode_sync_step1(b"\x00")
    cases = {
        "unmasked": (_frame(step1, mask=False), 1002),
        "reserved bit": (bytes((0xC2,)) + _frame(step1)[1:], 1002),
        "text": (_frame(b'{"a": 1}', opcode=0x1), 1007),
        "continuation without a start": (_frame(step1, opcode=0x0), 1002),
        # Only the start of it: the server refuses on the header, before the rest is sent.
        "over the size limit": (_frame(b"\x00" * (3 << 20))[:1000], 1009),
    }
    for name, (data, code) in cases.items():
        raw = await RawSocket.open(live_server, path)
        await raw.send(data, pieces=3)
        await wait_for(lambda raw=raw: raw.close_code() is not None, what=f"{name}: a close")
        assert raw.close_code() == code, name
        await raw.close()
