"""The storage contract shared by the SQLite and Redis stores.

A "doc" is one Y.Doc's persistence: the update log plus a compacted snapshot. Its id is the
board id for the board document, or `"{board}/drafts/{participant}"` for a member's private drafts.
Positions are increasing per doc, so a reader can ask for "everything after N".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, Protocol


@dataclass
class BoardInfo:
    id: str
    title: str
    template: str
    created_at: float
    last_activity: float


@dataclass
class LoadedDoc:
    snapshot: bytes | None
    updates: list[tuple[int, bytes]]
    position: int  # highest position included (snapshot or log); 0 for an empty doc
    # The epoch the positions belong to (0: a store without epochs, such as SQLite). A shared
    # store whose history can change under the instances (a Redis failover) starts a new epoch
    # then; see server/store/replication.py.
    epoch: int = 0


VoteStatus = Literal["ok", "budget", "cap"]


@dataclass(frozen=True)
class VoteResult:
    status: VoteStatus
    used: int  # dots this participant has placed in the round after the call
    on_note: int  # this participant's dots on the note after the call


@dataclass
class Delivery:
    """One event for one webhook endpoint, in the durable outbox (server/features/webhooks.py)."""

    id: str
    board_id: str
    endpoint_id: str
    event_id: str
    event_type: str
    body: bytes
    status: str  # pending, delivered, failed (gave up after the retry window)
    attempts: int
    next_at: float
    created_at: float
    last_status: int | None = None
    last_error: str | None = None
    delivered_at: float | None = None


class Store(Protocol):
    """Async storage; implementations never block the event loop."""

    async def open(self) -> None: ...

    async def close(self) -> None: ...

    async def ping(self) -> None:
        """Raise if the store cannot serve requests (readiness)."""

    # Boards
    async def create_board(self, info: BoardInfo) -> None: ...

    async def get_board(self, board_id: str) -> BoardInfo | None: ...

    async def list_boards(self) -> list[BoardInfo]: ...

    async def touch_board(self, board_id: str, at: float) -> None: ...

    # Documents
    async def append_update(self, doc_id: str, update: bytes) -> int:
        """Durably append; returns the update's position. Resolves only once it is stored."""

    async def load_doc(self, doc_id: str) -> LoadedDoc: ...

    async def read_updates_since(self, doc_id: str, position: int) -> list[tuple[int, bytes]]: ...

    async def compact(self, doc_id: str) -> bool:
        """Fold the log into the snapshot; safe against concurrent appends and compactions."""

    async def log_length(self, doc_id: str) -> int: ...

    async def list_docs(self, prefix: str) -> list[str]: ...

    async def delete_doc(self, doc_id: str) -> None: ...

    async def claim_clients(self, doc_id: str, claims: dict[int, str]) -> dict[int, str]:
        """Bind Yjs client ids to the member that first wrote with them (first claim wins,
        on every instance); returns the owner of each claimed id."""

    # Ballots: one atomic step each, so budgets and caps hold under any concurrency.
    async def cast_vote(
        self, board_id: str, round_no: int, participant_id: str, note_id: str, budget: int, cap: int
    ) -> VoteResult: ...

    async def remove_vote(
        self, board_id: str, round_no: int, participant_id: str, note_id: str
    ) -> bool: ...

    async def ballots(
        self, board_id: str, round_no: int, participant_id: str
    ) -> dict[str, int]: ...

    async def tally(self, board_id: str, round_no: int) -> dict[str, int]: ...

    async def voters_done(self, board_id: str, round_no: int, budget: int) -> int: ...

    async def remove_note_votes(self, board_id: str, round_no: int, note_id: str) -> int: ...

    async def move_note_votes(
        self, board_id: str, round_no: int, from_note: str, to_note: str
    ) -> int:
        """Merging duplicates: every dot on `from_note` goes to `to_note`; returns dots moved."""
        ...

    # Estimation ballots: one card per member per note, replaced in one atomic step; refused
    # (False) once the round is closed in the store, so a late ballot cannot slip in.
    async def cast_estimate(
        self, board_id: str, round_no: int, participant_id: str, note_id: str, value: str | None
    ) -> bool: ...

    async def close_estimates(self, board_id: str, round_no: int) -> None: ...

    async def estimate_ballots(self, board_id: str, round_no: int) -> dict[str, dict[str, str]]:
        """participant -> note -> card, for the reveal and the "n done" count."""

    async def my_estimates(
        self, board_id: str, round_no: int, participant_id: str
    ) -> dict[str, str]: ...

    # Webhooks: endpoints per board, and the outbox. Each (board, endpoint) queue is delivered
    # in order: only its oldest undelivered entry can be claimed, by one instance at a time.
    async def put_webhook(self, board_id: str, hook: dict[str, Any]) -> None: ...

    async def list_webhooks(self, board_id: str) -> list[dict[str, Any]]: ...

    async def delete_webhook(self, board_id: str, webhook_id: str) -> bool: ...

    async def enqueue_deliveries(self, deliveries: list[Delivery]) -> None: ...

    async def claim_deliveries(
        self, now: float, lease_seconds: float, limit: int
    ) -> list[Delivery]:
        """Heads of due queues, leased so that no other instance delivers them meanwhile."""

    async def finish_delivery(self, delivery: Delivery) -> None:
        """Store the attempt's outcome (status, attempts, next_at, errors) and free the queue."""

    async def list_deliveries(
        self, board_id: str, endpoint_id: str, limit: int
    ) -> list[Delivery]: ...

    async def redeliver(self, board_id: str, endpoint_id: str, delivery_id: str) -> bool:
        """Queue a copy of a delivery's event again (a manual retry; same event id)."""

    # Audit log of facilitation commands (who, what, when)
    async def append_audit(self, board_id: str, entry: dict[str, Any]) -> None: ...

    async def read_audit(self, board_id: str) -> list[dict[str, Any]]: ...
