"""A room: the async shell around one doc's core, its connections, and its path to the store.

Every change to the doc, whoever makes it (a client, a command, another instance), follows
one path: the core (server/realtime/room_core.py) applies it synchronously and returns the
net update; this shell appends that to the store, then queues the same once-encoded bytes to every
connection, then publishes it to other instances. It also keeps the room caught up with the
store (gaps, reconnects, epochs: server/realtime/log_cursor.py) and relays presence
(server/realtime/presence.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from typing import Any, TypeVar

from pycrdt import Doc

from crdt import protocol
from crdt.policy import MalformedUpdate, Prepared, Violation
from server.metrics import Metrics
from server.realtime.backplane import Backplane, DocHandlers
from server.realtime.connection import CLOSE_MALFORMED, CLOSE_RATE_LIMITED, Connection
from server.realtime.docref import DocRef
from server.realtime.log_cursor import LogCursor
from server.realtime.notices import notice_frame
from server.realtime.presence import (
    Presence,
    PresenceLimits,
    PresenceOutbox,
    frames,
    roster_identity,
)
from server.realtime.room_core import RoomCore, UpdateGuard
from server.store.base import Store

SERVER_OWNER = "@server"  # the owner of the server's own Yjs client id (crdt.policy)

log = logging.getLogger("planboard.room")
T = TypeVar("T")

# Two instances publish in the order their appends finish, not in position order: a gap is
# usually closed by the next message within milliseconds, so it is read from the store only if
# it is still open after this grace.
GAP_GRACE_SECONDS = 0.05
# After the store changed epoch (a failover, a slot migration), the room reads it once more this
# much later: the other instances switch at their own moment.
EPOCH_SETTLE_SECONDS = 1.0

# A client whose update cannot integrate yet is asked for its state again, at most this often.
RESYNC_REQUEST_SECONDS = 2.0


class RoomWatch:
    """What a feature leaves attached to a room (server/features/base.py): it lives as long as the
    room (so do the doc observers it holds) and hears of each change the room passes on."""

    def changed(self) -> None:
        """The room stored and broadcast a change, or received one from another instance."""


class Room:
    def __init__(
        self,
        ref: DocRef,
        *,
        store: Store,
        backplane: Backplane,
        metrics: Metrics,
        guard_factory: Callable[[Doc[Any]], UpdateGuard],
        presence_limits: PresenceLimits,
        compact_every: int,
    ) -> None:
        self.ref = ref
        self.doc_id = ref.doc_id  # the store's key
        doc: Doc[Any] = Doc()
        self.core = RoomCore(doc, guard_factory(doc))
        self.store = store
        self.backplane = backplane
        self.metrics = metrics
        # In the order they joined (a dict as an ordered set): the fan-out serves the earliest
        # first, as the Node reference does, instead of in the order of their addresses.
        self.connections: dict[Connection, None] = {}
        self.presence = Presence(
            lambda conn: roster_identity(self.doc, conn.claims), presence_limits
        )
        self._presence_out = PresenceOutbox(presence_limits.tick_seconds)
        self._presence_timer: asyncio.TimerHandle | None = None
        self.cursor = LogCursor(track_gaps=backplane.relays)
        self._track_gaps = backplane.relays
        self._early: list[tuple[int, bytes, int]] | None = None  # remote updates during load
        self._resync_task: asyncio.Task[None] | None = None
        self._resync_again = False
        self._heal_wanted = False  # compare with the store and give it what it lacks
        self._unwatch: Callable[[], None] | None = None
        self._closed = False
        self._append_timer = metrics.store_latency.labels("append")
        self._notice_clock = 0
        self._inflight: set[asyncio.Future[Any]] = set()
        # A store without epochs may append without a task (server/store/sqlite.py).
        self._append_soon: Callable[[str, bytes], asyncio.Future[int]] | None = getattr(
            store, "append_soon", None
        )
        self._background: set[asyncio.Future[None]] = set()
        self._since_compaction = 0
        self._compact_every = compact_every
        self._compaction: asyncio.Task[None] | None = None
        self.users = 0  # connections plus in-flight HTTP commands; unload only at zero
        self.unload_handle: asyncio.TimerHandle | None = None
        self.watches: list[RoomWatch] = []  # the features attached (server/realtime/rooms.py)

    @property
    def doc(self) -> Doc[Any]:
        return self.core.doc

    # -- loading ------------------------------------------------------------------------------
    async def load(self) -> None:
        """Subscribe first, then load, then apply what arrived meanwhile: nothing is missed."""
        self._early = []
        try:
            await self.backplane.subscribe(
                self.doc_id,
                DocHandlers(
                    on_update=self._on_remote_update,
                    on_awareness=self._on_remote_awareness,
                    on_resync=self.resync,
                    on_instance_gone=self._on_instance_gone,
                    on_awareness_query=self._on_awareness_query,
                ),
            )
            loaded = await self.store.load_doc(self.doc_id)
            # The server's own Yjs client id: nobody else may ever write with it.
            await self.store.claim_clients(self.doc_id, {self.doc.client_id: SERVER_OWNER})
        except BaseException:
            self._closed = True
            raise
        self.core.load(loaded.snapshot, (update for _, update in loaded.updates))
        self._since_compaction = len(loaded.updates)
        early, self._early = self._early, None
        self.cursor.restart(loaded.epoch, loaded.position)
        for position, update, epoch in early:  # idempotent: those in the load change nothing
            self._apply_remote(position, update, epoch=epoch)
        watch = getattr(self.store, "watch_epoch", None)
        if watch is not None:  # the store changed history: heal it from this doc
            self._unwatch = watch(lambda _epoch: self._request_resync(0.0, heal=True))
        if self._resync_again or self._heal_wanted:
            self._request_resync(0.0)

    # -- gaps, resync and healing (multi-instance) --------------------------------------------
    def _note_position(self, position: int) -> None:
        """The update at `position` is in the doc; a gap before it is read from the store."""
        if self.cursor.note(position):
            self._request_resync(GAP_GRACE_SECONDS)

    async def resync(self) -> None:
        """The backplane may have missed messages (it reconnected): read the store's tail, and
        give the store what it lacks (the reconnect may follow a failover or a Redis restart).

        Returns at once; the read runs in the background, one at a time per room.
        """
        self._request_resync(0.0, heal=True)

    def _request_resync(self, grace: float, *, heal: bool = False) -> None:
        if self._closed:
            return
        if heal:
            self._heal_wanted = True
        if self._early is not None or (self._resync_task and not self._resync_task.done()):
            self._resync_again = True  # after the load / the running read
            return
        self._resync_again = False
        self._resync_task = asyncio.create_task(self._resync(grace))

    async def _resync(self, grace: float) -> None:
        if grace:
            await asyncio.sleep(grace)
            if not self.cursor.has_gap and not self._resync_again and not self._heal_wanted:
                return  # the gap closed by itself (messages merely crossed)
        attempt = 0
        while not self._closed:
            self._resync_again = False
            try:
                await self.catch_up()
            except Exception as exc:
                attempt += 1
                if attempt == 1 or attempt % 20 == 0:
                    log.warning("reading %s from the store failed (%s); retrying", self.doc_id, exc)
                await asyncio.sleep(min(5.0, 0.1 * 2 ** min(attempt, 6)))
                continue
            attempt = 0
            if not self._resync_again and not self._heal_wanted:
                return

    async def catch_up(self) -> None:
        """Read and apply everything the store has past the cursor's position; return when done.

        When the store is in another epoch than the room (it changed history: a failover, a
        restart that lost writes) or a heal was asked for, the room also compares its doc with
        the store's and appends what the store lacks: every client of this instance saw it.
        """
        heal, self._heal_wanted = self._heal_wanted, False
        try:
            epoch, seq, entries = await self._read_store()
            for position, update in entries:
                self._apply_remote(position, update, from_store=True)
            if epoch == self.cursor.epoch:
                self.cursor.advance_to(seq)
                if heal:
                    loaded = await self.store.load_doc(self.doc_id)
                    base = [(0, loaded.snapshot)] if loaded.snapshot else []
                    await self._give_store_what_it_lacks([*base, *loaded.updates])
                return
            # Another epoch: everything the store has is in `entries`, and in the doc now.
            log.warning("%s: the store is in a new epoch; healing it from memory", self.doc_id)
            self.cursor.restart(epoch, seq)
            await self._give_store_what_it_lacks(entries)
            # Other instances switch epochs at their own moment: what they publish meanwhile
            # may be judged against the old one. One more read once they have settled.
            self._spawn(self._read_again_later())
        except BaseException:
            if heal:
                self._heal_wanted = True
            raise

    async def _read_again_later(self) -> None:
        await asyncio.sleep(EPOCH_SETTLE_SECONDS)
        self._request_resync(0.0)

    async def _read_store(self) -> tuple[int, int, list[tuple[int, bytes]]]:
        """(epoch, the store's counter, the updates past our position, or all of another epoch)."""
        read = getattr(self.store, "read_stamped", None)
        if read is None:  # a store without epochs (SQLite)
            position = self.cursor.position
            missed = await self.store.read_updates_since(self.doc_id, position)
            return self.cursor.epoch, (missed[-1][0] if missed else position), missed
        result: tuple[int, int, list[tuple[int, bytes]]] = await read(
            self.doc_id, self.cursor.epoch, self.cursor.position
        )
        return result

    async def _give_store_what_it_lacks(self, stored: list[tuple[int, bytes]]) -> None:
        """Append what this doc has and the store's copy does not (idempotent: a CRDT merge)."""
        lacking = self.core.missing_from([update for _, update in stored])
        if lacking is None:
            return
        log.warning("%s: the store lacked content this instance has; appending it", self.doc_id)
        epoch, position = await self._append(lacking)
        self._note_stamp(epoch, position)
        await self.backplane.publish_update(self.doc_id, position, lacking, epoch)

    async def _append(self, update: bytes) -> tuple[int, int]:
        stamped = getattr(self.store, "append_stamped", None)
        if stamped is None:  # a store without epochs
            return 0, await self.store.append_update(self.doc_id, update)
        result: tuple[int, int] = await stamped(self.doc_id, update)
        return result

    def _note_stamp(self, epoch: int, position: int) -> None:
        """Our own append came back with (epoch, position)."""
        if epoch == self.cursor.epoch:
            self._note_position(position)
        else:  # the store changed epoch since our last read: catch up and heal
            self._request_resync(0.0, heal=True)

    # -- the one write path -------------------------------------------------------------------
    async def _commit(self, net: bytes, *, exclude: Connection | None) -> None:
        """Append to the store, then fan out once-encoded bytes, then tell other instances."""
        started = time.perf_counter()
        soon = self._append_soon
        pending: asyncio.Future[Any] = (
            soon(self.doc_id, net) if soon is not None else asyncio.ensure_future(self._append(net))
        )
        self._inflight.add(pending)
        try:
            stamp = await pending
        finally:
            self._inflight.discard(pending)
        self._append_timer.observe(time.perf_counter() - started)
        epoch, position = (0, stamp) if soon is not None else stamp
        self._note_stamp(epoch, position)
        self.broadcast(protocol.encode_update(net), exclude=exclude)
        await self.backplane.publish_update(self.doc_id, position, net, epoch)
        self._tell_watches()
        self._since_compaction += 1
        self.core.guard.maintain()
        if self._since_compaction >= self._compact_every and (
            self._compaction is None or self._compaction.done()
        ):
            self._since_compaction = 0
            self._compaction = asyncio.create_task(self._compact())

    async def _compact(self) -> None:
        try:
            with self.metrics.store_latency.labels("compact").time():
                await self.store.compact(self.doc_id)
        except Exception:
            log.exception("compaction of %s failed", self.doc_id)

    async def persisted(self) -> None:
        """Wait until every change applied so far is in the store (before anyone may see it)."""
        if self._inflight:
            await asyncio.gather(*list(self._inflight), return_exceptions=True)

    async def _prepare(self, conn: Connection, update: bytes) -> Prepared:
        """Decode the update and make sure it can be judged as this connection's own.

        A provider re-sends what it got through another instance: that content is in the store
        (stored before broadcast), so the room catches up first, and what is left is the
        sender's. Yjs client ids it writes with for the first time are claimed in the store.
        """
        guard = self.core.guard
        pid = conn.claims.participant_id
        prepared = self.core.prepare(update)  # MalformedUpdate: nothing was applied
        if self._track_gaps and self.core.may_carry_others(prepared, pid):
            try:
                await self.catch_up()
            except Exception as exc:  # storage outage: judge against what this room has
                log.warning("catching up %s before judging failed: %s", self.doc_id, exc)
            prepared = self.core.prepare(update)
        unbound = guard.unbound_clients(prepared)
        if unbound:
            claims = dict.fromkeys(unbound, pid)
            try:
                guard.bind(await self.store.claim_clients(self.doc_id, claims))
            except Exception as exc:
                # Storage outage: bind here and now, record it in the store when it is back.
                log.warning("claiming client ids on %s failed (%s); retrying", self.doc_id, exc)
                guard.bind(claims)
                self._spawn(self._claim_later(claims))
            prepared = self.core.prepare(update)  # the doc may have moved during the awaits
        return prepared

    async def _claim_later(self, claims: dict[int, str]) -> None:
        attempt = 0
        while not self._closed:
            try:
                owners = await self.store.claim_clients(self.doc_id, claims)
            except Exception:
                attempt += 1
                await asyncio.sleep(min(5.0, 0.1 * 2 ** min(attempt, 6)))
                continue
            for client, owner in owners.items():
                if owner != claims.get(client):
                    log.warning(
                        "client id %s on %s was claimed by another member", client, self.doc_id
                    )
            self.core.guard.bind(owners)
            return

    def _spawn(self, coro: Any) -> None:
        task = asyncio.ensure_future(coro)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def apply_client_update(self, conn: Connection, update: bytes) -> list[Violation]:
        prepared = await self._prepare(conn, update)
        started = time.perf_counter()  # the judging itself, not the awaits before it
        try:
            outcome = self.core.apply_prepared(prepared, conn.claims.participant_id)
        except MalformedUpdate:
            raise
        except Exception as exc:  # a bug or a yrs corner case: the sender goes, the room stays
            log.exception("judging an update from %s failed", conn.claims.participant_id)
            raise MalformedUpdate(f"update could not be judged: {exc}") from exc
        if outcome.needs_state:
            self._ask_for_state(conn)
            return []
        net, violations = outcome.net, outcome.violations
        if not conn.judging.take(time.perf_counter() - started):
            conn.close(CLOSE_RATE_LIMITED, "updates too costly to judge")
        if violations:
            for v in violations:
                self.metrics.compensations.labels(v.rule).inc()
            log.info(
                "compensated update from %s on %s: %s",
                conn.claims.participant_id,
                self.doc_id,
                "; ".join(f"{v.rule}: {v.detail}" for v in violations),
            )
            # Awareness clocks only go up, also across reloads of the room: use the time.
            self._notice_clock = max(self._notice_clock + 1, int(time.time() * 1000))
            conn.send(notice_frame(violations, self._notice_clock))
        if net is not None:
            # The sender needs the net result only when it holds more than its own update.
            await self._commit(net, exclude=None if outcome.for_sender else conn)
        return violations

    def _ask_for_state(self, conn: Connection) -> None:
        """An update that cannot integrate yet: ask the client for everything it has (its
        reply carries the missing operations if it has them); never more than once a while."""
        now = time.monotonic()
        if now - conn.last_state_request >= RESYNC_REQUEST_SECONDS:
            conn.last_state_request = now
            conn.send(self.core.sync_step1())

    async def apply_server_change(self, change: Callable[[Doc[Any]], T]) -> T:
        """Run a server-side change (origin "server"), then store and broadcast its net effect."""
        result, net = self.core.apply_server_change(change)
        if net is not None:
            await self._commit(net, exclude=None)
        return result

    async def _on_remote_update(self, position: int, update: bytes, epoch: int = 0) -> None:
        """An update another instance stored: apply and fan out locally (no store write)."""
        if self._early is not None:
            self._early.append((position, update, epoch))  # applied after the load
            return
        self._apply_remote(position, update, epoch=epoch)

    def _apply_remote(
        self, position: int, update: bytes, *, from_store: bool = False, epoch: int = 0
    ) -> None:
        try:
            net = self.core.apply_remote(update)
        except Exception:
            log.exception("remote update for %s could not be applied", self.doc_id)
            return
        if not from_store:
            if epoch == self.cursor.epoch:
                self._note_position(position)
            else:  # a position of another epoch says nothing about ours: ask the store
                self._request_resync(0.0)
        if net is not None:
            self.broadcast(protocol.encode_update(net), exclude=None)
            self._tell_watches()

    def _tell_watches(self) -> None:
        self.presence.doc_changed()
        for watch in self.watches:
            watch.changed()

    # -- fan-out ------------------------------------------------------------------------------
    def broadcast(self, frame: bytes, *, exclude: Connection | None) -> None:
        count = 0
        for conn in self.connections:
            if conn is not exclude:
                conn.send(frame)
                count += 1
        if count:
            traffic = self.metrics.traffic
            traffic.messages_out += count
            traffic.bytes_out += count * len(frame)

    def notify(self, participant_id: str, notice: Any) -> int:
        """Send a notice to every connection of one member here; how many received it."""
        self._notice_clock = max(self._notice_clock + 1, int(time.time() * 1000))
        frame = notice_frame([notice], self._notice_clock)
        targets = [c for c in self.connections if c.claims.participant_id == participant_id]
        for conn in targets:
            conn.send(frame)
        return len(targets)

    # -- connections --------------------------------------------------------------------------
    def join(self, conn: Connection) -> None:
        self.connections[conn] = None
        conn.send(self.core.sync_step1())
        for frame in self.presence.join_frames():
            conn.send(frame)

    async def leave(self, conn: Connection) -> None:
        self.connections.pop(conn, None)
        self._relay_presence(self.presence.leave(conn), local=True)

    async def handle_message(self, conn: Connection, message: protocol.Message) -> None:
        if isinstance(message, protocol.SyncStep1):
            # Nothing may be shown that is not stored yet: a kill -9 must not lose what was seen.
            await self.persisted()
            self._send_presence_now()  # answers keep their order: waiting presence first
            try:
                conn.send(self.core.answer_sync_step1(message.state_vector))
            except MalformedUpdate:
                conn.close(CLOSE_MALFORMED, "malformed state vector")
        elif isinstance(message, protocol.SyncStep2 | protocol.SyncUpdate):
            if message.update == protocol.EMPTY_UPDATE:
                return
            try:
                await self.apply_client_update(conn, message.update)
            except MalformedUpdate:
                conn.close(CLOSE_MALFORMED, "malformed update")
        elif isinstance(message, protocol.AwarenessUpdate):
            await self._handle_awareness(conn, message)
        elif isinstance(message, protocol.QueryAwareness):
            for frame in self.presence.query_frames(conn):
                conn.send(frame)

    async def _handle_awareness(self, conn: Connection, message: protocol.AwarenessUpdate) -> None:
        """Relay what the presence rules accept (server.realtime.presence), identities bound."""
        self._relay_presence(self.presence.accept_local(conn, message.entries), local=True)

    def _relay_presence(self, entries: list[protocol.AwarenessEntry], *, local: bool) -> None:
        """Queue accepted presence for the room's tick (server/realtime/presence.py): at once
        after a quiet tick, else with everything else of the tick in one frame."""
        if not entries:
            return
        outbox = self._presence_out
        outbox.add(entries, local=local)
        if self._presence_timer is not None:
            return
        loop = asyncio.get_running_loop()
        delay = outbox.delay(loop.time())
        if delay <= 0:
            self._send_presence()
        else:
            self._presence_timer = loop.call_later(delay, self._send_presence)

    def _send_presence_now(self) -> None:
        """Send what presence waits for without waiting for the tick's end."""
        if self._presence_timer is not None:
            self._presence_timer.cancel()
            self._send_presence()

    def _send_presence(self) -> None:
        """One tick: every waiting state to every client here (a client's own state comes back
        unchanged, which Yjs ignores), this instance's clients' states to the other instances."""
        self._presence_timer = None
        everyone, local = self._presence_out.take(asyncio.get_running_loop().time())
        for frame in frames(everyone):
            self.broadcast(frame, exclude=None)
        if local and self.backplane.relays and not self._closed:
            self._spawn(self._publish_presence(frames(local)))

    async def _publish_presence(self, batch: list[bytes]) -> None:
        for frame in batch:
            with contextlib.suppress(Exception):
                await self.backplane.publish_awareness(self.doc_id, frame[1:])

    async def _on_remote_awareness(self, instance_id: str, payload: bytes) -> None:
        """Presence relayed by another instance; we remember which one, to expire it with it."""
        try:  # the payload is an awareness frame without its message type byte
            message = protocol.parse_message(bytes((protocol.MSG_AWARENESS,)) + payload)
        except protocol.ProtocolError:
            return
        if not isinstance(message, protocol.AwarenessUpdate):
            return
        self._relay_presence(self.presence.accept_remote(instance_id, message.entries), local=False)

    async def _on_instance_gone(self, instance_id: str) -> None:
        """An instance stopped heartbeating: its clients' presence goes (null state, clock+1),
        and it may have stored an update it never published, so read the store's tail."""
        self._relay_presence(self.presence.instance_gone(instance_id), local=False)
        self._request_resync(0.0)

    async def _on_awareness_query(self) -> None:
        """Another instance just subscribed: tell it about our own clients' presence."""
        for frame in frames(self.presence.live_entries(local_only=True)):
            await self.backplane.publish_awareness(self.doc_id, frame[1:])

    async def close(self) -> None:
        await self.persisted()
        if self._compaction is not None:
            with contextlib.suppress(Exception):
                await self._compaction
        if self._presence_timer is not None:  # the last goodbyes still go to other instances
            self._presence_timer.cancel()
            self._presence_timer = None
            _, local = self._presence_out.take(asyncio.get_running_loop().time())
            if local and self.backplane.relays:
                await self._publish_presence(frames(local))
        self._closed = True
        if self._unwatch is not None:
            with contextlib.suppress(ValueError):
                self._unwatch()
        if self._resync_task is not None and not self._resync_task.done():
            self._resync_task.cancel()
            with contextlib.suppress(BaseException):
                await self._resync_task
        with contextlib.suppress(Exception):
            await self.backplane.unsubscribe(self.doc_id)
