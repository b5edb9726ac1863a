"""`note.add`, `action.add`, `decision.record`: board writes as commands, for API and MCP users.

A browser writes these straight into the document, where the guard judges them. Programs
(assistants through MCP, scripts) have no document: they send a command, and the command
applies the same rules the guard applies to a client (the permission table, the lock, the
shapes and limits of crdt.schema) before the server writes the entry (origin "server").
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Mapping
from typing import Any

from pycrdt import Doc, Map, Text

from crdt import drafts, facilitation, schema
from crdt.errors import ApiError
from server.features.base import FACILITATOR, MEMBERS, Command, Context, Feature


def _text(body: dict[str, Any], name: str, limit: int, *, required: bool = True) -> str:
    value = body.get(name)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value.strip()):
        raise ApiError(422, "invalid", f"`{name}` must be a non-empty string.")
    if len(value) > limit:
        raise ApiError(422, "invalid", f"`{name}` is longer than {limit} characters.")
    return value


def _optional_id(body: dict[str, Any], name: str) -> str | None:
    value = body.get(name)
    if value is not None and not schema.is_id(value):
        raise ApiError(422, "invalid", f"`{name}` must be an id (1 to 64 characters) or null.")
    return value


def _unless_locked(ctx: Context) -> None:
    if ctx.role != "facilitator" and facilitation.is_locked(ctx.room.doc):
        raise ApiError(409, "locked", "The board is locked: only facilitators change it now.")


def _new_id(prefix: str) -> str:
    return prefix + secrets.token_urlsafe(9)


async def note_add(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    settings = ctx.services.settings
    text = _text(body, "text", settings.max_note_text)
    color = body.get("color", "yellow")
    if not schema.is_color(color):
        raise ApiError(422, "invalid", f"`color` must be one of {', '.join(schema.NOTE_COLORS)}.")
    item = _optional_id(body, "item")
    group = _optional_id(body, "group")
    _unless_locked(ctx)
    note_id = _new_id("n_")

    def write(doc: Doc[Any]) -> dict[str, Any]:
        notes = doc.get("notes", type=Map)
        if len(notes) >= settings.max_notes_per_board:
            raise ApiError(
                409,
                "too_many_notes",
                f"A board holds at most {settings.max_notes_per_board} notes.",
            )
        x = body.get("x", 0.0)
        y = body.get("y", drafts.lowest_note_y(doc))
        if not (schema.is_number(x) and schema.is_number(y)):
            raise ApiError(422, "invalid", "`x` and `y` must be numbers.")
        if item is None and "item" not in body:
            current = facilitation.current_item(doc)
            chosen_item = current
        else:
            chosen_item = item
        schema.BoardDoc(doc).add_note(
            note_id,
            author=ctx.participant_id,
            text=text,
            x=float(x),
            y=float(y),
            color=color,
            created_at=time.time() * 1000,
            group=group,
            item=chosen_item,
        )
        return {"note_id": note_id, "item": chosen_item}

    return await _apply(ctx, write)


async def action_add(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    text = _text(body, "text", ctx.services.settings.max_note_text)
    owner = _optional_id(body, "owner")
    due = body.get("due")
    if not schema.is_iso_date(due):
        raise ApiError(422, "invalid", "`due` must be a date (YYYY-MM-DD) or null.")
    note = _optional_id(body, "note")
    item = _optional_id(body, "item")
    _unless_locked(ctx)
    if owner is not None and facilitation.role_of(ctx.room.doc, owner) is None:
        raise ApiError(404, "participant_not_found", "`owner` is nobody on this board.")
    action_id = _new_id("a_")

    def write(doc: Doc[Any]) -> dict[str, Any]:
        doc.get("actions", type=Map)[action_id] = Map(
            {
                "text": Text(text),
                "owner": owner,
                "due": due,
                "status": "open",
                "note": note,
                "item": item if item is not None else facilitation.current_item(doc),
                "created_at": time.time() * 1000,
            }
        )
        return {"action_id": action_id}

    return await _apply(ctx, write)


async def decision_record(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    limit = ctx.services.settings.max_note_text
    text = _text(body, "text", limit)
    rationale = _text(body, "rationale", limit, required=False)
    notes = body.get("notes", [])
    if not isinstance(notes, list) or len(notes) > 100 or not all(schema.is_id(n) for n in notes):
        raise ApiError(422, "invalid", "`notes` must be a list of at most 100 note ids.")
    round_no = body.get("round")
    if round_no is not None and not (isinstance(round_no, int) and not isinstance(round_no, bool)):
        raise ApiError(422, "invalid", "`round` must be a round number or null.")
    item = _optional_id(body, "item")
    decision_id = _new_id("d_")

    def write(doc: Doc[Any]) -> dict[str, Any]:
        missing = [n for n in notes if not facilitation.note_exists(doc, n)]
        if missing:
            raise ApiError(404, "note_not_found", f"No such note: {missing[0]}.")
        doc.get("decisions", type=Map)[decision_id] = Map(
            {
                "text": text,
                "rationale": rationale,
                "notes": list(notes),
                "round": round_no,
                "item": item if item is not None else facilitation.current_item(doc),
                "created_at": time.time() * 1000,
            }
        )
        return {"decision_id": decision_id}

    return await _apply(ctx, write)


async def _apply(ctx: Context, write: Any) -> dict[str, Any]:
    result: dict[str, Any] = await ctx.room.apply_server_change(write)
    return result


class OutcomeCommands(Feature):
    def commands(self) -> Mapping[str, Command]:
        return {
            "note.add": Command(MEMBERS, note_add),
            "action.add": Command(MEMBERS, action_add),
            "decision.record": Command(FACILITATOR, decision_record),
        }
