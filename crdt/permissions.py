"""The permission table of the design, as data: who writes each root, and what an entry is.

The guard (crdt/policy.py) reads only this table; the README's table is checked against it by
tests/unit/test_permission_table.py. A root not listed here does not exist for clients.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from crdt import schema

Writers = Literal["server", "facilitator", "members"]

# Rules a violation can name (metrics labels and notices use them).
READ_ONLY = "read_only"
SERVER_ONLY = "server_only"
FACILITATOR_ONLY = "facilitator_only"
LOCKED = "locked"
NOT_OWNER = "not_owner"
AUTHOR = "author"
IMMUTABLE = "immutable"
SHAPE = "shape"
LIMIT = "limit"
UNKNOWN_ROOT = "unknown_root"
FORGED_CLIENT = "forged_client"

MAX_META_VALUE = 2000


@dataclass(frozen=True)
class EntryRule:
    """The shape of an entry (a nested Map) of a map root or of an array root."""

    fields: tuple[str, ...]
    required: tuple[str, ...]
    check: Callable[[str, Any, int], bool]  # (field, plain value, max text) -> ok
    text_fields: frozenset[str] = frozenset()  # may be a Y.Text (plain text only)
    text_required: frozenset[str] = frozenset()  # must be a Y.Text, never a plain string
    owner_fields: frozenset[str] = frozenset()  # only the author (or a facilitator) edits
    fixed_fields: frozenset[str] = frozenset()  # never change once written
    author_field: str | None = None  # must name the sender at creation; owner of the entry


@dataclass(frozen=True)
class RootRule:
    writers: Writers
    kind: Literal["map", "array"] = "map"
    lockable: bool = False  # participants may not write it while the board is locked
    entry: EntryRule | None = None  # None: plain values (meta)


def _note_check(field: str, value: Any, max_text: int) -> bool:
    return schema.note_field_ok(field, value, max_text) if field != "text" else False


def _action_check(field: str, value: Any, max_text: int) -> bool:
    return schema.action_field_ok(field, value, max_text)


def _decision_check(field: str, value: Any, max_text: int) -> bool:
    return schema.decision_field_ok(field, value, max_text)


def _group_check(field: str, value: Any, max_text: int) -> bool:
    return schema.group_field_ok(field, value)


def _agenda_check(field: str, value: Any, max_text: int) -> bool:
    return schema.agenda_field_ok(field, value)


NOTE = EntryRule(
    fields=schema.NOTE_FIELDS,
    required=("text", "x", "y", "author"),
    check=_note_check,
    text_fields=frozenset({"text"}),
    text_required=frozenset({"text"}),
    owner_fields=schema.NOTE_CONTENT_FIELDS,
    fixed_fields=schema.NOTE_FIXED_FIELDS,
    author_field="author",
)
GROUP = EntryRule(
    fields=schema.GROUP_FIELDS, required=("title", "x", "y", "w", "h"), check=_group_check
)
ACTION = EntryRule(
    fields=schema.ACTION_FIELDS,
    required=("text", "status"),
    check=_action_check,
    text_fields=frozenset({"text"}),
)
DECISION = EntryRule(
    fields=schema.DECISION_FIELDS,
    required=("text",),
    check=_decision_check,
    text_fields=frozenset({"text"}),
)
AGENDA_ITEM = EntryRule(
    fields=schema.AGENDA_FIELDS, required=schema.AGENDA_FIELDS, check=_agenda_check
)

BOARD_RULES: dict[str, RootRule] = {
    "meta": RootRule("facilitator"),
    "participants": RootRule("server"),
    "session": RootRule("server"),
    "results": RootRule("server"),
    "notes": RootRule("members", lockable=True, entry=NOTE),
    "groups": RootRule("members", lockable=True, entry=GROUP),
    "actions": RootRule("members", lockable=True, entry=ACTION),
    "agenda": RootRule("facilitator", kind="array", entry=AGENDA_ITEM),
    "decisions": RootRule("facilitator", entry=DECISION),
}

# A member's private drafts doc: notes only, written by its owner while drafting is on.
DRAFTS_RULES: dict[str, RootRule] = {"notes": RootRule("members", entry=NOTE)}


def meta_value_ok(value: Any) -> bool:
    if value is None or isinstance(value, bool):
        return True
    if isinstance(value, str):
        return len(value) <= MAX_META_VALUE
    if isinstance(value, int | float):
        return schema.is_number(value, 1e15)
    if isinstance(value, list):
        return len(value) <= 100 and all(schema.is_short_text(v) for v in value)
    return False
