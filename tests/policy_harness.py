"""An in-process board with a guard, for judging client updates without a network.

It mirrors what a room does: apply a client's update through the guard, collect every update
the server doc emitted meanwhile (the client's and the compensation), and merge them into the
one net update that the room would store and broadcast.
"""

from __future__ import annotations

from typing import Any

from pycrdt import Doc, Map, Text, TransactionEvent, merge_updates

from crdt.policy import Actor, BoardGuard, DocLimits, Violation
from crdt.schema import BoardDoc, Role
from crdt.templates import init_board

MEMBERS: dict[str, Role] = {
    "fac": "facilitator",
    "ana": "participant",
    "bob": "participant",
    "vic": "viewer",
}


class Board:
    def __init__(
        self,
        limits: DocLimits | None = None,
        template: str = "kickoff",
        client_id: int | None = None,
    ) -> None:
        self.doc: Doc[Any] = Doc() if client_id is None else Doc(client_id=client_id)
        self.guard = BoardGuard(self.doc, limits or DocLimits())
        self._captured: list[bytes] = []
        self._sub = self.doc.observe(self._capture)
        init_board(
            self.doc,
            title="Kick-off",
            objective="Start well",
            template_id=template,
            created_at_ms=1.0,
        )
        board = BoardDoc(self.doc)
        with self.doc.transaction(origin="server"):
            for pid, role in MEMBERS.items():
                board.add_participant(pid, name=pid.title(), role=role, joined_at=1.0)
        self._captured.clear()

    @classmethod
    def from_update(cls, update: bytes, limits: DocLimits | None = None) -> Board:
        """A board whose doc is a copy of another's (same items, same ids)."""
        board = cls.__new__(cls)
        board.doc = Doc()
        board.doc.apply_update(update)
        board.guard = BoardGuard(board.doc, limits or DocLimits())
        board._captured = []
        board._sub = board.doc.observe(board._capture)
        return board

    def _capture(self, event: TransactionEvent) -> None:
        if event.update != b"\x00\x00":
            self._captured.append(event.update)

    def client(self) -> Doc[Any]:
        doc: Doc[Any] = Doc()
        doc.apply_update(self.doc.get_update())
        return doc

    def push(
        self, client: Doc[Any], pid: str, since: bytes | None = None
    ) -> tuple[list[Violation], bytes | None]:
        """Send what the client has that the server lacks; return violations and the net update."""
        update = client.get_update(self.doc.get_state() if since is None else since)
        return self.apply(update, pid)

    def apply(self, update: bytes, pid: str) -> tuple[list[Violation], bytes | None]:
        self._captured.clear()
        violations = self.guard.apply_client_update(update, Actor(pid))
        captured, self._captured = self._captured, []
        net = merge_updates(*captured) if captured else None
        return violations, net

    def server_change(self, change: Any) -> bytes | None:
        self._captured.clear()
        with self.doc.transaction(origin="server"):
            change(self.doc)
        captured, self._captured = self._captured, []
        return merge_updates(*captured) if captured else None

    def state(self) -> dict[str, Any]:
        return snapshot(self.doc)


def snapshot(doc: Doc[Any]) -> dict[str, Any]:
    """Every root of the schema as plain values (what a reader of the board can see)."""
    return BoardDoc(doc).to_py()


def new_note(author: str, text: str = "idea", **fields: Any) -> Map[Any]:
    base: dict[str, Any] = {
        "text": Text(text),
        "x": 10.0,
        "y": 20.0,
        "color": "yellow",
        "author": author,
        "created_at": 5.0,
        "group": None,
        "item": None,
    }
    base.update(fields)
    return Map(base)
