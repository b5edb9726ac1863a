"""Follow-through: the next session starts by reviewing the last session's open actions."""

from __future__ import annotations

import secrets
from typing import Any

from pycrdt import Array, Doc, Map, Text

REVIEW_TITLE = "Review last session's actions"


def open_actions(doc: Doc[Any]) -> list[dict[str, Any]]:
    actions = doc.get("actions", type=Map).to_py() or {}
    out = []
    for action_id, action in sorted(actions.items()):
        if isinstance(action, dict) and action.get("status") != "done":
            out.append({"id": action_id, **action})
    return out


def seed_follow_up(
    doc: Doc[Any], earlier_board: str, actions: list[dict[str, Any]], now_ms: float
) -> str:
    """Put a review item first on the agenda, holding the earlier board's open actions."""
    item_id = "review-" + secrets.token_urlsafe(6)
    agenda: Array[Any] = doc.get("agenda", type=Array)
    agenda.insert(0, Map({"id": item_id, "title": REVIEW_TITLE, "minutes": 10, "kind": "actions"}))
    target: Map[Any] = doc.get("actions", type=Map)
    for action in actions:
        owner = action.get("owner")
        due = action.get("due")
        target[str(action["id"])] = Map(
            {
                "text": Text(str(action.get("text") or "")),
                "owner": owner if isinstance(owner, str) else None,
                "due": due if isinstance(due, str) else None,
                "status": "open",
                "note": None,
                "item": item_id,
                "created_at": now_ms,
            }
        )
    meta: Map[Any] = doc.get("meta", type=Map)
    meta["follow_up_of"] = earlier_board
    session: Map[Any] = doc.get("session", type=Map)
    session["current_item"] = item_id
    return item_id


def add_follow_up_link(doc: Doc[Any], later_board: str) -> None:
    meta: Map[Any] = doc.get("meta", type=Map)
    links = meta.get("follow_ups")
    existing = [b for b in links if isinstance(b, str)] if isinstance(links, list) else []
    if later_board not in existing:
        meta["follow_ups"] = [*existing, later_board]
