"""`planboard serve` on a uvicorn whose ASGI send no longer leads to its protocol object.

What a uvicorn upgrade that wraps or moves its private protocol could do: the server must then
choose the plain ASGI transport and behave exactly the same, only slower.
"""

from __future__ import annotations

import sys
from collections.abc import Awaitable, Callable
from typing import Any

from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol

from server.cli import main

_protocol_send = WebSocketsSansIOProtocol.send


def _wrapped_send(self: WebSocketsSansIOProtocol) -> Callable[[Any], Awaitable[None]]:
    async def send(message: Any) -> None:
        await _protocol_send(self, message)

    return send


WebSocketsSansIOProtocol.send = property(_wrapped_send)  # type: ignore[assignment,method-assign]

if __name__ == "__main__":
    sys.exit(main(["serve", *sys.argv[1:]]))
