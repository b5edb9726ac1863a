"""Hostile and broken clients: slow readers, floods, cross-board tokens, limits, restarts."""

from __future__ import annotations

import asyncio
import re
import signal
import socket
from pathlib import Path
from typing import Any

import httpx
from pycrdt import Map

from crdt import protocol
from tests.boards import add_note, note_texts, stream_big_edits
from tests.helpers import command, create_board, join_board
from tests.servers import PlanboardProcess
from tests.yclient import YClient, wait_for


def rss_kib(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    match = re.search(r"VmRSS:\s+(\d+) kB", status)
    assert match
    return int(match.group(1))


def metric(server: PlanboardProcess, name: str, labels: str = "") -> float:
    text = httpx.get(f"{server.url}/metrics").text
    pattern = re.escape(name) + (re.escape("{" + labels + "}") if labels else "") + r" (\S+)"
    match = re.search(r"^" + pattern + "$", text, re.MULTILINE)
    return float(match.group(1)) if match else 0.0


async def _non_reading_client(url: str) -> socket.socket:
    """A raw WebSocket client with a tiny receive buffer that never reads after the handshake."""
    rest = url.split("//", 1)[1]
    hostport, path = rest.split("/", 1)
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


async def test_non_reading_clients_are_closed_and_memory_stays_bounded(
    server_factory: Any,
) -> None:
    server = server_factory(
        env={
            "PLANBOARD_SEND_QUEUE": "64",
            "PLANBOARD_SOCKET_SNDBUF": "16384",
            "PLANBOARD_MAX_CONNECTIONS_PER_IP": "1000",
            "PLANBOARD_RATE_MESSAGES": "100000",
            "PLANBOARD_RATE_BURST": "100000",
        }
    )
    board = create_board(server.url)
    url = f"{server.ws_url}/ws/{board['id']}?token={board['token']}"
    reader = await YClient(url).connect()
    writer = await YClient(url).connect()
    assert server.proc is not None
    before = rss_kib(server.proc.pid)
    stalled = [await _non_reading_client(url) for _ in range(200)]
    await wait_for(lambda: metric(server, "planboard_connections") == 202, 20)
    await stream_big_edits(
        writer.doc, "big", board["participant_id"], 300, pause_every=50, pause=0.05
    )
    await wait_for(
        lambda: metric(server, "planboard_closes_total", 'code="1013"') >= 200,
        60,
        "every stalled client closed with 1013",
    )
    # The close handshake cannot finish with a peer that does not read: websockets gives up
    # after its close timeout and aborts the TCP connection.
    # The reading clients stay (the tiny queue of this test may close a busy one too).
    await wait_for(
        lambda: metric(server, "planboard_connections") <= 2,
        60,
        "stalled connections gone",
        lambda: f"connections={metric(server, 'planboard_connections')}",
    )
    grown_mib = (rss_kib(server.proc.pid) - before) / 1024
    print(f"server RSS growth with 200 stalled clients: {grown_mib:.1f} MiB")
    assert grown_mib < 200, f"server memory grew by {grown_mib:.0f} MiB"
    # The room still works for the clients that read, and for a client that (re)joins: into a
    # quiet room, after everything the writer sent (a sync request is answered after every
    # message sent before it); joining mid-stream, a client that cannot keep up with the
    # stream closes with 1013 under this test's tiny queue, as it should.
    writer.synced.clear()
    await writer.send_raw(protocol.encode_sync_step1(writer.doc.get_state()))
    await wait_for(writer.synced.is_set, 30, "the server answers the writer after its stream")
    fresh = await YClient(url).connect()
    await wait_for(
        lambda: note_texts(fresh.doc).get("big") == note_texts(writer.doc)["big"],
        30,
        "the rejoining client has the writer's text",
        lambda: (
            f"writer closed: {writer.close_code if writer.closed.is_set() else 'no'}, "
            f"fresh closed: {fresh.close_code if fresh.closed.is_set() else 'no'}, "
            f"lengths {len(note_texts(fresh.doc).get('big') or '')}"
            f" / {len(note_texts(writer.doc)['big'])}"
        ),
    )
    await fresh.close()
    for sock in stalled:
        sock.close()
    await reader.close()
    await writer.close()


async def test_flooder_is_closed_while_others_keep_syncing(live_server: PlanboardProcess) -> None:
    board = create_board(live_server.url)
    url = f"{live_server.ws_url}/ws/{board['id']}?token={board['token']}"
    a = await YClient(url).connect()
    b = await YClient(url).connect()
    flooder = await YClient(url).connect()
    frame = protocol.encode_awareness(
        [protocol.AwarenessEntry(flooder.doc.client_id, 1, '{"f":1}')]
    )

    async def flood() -> None:
        for _ in range(5000):
            if flooder.closed.is_set():
                return
            await flooder.send_raw(frame)

    flooding = asyncio.create_task(flood())
    for i in range(20):
        add_note(a.doc, f"n{i}", board["participant_id"], f"during the flood {i}")
    assert await flooder.wait_closed() == 4429
    await flooding
    await wait_for(lambda: len(note_texts(b.doc)) == 20, what="b kept receiving")
    await a.close()
    await b.close()


async def test_token_for_one_board_never_opens_another(live_server: PlanboardProcess) -> None:
    base = live_server.url
    a = create_board(base)
    b = create_board(base)
    bid = b["id"]
    auth = {"Authorization": f"Bearer {a['token']}"}
    responses = [
        httpx.get(f"{base}/api/boards/{bid}", headers=auth),
        httpx.post(f"{base}/api/boards/{bid}/commands", json={"type": "lock"}, headers=auth),
        httpx.get(f"{base}/api/boards/{bid}/votes/me", headers=auth),
        httpx.post(
            f"{base}/api/boards/{bid}/participants",
            json={"name": "x", "role": "facilitator"},
            headers=auth,
        ),
    ]
    for response in responses:
        assert response.status_code == 403, (response.request.url, response.text)
        assert response.json()["error"]["code"] == "wrong_board"
    for path in (f"/ws/{bid}", f"/ws/{bid}/drafts"):
        client = YClient(f"{live_server.ws_url}{path}?token={a['token']}")
        await client.connect(wait_synced=False)
        assert await client.wait_closed() == 4403


async def test_connection_and_creation_limits(server_factory: Any) -> None:
    server = server_factory(
        env={
            "PLANBOARD_MAX_CONNECTIONS_PER_BOARD": "2",
            "PLANBOARD_MAX_CONNECTIONS_PER_IP": "3",
            "PLANBOARD_BOARDS_PER_IP_PER_HOUR": "3",
        }
    )
    board = create_board(server.url)
    other = create_board(server.url)
    url = f"{server.ws_url}/ws/{board['id']}?token={board['token']}"
    first = await YClient(url).connect()
    second = await YClient(url).connect()
    third = YClient(url)
    await third.connect(wait_synced=False)
    assert await third.wait_closed() == 1013  # board full
    elsewhere = await YClient(f"{server.ws_url}/ws/{other['id']}?token={other['token']}").connect()
    fourth = YClient(f"{server.ws_url}/ws/{other['id']}?token={other['token']}")
    await fourth.connect(wait_synced=False)
    assert await fourth.wait_closed() == 4429  # too many from this address
    create_board(server.url)
    r = httpx.post(f"{server.url}/api/boards", json={"title": "one too many"})
    assert r.status_code == 429 and r.json()["error"]["code"] == "rate_limited"
    for client in (first, second, elsewhere):
        await client.close()


async def test_sigterm_under_load_keeps_every_seen_update(
    server_factory: Any, tmp_path: Path
) -> None:
    data = tmp_path / "load"
    server = server_factory(data_dir=data)
    board = create_board(server.url)
    bid = board["id"]
    writers = []
    for i in range(50):
        member = join_board(server.url, bid, f"w{i}")
        client = await YClient(f"{server.ws_url}/ws/{bid}?token={member['token']}").connect()
        writers.append((client, member["participant_id"]))
    observer = await YClient(f"{server.ws_url}/ws/{bid}?token={board['token']}").connect()
    stop = asyncio.Event()

    async def write(client: YClient, pid: str, index: int) -> None:
        n = 0
        while not stop.is_set() and not client.closed.is_set():
            add_note(client.doc, f"w{index}-{n}", pid, f"note {n}")
            n += 1
            await asyncio.sleep(0.05)

    tasks = [asyncio.create_task(write(c, pid, i)) for i, (c, pid) in enumerate(writers)]
    await wait_for(lambda: len(note_texts(observer.doc)) >= 300, 30, "load is flowing")
    stopping = asyncio.get_running_loop().run_in_executor(None, server.stop, signal.SIGTERM)
    assert await observer.wait_closed(20) == 1012
    stop.set()
    await asyncio.gather(*tasks)
    await stopping
    seen = note_texts(observer.doc)
    restarted = server_factory(data_dir=data)
    fresh = await YClient(f"{restarted.ws_url}/ws/{bid}?token={board['token']}").connect()
    stored = note_texts(fresh.doc)
    missing = set(seen) - set(stored)
    assert not missing, f"{len(missing)} notes seen by a client were lost"
    for client, _ in writers:
        await client.close()
    await fresh.close()


def test_security_headers_and_loop_lag_metric(live_server: PlanboardProcess) -> None:
    r = httpx.get(f"{live_server.url}/healthz")
    assert "frame-ancestors 'none'" in r.headers["content-security-policy"]
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["referrer-policy"] == "no-referrer"
    assert "planboard_event_loop_lag_seconds" in httpx.get(f"{live_server.url}/metrics").text


def test_unknown_board_commands_and_votes(live_server: PlanboardProcess) -> None:
    board = create_board(live_server.url)
    r = command(live_server.url, "bad id!", board["token"], "lock")
    assert r.status_code == 404


async def test_one_long_update_does_not_turn_the_next_joiner_away(server_factory: Any) -> None:
    """Judging a whole board pasted at once holds the loop a while; once it is done the loop is
    idle again, and the next joiner is admitted (only sustained lag means overload: the bench's
    seeding of a 2,000-note board met 1013 on a slower machine)."""
    server = server_factory(env={"PLANBOARD_MAX_LOOP_LAG": "0.1"})
    board = create_board(server.url)
    url = f"{server.ws_url}/ws/{board['id']}?token={board['token']}"
    writer = await YClient(url).connect()
    writer.auto_send = False
    before = writer.doc.get_state()
    with writer.doc.transaction():
        for i in range(2000):
            add_note(writer.doc, f"n{i}", board["participant_id"], f"idea {i}", x=float(i))
    await writer.send_raw(protocol.encode_update(writer.doc.get_update(before)))
    writer.synced.clear()  # the server answers a step 1 only after what came before it
    await writer.send_raw(protocol.encode_sync_step1(writer.doc.get_state()))
    await asyncio.wait_for(writer.synced.wait(), 60)
    joiner = YClient(url)
    await joiner.connect(timeout=30)
    assert joiner.close_code is None, joiner.close_reason
    await wait_for(lambda: len(joiner.doc.get("notes", type=Map)) == 2000, 30)
    await writer.close()
    await joiner.close()


async def test_a_lagging_loop_turns_new_connections_away(server_factory: Any) -> None:
    # A threshold of zero: any sustained lag (two samples in a row; an asyncio sleep overshoots
    # a little, by a millisecond on uvloop's clock) counts.
    server = server_factory(env={"PLANBOARD_MAX_LOOP_LAG": "0"})
    board = create_board(server.url)
    url = f"{server.ws_url}/ws/{board['id']}?token={board['token']}"

    async def refused() -> bool:
        client = YClient(url)
        await client.connect(timeout=10)  # synced, or closed
        if client.close_code is None:
            await client.close()
            return False
        assert client.close_code == 1013
        assert "overloaded" in client.close_reason
        return True

    deadline = asyncio.get_running_loop().time() + 20
    while not await refused():
        assert asyncio.get_running_loop().time() < deadline, "never turned away"
