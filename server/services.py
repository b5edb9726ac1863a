"""The per-app services (settings, store, rooms, metrics), built once and shared by handlers."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import defaultdict, deque
from collections.abc import Mapping
from dataclasses import dataclass, field

from server.config import Settings
from server.features.base import Command
from server.features.events import Outbox
from server.metrics import Metrics
from server.realtime.backplane import Backplane
from server.realtime.rooms import RoomManager
from server.store.base import Store


@dataclass
class LoadMonitor:
    """Measures event-loop lag; when it stays high, new connections get 1013 instead of
    slowness.

    Only sustained lag counts (two samples in a row): one long piece of work (a whole board
    pasted at once, a large board loaded) makes one late sample, and by the time it is taken
    the loop is free again; turning the next joiner away then would refuse an idle server.
    """

    metrics: Metrics
    max_lag: float
    interval: float = 0.1
    lag: float = 0.0
    _previous: float = 0.0
    _task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            start = loop.time()
            await asyncio.sleep(self.interval)
            self.record(max(0.0, loop.time() - start - self.interval))

    def record(self, lag: float) -> None:
        """One sample: how late the monitor's own sleep woke up."""
        self._previous, self.lag = self.lag, lag
        self.metrics.loop_lag.set(lag)

    @property
    def overloaded(self) -> bool:
        return min(self.lag, self._previous) > self.max_lag

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task


@dataclass
class RateWindow:
    """Counts events per key in a sliding window (boards created per address per hour)."""

    limit: int
    window_seconds: float
    events: dict[str, deque[float]] = field(default_factory=lambda: defaultdict(deque))

    def allow(self, key: str) -> bool:
        now = time.monotonic()
        q = self.events[key]
        while q and q[0] <= now - self.window_seconds:
            q.popleft()
        if len(q) >= self.limit:
            return False
        q.append(now)
        return True


@dataclass
class Services:
    settings: Settings
    store: Store
    backplane: Backplane
    metrics: Metrics
    rooms: RoomManager
    monitor: LoadMonitor
    board_creation: RateWindow
    commands: Mapping[str, Command]  # every feature's commands, by name (server/features/base.py)
    connections_per_ip: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    shutting_down: bool = False
    outbox: Outbox | None = None  # webhook events (server/features/events.py)
