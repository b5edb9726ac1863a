"""The plain-ASGI fallback of server/realtime/transport.py, over a real uvicorn process whose
send no longer leads to its protocol object: sync, broadcast, close codes and backpressure
unchanged."""

from __future__ import annotations

import asyncio
import re
import socket
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from pycrdt import Map

from crdt import protocol
from tests.boards import add_note, note_texts, state_vector, stream_big_edits
from tests.helpers import create_board, join_board
from tests.servers import PlanboardProcess
from tests.yclient import YClient, wait_for

FALLBACK_NOTICE = "frames go through ASGI send"


def _fallback_server(data_dir: Path, env: dict[str, str]) -> PlanboardProcess:
    command = [sys.executable, "-m", "tests.asgi_fallback_serve"]
    return PlanboardProcess(data_dir, env=env, command=command).start()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PlanboardProcess]:
    process = _fallback_server(tmp_path_factory.mktemp("asgi-fallback"), {})
    yield process
    process.stop()


@pytest.fixture
def tight_server(tmp_path: Path) -> Iterator[PlanboardProcess]:
    """Small send queues and socket buffers, so that a client that does not read overflows."""
    env = {"PLANBOARD_SEND_QUEUE": "64", "PLANBOARD_SOCKET_SNDBUF": "16384"}
    process = _fallback_server(tmp_path, env)
    yield process
    process.stop()


def _url(server: PlanboardProcess, board: dict[str, Any], token: str | None = None) -> str:
    return f"{server.ws_url}/ws/{board['id']}?token={token or board['token']}"


def _closes(server: PlanboardProcess, code: int) -> float:
    text = httpx.get(f"{server.url}/metrics").text
    match = re.search(rf'^planboard_closes_total{{code="{code}"}} (\S+)$', text, re.MULTILINE)
    return float(match.group(1)) if match else 0.0


async def test_fallback_is_chosen_and_clients_converge(server: PlanboardProcess) -> None:
    board = create_board(server.url)
    ana = join_board(server.url, board["id"], "Ana")
    a = await YClient(_url(server, board)).connect()
    b = await YClient(_url(server, board, ana["token"])).connect()
    assert FALLBACK_NOTICE in server.log()
    assert a.doc.get("meta", type=Map)["title"] == "Test board"
    add_note(a.doc, "n1", board["participant_id"], "from a")
    add_note(b.doc, "n2", ana["participant_id"], "from b")
    await wait_for(lambda: set(note_texts(a.doc)) == {"n1", "n2"}, what="a sees both")
    await wait_for(lambda: set(note_texts(b.doc)) == {"n1", "n2"}, what="b sees both")
    await a.set_awareness({"user": {"name": "Ana"}, "cursor": {"x": 1, "y": 2}})
    await wait_for(lambda: b.awareness.get(a.doc.client_id), what="b sees a's cursor")
    late = await YClient(_url(server, board)).connect()
    assert state_vector(late.doc) == state_vector(a.doc)
    for client in (a, b, late):
        await client.close()


async def _flood(c: YClient) -> None:
    frame = protocol.encode_awareness([protocol.AwarenessEntry(c.doc.client_id, 1, '{"a":1}')])
    for _ in range(3000):
        if c.closed.is_set():
            return
        await c.send_raw(frame)


@pytest.mark.parametrize(
    ("offence", "code"),
    [
        ("oversized", 1009),
        ("garbage", 1007),
        ("flood", 4429),
    ],
)
async def test_close_codes(server: PlanboardProcess, offence: str, code: int) -> None:
    board = create_board(server.url)
    refused = YClient(_url(server, board, "garbage"))
    await refused.connect(wait_synced=False)
    assert await refused.wait_closed() == 4401
    bystander = await YClient(_url(server, board)).connect()
    offender = await YClient(_url(server, board)).connect()
    if offence == "oversized":
        await offender.send_raw(protocol.encode_update(b"\x00" * (1024 * 1024 + 10)))
    elif offence == "garbage":
        await offender.send_raw(b"\x00\x02\x99\x99")
    else:
        await _flood(offender)
    assert await offender.wait_closed() == code
    fresh = await YClient(_url(server, board)).connect()
    add_note(fresh.doc, "after", board["participant_id"], "still alive")
    await wait_for(
        lambda: "after" in note_texts(bystander.doc),
        what="room keeps syncing",
        state=lambda: f"bystander closed: {bystander.closed.is_set()} {bystander.close_reason}",
    )
    assert not bystander.closed.is_set()
    await fresh.close()
    await bystander.close()


async def _non_reading_client(url: str) -> socket.socket:
    """A raw WebSocket client with a tiny receive buffer that never reads after the handshake."""
    hostport, path = url.split("//", 1)[1].split("/", 1)
    host, port = hostport.split(":")
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.setblocking(False)
    loop = asyncio.get_running_loop()
    await loop.sock_connect(sock, (host, int(port)))
    request = (
        f"GET /{path} HTTP/1.1\r\nHost: {hostport}\r\nUpgrade: websocket\r\n"
        "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
        "Sec-WebSocket-Version: 13\r\n\r\n"
    )
    await loop.sock_sendall(sock, request.encode())
    head = b""
    while b"\r\n\r\n" not in head:
        head += await loop.sock_recv(sock, 1)
    assert head.startswith(b"HTTP/1.1 101"), head
    return sock


async def test_non_reading_clients_are_closed_and_readers_keep_up(
    tight_server: PlanboardProcess,
) -> None:
    server = tight_server
    board = create_board(server.url)
    url = _url(server, board)
    reader = await YClient(url).connect()
    writer = await YClient(url).connect()
    before = _closes(server, 1013)
    stalled = [await _non_reading_client(url) for _ in range(10)]
    # More than a stalled client can hold: the kernel's buffers (how much payload fits in them
    # depends on how writes coalesce), the transport's 64 KiB and 64 queued messages. Paced
    # under the sender's own limit of 200 messages/s.
    await stream_big_edits(
        writer.doc, "big", board["participant_id"], 250, pause_every=10, pause=0.1
    )
    await wait_for(
        lambda: _closes(server, 1013) - before >= 10, 30, "every stalled client closed with 1013"
    )
    await wait_for(lambda: note_texts(reader.doc).get("big") == note_texts(writer.doc)["big"], 30)
    assert not reader.closed.is_set()
    for sock in stalled:
        sock.close()
    await reader.close()
    await writer.close()


async def test_planboard_serve_gets_the_fast_transport(live_server: PlanboardProcess) -> None:
    """The alarm for a uvicorn upgrade that moved what the fast path uses: still correct (the
    tests above), but several times the CPU per delivered message."""
    board = create_board(live_server.url)
    client = await YClient(_url(live_server, board)).connect()
    await client.close()
    assert FALLBACK_NOTICE not in live_server.log()
