"""The board document: root names, field shapes, and typed accessors over one pycrdt Doc.

Everything that reads or writes a board (the server's commands, the policy, the export, the
tests) goes through these names and checks, so the schema of the design lives in one place.
Pure code: no I/O. Writers run inside the caller's transaction when there is one.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any, Literal

from pycrdt import Array, Doc, Map, Text

Role = Literal["facilitator", "participant", "viewer"]
ROLES: tuple[Role, ...] = ("facilitator", "participant", "viewer")

MAP_ROOTS = (
    "meta",
    "participants",
    "notes",
    "groups",
    "session",
    "results",
    "actions",
    "decisions",
)
ARRAY_ROOTS = ("agenda",)
ROOTS = MAP_ROOTS + ARRAY_ROOTS

AGENDA_KINDS = ("brainstorm", "group", "vote", "discuss", "decide", "actions")
NOTE_COLORS = ("yellow", "orange", "pink", "purple", "blue", "green", "gray")
ACTION_STATUSES = ("open", "done")

MAX_ID = 64
MAX_TITLE = 200
MAX_COORD = 1_000_000.0
MAX_SIZE = 100_000.0
_HEX_COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")

# Field shapes: each note/group/action/decision field and the check its value must pass.
NOTE_FIELDS = ("text", "x", "y", "color", "author", "created_at", "group", "item")
NOTE_MOVE_FIELDS = frozenset({"x", "y", "group", "item"})
NOTE_CONTENT_FIELDS = frozenset({"text", "color"})
NOTE_FIXED_FIELDS = frozenset({"author", "created_at"})
# Written only by server commands (`estimate.agree`), never accepted from a client.
NOTE_SERVER_FIELDS = frozenset({"estimate"})
GROUP_FIELDS = ("title", "x", "y", "w", "h", "color")
ACTION_FIELDS = ("text", "owner", "due", "status", "note", "item", "created_at")
DECISION_FIELDS = ("text", "item", "created_at", "rationale", "notes", "round")
AGENDA_FIELDS = ("id", "title", "minutes", "kind")


# -- value checks ---------------------------------------------------------------------------
def is_id(value: Any) -> bool:
    return isinstance(value, str) and 0 < len(value) <= MAX_ID


def is_number(value: Any, limit: float = MAX_COORD) -> bool:
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(value)
        and abs(value) <= limit
    )


def is_color(value: Any) -> bool:
    return isinstance(value, str) and (value in NOTE_COLORS or bool(_HEX_COLOR.match(value)))


def is_optional_id(value: Any) -> bool:
    return value is None or is_id(value)


def is_short_text(value: Any, limit: int = MAX_TITLE) -> bool:
    return isinstance(value, str) and len(value) <= limit


def is_iso_date(value: Any) -> bool:
    return value is None or (isinstance(value, str) and bool(_ISO_DATE.match(value)))


def text_length(value: Any) -> int:
    """Length of a Text or str field; 0 for anything else."""
    if isinstance(value, Text):
        return len(value)
    if isinstance(value, str):
        return len(value)
    return 0


def note_field_ok(field: str, value: Any, max_text: int) -> bool:
    if field == "text":
        return isinstance(value, Text) and len(value) <= max_text
    if field in ("x", "y", "created_at"):
        return is_number(value, MAX_COORD if field != "created_at" else 1e15)
    if field == "color":
        return is_color(value)
    if field == "author":
        return is_id(value)
    if field in ("group", "item"):
        return is_optional_id(value)
    return False


def group_field_ok(field: str, value: Any) -> bool:
    if field == "title":
        return is_short_text(value)
    if field in ("x", "y"):
        return is_number(value)
    if field in ("w", "h"):
        return is_number(value, MAX_SIZE) and value >= 0
    if field == "color":
        return is_color(value)
    return False


def action_field_ok(field: str, value: Any, max_text: int) -> bool:
    if field == "text":
        return isinstance(value, Text | str) and text_length(value) <= max_text
    if field == "owner":
        return value is None or is_id(value)
    if field == "due":
        return is_iso_date(value)
    if field == "status":
        return value in ACTION_STATUSES
    if field in ("note", "item"):
        return is_optional_id(value)
    if field == "created_at":
        return is_number(value, 1e15)
    return False


def decision_field_ok(field: str, value: Any, max_text: int) -> bool:
    if field == "text":
        return isinstance(value, Text | str) and text_length(value) <= max_text
    if field == "item":
        return is_optional_id(value)
    if field == "created_at":
        return is_number(value, 1e15)
    if field == "rationale":
        return isinstance(value, str) and len(value) <= max_text
    if field == "round":  # the voting round the decision rests on
        return value is None or is_number(value, 1e6)
    if field == "notes":  # the notes that are the decision's evidence
        return isinstance(value, list) and len(value) <= 100 and all(is_id(v) for v in value)
    return False


def agenda_field_ok(field: str, value: Any) -> bool:
    if field == "id":
        return is_id(value)
    if field == "title":
        return is_short_text(value)
    if field == "minutes":
        return is_number(value, 24 * 60) and value >= 0
    if field == "kind":
        return value in AGENDA_KINDS
    return False


def shape_problem(
    entry: Any, fields: tuple[str, ...], required: tuple[str, ...], check: Any
) -> str | None:
    """Why a nested Map does not fit its schema (None when it does)."""
    if not isinstance(entry, Map):
        return f"expected a map, got {type(entry).__name__}"
    for key in list(entry.keys()):
        if key not in fields:
            return f"unknown field {key!r}"
    for key in required:
        if key not in entry:
            return f"missing field {key!r}"
    for key, value in entry.items():
        if not check(key, value):
            return f"invalid value for {key!r}"
    return None


def note_problem(entry: Any, max_text: int) -> str | None:
    return shape_problem(
        entry,
        NOTE_FIELDS,
        ("text", "x", "y", "author"),
        lambda k, v: note_field_ok(k, v, max_text),
    )


def group_problem(entry: Any) -> str | None:
    return shape_problem(entry, GROUP_FIELDS, ("title", "x", "y", "w", "h"), group_field_ok)


def action_problem(entry: Any, max_text: int) -> str | None:
    return shape_problem(
        entry, ACTION_FIELDS, ("text", "status"), lambda k, v: action_field_ok(k, v, max_text)
    )


def decision_problem(entry: Any, max_text: int) -> str | None:
    return shape_problem(
        entry, DECISION_FIELDS, ("text",), lambda k, v: decision_field_ok(k, v, max_text)
    )


def agenda_problem(entry: Any) -> str | None:
    return shape_problem(entry, AGENDA_FIELDS, AGENDA_FIELDS, agenda_field_ok)


# -- typed accessors ------------------------------------------------------------------------
def participant_name(doc: Doc[Any], pid: Any) -> str | None:
    """A member's display name (None for an unknown id or anything that is not an id)."""
    entry = doc.get("participants", type=Map).get(pid) if isinstance(pid, str) else None
    name = entry.get("name") if isinstance(entry, Map) else None
    return name if isinstance(name, str) else None


def agenda_items(doc: Doc[Any]) -> list[dict[str, Any]]:
    """The agenda's entries as plain dicts, in order (anything that is not a Map skipped)."""
    agenda: Array[Any] = doc.get("agenda", type=Array)
    return [entry.to_py() or {} for entry in agenda if isinstance(entry, Map)]


@dataclass(frozen=True)
class NoteView:
    id: str
    text: str
    x: float
    y: float
    color: str
    author: str
    created_at: float
    group: str | None
    item: str | None


class BoardDoc:
    """Typed reads and writes of a board document; names and shapes as in the design."""

    def __init__(self, doc: Doc[Any]) -> None:
        self.doc = doc

    def map_root(self, name: str) -> Map[Any]:
        root: Map[Any] = self.doc.get(name, type=Map)
        return root

    # participants (server only)
    def add_participant(self, pid: str, *, name: str, role: Role, joined_at: float) -> None:
        self.map_root("participants")[pid] = Map(
            {"name": name, "role": role, "joined_at": joined_at}
        )

    # notes
    def add_note(
        self,
        note_id: str,
        *,
        author: str,
        text: str = "",
        x: float = 0.0,
        y: float = 0.0,
        color: str = "yellow",
        created_at: float = 0.0,
        group: str | None = None,
        item: str | None = None,
    ) -> None:
        self.map_root("notes")[note_id] = Map(
            {
                "text": Text(text),
                "x": float(x),
                "y": float(y),
                "color": color,
                "author": author,
                "created_at": float(created_at),
                "group": group,
                "item": item,
            }
        )

    def _note(self, note_id: str) -> Map[Any]:
        note = self.map_root("notes").get(note_id)
        if not isinstance(note, Map):
            raise KeyError(note_id)
        return note

    def note(self, note_id: str) -> NoteView:
        n = self._note(note_id)
        group, item = n.get("group"), n.get("item")
        return NoteView(
            id=note_id,
            text=str(n.get("text", "")),
            x=float(n.get("x", 0.0)),
            y=float(n.get("y", 0.0)),
            color=str(n.get("color", "yellow")),
            author=str(n.get("author", "")),
            created_at=float(n.get("created_at", 0.0)),
            group=group if isinstance(group, str) else None,
            item=item if isinstance(item, str) else None,
        )

    def note_ids(self) -> list[str]:
        return list(self.map_root("notes").keys())

    def to_py(self) -> dict[str, Any]:
        """Every known root as plain Python values (agenda as a list)."""
        out: dict[str, Any] = {name: self.map_root(name).to_py() or {} for name in MAP_ROOTS}
        out["agenda"] = agenda_items(self.doc)
        return out
