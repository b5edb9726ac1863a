"""Outbound event documents (`planboard.event/v1`) and the board views they carry. Pure: no I/O.

An event says what happened on a board in a form that a tracker or a chat bot can use without
knowing the CRDT: plain JSON with a unique id, the board's id and title, and the data of the
event. Nothing here reads ballots: a secret round's votes are not in the document before the
reveal, so no event built from the document can carry them.
"""

from __future__ import annotations

import json
import secrets
from datetime import UTC, datetime
from typing import Any

from pycrdt import Doc, Map, Text

from crdt.schema import participant_name

SCHEMA_ID = "planboard.event/v1"
EVENT_TYPES = (
    "board.created",
    "participant.joined",
    "session.locked",
    "session.unlocked",
    "agenda.advanced",
    "voting.started",
    "voting.revealed",
    "drafts.revealed",
    "estimate.agreed",
    "decision.recorded",
    "action.created",
    "action.updated",
    "session.exported",
)


def new_event_id() -> str:
    return "evt_" + secrets.token_urlsafe(16)


def make_event(
    event_type: str, board_id: str, title: str, data: dict[str, Any], at_ms: float
) -> dict[str, Any]:
    assert event_type in EVENT_TYPES, event_type
    return {
        "schema": SCHEMA_ID,
        "id": new_event_id(),
        "type": event_type,
        "created_at": datetime.fromtimestamp(at_ms / 1000.0, tz=UTC).isoformat(
            timespec="milliseconds"
        ),
        "board": {"id": board_id, "title": title},
        "data": data,
    }


def encode(event: dict[str, Any]) -> bytes:
    """The exact bytes that are signed and sent (compact, stable key order)."""
    return json.dumps(event, separators=(",", ":"), ensure_ascii=False, sort_keys=True).encode()


def board_title(doc: Doc[Any]) -> str:
    title = doc.get("meta", type=Map).get("title")
    return title if isinstance(title, str) else ""


def _plain(value: Any) -> Any:
    if isinstance(value, Text):
        return str(value)
    if isinstance(value, Map):
        return {k: _plain(v) for k, v in value.items()}
    return value


def action_view(doc: Doc[Any], action_id: str) -> dict[str, Any] | None:
    entry = doc.get("actions", type=Map).get(action_id)
    if not isinstance(entry, Map):
        return None
    data = _plain(entry)
    return {
        "id": action_id,
        "text": data.get("text") if isinstance(data.get("text"), str) else "",
        "owner": data.get("owner"),
        "owner_name": participant_name(doc, data.get("owner")),
        "due": data.get("due"),
        "status": data.get("status"),
        "item": data.get("item"),
        "note": data.get("note"),
    }


def decision_view(doc: Doc[Any], decision_id: str) -> dict[str, Any] | None:
    entry = doc.get("decisions", type=Map).get(decision_id)
    if not isinstance(entry, Map):
        return None
    data = _plain(entry)
    notes = doc.get("notes", type=Map)
    evidence = data.get("notes") if isinstance(data.get("notes"), list) else []
    return {
        "id": decision_id,
        "text": data.get("text") if isinstance(data.get("text"), str) else "",
        "rationale": data.get("rationale") if isinstance(data.get("rationale"), str) else "",
        "item": data.get("item"),
        "round": data.get("round"),
        "notes": [
            {
                "id": n,
                "text": str(notes[n].get("text", "")) if isinstance(notes.get(n), Map) else "",
            }
            for n in evidence
            if isinstance(n, str)
        ],
    }
