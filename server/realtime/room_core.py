"""A room's document logic without I/O: no sockets, no store, no event loop.

Every change to the doc (a client's judged update, another instance's update, a server command)
comes out of here as the one net update the doc emitted, which the async shell
(server/realtime/room.py) stores, broadcasts and publishes. Because nothing here awaits, it is
tested without a network (tests/unit/test_room_core.py) and the guard's tests judge through the
very same code (tests/policy_harness.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from pycrdt import Doc, TransactionEvent, merge_updates

from crdt import protocol
from crdt.docload import doc_from_log
from crdt.policy import MalformedUpdate, PendingUpdate, Prepared, Violation

T = TypeVar("T")
EMPTY_STATE_VECTOR = b"\x00"


class UpdateGuard(Protocol):
    """Judges a client's update before it reaches the doc (crdt/policy.py's BoardGuard)."""

    owners: dict[int, str]

    def prepare(self, update: bytes) -> Prepared: ...

    def unbound_clients(self, prepared: Prepared) -> set[int]: ...

    def bind(self, owners: dict[int, str]) -> None: ...

    def apply_prepared(self, prepared: Prepared, participant_id: str) -> list[Violation]: ...

    @property
    def wrote_more(self) -> bool: ...

    def maintain(self) -> None: ...


@dataclass(frozen=True)
class ClientOutcome:
    """What a client's update did to the doc."""

    net: bytes | None  # to store and broadcast: the lawful part plus any compensation
    violations: list[Violation] = field(default_factory=list)
    # The net update holds more than the sender's own update (a compensation, or edits carried
    # over to restored copies): the sender needs it too.
    for_sender: bool = False
    # The update builds on operations the doc lacks, so nothing entered: ask the sender for
    # its whole state (its reply carries the missing operations if it has them).
    needs_state: bool = False


class RoomCore:
    """One doc and its guard; turns each kind of change into the net update it caused."""

    def __init__(self, doc: Doc[Any], guard: UpdateGuard) -> None:
        self.doc = doc
        self.guard = guard
        self._captured: list[bytes] = []
        self._full_step2: bytes | None = None  # sync step 2 for an empty joiner, cached
        doc.observe(self._capture)

    def _capture(self, event: TransactionEvent) -> None:
        update = event.update
        if update != protocol.EMPTY_UPDATE:
            self._captured.append(update)
            self._full_step2 = None

    def _take_net_update(self) -> bytes | None:
        captured, self._captured = self._captured, []
        if not captured:
            return None
        return captured[0] if len(captured) == 1 else merge_updates(*captured)

    def load(self, snapshot: bytes | None, updates: Iterable[bytes]) -> None:
        """Fill the doc from the store (origin "load"); nothing of it is a change to pass on."""
        with self.doc.transaction(origin="load"):
            doc_from_log(snapshot, updates, self.doc)
        self._captured.clear()

    # -- changes ------------------------------------------------------------------------------
    def prepare(self, update: bytes) -> Prepared:
        """Decode a client's update (MalformedUpdate: nothing was applied)."""
        return self.guard.prepare(update)

    def may_carry_others(self, prepared: Prepared, participant_id: str) -> bool:
        """Whether the update may carry content of others that this doc has not seen yet
        (it depends on missing operations, or writes with client ids not bound to the
        sender): then the room catches up from the store before judging it."""
        guard = self.guard
        foreign = any(
            guard.owners.get(client, participant_id) != participant_id
            for client in prepared.new_clients
        )
        return prepared.pending or foreign or bool(guard.unbound_clients(prepared))

    def apply_prepared(self, prepared: Prepared, participant_id: str) -> ClientOutcome:
        """Judge and integrate a prepared update as `participant_id`'s own.

        MalformedUpdate and any other exception of the guard propagate (the doc is as it was).
        """
        self._captured.clear()
        try:
            violations = self.guard.apply_prepared(prepared, participant_id)
        except PendingUpdate:
            self._captured.clear()
            return ClientOutcome(None, needs_state=True)
        return ClientOutcome(self._take_net_update(), violations, self.guard.wrote_more)

    def apply_client_update(self, update: bytes, participant_id: str) -> ClientOutcome:
        """`prepare` and `apply_prepared` in one step (when there is nothing to await between)."""
        return self.apply_prepared(self.prepare(update), participant_id)

    def apply_remote(self, update: bytes) -> bytes | None:
        """Apply an update another instance stored (origin "remote"); what it added here."""
        self._captured.clear()
        with self.doc.transaction(origin="remote"):
            self.doc.apply_update(update)
        return self._take_net_update()

    def apply_server_change(self, change: Callable[[Doc[Any]], T]) -> tuple[T, bytes | None]:
        """Run a server-side change (origin "server"); its result and its net update."""
        self._captured.clear()
        with self.doc.transaction(origin="server"):
            result = change(self.doc)
        return result, self._take_net_update()

    # -- sync ---------------------------------------------------------------------------------
    def sync_step1(self) -> bytes:
        """Sync step 1 with the doc's state: asks a client for whatever the doc lacks."""
        return protocol.encode_sync_step1(self.doc.get_state())

    def answer_sync_step1(self, state_vector: bytes) -> bytes:
        """The sync step 2 frame for a client with this state vector (MalformedUpdate if the
        state vector cannot be read).

        A joiner with an empty doc (every browser load) gets the whole board, encoded once and
        reused until the doc changes.
        """
        if state_vector == EMPTY_STATE_VECTOR:
            if self._full_step2 is None:
                self._full_step2 = protocol.encode_sync_step2(self.doc.get_update())
            return self._full_step2
        try:
            diff = self.doc.get_update(state_vector)
        except Exception as exc:
            raise MalformedUpdate(f"malformed state vector: {exc}") from exc
        return protocol.encode_sync_step2(diff)

    def missing_from(self, stored: list[bytes]) -> bytes | None:
        """What the doc has that a doc made of the `stored` updates lacks (None: nothing).

        Deletions count too: the doc's delete set is merged into the stored copy, and only what
        that merge changed comes back.
        """
        copy = doc_from_log(None, stored)
        changes: list[bytes] = []
        subscription = copy.observe(lambda event: changes.append(event.update))
        copy.apply_update(self.doc.get_update(copy.get_state()))
        copy.unobserve(subscription)
        real = [update for update in changes if update != protocol.EMPTY_UPDATE]
        if not real:
            return None
        return real[0] if len(real) == 1 else merge_updates(*real)
