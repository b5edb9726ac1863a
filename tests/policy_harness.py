"""An in-process board with a guard, for judging client updates without a network.

It judges through the room's own core (server/realtime/room_core.py): the net update it
returns is the one a room would store and broadcast (the client's lawful part and any compensation).
"""

from __future__ import annotations

from typing import Any

from pycrdt import Doc, Map, Text

from crdt.policy import BoardGuard, DocLimits, PendingUpdate, Violation
from crdt.schema import BoardDoc, Role
from crdt.templates import init_board
from server.realtime.room_core import RoomCore

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
        doc: Doc[Any] = Doc() if client_id is None else Doc(client_id=client_id)
        self._attach(doc, limits)
        init_board(
            doc, title="Kick-off", objective="Start well", template_id=template, created_at_ms=1.0
        )
        self.server_change(add_members)

    @classmethod
    def from_update(cls, update: bytes, limits: DocLimits | None = None) -> Board:
        """A board whose doc is a copy of another's (same items, same ids)."""
        board = cls.__new__(cls)
        doc: Doc[Any] = Doc()
        doc.apply_update(update)
        board._attach(doc, limits)
        return board

    def _attach(self, doc: Doc[Any], limits: DocLimits | None) -> None:
        self.doc = doc
        self.guard = BoardGuard(doc, limits or DocLimits())
        self.core = RoomCore(doc, self.guard)

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
        """Judge as `pid`; PendingUpdate where a room would ask the sender for its state."""
        outcome = self.core.apply_client_update(update, pid)
        if outcome.needs_state:
            raise PendingUpdate("the update depends on operations the server has not seen")
        return outcome.violations, outcome.net

    def server_change(self, change: Any) -> bytes | None:
        _, net = self.core.apply_server_change(change)
        return net

    def state(self) -> dict[str, Any]:
        return snapshot(self.doc)


def add_members(doc: Doc[Any]) -> None:
    board = BoardDoc(doc)
    for pid, role in MEMBERS.items():
        board.add_participant(pid, name=pid.title(), role=role, joined_at=1.0)


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
