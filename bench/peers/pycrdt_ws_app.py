"""pycrdt-websocket served by uvicorn, as its documentation shows: the Python peer of the bench.

Defaults everywhere (rooms in memory, cleaned when their last client leaves, no store) so the
comparison is with what a user of the package gets. The room is the request path, so any room
name works. Run with `uvicorn bench.peers.pycrdt_ws_app:app` (run.py does this).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from pycrdt.websocket import ASGIServer, WebsocketServer, exception_logger

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]

websocket_server = WebsocketServer(
    exception_handler=exception_logger, log=logging.getLogger("pycrdt_ws")
)
asgi_server = ASGIServer(websocket_server)


async def app(scope: Scope, receive: Receive, send: Send) -> None:
    """Run the WebsocketServer's task group for the lifespan (ASGIServer does not start it)."""
    if scope["type"] == "lifespan":
        async with websocket_server:
            await asgi_server(scope, receive, send)
        return
    await asgi_server(scope, receive, send)
