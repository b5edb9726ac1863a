"""Telling a client why its edit was undone, within the y-websocket protocol.

The protocol has no error message, and the server never sends text frames. So the notice rides
on an awareness update from a reserved client id that no Yjs client can hold (ids are random
non-zero uint32s; the room refuses 0 from clients). Only the offending connection receives it;
clients show `state.notice` of client 0 and may ignore it (the y-protocols awareness keeps it
like any remote state and drops it after its timeout).
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from crdt import protocol

SERVER_CLIENT_ID = 0


@dataclass(frozen=True)
class Notice:
    """Something the server tells one member that no broken rule of the guard carries."""

    rule: str
    detail: str


MESSAGES = {
    "read_only": "You are a viewer on this board, so your change was undone.",
    "server_only": "That part of the board changes only through the facilitator's controls.",
    "facilitator_only": "Only a facilitator can change the agenda, the title and decisions.",
    "locked": "The facilitator has locked the board; your change was undone.",
    "not_owner": "You can only edit or delete your own notes; your change was undone.",
    "author": "A note's author must be you.",
    "immutable": "A note's author and creation time never change.",
    "shape": "The board refused a malformed change.",
    "limit": "The board or the note is full; your change was undone.",
    "unknown_root": "The board refused data it does not know.",
    "drafts_not_placed": "Some of your drafts did not fit on the board; they stay in your drafts.",
}


def notice_frame(violations: Sequence[Any], clock: int) -> bytes:
    """One awareness message carrying the first broken rule, its detail and a human sentence."""
    first = violations[0]
    rule = str(getattr(first, "rule", "rule"))
    state = {
        "notice": {
            "rule": rule,
            "detail": str(getattr(first, "detail", "")),
            "message": MESSAGES.get(rule, "Your change was undone by the server."),
            "at": int(time.time() * 1000),
        }
    }
    entry = protocol.AwarenessEntry(
        SERVER_CLIENT_ID, clock, json.dumps(state, separators=(",", ":"))
    )
    return protocol.encode_awareness([entry])
