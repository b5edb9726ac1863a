"""Presence (y-websocket awareness) of one room: bounded, live, and bound to who is connected.

Awareness is relayed, not stored, but a hostile client could still make every joiner download
megabytes or pass itself off as the facilitator. So:
- a connection holds at most a few client ids (a stock client has one), a state has a size
  limit, and a room a number of states; what is over a limit is dropped, not relayed;
- join and query-awareness answers hold only live states (not null, renewed within the
  awareness timeout), in frames of at most 64 entries and 256 KiB; a connection gets at most
  one query answer per interval;
- `user.id`, `user.name` and `user.role` of every state are those of the connection's token
  and the board's roster (other `user` fields, a colour for instance, are the client's);
- a client id stays bound to the member who used it, after that member's socket is gone too,
  so another member cannot take it over and have the owner's own presence refused.

Presence is the busiest traffic of a whiteboard (every pointer move of everyone), so the room
relays it in ticks (`PresenceOutbox`): what is accepted waits at most one tick, the latest state
of each client wins, and everyone gets the same frame, encoded once. A change after a quiet tick
goes out at once. Clocks never go backwards (older states are refused before they are queued)
and the last state of every client is always sent.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from crdt import facilitation, protocol
from crdt.schema import participant_name
from server.auth import Claims
from server.realtime.connection import Connection
from server.realtime.notices import SERVER_CLIENT_ID

MAX_FRAME_BYTES = 256 * 1024


@dataclass(frozen=True)
class PresenceLimits:
    ids_per_connection: int = 4
    max_state_bytes: int = 8 * 1024
    max_states: int = 1000
    timeout_seconds: float = 30.0
    query_interval_seconds: float = 1.0
    tick_seconds: float = 0.05  # presence waits at most this long, to go out in one frame


@dataclass(slots=True)
class AwarenessRecord:
    clock: int
    state: str
    owner: Connection | None  # None: a client of another instance
    instance: str | None = None  # for a remote client: the instance it is connected to
    participant: str | None = None
    updated: float = 0.0  # time.monotonic() of the last state or renewal


def roster_identity(doc: Any, claims: Claims) -> dict[str, str]:
    """Who a connection is: the roster's name and role win over the token's (they change)."""
    pid = claims.participant_id
    name = participant_name(doc, pid)
    return {
        "id": pid,
        "name": claims.name if name is None else name,
        "role": facilitation.current_role(doc, pid, claims.role),
    }


def _user_id(state: str) -> str | None:
    try:
        user = json.loads(state).get("user")
    except (ValueError, AttributeError):
        return None
    uid = user.get("id") if isinstance(user, dict) else None
    return uid if isinstance(uid, str) else None


def frames(entries: list[protocol.AwarenessEntry]) -> list[bytes]:
    """Awareness frames of at most MAX_AWARENESS_ENTRIES entries and about MAX_FRAME_BYTES."""
    out: list[bytes] = []
    chunk: list[protocol.AwarenessEntry] = []
    size = 0
    for entry in entries:
        length = len(entry.state) + 16
        if chunk and (
            len(chunk) >= protocol.MAX_AWARENESS_ENTRIES or size + length > MAX_FRAME_BYTES
        ):
            out.append(protocol.encode_awareness(chunk))
            chunk, size = [], 0
        chunk.append(entry)
        size += length
    if chunk:
        out.append(protocol.encode_awareness(chunk))
    return out


class PresenceOutbox:
    """Accepted presence waiting for the room's next tick: the latest state of each client.

    Pure bookkeeping; the room owns the timer. `delay` says when the next frame may go: at once
    after a quiet tick, else a tick after the last one.
    """

    __slots__ = ("_last", "_waiting", "tick")

    def __init__(self, tick: float) -> None:
        self.tick = tick
        self._waiting: dict[int, tuple[protocol.AwarenessEntry, bool]] = {}
        self._last = float("-inf")

    def add(self, entries: Iterable[protocol.AwarenessEntry], *, local: bool) -> None:
        for entry in entries:
            self._waiting[entry.client_id] = (entry, local)

    def delay(self, now: float) -> float:
        return self._last + self.tick - now

    def take(
        self, now: float
    ) -> tuple[list[protocol.AwarenessEntry], list[protocol.AwarenessEntry]]:
        """(every waiting entry, those of this instance's clients: for the other instances)."""
        waiting, self._waiting = self._waiting, {}
        self._last = now
        everyone = [entry for entry, _ in waiting.values()]
        return everyone, [entry for entry, local in waiting.values() if local]


class Presence:
    def __init__(
        self,
        identity: Callable[[Connection], dict[str, str]],
        limits: PresenceLimits | None = None,
    ) -> None:
        self.records: dict[int, AwarenessRecord] = {}
        self.bindings: dict[int, str] = {}  # client id -> member; outlives their socket
        self.limits = limits or PresenceLimits()
        self._identity = identity
        self._identities: dict[Connection, dict[str, str]] = {}  # until the doc changes
        self._last_query: dict[Connection, float] = {}

    def doc_changed(self) -> None:
        """The roster may have changed: read identities from the doc again."""
        self._identities.clear()

    # -- answers ------------------------------------------------------------------------------
    def live_entries(self, *, local_only: bool = False) -> list[protocol.AwarenessEntry]:
        cutoff = time.monotonic() - self.limits.timeout_seconds
        return [
            protocol.AwarenessEntry(cid, rec.clock, rec.state)
            for cid, rec in self.records.items()
            if rec.state != "null"
            and rec.updated >= cutoff
            and (not local_only or rec.owner is not None)
        ]

    def join_frames(self) -> list[bytes]:
        return frames(self.live_entries())

    def query_frames(self, conn: Connection) -> list[bytes]:
        """The answer to a query-awareness: nothing when this connection asked just before."""
        now = time.monotonic()
        last = self._last_query.get(conn)
        if last is not None and now - last < self.limits.query_interval_seconds:
            return []
        self._last_query[conn] = now
        return frames(self.live_entries())

    # -- local clients ------------------------------------------------------------------------
    def _bind_id(self, client_id: int, participant: str) -> None:
        self.bindings.pop(client_id, None)
        self.bindings[client_id] = participant
        while len(self.bindings) > 4 * self.limits.max_states:
            del self.bindings[next(iter(self.bindings))]  # the oldest binding goes first

    def _bound_state(self, entry: protocol.AwarenessEntry, conn: Connection) -> str | None:
        value = entry.value  # parsed when the frame was checked (crdt/protocol.py)
        if value is None:
            try:
                value = json.loads(entry.state)
            except ValueError:
                return None
        if not isinstance(value, dict):
            return None
        user = value.get("user")
        identity = self._identities.get(conn)
        if identity is None:
            identity = self._identities[conn] = self._identity(conn)
        value["user"] = {**(user if isinstance(user, dict) else {}), **identity}
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False)

    def accept_local(
        self, conn: Connection, entries: Iterable[protocol.AwarenessEntry]
    ) -> list[protocol.AwarenessEntry]:
        """The entries of a client's awareness update that may be relayed, identity bound."""
        limits = self.limits
        pid = conn.claims.participant_id
        accepted: list[protocol.AwarenessEntry] = []
        now = time.monotonic()
        for entry in entries:
            cid = entry.client_id
            if cid == SERVER_CLIENT_ID:
                continue  # reserved for the server's notices
            if self.bindings.get(cid, pid) != pid:
                continue  # another member's client id, even when their socket is gone
            rec = self.records.get(cid)
            if rec is not None and rec.owner is not None and rec.owner is not conn:
                continue  # a live client id belongs to the connection that first used it
            if rec is not None and entry.clock < rec.clock:
                continue
            if (
                cid not in conn.awareness_ids
                and len(conn.awareness_ids) >= limits.ids_per_connection
            ):
                continue
            if entry.state == "null":
                self.records.pop(cid, None)
                conn.awareness_ids.discard(cid)
                accepted.append(entry)
                continue
            if len(entry.state.encode()) > limits.max_state_bytes:
                continue
            if rec is None and len(self.records) >= limits.max_states:
                continue
            state = self._bound_state(entry, conn)
            if state is None:
                continue
            self.records[cid] = AwarenessRecord(entry.clock, state, conn, None, pid, now)
            conn.awareness_ids.add(cid)
            self._bind_id(cid, pid)
            accepted.append(protocol.AwarenessEntry(cid, entry.clock, state))
        return accepted

    def leave(self, conn: Connection) -> list[protocol.AwarenessEntry]:
        """The null states of a connection that went (its ids stay bound to its member)."""
        self._last_query.pop(conn, None)
        self._identities.pop(conn, None)
        gone = [
            protocol.AwarenessEntry(cid, self.records[cid].clock + 1, "null")
            for cid in conn.awareness_ids
            if cid in self.records and self.records[cid].owner is conn
        ]
        for entry in gone:
            del self.records[entry.client_id]
        return gone

    # -- clients of other instances -----------------------------------------------------------
    def accept_remote(
        self, instance_id: str, entries: Iterable[protocol.AwarenessEntry]
    ) -> list[protocol.AwarenessEntry]:
        """Presence relayed by another instance (which bound identities); we remember which
        instance, to expire it with it."""
        accepted: list[protocol.AwarenessEntry] = []
        now = time.monotonic()
        for entry in entries:
            cid = entry.client_id
            if cid == SERVER_CLIENT_ID:
                continue
            rec = self.records.get(cid)
            if rec is not None:
                if rec.owner is not None:
                    continue  # our own client's id: we are its authority
                if entry.clock == rec.clock and entry.state != "null":
                    # Already known (a query's answer), or the client reconnected to another
                    # instance and re-sent its state: follow it there, nothing to show.
                    rec.instance, rec.updated = instance_id, now
                    continue
                if entry.clock < rec.clock:
                    continue  # old news
            if entry.state == "null":
                self.records.pop(cid, None)
                accepted.append(entry)
                continue
            if len(entry.state.encode()) > self.limits.max_state_bytes:
                continue
            if rec is None and len(self.records) >= self.limits.max_states:
                continue
            participant = _user_id(entry.state)
            self.records[cid] = AwarenessRecord(
                entry.clock, entry.state, None, instance_id, participant, now
            )
            if participant is not None:
                self._bind_id(cid, participant)
            accepted.append(entry)
        return accepted

    def instance_gone(self, instance_id: str) -> list[protocol.AwarenessEntry]:
        """The null states (clock + 1) of a dead instance's clients."""
        gone = [
            protocol.AwarenessEntry(cid, rec.clock + 1, "null")
            for cid, rec in self.records.items()
            if rec.owner is None and rec.instance == instance_id
        ]
        for entry in gone:
            del self.records[entry.client_id]
        return gone
