"""How rooms on different instances hear each other. In-process (single instance) it is a no-op.

The Redis implementation publishes every accepted (net) update with the log position the store
gave it, and every awareness change, on one channel per document.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol

UpdateHandler = Callable[[int, bytes], Awaitable[None]]
AwarenessHandler = Callable[[bytes], Awaitable[None]]
ResyncHandler = Callable[[], Awaitable[None]]


class Backplane(Protocol):
    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def subscribe(
        self,
        doc_id: str,
        on_update: UpdateHandler,
        on_awareness: AwarenessHandler,
        on_resync: ResyncHandler,
    ) -> None:
        """Start delivering the doc's remote messages; returns once the subscription is live."""

    async def unsubscribe(self, doc_id: str) -> None: ...

    async def publish_update(self, doc_id: str, position: int, update: bytes) -> None: ...

    async def publish_awareness(self, doc_id: str, payload: bytes) -> None: ...

    async def ping(self) -> None: ...


class LocalBackplane:
    """Single-instance fan-out: every client is in this process, so there is nothing to relay."""

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    async def subscribe(
        self,
        doc_id: str,
        on_update: UpdateHandler,
        on_awareness: AwarenessHandler,
        on_resync: ResyncHandler,
    ) -> None:
        return None

    async def unsubscribe(self, doc_id: str) -> None:
        return None

    async def publish_update(self, doc_id: str, position: int, update: bytes) -> None:
        return None

    async def publish_awareness(self, doc_id: str, payload: bytes) -> None:
        return None

    async def ping(self) -> None:
        return None
