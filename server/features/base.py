"""What a feature (voting, drafts, estimation, outcomes, ...) adds to the server: one interface.

A feature may watch every room the server loads (`attach`) and may add commands to
`POST /api/boards/{id}/commands` (`commands`). server/app.py lists the features once: the room
manager attaches them to each room it loads, and the command table is built from them.
Model: Hocuspocus's one Extension interface.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from server.auth import Claims
from server.realtime.room import Room, RoomWatch

if TYPE_CHECKING:
    from server.realtime.rooms import RoomManager
    from server.services import Services

FACILITATOR = frozenset({"facilitator"})
MEMBERS = frozenset({"facilitator", "participant"})


@dataclass
class Context:
    """What a command runs with: the board's loaded room and the caller's current role."""

    services: Services
    room: Room
    board_id: str
    claims: Claims
    role: str

    @property
    def participant_id(self) -> str:
        return self.claims.participant_id


Handler = Callable[[Context, dict[str, Any]], Awaitable[dict[str, Any]]]


@dataclass(frozen=True)
class Command:
    roles: frozenset[str]  # the roster roles that may run it
    handler: Handler


class Feature:
    """A feature overrides what it adds; the defaults add nothing."""

    def attach(self, room: Room, rooms: RoomManager) -> RoomWatch | None:
        """Start on a room just loaded (a board or a drafts doc: see `room.ref`); `rooms`
        reaches other docs (a member's drafts count goes to the board). What it returns lives
        as long as the room and hears of each change (`RoomWatch.changed`)."""
        return None

    def commands(self) -> Mapping[str, Command]:
        return {}


def command_table(features: Iterable[Feature]) -> dict[str, Command]:
    """Every feature's commands by name; two features claiming one name is a mistake."""
    table: dict[str, Command] = {}
    for feature in features:
        for name, command in feature.commands().items():
            if name in table:
                raise ValueError(f"two features define the command {name!r}")
            table[name] = command
    return table
