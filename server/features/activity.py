"""A board's last activity, kept in the store: `planboard boards` lists boards by it.

A feature like the others (server/features/base.py): on each change of a board it records the time,
at most once a minute per room, in the background (the store write never delays a broadcast).
"""

from __future__ import annotations

import asyncio
import logging
import time

from server.features.base import Feature
from server.realtime.room import Room, RoomWatch
from server.realtime.rooms import RoomManager
from server.store.base import Store

log = logging.getLogger("planboard.activity")

TOUCH_EVERY_SECONDS = 60.0


class Activity(Feature):
    def __init__(self, store: Store, every: float = TOUCH_EVERY_SECONDS) -> None:
        self.store = store
        self.every = every

    def attach(self, room: Room, rooms: RoomManager) -> RoomWatch | None:
        if room.ref.is_drafts:
            return None  # a member's private drafts are not the board's activity
        return _Toucher(room.ref.board_id, self.store, self.every)


class _Toucher(RoomWatch):
    def __init__(self, board_id: str, store: Store, every: float) -> None:
        self.board_id = board_id
        self.store = store
        self.every = every
        self._last = float("-inf")
        self._task: asyncio.Task[None] | None = None

    def changed(self) -> None:
        now = time.time()
        if now - self._last < self.every or (self._task is not None and not self._task.done()):
            return
        self._last = now
        self._task = asyncio.get_running_loop().create_task(self._touch(now))

    async def _touch(self, at: float) -> None:
        try:
            await self.store.touch_board(self.board_id, at)
        except Exception as exc:  # an outage: the next change a minute later tries again
            log.warning("recording activity on %s failed: %s", self.board_id, exc)
