"""One client's WebSocket: frames go out without awaiting, within a bound per client.

The room never awaits a client: it hands the (shared, already encoded) message to every
connection and moves on. A client that stays over the bound is closed with 1013 so it can
reconnect and resync, and the server's memory stays bounded whatever the client does.

Each connection collects the frames of one event-loop iteration and writes them with one call at
the end of it (server/realtime/transport.py says how they reach the socket). Only a client whose
transport is paused (it does not read fast enough) gets a queue and a writer task, which waits
for the transport to drain; the queue is bounded (1013 above). A transport that cannot write
without awaiting (plain ASGI) sends every message through that queue.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Callable

from server.auth import Claims
from server.realtime.transport import FlushScheduler, Transport, flush_scheduler

log = logging.getLogger("planboard.connection")

CLOSE_GRACE_SECONDS = 3.0
JUDGING_SHARE = 0.25
CLOSE_NORMAL = 1000
CLOSE_MALFORMED = 1007
CLOSE_TOO_BIG = 1009
CLOSE_RESTART = 1012
CLOSE_OVERLOADED = 1013
CLOSE_BAD_TOKEN = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_NOT_FOUND = 4404
CLOSE_RATE_LIMITED = 4429


class TokenBucket:
    """Messages and bytes per second with a burst; refilled lazily on each check."""

    __slots__ = ("burst", "level", "rate", "stamp")

    def __init__(self, rate: float, burst: float) -> None:
        self.rate = rate
        self.burst = burst
        self.level = burst
        self.stamp = time.monotonic()

    def take(self, amount: float) -> bool:
        now = time.monotonic()
        self.level = min(self.burst, self.level + (now - self.stamp) * self.rate)
        self.stamp = now
        self.level -= amount
        return self.level >= 0


class Connection:
    """Per-connection policy: the send bound, rate limits and judging budget of one client.

    Slotted, and its slow-path queue exists only while frames wait in it: an idle connection's
    memory is most of what a server with many open boards spends (bench S4).
    """

    __slots__ = (
        "_awareness_ids",
        "_closer",
        "_flush_soon",
        "_frame",
        "_max_bytes",
        "_max_messages",
        "_on_close",
        "_pending",
        "_queue",
        "_queued_bytes",
        "_scheduler",
        "_sending",
        "_transport",
        "_wakeup",
        "_write_frames",
        "_writer",
        "bytes",
        "claims",
        "close_code",
        "closed",
        "judging",
        "last_state_request",
        "messages",
    )

    def __init__(
        self,
        transport: Transport,
        claims: Claims,
        *,
        max_queue_messages: int,
        max_queue_bytes: int,
        rate_messages: float,
        burst_messages: int,
        rate_bytes: float,
        max_message_bytes: int,
        judging_burst: float = 3.0,
        on_close: Callable[[int], None] | None = None,
    ) -> None:
        self._transport = transport
        self._frame = transport.frame  # bound once: both are on the fan-out path
        self._write_frames = transport.write_frames
        self.claims = claims
        self._awareness_ids: set[int] | None = None  # an empty set is 0.2 KiB: made when used
        self.last_state_request = float("-inf")  # monotonic time the server last asked for state
        self._scheduler: FlushScheduler | None = flush_scheduler() if transport.batched else None
        self._flush_soon = self._flush  # bound once: the scheduler keeps it per dirty iteration
        self._pending: list[bytes] = []  # batched transport: frames of this loop iteration
        # The slow path: what the transport could not take (a deque holds 0.6 KiB even empty),
        # made when needed and dropped once drained.
        self._queue: deque[bytes] | None = None
        self._queued_bytes = 0
        self._max_messages = max_queue_messages
        self._max_bytes = max_queue_bytes
        self._wakeup: asyncio.Event | None = None
        self._writer: asyncio.Task[None] | None = None
        self._closer: asyncio.Task[None] | None = None
        self._sending = False
        self.closed = False
        self.close_code: int | None = None
        self._on_close = on_close
        self.messages = TokenBucket(rate_messages, burst_messages)
        self.bytes = TokenBucket(rate_bytes, max(rate_bytes * 2, max_message_bytes * 2))
        # Seconds of judging this connection may cost the event loop: a quarter of it at
        # most, with a burst for a large reconnect (a hostile update costs far more per byte).
        self.judging = TokenBucket(JUDGING_SHARE, judging_burst)

    @property
    def awareness_ids(self) -> set[int]:
        """The awareness client ids this connection speaks for (server/realtime/presence.py)."""
        ids = self._awareness_ids
        if ids is None:
            ids = self._awareness_ids = set()
        return ids

    def send(self, frame: bytes) -> None:
        """Hand over a message without waiting; overflow closes the connection (1013)."""
        if self.closed:
            return
        scheduler = self._scheduler
        if scheduler is not None and not self._queue and not self._sending:
            pending = self._pending
            if len(pending) >= self._max_messages:
                # A burst within one loop iteration (a writer's updates judged in one go, with
                # nothing to wait for in between): write what is collected now. Only what the
                # transport cannot take counts against the bound, in the slow path's queue.
                self._flush()
                if self.closed:
                    return
                if self._queue:
                    self._enqueue(self._frame(frame))
                else:  # the flush scheduled for the iteration's end is still there
                    self._pending.append(self._frame(frame))
                return
            if not pending:
                scheduler.add(self._flush_soon)
            pending.append(self._frame(frame))
            return
        self._enqueue(self._frame(frame))

    def _enqueue(self, item: bytes) -> None:
        queue = self._queue
        if queue is None:
            queue = self._queue = deque()
        if len(queue) >= self._max_messages or self._queued_bytes > self._max_bytes:
            self.close(CLOSE_OVERLOADED, "send queue full: reconnect and resync")
            return
        queue.append(item)
        self._queued_bytes += len(item)
        if self._writer is None:
            self._wakeup = asyncio.Event()
            self._writer = asyncio.create_task(self._write_loop())
        assert self._wakeup is not None
        self._wakeup.set()

    def _flush(self) -> None:
        """The end of a loop iteration: write what was collected, or queue it if paused."""
        pending = self._pending
        if not pending:
            return
        self._pending = []
        if self.closed or self._write_frames(pending):
            return
        for frame in pending:  # the peer is over its buffer: wait for drain
            self._enqueue(frame)
            if self.closed:
                return

    def close(self, code: int, reason: str = "") -> None:
        """Close after nothing else; unsent frames are dropped (the client resyncs anyway)."""
        if self.closed:
            return
        self.closed = True
        self.close_code = code
        if self._on_close is not None:
            self._on_close(code)
        self._pending = []
        self._queue = None
        self._queued_bytes = 0
        self._closer = asyncio.create_task(self._send_close(code, reason))
        if self._wakeup is not None:
            self._wakeup.set()

    async def _send_close(self, code: int, reason: str) -> None:
        writer = self._writer
        if self._sending and writer is not None:
            # The writer is parked in the transport's flow control (a peer that does not read):
            # the server allows one pending send, so the writer yields its place to the close.
            writer.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await writer
        try:
            await asyncio.wait_for(self._transport.close(code, reason[:120]), CLOSE_GRACE_SECONDS)
        except Exception:
            # Not even the close frame fits: drop the TCP connection, or it would linger until
            # keepalive gives up.
            self._transport.abort()

    async def _write_loop(self) -> None:
        """The slow path: one frame at a time, each after the transport has room for it."""
        wakeup = self._wakeup
        assert wakeup is not None
        transport = self._transport
        try:
            while not self.closed:
                queue = self._queue
                if not queue:
                    self._queue = None  # drained: free it until the transport pauses again
                    wakeup.clear()
                    await wakeup.wait()
                    continue
                self._sending = True
                frame = queue.popleft()
                self._queued_bytes -= len(frame)
                await transport.send_frame(frame)
                self._sending = False
        except Exception:  # the peer went away; the receive loop notices and cleans up
            self.closed = True
        finally:
            self._sending = False

    async def stop(self) -> None:
        """End the writer; let a close frame under way go out before the endpoint returns.

        uvicorn drops the TCP connection of an app that returns without having closed, and a
        peer with unread data then sees a reset (1006) instead of the close code it was sent.
        """
        self.closed = True
        self._pending = []
        if self._wakeup is not None:
            self._wakeup.set()
        if self._writer is not None:
            self._writer.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._writer
        if self._closer is not None:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._closer  # bounded: CLOSE_GRACE_SECONDS, then abort
