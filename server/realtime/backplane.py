"""How rooms on different instances hear each other. In-process (single instance) it is a no-op.

The Redis implementation (server/realtime/redis_backplane.py) publishes every accepted (net)
update with the log position the store gave it, and every awareness change, on one channel per
document; see docs/scaling.md for the message format and the failure behaviour.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol

# (log position, the update, the epoch the position belongs to: 0 for a store without epochs)
UpdateHandler = Callable[[int, bytes, int], Awaitable[None]]
# (instance id of the sender, awareness payload without the message type byte)
AwarenessHandler = Callable[[str, bytes], Awaitable[None]]
ResyncHandler = Callable[[], Awaitable[None]]
InstanceHandler = Callable[[str], Awaitable[None]]


async def _nothing() -> None:
    return None


@dataclass(frozen=True, slots=True)
class DocHandlers:
    """What a room wants to hear about its document from other instances.

    on_resync: our subscription may have missed messages (reconnected): read the store, and
    give it what it lacks (a reconnect may follow a Redis failover or restart).
    on_instance_gone: an instance stopped heartbeating; drop the presence of its clients.
    on_awareness_query: another instance (just subscribed) asks for our clients' presence.
    """

    on_update: UpdateHandler
    on_awareness: AwarenessHandler
    on_resync: ResyncHandler
    on_instance_gone: InstanceHandler
    on_awareness_query: ResyncHandler = _nothing


class Backplane(Protocol):
    # True when other instances exist: positions are then consecutive per doc and a room tracks
    # gaps in them; the in-process fan-out leaves that bookkeeping out.
    relays: bool

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def subscribe(self, doc_id: str, handlers: DocHandlers) -> None:
        """Start delivering the doc's remote messages; returns once the subscription is live."""

    async def unsubscribe(self, doc_id: str) -> None: ...

    async def publish_update(
        self, doc_id: str, position: int, update: bytes, epoch: int = 0
    ) -> None:
        """Never raises: a message that cannot go out now is retried or recovered by gap-fill."""

    async def publish_awareness(self, doc_id: str, payload: bytes) -> None: ...

    async def ping(self) -> None:
        """Raise while the backplane cannot relay (readiness)."""


class LocalBackplane:
    """Single-instance fan-out: every client is in this process, so there is nothing to relay."""

    relays = False

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    async def subscribe(self, doc_id: str, handlers: DocHandlers) -> None:
        return None

    async def unsubscribe(self, doc_id: str) -> None:
        return None

    async def publish_update(
        self, doc_id: str, position: int, update: bytes, epoch: int = 0
    ) -> None:
        return None

    async def publish_awareness(self, doc_id: str, payload: bytes) -> None:
        return None

    async def ping(self) -> None:
        return None
