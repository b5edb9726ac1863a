"""Loads rooms on first use, shares them between connections and commands, unloads idle ones."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any

from pycrdt import Doc

from server.features.base import Feature
from server.metrics import Metrics
from server.realtime.backplane import Backplane
from server.realtime.docref import DocRef
from server.realtime.presence import PresenceLimits
from server.realtime.room import Room
from server.realtime.room_core import UpdateGuard
from server.store.base import Store

log = logging.getLogger("planboard.rooms")


class RoomManager:
    def __init__(
        self,
        *,
        store: Store,
        backplane: Backplane,
        metrics: Metrics,
        guard_factory: Callable[[DocRef, Doc[Any]], UpdateGuard],
        features: Sequence[Feature],
        presence_limits: PresenceLimits,
        idle_unload_seconds: float,
        compact_every: int,
    ) -> None:
        self.store = store
        self.backplane = backplane
        self.metrics = metrics
        self._guard_factory = guard_factory
        self._features = features
        self._presence_limits = presence_limits
        self._idle = idle_unload_seconds
        self._compact_every = compact_every
        self.rooms: dict[str, Room] = {}
        self._loading: dict[str, asyncio.Future[Room]] = {}
        self._unloading: dict[str, asyncio.Task[None]] = {}

    async def acquire(self, doc: DocRef | str) -> Room:
        """The loaded room for a doc (or a store doc id, such as a board id), loading it once
        however many callers ask at once."""
        ref = DocRef.parse(doc) if isinstance(doc, str) else doc
        doc_id = ref.doc_id
        while True:
            pending_unload = self._unloading.get(doc_id)
            if pending_unload is not None:
                await asyncio.shield(pending_unload)
                continue
            room = self.rooms.get(doc_id)
            if room is not None:
                break
            loading = self._loading.get(doc_id)
            if loading is not None:
                room = await asyncio.shield(loading)
                break
            future: asyncio.Future[Room] = asyncio.get_running_loop().create_future()
            self._loading[doc_id] = future
            try:
                room = Room(
                    ref,
                    store=self.store,
                    backplane=self.backplane,
                    metrics=self.metrics,
                    guard_factory=lambda doc: self._guard_factory(ref, doc),
                    presence_limits=self._presence_limits,
                    compact_every=self._compact_every,
                )
                with self.metrics.store_latency.labels("load").time():
                    await room.load()
                room.watches = [
                    watch
                    for feature in self._features
                    if (watch := feature.attach(room, self)) is not None
                ]
                self.rooms[doc_id] = room
                self.metrics.rooms.set(len(self.rooms))
                future.set_result(room)
            except BaseException as exc:
                future.set_exception(exc)
                future.exception()  # mark retrieved: waiters re-raise it themselves
                # The half-loaded room must not stay subscribed to the backplane.
                with contextlib.suppress(Exception):
                    await self.backplane.unsubscribe(doc_id)
                raise
            finally:
                self._loading.pop(doc_id, None)
            break
        room.users += 1
        if room.unload_handle is not None:
            room.unload_handle.cancel()
            room.unload_handle = None
        return room

    def release(self, room: Room) -> None:
        room.users -= 1
        if room.users <= 0 and self.rooms.get(room.doc_id) is room:
            loop = asyncio.get_running_loop()
            room.unload_handle = loop.call_later(self._idle, self._start_unload, room)

    @contextlib.asynccontextmanager
    async def using(self, doc: DocRef | str) -> AsyncIterator[Room]:
        room = await self.acquire(doc)
        try:
            yield room
        finally:
            self.release(room)

    def _start_unload(self, room: Room) -> None:
        if room.users > 0 or self.rooms.get(room.doc_id) is not room:
            return
        self._unloading[room.doc_id] = asyncio.create_task(self._unload(room))

    async def _unload(self, room: Room) -> None:
        try:
            await room.close()
            if await self.store.log_length(room.doc_id) > 0:
                await self.store.compact(room.doc_id)
        except Exception:
            log.exception("unloading %s failed", room.doc_id)
        finally:
            self.rooms.pop(room.doc_id, None)
            self._unloading.pop(room.doc_id, None)
            self.metrics.rooms.set(len(self.rooms))

    async def close(self, grace_seconds: float = 10.0) -> None:
        """Shutdown: every room's pending writes reach the store.

        Bounded: with Redis unreachable the writes cannot complete, and an instance must still
        stop (its clients keep their edits and re-send them to whichever instance they reach).
        """
        rooms = list(self.rooms.values())
        for room in rooms:
            if room.unload_handle is not None:
                room.unload_handle.cancel()
        closing = [asyncio.ensure_future(room.close()) for room in rooms]
        if closing:
            _done, pending = await asyncio.wait(closing, timeout=grace_seconds)
            for task in pending:
                task.cancel()
            if pending:
                log.error("%d room(s) could not store their last changes in time", len(pending))
            for task in closing:
                with contextlib.suppress(BaseException):
                    await task
        for task in list(self._unloading.values()):
            with contextlib.suppress(Exception):
                await task
        self.rooms.clear()
