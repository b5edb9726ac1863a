"""HTTP-level hardening: the CSP's WebSocket targets, tokens kept out of logs, slow clients."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
import websockets

from tests.conftest import create_board
from tests.servers import PlanboardProcess
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
