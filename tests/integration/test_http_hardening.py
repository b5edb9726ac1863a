"""HTTP-level hardening: the CSP's WebSocket targets, tokens kept out of logs, slow clients."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from typing import Any

import httpx
import pytest
import websockets

from tests.helpers import create_board
from tests.servers import PlanboardProcess, wait_until
from tests.yclient import YClient, wait_for


def _connect_src(response: httpx.Response) -> list[str]:
    csp = response.headers["content-security-policy"]
    (directive,) = [d.strip() for d in csp.split(";") if d.strip().startswith("connect-src")]
    return directive.split()[1:]


def test_csp_allows_websockets_only_to_this_server(server_factory: Any) -> None:
    server: PlanboardProcess = server_factory(
        env={"PLANBOARD_PUBLIC_URL": "https://board.example.com/"}
    )
    sources = _connect_src(httpx.get(server.url + "/"))
    host = f"127.0.0.1:{server.port}"
    assert set(sources) == {
        "'self'",
        f"ws://{host}",
        f"wss://{host}",
        "wss://board.example.com",
        "https://board.example.com",
    }
    # A Host header that is not a plain host[:port] is never written into the policy.
    hostile = httpx.get(server.url + "/", headers={"Host": "evil.example; script-src *"})
    assert not [s for s in _connect_src(hostile) if "evil" in s or s == "*"]
    assert "script-src 'self'" in hostile.headers["content-security-policy"]
    assert all(s not in ("ws:", "wss:") for s in sources + _connect_src(hostile))


async def test_tokens_never_reach_the_logs(server_factory: Any) -> None:
    server: PlanboardProcess = server_factory(args=["--log-level", "info", "--access-log"])
    board = create_board(server.url)
    bid, token = board["id"], board["token"]
    client = await YClient(f"{server.ws_url}/ws/{bid}?token={token}").connect()
    assert client.close_code is None
    await client.close()
    # Also a plain HTTP request that carries a token in its query (a pasted link).
    assert httpx.get(f"{server.url}/b/{bid}?token={token}&x=1").status_code == 200
    await wait_for(lambda: "WebSocket" in server.log() and "GET /b/" in server.log())
    log = server.log()
    signature = token.rsplit(".", 1)[1]
    assert signature not in log and token.split(".")[1] not in log
    assert "token=[redacted]" in log


async def test_the_token_may_come_as_a_websocket_subprotocol(live_server: PlanboardProcess) -> None:
    board = create_board(live_server.url)
    url = f"{live_server.ws_url}/ws/{board['id']}"
    async with websockets.connect(
        url,
        subprotocols=["planboard.v1", f"planboard.token.{board['token']}"],  # type: ignore[list-item]
    ) as ws:
        assert ws.subprotocol == "planboard.v1"
        first = await asyncio.wait_for(ws.recv(), 10)
        assert isinstance(first, bytes) and first[:2] == b"\x00\x00"  # sync step 1: admitted
    # A bad token in the header is refused like one in the query.
    async with websockets.connect(
        url,
        subprotocols=["planboard.v1", "planboard.token.not-a-jwt"],  # type: ignore[list-item]
    ) as ws:
        with pytest.raises(websockets.ConnectionClosed):
            await asyncio.wait_for(ws.recv(), 10)
        assert ws.close_code == 4401


def _unfinished(port: int, source: str = "127.0.0.1") -> socket.socket:
    """A connection that starts a request and never finishes its headers (slowloris)."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=10, source_address=(source, 0))
    sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
    return sock


def _closed_by_server(sock: socket.socket) -> bytes:
    """What the server sent before closing; raises if it keeps the socket open past 10 s.

    A server that closes with our unread bytes in its buffer resets the connection: closed too.
    """
    received = b""
    while True:
        try:
            chunk = sock.recv(4096)  # the socket's timeout is the deadline
        except ConnectionResetError:
            return received
        if not chunk:
            return received
        received += chunk


def _still_open(sock: socket.socket) -> bool:
    sock.setblocking(False)
    try:
        return sock.recv(1) != b""
    except BlockingIOError:
        return True
    except OSError:
        return False
    finally:
        sock.settimeout(10)


SLOW_ENV = {"PLANBOARD_HEADER_TIMEOUT": "1", "PLANBOARD_MAX_HTTP_CONNECTIONS_PER_IP": "20"}


def test_unfinished_headers_time_out(server_factory: Any) -> None:
    server: PlanboardProcess = server_factory(env=SLOW_ENV)
    idle = socket.create_connection(("127.0.0.1", server.port), timeout=10)  # sends nothing
    slow = _unfinished(server.port)
    for sock in (idle, slow):
        with sock:
            _closed_by_server(sock)  # closed well within the socket's 10 s timeout
    # Headers that never end are cut at the size limit.
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as huge:
        huge.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")
        with contextlib.suppress(OSError):  # the server may close while we still send
            for _ in range(64):
                huge.sendall(b"X-Pad: " + b"a" * 1000 + b"\r\n")
        answer = _closed_by_server(huge)
        assert answer == b"" or answer.startswith(b"HTTP/1.1 431")


def test_one_address_cannot_hold_every_connection(server_factory: Any) -> None:
    server: PlanboardProcess = server_factory(env={**SLOW_ENV, "PLANBOARD_HEADER_TIMEOUT": "60"})
    held = [_unfinished(server.port) for _ in range(60)]
    try:
        # Beyond the cap, that address is refused at once (429, or a reset that beat it)...
        for sock in held[20:]:
            answer = _closed_by_server(sock)
            assert answer == b"" or answer.startswith(b"HTTP/1.1 429"), answer
        assert all(_still_open(sock) for sock in held[:20])
        # ...while another address is served as usual.
        transport = httpx.HTTPTransport(local_address="127.0.0.2")
        with httpx.Client(transport=transport, timeout=5) as other:
            assert other.get(f"{server.url}/healthz").status_code == 200
    finally:
        for sock in held:
            sock.close()
    # Once they are gone (or timed out), the address is welcome again.
    wait_until(lambda: httpx.get(f"{server.url}/healthz").status_code == 200, 10, "served again")
