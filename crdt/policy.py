"""The guard: every client update is judged from its structure before it reaches the live doc.

A Yjs update cannot be refused (the client keeps its operations and re-sends them), so a
forbidden one is compensated, never dropped. The order of work makes that safe:

1. decode the update (crdt/yupdate.py, strict, linear) and find the order yrs would integrate
   it in; one that would leave anything pending is not integrated at all (`PendingUpdate`:
   the caller catches up from the store or asks the client to resync);
2. judge every new struct and every deletion against the permission table
   (crdt/permissions.py), placing each through the struct index (crdt/structindex.py) and
   reading roles, the lock and authors from the live doc: nothing is integrated yet;
3. lawful: integrate the update as it is. Forbidden (one broken rule reverts the whole update):
   integrate it with every new struct replaced by a GC run of the same clocks (so the sender's
   later edits still integrate, and every peer learns those clocks are gone), then restore
   what its deletions removed, from values read before. Nobody ever sees the forbidden state.

Any exception while deciding leaves the doc untouched; nothing forbidden is ever integrated, so
yrs never meets unknown roots, formats, embeds or sub-docs. Cost: linear in the update.
"""

from __future__ import annotations

import logging
from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from pycrdt import Array, Doc, Map, Text, TransactionEvent

from crdt import permissions as rules
from crdt import yupdate
from crdt.originals import Originals
from crdt.permissions import RootRule
from crdt.structindex import GC_PLACE, Place, StructIndex, integration_order

log = logging.getLogger("planboard.policy")

# Re-exported rule names (older imports use crdt.policy.X).
READ_ONLY = rules.READ_ONLY
SERVER_ONLY = rules.SERVER_ONLY
FACILITATOR_ONLY = rules.FACILITATOR_ONLY
LOCKED = rules.LOCKED
NOT_OWNER = rules.NOT_OWNER
AUTHOR = rules.AUTHOR
IMMUTABLE = rules.IMMUTABLE
SHAPE = rules.SHAPE
LIMIT = rules.LIMIT
UNKNOWN_ROOT = rules.UNKNOWN_ROOT
FORGED_CLIENT = rules.FORGED_CLIENT
SERVER_OWNER = "@server"
CLIENT_ORIGIN = "client"  # the origin of the transactions that integrate client updates
MAX_VIOLATIONS = 20
MAX_ENTRY_DEPTH = 3  # root -> entry -> field type -> its content; nothing deeper exists


@dataclass(frozen=True)
class Actor:
    """Who sent an update; the guard reads their role from the board, never from a token."""

    participant_id: str


@dataclass(frozen=True)
class DocLimits:
    max_note_text: int = 2000  # UTF-16 units, as a browser counts
    max_notes: int = 2000
    max_doc_bytes: int = 16 << 20  # over it, only deletions are accepted


@dataclass(frozen=True)
class Violation:
    rule: str
    detail: str


class MalformedUpdate(ValueError):
    """The bytes are not a Yjs update; nothing was applied."""


class PendingUpdate(Exception):
    """The update depends on operations this doc does not have; nothing was applied."""


class GuardContext(Protocol):
    """What the judgement needs to know about the sender and the board, read when judging."""

    def role_of(self, participant_id: str) -> str | None: ...

    def locked(self) -> bool: ...


class BoardContext:
    """Roles and the lock, read from the board document itself (never from a token)."""

    cacheable = True  # it reads only this doc: the guard may cache until the doc changes

    def __init__(self, doc: Doc[Any]) -> None:
        self._participants: Map[Any] = doc.get("participants", type=Map)
        self._session: Map[Any] = doc.get("session", type=Map)

    def role_of(self, participant_id: str) -> str | None:
        entry = self._participants.get(participant_id)
        role = entry.get("role") if isinstance(entry, Map) else None
        return role if isinstance(role, str) else None

    def locked(self) -> bool:
        return self._session.get("locked") is True


class DraftsContext:
    """A private drafts doc: its owner writes while drafting is on; nobody else, ever."""

    cacheable = False  # drafting is decided on the board, another doc

    def __init__(self, owner: str, drafting: Callable[[], bool]) -> None:
        self._owner = owner
        self._drafting = drafting

    def role_of(self, participant_id: str) -> str | None:
        if participant_id != self._owner:
            return None
        return "participant" if self._drafting() else "viewer"

    def locked(self) -> bool:
        return False


# Structs in integration order, the delete set, and where each struct was placed.
_Judged = tuple[list[yupdate.Struct], dict[yupdate.ID, Place | int]]


@dataclass
class Prepared:
    """A decoded update, placed against the doc as it is now."""

    update: yupdate.Update
    order: list[yupdate.Struct]
    pending: bool
    new_clients: set[int]  # clients with clocks this doc has not seen
    data: bytes = b""  # the update as received: integrated as it is when nothing is cut


@dataclass
class _NewEntry:
    root: str
    key: str
    rule: RootRule
    exists: bool = False  # replaces an entry at the same key
    fields: dict[str, Any] = field(default_factory=dict)
    texts: set[str] = field(default_factory=set)


class _Walk:
    """What judging one update has learnt so far: places, new types and entries, lengths."""

    def __init__(self) -> None:
        self.placed: dict[yupdate.ID, Place | int] = {}
        self._runs: dict[int, list[tuple[int, int, Place | int]]] = {}
        self.types: dict[yupdate.ID, tuple[str, ...]] = {}  # new types -> schema path
        self.entries: dict[yupdate.ID, _NewEntry] = {}
        self.new_texts: set[yupdate.ID] = set()
        self.text_added: dict[tuple[str, ...], int] = {}
        self.text_ids: dict[tuple[str, ...], yupdate.ID] = {}
        self.text_deleted: dict[tuple[str, ...], int] = {}
        self.written: set[Place] = set()
        self.gc_anchored: set[yupdate.ID] = set()

    def add(self, s: yupdate.Struct, place: Place | int) -> None:
        self.placed[(s.client, s.clock)] = place
        self._runs.setdefault(s.client, []).append((s.clock, s.end, place))

    def place_of(self, item: yupdate.ID) -> Place | int | None:
        runs = self._runs.get(item[0])
        if not runs:
            return None
        i = bisect_right(runs, (item[1], float("inf"))) - 1
        if i >= 0 and runs[i][0] <= item[1] < runs[i][1]:
            return runs[i][2]
        return None


@dataclass
class _Judgement:
    pid: str
    role: str | None
    locked: bool
    full: bool
    violations: list[Violation] = field(default_factory=list)
    seen: set[tuple[str, str]] = field(default_factory=set)

    def flag(self, rule: str, detail: str) -> None:
        if len(self.violations) < MAX_VIOLATIONS and (rule, detail) not in self.seen:
            self.seen.add((rule, detail))
            self.violations.append(Violation(rule, detail))

    @property
    def facilitator(self) -> bool:
        return self.role == "facilitator"


class BoardGuard:
    """Judges client updates for one doc; the one seam is `apply(update, participant_id)`."""

    def __init__(
        self,
        doc: Doc[Any],
        limits: DocLimits,
        *,
        table: dict[str, RootRule] | None = None,
        context: GuardContext | None = None,
    ) -> None:
        self.doc = doc
        self.limits = limits
        self.table = table if table is not None else rules.BOARD_RULES
        self.context = context if context is not None else BoardContext(doc)
        self.index = StructIndex()
        self._roots: dict[str, Map[Any]] = {}
        # Reads the judgement repeats (roles, the lock, entries' authors), kept until a
        # transaction touches what they were read from.
        self._context_roots = frozenset({"participants", "session"})
        self._context_cache: dict[tuple[str, str], Any] = {}
        self._owners_cache: dict[str, dict[str, str | None]] = {}
        self._authored = frozenset(
            (root, rule.entry.author_field)
            for root, rule in self.table.items()
            if rule.entry is not None and rule.entry.author_field is not None
        )
        self.owners: dict[int, str] = {doc.client_id: SERVER_OWNER}  # Yjs client id -> member
        self.compensations = 0
        # Entries restored as copies, whose originals late edits may still aim at (a while).
        self.originals: Originals | None = None
        self._fresh_originals: Originals | None = None
        # Whether the last apply wrote more than the sender's own update (a compensation, or
        # edits carried over to copies): then the sender needs the net update too.
        self.wrote_more = False
        self._bytes = 0
        self._bytes_measured = -1
        self._since_measured = 0
        # What the transaction being committed integrated, in order and placed, when it is a
        # judged update as it was judged: the index records it without decoding yrs' encoding.
        self._judged: _Judged | None = None
        self._sub = doc.observe(self._on_transaction)
        self._index_whole_doc()

    # -- the index follows every transaction ------------------------------------------------
    def _on_transaction(self, event: TransactionEvent) -> None:
        update = event.update
        self._bytes += len(update)
        self._since_measured += 1
        judged, self._judged = self._judged, None
        if update == b"\x00\x00":
            return
        try:
            # What the transaction deleted, overwritten values included: an update that sets
            # a key need not say it deletes the old value, yrs deletes it anyway. (pycrdt's
            # stubs do not declare `delete_set` yet.)
            deleted: bytes | None = getattr(event, "delete_set", None)
            if judged is not None and deleted is not None:  # placed as judged: no decode
                order, placed = judged
                deletes = yupdate.decode_delete_set(deleted) if deleted != b"\x00" else {}
                touched, entries = self.index.record_ordered(order, deletes, placed)
            else:
                decoded = yupdate.decode_update(update)
                touched, entries = self.index.record(decoded)
                fresh, self._fresh_originals = self._fresh_originals, None
                if fresh is not None:  # everything the compensation deleted, children included
                    fresh.compensated = decoded.deletes
        except Exception:  # pragma: no cover - yrs wrote it; rebuild rather than trust it
            log.exception("could not index a transaction; rebuilding the index")
            self._index_whole_doc()
            return
        if touched & self._context_roots:
            self._context_cache.clear()
        for root in entries:
            self._owners_cache.pop(root, None)

    def _index_whole_doc(self) -> None:
        self._context_cache.clear()
        self._owners_cache.clear()
        written = self.index.written
        self.index = StructIndex()
        self.index.watch = self._authored
        self.index.written = written  # authors of entries deleted before the rebuild too
        self.index.record(yupdate.decode_update(self.doc.get_update()))
        self.index.mark_built()

    def maintain(self) -> None:
        """Rebuild the index from the doc's encoding when history has doubled it."""
        if self.index.needs_rebuild:
            self._index_whole_doc()

    # -- size -------------------------------------------------------------------------------
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

    # -- the seam ---------------------------------------------------------------------------
    def apply(self, update: bytes, participant_id: str) -> list[Violation]:
        """Judge and integrate one client update as `participant_id`; return what it broke."""
        return self.apply_prepared(self.prepare(update), participant_id)

    def apply_client_update(self, update: bytes, actor: Actor) -> list[Violation]:
        return self.apply(update, actor.participant_id)

    def prepare(self, update: bytes) -> Prepared:
        try:
            decoded = yupdate.decode_update(update, self.index.depth_of, MAX_ENTRY_DEPTH)
        except yupdate.UpdateFormatError as exc:
            raise MalformedUpdate(f"not a Yjs update: {exc}") from exc
        order, pending = integration_order(decoded, self.index.known)
        new_clients = {s.client for s in order}
        return Prepared(decoded, order, pending, new_clients, update)

    def unbound_clients(self, prepared: Prepared) -> set[int]:
        return {c for c in prepared.new_clients if c not in self.owners}

    def bind(self, owners: dict[int, str]) -> None:
        self.owners.update(owners)

    def apply_prepared(self, prepared: Prepared, participant_id: str) -> list[Violation]:
        if prepared.pending:
            raise PendingUpdate("the update depends on operations the server has not seen")
        # One transaction for the reads, the judgement and the integration: pycrdt opens one
        # per read otherwise, and observers see the update and its compensation as one.
        self.wrote_more = False
        try:
            with self.doc.transaction(origin=CLIENT_ORIGIN):
                violations = self._judge_and_integrate(prepared, participant_id)
                self.wrote_more = bool(violations) or self.wrote_more
                return violations
        finally:
            self._judged = None

    def _judge_and_integrate(self, prepared: Prepared, participant_id: str) -> list[Violation]:
        update = prepared.update
        j = _Judgement(
            pid=participant_id,
            role=self._cached(("role", participant_id), self.context.role_of, participant_id),
            locked=self._cached(("locked", ""), lambda _: self.context.locked(), ""),
            full=self.full,
        )
        order = prepared.order
        foreign = {
            c for c in prepared.new_clients if self.owners.get(c, participant_id) != participant_id
        }
        if foreign:
            j.flag(FORGED_CLIENT, "another member's or the server's Yjs client id")
            order = [s for s in order if s.client not in foreign]
            _, pending = integration_order(_subset(update, order), self.index.known)
            if pending:
                raise PendingUpdate("the update builds on operations of a forged client id")
            update = _subset(update, order)
        for client in prepared.new_clients - foreign:
            self.owners.setdefault(client, participant_id)
        placed, gc_anchored = self._judge(update, order, j)
        deletes = self._trimmed_deletes(update, order)
        if j.violations:
            new_types = {(s.client, s.clock) for s in order if s.ref == yupdate.TYPE}
            return self._integrate_compensated(update, order, placed, deletes, new_types, j)
        unchanged = (
            not gc_anchored
            and update is prepared.update
            and len(order) == len(update.structs)
            and deletes == update.deletes
        )
        self._judged = (order, placed)
        if unchanged:
            self.doc.apply_update(prepared.data)
        else:
            self._integrate(update, order, placed, deletes, gc_anchored)
        originals = self.originals
        if originals is not None:
            originals.left -= 1
            if originals.touched_by(order, placed, update, self.index):
                originals.carry_over(update, self.doc)
                self._judged = None  # the copies changed too: the index reads the transaction
                self.wrote_more = True
            if originals.left <= 0:
                self.originals = None
        return []

    # -- judging ----------------------------------------------------------------------------
    def _judge(
        self, update: yupdate.Update, order: list[yupdate.Struct], j: _Judgement
    ) -> tuple[dict[yupdate.ID, Place | int], set[yupdate.ID]]:
        """Place every new struct and judge it and the deletions; nothing is applied here."""
        w = _Walk()
        for s in order:
            sid = (s.client, s.clock)
            place = GC_PLACE if s.ref == yupdate.GC else self._place(s, w)
            if place is None:
                j.flag(SHAPE, "an item without a parent")
                place = GC_PLACE
            elif place == GC_PLACE and s.ref != yupdate.GC:
                w.gc_anchored.add(sid)  # yrs collects it too: anchored to collected content
            w.add(s, place)
            if isinstance(place, int):
                continue
            parent, sub = place
            parent_loc = (parent,) if isinstance(parent, str) else self._loc(parent, w)
            if parent_loc is None:
                j.flag(SHAPE, "content inside something that is not a type")
                continue
            w.written.add(place)
            if j.full and s.ref != yupdate.DELETED:
                j.flag(LIMIT, "the board is full: only deletions are accepted")
            self._judge_struct(s, parent, parent_loc, sub, j, w)
        self._judge_deletes(update, j, w)
        for entry in w.entries.values():
            self._judge_new_entry(entry, j)
        limit = self.limits.max_note_text
        for loc, added in w.text_added.items():
            text_id = w.text_ids.get(loc)
            if text_id is not None and self.index.inserted.get(text_id, 0) + added <= limit:
                continue  # even if nothing was ever deleted from it, it stays under the limit
            if added and self._text_over(loc, added - w.text_deleted.get(loc, 0), limit):
                j.flag(LIMIT, f"text over {limit} characters")
        return w.placed, w.gc_anchored

    def _loc(self, parent: yupdate.ID, w: _Walk) -> tuple[str, ...] | None:
        found = self.index.loc_of(parent)
        return found if found is not None else w.types.get(parent)

    def _place(self, s: yupdate.Struct, w: _Walk) -> Place | int | None:
        if s.parent_name is not None:
            return (s.parent_name, s.parent_sub)
        if s.parent_id is not None:
            return (s.parent_id, s.parent_sub)
        places = [self._anchor_place(a, w) for a in (s.origin, s.right_origin) if a is not None]
        if not places or None in places:
            return None
        if GC_PLACE in places:
            return GC_PLACE
        if len(places) == 2 and places[0] != places[1]:
            return None  # neighbours in two different lists: yrs would corrupt both lists
        return places[0]

    def _anchor_place(self, anchor: yupdate.ID, w: _Walk) -> Place | int | None:
        found = self.index.place_of(anchor)
        return found if found is not None else w.place_of(anchor)

    def _judge_struct(
        self,
        s: yupdate.Struct,
        parent: str | yupdate.ID,
        parent_loc: tuple[str, ...],
        sub: str | None,
        j: _Judgement,
        w: _Walk,
    ) -> None:
        root = parent_loc[0]
        rule = self.table.get(root)
        if rule is None:
            j.flag(UNKNOWN_ROOT, f"root {root!r} is not part of the schema")
            return
        if not self._may_write_root(root, rule, j):
            return
        depth = len(parent_loc)
        sid = (s.client, s.clock)
        if depth == 1:
            if rule.kind == "map" and sub is None:
                j.flag(SHAPE, f"{root} is a map")
                return
            if rule.kind == "array" and sub is not None:
                j.flag(SHAPE, f"{root} is a list")
                return
            key = sub if sub is not None else "*"
            if rule.entry is None:  # plain values (meta)
                if s.ref == yupdate.DELETED:
                    return
                if s.ref != yupdate.ANY or not s.values or len(s.values) != 1:
                    j.flag(SHAPE, f"{root} holds plain values")
                elif not rules.meta_value_ok(s.values[0]):
                    j.flag(SHAPE, f"invalid {root} value for {key!r}")
                return
            exists = rule.kind == "map" and key in self._root(root)
            if s.ref == yupdate.DELETED:  # a tombstone at a key removes what the key held
                if exists:
                    self._may_remove_entry(root, key, rule, j)
                return
            if s.ref != yupdate.TYPE or s.type_ref != yupdate.TYPE_MAP:
                j.flag(SHAPE, f"{root} {key!r}: expected a map")
                return
            if rule.kind == "map" and not _is_id(key):
                j.flag(SHAPE, f"{root} ids are 1 to 64 characters")
                return
            if rule.lockable and j.locked and not j.facilitator:
                j.flag(LOCKED, "the board is locked")
                return
            if exists:
                self._may_remove_entry(root, key, rule, j)
            w.types[sid] = (root, key)
            w.entries[sid] = _NewEntry(root, key, rule, exists=exists)
            return
        entry_rule = rule.entry
        if entry_rule is None:
            j.flag(SHAPE, f"{root} holds plain values")
            return
        if depth == 2:
            if sub is None:
                if s.ref != yupdate.DELETED:
                    j.flag(SHAPE, f"unexpected content inside {root} {parent_loc[1]!r}")
                return
            entry = w.entries.get(parent) if not isinstance(parent, str) else None
            self._judge_field(s, parent_loc, sub, rule, entry_rule, entry, j, w)
            return
        if depth == 3 and sub is None and parent_loc[2] in entry_rule.text_fields:
            if s.ref == yupdate.DELETED:
                return
            if s.ref != yupdate.STRING or s.text is None:
                j.flag(SHAPE, "text holds plain text only")
                return
            if parent not in w.new_texts:  # an existing entry's text
                self._may_edit_content(root, parent_loc[1], rule, entry_rule, "edit text of", j)
            w.text_added[parent_loc] = w.text_added.get(parent_loc, 0) + s.length
            if not isinstance(parent, str):
                w.text_ids[parent_loc] = parent
            return
        j.flag(SHAPE, f"unexpected content inside {root}")

    def _judge_field(
        self,
        s: yupdate.Struct,
        parent_loc: tuple[str, ...],
        key: str,
        rule: RootRule,
        entry_rule: rules.EntryRule,
        new_entry: _NewEntry | None,
        j: _Judgement,
        w: _Walk,
    ) -> None:
        root, entry_key = parent_loc[0], parent_loc[1]
        if key not in entry_rule.fields:
            j.flag(SHAPE, f"unknown {root} field {key!r}")
            return
        if s.ref == yupdate.DELETED:
            if new_entry is None:
                j.flag(SHAPE, f"{root} field {key!r} cannot be removed")
            return
        is_text = s.ref == yupdate.TYPE and s.type_ref == yupdate.TYPE_TEXT
        if is_text and key not in entry_rule.text_fields:
            j.flag(SHAPE, f"invalid {root} field {key!r}")
            return
        if not is_text and (s.ref != yupdate.ANY or len(s.values or ()) != 1):
            j.flag(SHAPE, f"invalid {root} field {key!r}")
            return
        value = None if is_text else (s.values or [None])[0]
        if not is_text and not entry_rule.check(key, value, self.limits.max_note_text):
            j.flag(SHAPE, f"invalid {root} field {key!r}")
            return
        if is_text:
            text_loc = (*parent_loc, key)
            w.types[(s.client, s.clock)] = text_loc
            w.new_texts.add((s.client, s.clock))
            w.text_added.setdefault(text_loc, 0)
        if new_entry is not None:
            if is_text:
                new_entry.texts.add(key)
            else:
                new_entry.fields[key] = value
            return
        # A field of an existing entry.
        if key in entry_rule.fixed_fields:
            j.flag(IMMUTABLE, f"{root} field {key!r} never changes")
        elif key in entry_rule.owner_fields:
            self._may_edit_content(root, entry_key, rule, entry_rule, f"edit {key} of", j)
        elif rule.lockable and j.locked and not j.facilitator:
            j.flag(LOCKED, "the board is locked")
        if key in entry_rule.text_required and not is_text:
            j.flag(SHAPE, f"invalid {root} field {key!r}")

    def _judge_new_entry(self, entry: _NewEntry, j: _Judgement) -> None:
        rule = entry.rule.entry
        assert rule is not None
        present = set(entry.fields) | entry.texts
        missing = [f for f in rule.required if f not in present]
        if missing:
            j.flag(SHAPE, f"{entry.root} {entry.key!r}: missing field {missing[0]!r}")
            return
        for name in rule.text_required:
            if name not in entry.texts:
                j.flag(SHAPE, f"{entry.root} {entry.key!r}: invalid value for {name!r}")
                return
        author = entry.fields.get(rule.author_field) if rule.author_field else None
        if rule.author_field is not None and author != j.pid and not self._restores(entry, j):
            j.flag(AUTHOR, "a note's author must be its sender")
        full = len(self._root("notes")) >= self.limits.max_notes
        if entry.root == "notes" and not entry.exists and full:
            j.flag(LIMIT, f"a board holds at most {self.limits.max_notes} notes")

    def _restores(self, entry: _NewEntry, j: _Judgement) -> bool:
        """A facilitator bringing back a deleted entry under its key with its author (undo)."""
        rule = entry.rule.entry
        if not j.facilitator or entry.exists or rule is None or rule.author_field is None:
            return False
        before = self.index.written.get((entry.root, entry.key, rule.author_field))
        return before is not None and before == entry.fields.get(rule.author_field)

    def _text_over(self, loc: tuple[str, ...], change: int, limit: int) -> bool:
        """Whether a text at `loc` grown by `change` UTF-16 units would be over `limit`."""
        rule = self.table.get(loc[0])
        if rule is None or rule.kind != "map" or len(loc) != 3:
            return change > limit
        entry = self._root(loc[0]).get(loc[1])
        value = entry.get(loc[2]) if isinstance(entry, Map) else None
        if not isinstance(value, Text):
            return change > limit
        # pycrdt counts UTF-8 bytes, never fewer than UTF-16 units: read the text only near it.
        if len(value) + change <= limit:
            return False
        return yupdate.utf16_len(str(value)) + change > limit

    def _judge_deletes(self, update: yupdate.Update, j: _Judgement, w: _Walk) -> None:
        """Judge what the update deletes that is still there (a re-sent delete set is not).

        Deleting an entry deletes everything inside it: those inner deletions are part of the
        entry's and are not judged again.
        """
        found: list[tuple[Place, yupdate.ID, int]] = []
        removed_entries: set[tuple[str, ...]] = set()
        for client, start, end in self._new_deletions(update):
            for a, b, place in self.index.runs_in(client, start, end):
                if isinstance(place, int):
                    continue
                parent = place[0]
                loc = (parent,) if isinstance(parent, str) else self.index.loc_of(parent)
                if loc is None:
                    continue
                found.append((place, (client, a), b - a))
                if len(loc) <= 2:
                    for clock in range(a, b):
                        info = self.index.types.get((client, clock))
                        if info is not None:
                            removed_entries.add(info.loc)
        for place, item, length in found:
            parent, sub = place
            loc = (parent,) if isinstance(parent, str) else self.index.loc_of(parent)
            assert loc is not None
            inside_removed = len(loc) >= 2 and (
                loc in removed_entries or (loc[:2] in removed_entries and place not in w.written)
            )
            if inside_removed:
                continue  # inside an entry (or a text) that this update removes whole
            if len(loc) == 3 and sub is None:
                w.text_deleted[loc] = w.text_deleted.get(loc, 0) + length
            self._judge_deletion(place, loc, item, w.written, j)

    def _judge_deletion(
        self,
        place: Place,
        parent_loc: tuple[str, ...],
        item: yupdate.ID,
        written: set[Place],
        j: _Judgement,
    ) -> None:
        root = parent_loc[0]
        rule = self.table.get(root)
        if rule is None:
            return  # unknown roots never hold anything (nothing is let in)
        if not self._may_write_root(root, rule, j):
            return
        if place in written:
            return  # an overwrite: the new value was judged
        sub = place[1]
        depth = len(parent_loc)
        if depth == 1:
            if rule.entry is not None and rule.kind == "map" and sub is not None:
                self._may_remove_entry(root, sub, rule, j)
            return
        entry_rule = rule.entry
        if entry_rule is None:
            return
        if depth == 2:
            if sub is not None:
                j.flag(SHAPE, f"{root} field {sub!r} cannot be removed")
            return
        if depth == 3 and sub is None and parent_loc[2] in entry_rule.text_fields:
            self._may_edit_content(root, parent_loc[1], rule, entry_rule, "edit text of", j)
            return
        j.flag(SHAPE, f"unexpected change inside {root}")

    def _new_deletions(self, update: yupdate.Update) -> list[tuple[int, int, int]]:
        """Deleted ranges that exist here and are not deleted yet: (client, start, end)."""
        out: list[tuple[int, int, int]] = []
        for client, ranges in update.deletes.items():
            known = self.index.known(client)
            for clock, length in ranges:
                end = min(clock + length, known)
                if end <= clock:
                    continue
                for a, b in self.index.live_parts(client, clock, end):
                    out.append((client, a, b))
        return out

    def _root(self, name: str) -> Map[Any]:
        root = self._roots.get(name)
        if root is None:
            root = self._roots[name] = self.doc.get(name, type=Map)
        return root

    # -- permission helpers -----------------------------------------------------------------
    def _may_write_root(self, root: str, rule: RootRule, j: _Judgement) -> bool:
        if j.role is None or j.role == "viewer":
            j.flag(READ_ONLY, f"{j.role or 'non-member'} wrote to {root}")
            return False
        if rule.writers == "server":
            j.flag(SERVER_ONLY, f"{root} changes only through commands")
            return False
        if rule.writers == "facilitator" and not j.facilitator:
            j.flag(FACILITATOR_ONLY, f"only a facilitator writes {root}")
            return False
        return True

    def _entry_exists(self, root: str, key: str) -> bool:
        return key in self.doc.get(root, type=Map)

    def _cached(self, key: tuple[str, str], read: Callable[[str], Any], arg: str) -> Any:
        if not getattr(self.context, "cacheable", False):
            return read(arg)
        cache = self._context_cache
        if key not in cache:
            cache[key] = read(arg)
        return cache[key]

    def _owner(self, root: str, key: str, entry_rule: rules.EntryRule) -> str | None:
        """An entry's author (it never changes while the entry lives: cached per root)."""
        if entry_rule.author_field is None:
            return None
        owners = self._owners_cache.setdefault(root, {})
        if key not in owners:
            entry = self._root(root).get(key)
            author = entry.get(entry_rule.author_field) if isinstance(entry, Map) else None
            owners[key] = author if isinstance(author, str) else None
        return owners[key]

    def _may_remove_entry(self, root: str, key: str, rule: RootRule, j: _Judgement) -> None:
        if j.facilitator:
            return
        if rule.lockable and j.locked:
            j.flag(LOCKED, "the board is locked")
            return
        entry_rule = rule.entry
        owned = entry_rule is not None and entry_rule.author_field is not None
        if owned and entry_rule is not None and self._owner(root, key, entry_rule) != j.pid:
            j.flag(NOT_OWNER, "may not delete another member's note")

    def _may_edit_content(
        self,
        root: str,
        key: str,
        rule: RootRule,
        entry_rule: rules.EntryRule,
        what: str,
        j: _Judgement,
    ) -> None:
        if j.facilitator:
            return
        if rule.lockable and j.locked:
            j.flag(LOCKED, "the board is locked")
        elif entry_rule.author_field is not None and self._owner(root, key, entry_rule) != j.pid:
            j.flag(NOT_OWNER, f"may not {what} another member's note")

    # -- integrating ------------------------------------------------------------------------
    def _trimmed_deletes(
        self, update: yupdate.Update, order: list[yupdate.Struct]
    ) -> dict[int, list[tuple[int, int]]]:
        """The delete set cut to clocks that exist once the update is in: no pending deletes."""
        ends: dict[int, int] = {}
        for s in order:
            ends[s.client] = max(ends.get(s.client, 0), s.end)
        out: dict[int, list[tuple[int, int]]] = {}
        for client, ranges in update.deletes.items():
            known = max(self.index.known(client), ends.get(client, 0))
            kept = []
            for clock, length in ranges:
                end = min(clock + length, known)
                if end > clock:
                    kept.append((clock, end - clock))
            if kept:
                out[client] = kept
        return out

    def _integrate(
        self,
        update: yupdate.Update,
        order: list[yupdate.Struct],
        placed: dict[yupdate.ID, Place | int],
        deletes: dict[int, list[tuple[int, int]]],
        gc_anchored: set[yupdate.ID],
    ) -> None:
        structs = [self._as_gc(s) if (s.client, s.clock) in gc_anchored else s for s in order]
        self.doc.apply_update(yupdate.encode_update(structs, deletes))

    def _integrate_compensated(
        self,
        update: yupdate.Update,
        order: list[yupdate.Struct],
        placed: dict[yupdate.ID, Place | int],
        deletes: dict[int, list[tuple[int, int]]],
        new_types: set[yupdate.ID],
        j: _Judgement,
    ) -> list[Violation]:
        """Integrate the update's clocks as collected content, then restore what it deleted."""
        self.compensations += 1
        restore = _Restorer(self.doc, self.table)
        for client, start, end in self._new_deletions(update):
            for _a, _b, place in self.index.runs_in(client, start, end):
                if place != GC_PLACE and not isinstance(place, int):
                    restore.remember(self.index, place, (client, _a))
        # A tombstone at a map key still becomes the key's latest item and removes the value
        # before it (Yjs map semantics): what those keys hold now is restored too.
        for s in order:
            aimed = placed.get((s.client, s.clock))
            if isinstance(aimed, tuple) and aimed[1] is not None:
                restore.remember(self.index, aimed, (s.client, s.clock))
        # yrs gets the clocks as collected content; the index keeps where they were aimed, so
        # that later writes anchored to them are judged in that place (and collected by yrs).
        for s in order:
            self.index.record_struct(s, placed.get((s.client, s.clock)))
        structs = _merge_gc([self._neutralised(s, placed, new_types) for s in order])
        entries = restore.entries_with_content()
        originals = Originals(self.doc.get_update(), entries) if entries else None
        self.doc.apply_update(yupdate.encode_update(structs, deletes))
        if not restore.restore():  # in the same transaction: one net update
            # Nothing but the neutralised update: the index records it without a decode.
            self._judged = (structs, placed)
        elif originals is not None and restore.restored:
            originals.entries = restore.restored
            originals.compensated = deletes  # completed from the transaction when it commits
            self.originals = self._fresh_originals = originals
        return j.violations

    def _neutralised(
        self, s: yupdate.Struct, placed: dict[yupdate.ID, Place | int], new_types: set[yupdate.ID]
    ) -> yupdate.Struct:
        """A tombstone where the item had a lawful place; a GC run where it had none."""
        if s.ref == yupdate.GC:
            return s
        place = placed.get((s.client, s.clock))
        if isinstance(place, tuple):
            parent = place[0]
            if isinstance(parent, str):
                if parent in self.table:
                    return yupdate.tombstone(s)
            elif parent not in new_types and parent in self.index.types:
                return yupdate.tombstone(s)
        return self._as_gc(s)

    @staticmethod
    def _as_gc(s: yupdate.Struct) -> yupdate.Struct:
        return yupdate.Struct(
            s.client, s.clock, s.length, yupdate.GC, raw=yupdate.gc_struct(s.length)
        )


def _merge_gc(structs: list[yupdate.Struct]) -> list[yupdate.Struct]:
    """Consecutive GC runs of one client as one: a hostile update's many structs cost one."""
    out: list[yupdate.Struct] = []
    for s in structs:
        last = out[-1] if out else None
        if (
            last is not None
            and s.ref == yupdate.GC
            and last.ref == yupdate.GC
            and last.client == s.client
            and last.end == s.clock
        ):
            length = last.length + s.length
            out[-1] = yupdate.Struct(
                s.client, last.clock, length, yupdate.GC, raw=yupdate.gc_struct(length)
            )
        else:
            out.append(s)
    return out


def _is_id(value: Any) -> bool:
    return isinstance(value, str) and 0 < len(value) <= 64


def _subset(update: yupdate.Update, order: list[yupdate.Struct]) -> yupdate.Update:
    return yupdate.Update(list(order), update.deletes)


class _Restorer:
    """Values at the places a forbidden update deleted from, read before, written back after."""

    def __init__(self, doc: Doc[Any], table: dict[str, RootRule]) -> None:
        self.doc = doc
        self.table = table
        self._entries: dict[tuple[str, str], Any] = {}  # (root, key) -> snapshot
        self._fields: dict[tuple[str, str, str], Any] = {}
        self._arrays: dict[str, list[Any]] = {}
        self._maps: dict[str, Map[Any]] = {}
        self.restored: list[tuple[str, str]] = []  # entries written back as copies

    def _map(self, root: str) -> Map[Any]:
        found = self._maps.get(root)
        if found is None:
            found = self._maps[root] = self.doc.get(root, type=Map)
        return found

    def remember(self, index: StructIndex, place: Place, item: yupdate.ID) -> None:
        parent, sub = place
        loc = (parent,) if isinstance(parent, str) else index.loc_of(parent)
        if loc is None or loc[0] not in self.table:
            return
        root = loc[0]
        if self.table[root].kind == "array":
            if root not in self._arrays:
                self._arrays[root] = [_snapshot(v) for v in self.doc.get(root, type=Array)]
            return
        key = sub if len(loc) == 1 else loc[1]
        if key is None:
            return
        if len(loc) <= 2 and (len(loc) == 1 or sub is None):
            if (root, key) not in self._entries:
                self._entries[(root, key)] = _held(self._map(root), key)
            return
        field_name = sub if len(loc) == 2 else loc[2]
        if field_name is None or (root, key) in self._entries:
            return
        entry = self._map(root).get(key)
        if isinstance(entry, Map) and (root, key, field_name) not in self._fields:
            self._fields[(root, key, field_name)] = _held(entry, field_name)

    def entries_with_content(self) -> list[tuple[str, str]]:
        """Entries (maps of a map root) that a restore may have to copy."""
        return [
            (root, key) for (root, key), snap in self._entries.items() if isinstance(snap, _MapSnap)
        ]

    def restore(self) -> bool:
        """Write back what changed; whether anything had to be written."""
        wrote = False
        for (root, key), snap in self._entries.items():
            target = self._map(root)
            if snap is not _ABSENT and _held(target, key) != snap:
                target[key] = _rebuild(snap)
                wrote = True
                if isinstance(snap, _MapSnap):
                    self.restored.append((root, key))
        for (root, key, name), snap in self._fields.items():
            entry = self._map(root).get(key)
            if not isinstance(entry, Map) or snap is _ABSENT:
                continue
            if _held(entry, name) == snap:
                continue
            wrote = True
            current = entry.get(name)
            if isinstance(current, Text) and isinstance(snap, _TextSnap):
                _restore_text(current, snap.text)
            else:
                entry[name] = _rebuild(snap)
        for root, snaps in self._arrays.items():
            array: Array[Any] = self.doc.get(root, type=Array)
            if [_snapshot(v) for v in array] != snaps:
                del array[0 : len(array)]
                array.extend([_rebuild(s) for s in snaps])
                wrote = True
        return wrote


_ABSENT = object()


def _held(container: Map[Any], key: str) -> Any:
    """The snapshot of what a map holds at a key, or _ABSENT (not the same as a None value)."""
    return _snapshot(container.get(key)) if key in container else _ABSENT


@dataclass(frozen=True)
class _TextSnap:
    text: str


@dataclass(frozen=True)
class _MapSnap:
    items: tuple[tuple[str, Any], ...]


@dataclass(frozen=True)
class _ArraySnap:
    items: tuple[Any, ...]


def _snapshot(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, Text):
        return _TextSnap(str(value))
    if isinstance(value, Map):
        return _MapSnap(tuple(sorted((k, _snapshot(v)) for k, v in value.items())))
    if isinstance(value, Array):
        return _ArraySnap(tuple(_snapshot(v) for v in value))
    return _freeze(value)


def _freeze(value: Any) -> Any:
    if isinstance(value, list):
        return ("__list__", tuple(_freeze(v) for v in value))
    if isinstance(value, dict):
        return ("__dict__", tuple(sorted((k, _freeze(v)) for k, v in value.items())))
    return value


def _thaw(value: Any) -> Any:
    if isinstance(value, tuple) and len(value) == 2 and value[0] == "__list__":
        return [_thaw(v) for v in value[1]]
    if isinstance(value, tuple) and len(value) == 2 and value[0] == "__dict__":
        return {k: _thaw(v) for k, v in value[1]}
    return value


def _rebuild(snap: Any) -> Any:
    if isinstance(snap, _TextSnap):
        return Text(snap.text)
    if isinstance(snap, _MapSnap):
        return Map({k: _rebuild(v) for k, v in snap.items})
    if isinstance(snap, _ArraySnap):
        return Array([_rebuild(v) for v in snap.items])
    return _thaw(snap)


def _restore_text(text: Text, wanted: str) -> None:
    """Make a text read `wanted` again by re-inserting what was deleted (offsets in UTF-8)."""
    current = str(text)
    prefix = 0
    limit = min(len(current), len(wanted))
    while prefix < limit and current[prefix] == wanted[prefix]:
        prefix += 1
    suffix = 0
    while (
        suffix < limit - prefix
        and current[len(current) - 1 - suffix] == wanted[len(wanted) - 1 - suffix]
    ):
        suffix += 1
    start = len(current[:prefix].encode())
    old_mid = current[prefix : len(current) - suffix]
    new_mid = wanted[prefix : len(wanted) - suffix]
    if old_mid:
        del text[start : start + len(old_mid.encode())]
    if new_mid:
        text.insert(start, new_mid)
