"""The permission table, enforced on every client update by accept-then-compensate.

A Yjs update cannot be refused: the client keeps its operations and re-sends them forever. So
the guard integrates each well-formed update in a transaction of its own origin, judges the
events that transaction produced, and when any rule is broken immediately undoes the whole
update (pycrdt's UndoManager, scoped to the schema's roots, holding only that one transaction).
The caller stores and broadcasts the net of both, so nobody sees the forbidden state and the
sender converges back. An update is judged as a whole: one broken rule reverts all of it.

Cost: the observers see only the types the update changed, and the note-author index is kept
up to date from the same events, so judging an update never walks the board.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from pycrdt import (
    Array,
    ArrayEvent,
    Doc,
    Map,
    MapEvent,
    Subscription,
    Text,
    TextEvent,
    TransactionEvent,
    UndoManager,
)

from crdt import schema as s

log = logging.getLogger("planboard.policy")

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

COMMAND_ROOTS = frozenset({"participants", "session", "results"})
FACILITATOR_ROOTS = frozenset({"meta", "agenda", "decisions"})
MAX_META_VALUE = 2000


@dataclass(frozen=True)
class Actor:
    participant_id: str
    role: str  # the token's role; the guard uses the board's current role instead


@dataclass(frozen=True)
class DocLimits:
    max_note_text: int = 2000
    max_notes: int = 2000
    max_doc_bytes: int = 16 << 20  # over it, only deletions are accepted


@dataclass(frozen=True)
class Violation:
    rule: str
    detail: str


class MalformedUpdate(ValueError):
    """The bytes are not a Yjs update; nothing was applied."""


class _ClientOrigin:
    """The origin of client transactions: the only one the undo manager tracks."""

    def __repr__(self) -> str:
        return "client"


@dataclass
class _Judgement:
    pid: str
    role: str | None
    locked: bool
    full: bool = False
    violations: list[Violation] = field(default_factory=list)

    def flag(self, rule: str, detail: str) -> None:
        if len(self.violations) < 20:  # enough to explain; an update is compensated as a whole
            self.violations.append(Violation(rule, detail))

    @property
    def facilitator(self) -> bool:
        return self.role == "facilitator"

    @property
    def may_edit_board(self) -> bool:
        """Participants edit notes, groups and actions unless the board is locked."""
        return self.facilitator or (self.role == "participant" and not self.locked)


class BoardGuard:
    """Integrates client updates into one board doc and compensates what the table forbids."""

    def __init__(self, doc: Doc[Any], limits: DocLimits) -> None:
        self.doc = doc
        self.limits = limits
        self._origin = _ClientOrigin()
        self._roots: dict[str, Map[Any] | Array[Any]] = {
            name: doc.get(name, type=Map) for name in s.MAP_ROOTS
        }
        self._roots["agenda"] = doc.get("agenda", type=Array)
        self._undo = UndoManager(scopes=list(self._roots.values()), capture_timeout_millis=0)
        self._undo.include_origin(self._origin)
        self._subscriptions: list[Subscription] = [
            root.observe_deep(partial(self._on_events, name)) for name, root in self._roots.items()
        ]
        # Kept from events, so judging never reads the board: note id -> author, member ->
        # current role, and the lock.
        self._authors: dict[str, str] = {}
        self._roles: dict[str, str] = {}
        self._locked = False
        self._unknown: dict[str, tuple[Map[Any], Array[Any]]] = {}
        self._unknown_dirty: set[str] = set()
        self._judging: _Judgement | None = None
        self.compensations = 0
        # Size: the sum of every transaction's update since the doc was loaded over-estimates
        # the encoded doc; it is replaced by an exact measure only when it nears the limit.
        self._bytes = 0
        self._bytes_measured = -1
        self._since_measured = 0
        self._size_sub = doc.observe(self._count_bytes)

    # -- size -----------------------------------------------------------------------------
    def _count_bytes(self, event: TransactionEvent) -> None:
        self._bytes += len(event.update)
        self._since_measured += 1

    @property
    def full(self) -> bool:
        """Whether the doc is at its size limit (measured exactly, and rarely)."""
        limit = self.limits.max_doc_bytes
        if self._bytes < limit:
            return False
        if (
            self._bytes_measured < 0
            or self._bytes - self._bytes_measured > limit // 10
            or self._since_measured > 100  # deletions may have made room
        ):
            self._bytes = self._bytes_measured = len(self.doc.get_update())
            self._since_measured = 0
        return self._bytes >= limit

    @property
    def size_estimate(self) -> int:
        return self._bytes

    # -- the entry point ------------------------------------------------------------------
    def apply_client_update(self, update: bytes, actor: Actor) -> list[Violation]:
        judgement = _Judgement(
            pid=actor.participant_id,
            role=self._roles.get(actor.participant_id),
            locked=self._locked,
            full=self.full,
        )
        self._judging = judgement
        try:
            with self.doc.transaction(origin=self._origin) as txn:
                roots_before = self._root_count(txn)
                self.doc.apply_update(update)
                new_roots = self._root_count(txn) != roots_before
        except Exception as exc:
            raise MalformedUpdate(f"not a Yjs update: {exc}") from exc
        finally:
            self._judging = None
        if new_roots or self._unknown_dirty:
            self._check_unknown_roots(judgement, new_roots)
        if judgement.violations:
            self._compensate()
        self._undo.clear()
        return judgement.violations

    def _root_count(self, txn: Any) -> int:
        """How many roots the doc has, without wrapping each (`Doc.keys()` does, slowly)."""
        raw_doc, raw_txn = getattr(self.doc, "_doc", None), getattr(txn, "_txn", None)
        if raw_doc is not None and raw_txn is not None:
            return len(raw_doc.roots(raw_txn))
        return len(list(self.doc.keys()))  # pragma: no cover - another pycrdt

    def _compensate(self) -> None:
        self.compensations += 1
        self._undo.undo()
        if self._unknown_dirty:
            with self.doc.transaction(origin="compensation"):
                for name in self._unknown_dirty:
                    as_map, as_array = self._unknown[name]
                    for key in list(as_map.keys()):
                        del as_map[key]
                    if len(as_array):
                        del as_array[0 : len(as_array)]
            self._unknown_dirty.clear()

    # -- unknown roots ----------------------------------------------------------------------
    def _check_unknown_roots(self, judgement: _Judgement, new_roots: bool) -> None:
        if new_roots:
            for name in list(self.doc.keys()):
                if name in self._roots or name in self._unknown:
                    continue
                as_map: Map[Any] = self.doc.get(name, type=Map)
                as_array: Array[Any] = self.doc.get(name, type=Array)
                self._unknown[name] = (as_map, as_array)
                self._subscriptions.append(as_map.observe_deep(partial(self._on_unknown, name)))
                self._unknown_dirty.add(name)
        for name in self._unknown_dirty:
            judgement.flag(UNKNOWN_ROOT, f"root {name!r} is not part of the schema")

    def _on_unknown(self, name: str, events: list[Any]) -> None:
        if self._judging is not None:
            self._unknown_dirty.add(name)

    # -- events ---------------------------------------------------------------------------
    def _on_events(self, root: str, events: list[Any]) -> None:
        judgement = self._judging
        if judgement is not None:
            for event in events:
                if judgement.full and _inserts(event):
                    judgement.flag(LIMIT, "the board is full: only deletions are accepted")
                self._judge(root, event, judgement)
        if root == "notes":
            self._index_authors(events)
        elif root == "participants":
            self._index_roles(events)
        elif root == "session":
            for event in events:
                if not event.path and "locked" in getattr(event, "keys", {}):
                    self._locked = event.keys["locked"].get("newValue") is True

    def _index_roles(self, events: list[Any]) -> None:
        for event in events:
            path = list(event.path)
            changes: dict[str, Any] = getattr(event, "keys", {})
            if not path:
                for pid, change in changes.items():
                    entry = change.get("newValue")
                    role = entry.get("role") if isinstance(entry, Map) else None
                    if change.get("action") != "delete" and role in s.ROLES:
                        self._roles[pid] = role
                    else:
                        self._roles.pop(pid, None)
            elif len(path) == 1 and "role" in changes:
                role = changes["role"].get("newValue")
                if role in s.ROLES:
                    self._roles[str(path[0])] = role
                else:
                    self._roles.pop(str(path[0]), None)

    def _index_authors(self, events: list[Any]) -> None:
        for event in events:
            path = list(event.path)
            if not path and isinstance(event, MapEvent):
                for key, change in getattr(event, "keys", {}).items():
                    if change.get("action") == "delete":
                        self._authors.pop(key, None)
                    else:
                        new = change.get("newValue")
                        author = new.get("author") if isinstance(new, Map) else None
                        self._authors[key] = author if isinstance(author, str) else ""
            elif len(path) == 1 and isinstance(event, MapEvent):
                change = getattr(event, "keys", {}).get("author")
                if change is not None:
                    author = change.get("newValue")
                    self._authors[str(path[0])] = author if isinstance(author, str) else ""

    def _judge(self, root: str, event: Any, j: _Judgement) -> None:
        if root != "agenda" and not event.path and not getattr(event, "keys", None):
            # Sequence content under a map root: invisible to map readers, still not allowed.
            j.flag(SHAPE, f"{root} is a map")
        elif j.role is None or j.role == "viewer":
            j.flag(READ_ONLY, f"{j.role or 'non-member'} wrote to {root}")
        elif root in COMMAND_ROOTS:
            j.flag(SERVER_ONLY, f"{root} changes only through commands")
        elif root in FACILITATOR_ROOTS and not j.facilitator:
            j.flag(FACILITATOR_ONLY, f"only a facilitator writes {root}")
        elif root == "notes":
            self._judge_note_event(event, j)
        elif root in ("groups", "actions"):
            if not j.may_edit_board:
                j.flag(LOCKED, f"the board is locked ({root})")
            else:
                self._judge_entry_event(root, event, j)
        elif root in ("meta", "agenda", "decisions"):
            self._judge_entry_event(root, event, j)

    # notes: ownership, lock, author, immutable fields, shape, limits
    def _judge_note_event(self, event: Any, j: _Judgement) -> None:
        path = list(event.path)
        if not path:
            if not isinstance(event, MapEvent):
                j.flag(SHAPE, "notes is a map of notes")
                return
            for note_id, change in getattr(event, "keys", {}).items():
                action = change.get("action")
                if action in ("delete", "update"):
                    self._may_change_content(note_id, j, "delete")
                if action in ("add", "update"):
                    self._judge_new_note(note_id, change.get("newValue"), j)
            return
        note_id = str(path[0])
        if len(path) == 1 and isinstance(event, MapEvent):
            for key, change in getattr(event, "keys", {}).items():
                if change.get("action") == "delete":
                    j.flag(SHAPE, f"note field {key!r} cannot be removed")
                elif key in s.NOTE_FIXED_FIELDS:
                    j.flag(IMMUTABLE, f"note field {key!r} never changes")
                elif key in s.NOTE_CONTENT_FIELDS:
                    self._may_change_content(note_id, j, f"edit {key} of")
                    self._check_field(key, change.get("newValue"), j)
                elif key in s.NOTE_MOVE_FIELDS:
                    if not j.may_edit_board:
                        j.flag(LOCKED, "the board is locked")
                    self._check_field(key, change.get("newValue"), j)
                else:
                    j.flag(SHAPE, f"unknown note field {key!r}")
        elif len(path) == 2 and path[1] == "text" and isinstance(event, TextEvent):
            self._may_change_content(note_id, j, "edit text of")
            self._judge_text_event(event, j)
        else:
            j.flag(SHAPE, f"unexpected change inside note {note_id!r}")

    def _check_field(self, key: str, value: Any, j: _Judgement) -> None:
        if not s.note_field_ok(key, value, self.limits.max_note_text):
            j.flag(SHAPE, f"invalid note field {key!r}")

    def _may_change_content(self, note_id: str, j: _Judgement, what: str) -> None:
        if j.facilitator:
            return
        if j.locked:
            j.flag(LOCKED, "the board is locked")
        elif self._authors.get(note_id) != j.pid:
            j.flag(NOT_OWNER, f"may not {what} another member's note")

    def _judge_new_note(self, note_id: str, note: Any, j: _Judgement) -> None:
        if not j.may_edit_board:
            j.flag(LOCKED, "the board is locked")
            return
        if not s.is_id(note_id):
            j.flag(SHAPE, "note ids are 1 to 64 characters")
            return
        text = note.get("text") if isinstance(note, Map) else None
        if isinstance(text, Text) and len(text) > self.limits.max_note_text:
            j.flag(LIMIT, f"note text over {self.limits.max_note_text} characters")
            return
        problem = s.note_problem(note, self.limits.max_note_text)
        if problem is not None:
            j.flag(SHAPE, f"note {note_id!r}: {problem}")
            return
        if note.get("author") != j.pid:
            j.flag(AUTHOR, "a note's author must be its sender")
        if note_id not in self._authors and len(self._authors) >= self.limits.max_notes:
            j.flag(LIMIT, f"a board holds at most {self.limits.max_notes} notes")

    # groups, actions, meta, agenda, decisions: shape of entries and fields
    def _judge_entry_event(self, root: str, event: Any, j: _Judgement) -> None:
        path = list(event.path)
        if root == "agenda":
            self._judge_agenda_event(path, event, j)
            return
        if isinstance(event, TextEvent):
            if len(path) == 2 and path[1] == "text" and root in ("actions", "decisions"):
                self._judge_text_event(event, j)
            else:
                j.flag(SHAPE, f"unexpected text in {root}")
            return
        if not isinstance(event, MapEvent):
            j.flag(SHAPE, f"unexpected change in {root}")
            return
        keys: dict[str, Any] = getattr(event, "keys", {})
        if root == "meta":
            if path:
                j.flag(SHAPE, "meta holds plain values")
            for key, change in keys.items():
                if change.get("action") != "delete" and not _meta_value_ok(change.get("newValue")):
                    j.flag(SHAPE, f"invalid meta value for {key!r}")
            return
        entry_problem, field_ok = self._entry_checks(root)
        if not path:
            for key, change in keys.items():
                if change.get("action") == "delete":
                    continue
                if not s.is_id(key):
                    j.flag(SHAPE, f"{root} ids are 1 to 64 characters")
                    continue
                problem = entry_problem(change.get("newValue"))
                if problem is not None:
                    j.flag(SHAPE, f"{root} {key!r}: {problem}")
        elif len(path) == 1:
            for key, change in keys.items():
                if change.get("action") == "delete":
                    j.flag(SHAPE, f"{root} field {key!r} cannot be removed")
                elif not field_ok(key, change.get("newValue")):
                    j.flag(SHAPE, f"invalid {root} field {key!r}")
        else:
            j.flag(SHAPE, f"unexpected change inside {root}")

    def _entry_checks(
        self, root: str
    ) -> tuple[Callable[[Any], str | None], Callable[[str, Any], bool]]:
        max_text = self.limits.max_note_text
        if root == "groups":
            return s.group_problem, s.group_field_ok
        if root == "actions":
            return (
                partial(s.action_problem, max_text=max_text),
                partial(s.action_field_ok, max_text=max_text),
            )
        return (
            partial(s.decision_problem, max_text=max_text),
            partial(s.decision_field_ok, max_text=max_text),
        )

    def _judge_agenda_event(self, path: list[Any], event: Any, j: _Judgement) -> None:
        if not path and isinstance(event, ArrayEvent):
            for op in getattr(event, "delta", []):
                for entry in op.get("insert", []) if isinstance(op, dict) else []:
                    problem = s.agenda_problem(entry)
                    if problem is not None:
                        j.flag(SHAPE, f"agenda item: {problem}")
        elif len(path) == 1 and isinstance(event, MapEvent):
            for key, change in getattr(event, "keys", {}).items():
                if change.get("action") == "delete" or not s.agenda_field_ok(
                    key, change.get("newValue")
                ):
                    j.flag(SHAPE, f"invalid agenda field {key!r}")
        else:
            j.flag(SHAPE, "unexpected change in agenda")

    def _judge_text_event(self, event: Any, j: _Judgement) -> None:
        text = getattr(event, "target", None)
        if isinstance(text, Text) and len(text) > self.limits.max_note_text:
            j.flag(LIMIT, f"text over {self.limits.max_note_text} characters")


def _inserts(event: Any) -> bool:
    """Whether an event adds content (anything but deletions)."""
    if isinstance(event, MapEvent):
        changes: dict[str, Any] = getattr(event, "keys", {})
        return any(c.get("action") != "delete" for c in changes.values()) or not changes
    delta = getattr(event, "delta", None) or []
    return any(isinstance(op, dict) and "insert" in op for op in delta)


def _meta_value_ok(value: Any) -> bool:
    if value is None or isinstance(value, bool):
        return True
    if isinstance(value, str):
        return len(value) <= MAX_META_VALUE
    if isinstance(value, int | float):
        return s.is_number(value, 1e15)
    if isinstance(value, list):
        return len(value) <= 100 and all(s.is_short_text(v) for v in value)
    return False
