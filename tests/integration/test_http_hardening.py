"""HTTP-level hardening: the CSP's WebSocket targets, tokens kept out of logs, slow clients."""

from __future__ import annotations

from typing import Any

import httpx

from tests.servers import PlanboardProcess


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
