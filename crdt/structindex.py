"""Where every item of a live doc sits, so that an update can be judged before it is integrated.

pycrdt shows what an update did only after it is in the doc; the guard must know before. So
the guard keeps, beside the doc, the one fact it needs about each item: its place (the parent
type, by root name or by the id of the item holding it, and the map key). Items of one client
that sit in one place form runs, so a sentence typed into a note is one entry. Types get a
location in schema terms (`("notes", "n1", "text")`). Deleted ranges are tracked too: a
re-sent delete set deletes nothing new.

The index grows with the items ever created; `needs_rebuild` tells when it has doubled since it
was last built from the doc's own encoding (where yrs has merged and collected what it could),
which keeps it proportional to the doc.
"""

from __future__ import annotations

from array import array
from bisect import bisect_right
from collections import deque
from dataclasses import dataclass

from crdt.yupdate import DELETED, GC, ID, SKIP, TYPE, Struct, Update

ParentRef = str | ID  # a root's name, or the id of the item that holds a nested type
Place = tuple[ParentRef, str | None]  # (parent, map key or None for sequence content)
GC_PLACE = -1
# The schema nests root -> entry -> field type; deeper types are never lawful, so they get no
# location (content inside them is judged as content of something that is not a type).
MAX_TYPE_DEPTH = 4  # a run collected by yrs: items anchored to it become GC too


@dataclass(frozen=True, slots=True)
class TypeInfo:
    type_ref: int
    loc: tuple[str, ...]  # the schema path: ("notes",), ("notes", "n1"), ("notes", "n1", "text")


class _ClientRuns:
    __slots__ = ("ends", "places", "starts")

    def __init__(self) -> None:
        self.starts = array("q")
        self.ends = array("q")
        self.places = array("l")  # index into StructIndex._places, or GC_PLACE

    def find(self, clock: int) -> int:
        i = bisect_right(self.starts, clock) - 1
        if i >= 0 and clock < self.ends[i]:
            return i
        return -1

    @property
    def end(self) -> int:
        return self.ends[-1] if self.ends else 0


class StructIndex:
    def __init__(self) -> None:
        self._runs: dict[int, _ClientRuns] = {}
        self._places: list[Place] = []
        self._place_ids: dict[Place, int] = {}
        self.types: dict[ID, TypeInfo] = {}
        self._deleted: dict[int, list[tuple[int, int]]] = {}  # merged, sorted [start, end)
        self.run_count = 0
        self._built_size = 0
        # Units ever inserted as sequence content into each nested type: an upper bound of its
        # length, so that a length limit needs no read of the doc while far from it.
        self.inserted: dict[ID, int] = {}
        # The last value ever written to watched entry fields, by (root, key, field): e.g. the
        # author of every note that ever was, so that a deleted note can be brought back.
        self.watch: frozenset[tuple[str, str]] = frozenset()
        self.written: dict[tuple[str, str, str], object] = {}

    # -- reading ----------------------------------------------------------------------------
    def known(self, client: int) -> int:
        runs = self._runs.get(client)
        return runs.end if runs is not None else 0

    def place_of(self, item: ID) -> Place | int | None:
        """The place of an item: a Place, GC_PLACE, or None when the item is unknown."""
        runs = self._runs.get(item[0])
        if runs is None:
            return None
        i = runs.find(item[1])
        if i < 0:
            return None
        place = runs.places[i]
        return GC_PLACE if place == GC_PLACE else self._places[place]

    def depth_of(self, item: ID) -> int | None:
        """How deep an item sits (1: a root's child), or None when unknown or collected."""
        place = self.place_of(item)
        if place is None or isinstance(place, int):
            return None
        loc = self.loc_of(place[0])
        return len(loc) if loc is not None else None

    def loc_of(self, parent: ParentRef) -> tuple[str, ...] | None:
        if isinstance(parent, str):
            return (parent,)
        info = self.types.get(parent)
        return info.loc if info is not None else None

    def runs_in(self, client: int, start: int, end: int) -> list[tuple[int, int, Place | int]]:
        """The runs overlapping clocks [start, end) of a client, clipped: (start, end, place)."""
        runs = self._runs.get(client)
        if runs is None:
            return []
        out: list[tuple[int, int, Place | int]] = []
        i = max(0, bisect_right(runs.starts, start) - 1)
        starts, ends, places = runs.starts, runs.ends, runs.places
        while i < len(starts) and starts[i] < end:
            if ends[i] > start:
                place = places[i]
                out.append(
                    (
                        max(start, starts[i]),
                        min(end, ends[i]),
                        GC_PLACE if place == GC_PLACE else self._places[place],
                    )
                )
            i += 1
        return out

    def live_parts(self, client: int, start: int, end: int) -> list[tuple[int, int]]:
        """The parts of [start, end) that are not deleted yet."""
        parts = [(start, end)]
        for d_start, d_end in self._deleted_overlapping(client, start, end):
            next_parts = []
            for a, b in parts:
                if d_end <= a or d_start >= b:
                    next_parts.append((a, b))
                    continue
                if a < d_start:
                    next_parts.append((a, d_start))
                if d_end < b:
                    next_parts.append((d_end, b))
            parts = next_parts
            if not parts:
                break
        return parts

    def _deleted_overlapping(self, client: int, start: int, end: int) -> list[tuple[int, int]]:
        ranges = self._deleted.get(client)
        if not ranges:
            return []
        i = max(0, bisect_right(ranges, (start, start)) - 1)
        out = []
        while i < len(ranges) and ranges[i][0] < end:
            if ranges[i][1] > start:
                out.append(ranges[i])
            i += 1
        return out

    @property
    def needs_rebuild(self) -> bool:
        return self.run_count > 2 * self._built_size + 20_000

    # -- writing ----------------------------------------------------------------------------
    def add_run(self, client: int, start: int, end: int, place: Place | int) -> None:
        runs = self._runs.get(client)
        if runs is None:
            runs = self._runs[client] = _ClientRuns()
        known = runs.end
        if end <= known:
            return
        start = max(start, known)
        if place == GC_PLACE:
            place_id = GC_PLACE
        else:
            assert not isinstance(place, int)
            found = self._place_ids.get(place)
            if found is None:
                found = self._place_ids[place] = len(self._places)
                self._places.append(place)
            place_id = found
        if runs.ends and runs.ends[-1] == start and runs.places[-1] == place_id:
            runs.ends[-1] = end
            return
        runs.starts.append(start)
        runs.ends.append(end)
        runs.places.append(place_id)
        self.run_count += 1

    def add_type(self, item: ID, type_ref: int, loc: tuple[str, ...]) -> None:
        self.types[item] = TypeInfo(type_ref, loc)

    def add_deleted(self, client: int, start: int, end: int) -> None:
        ranges = self._deleted.setdefault(client, [])
        if ranges and ranges[-1][1] >= start and ranges[-1][0] <= start:
            if end > ranges[-1][1]:
                ranges[-1] = (ranges[-1][0], end)
            return
        i = bisect_right(ranges, (start, end))
        ranges.insert(i, (start, end))
        # Merge with neighbours.
        lo = max(0, i - 1)
        merged: list[tuple[int, int]] = []
        for r in ranges[lo : i + 2]:
            if merged and r[0] <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(merged[-1][1], r[1]))
            else:
                merged.append(r)
        ranges[lo : i + 2] = merged

    def record(
        self, update: Update, placed: dict[ID, Place | int] | None = None
    ) -> tuple[set[str], set[str]]:
        """Record an integrated update: its structs' places (resolved in integration order).

        Returns the roots it touched at any depth, and those whose own entries it touched
        (a key of the root map set or deleted), so that readers can drop what they cached.
        """
        order, _pending = integration_order(update, self.known)
        return self.record_ordered(order, update.deletes, placed)

    def record_ordered(
        self,
        order: list[Struct],
        deletes: dict[int, list[tuple[int, int]]],
        placed: dict[ID, Place | int] | None = None,
    ) -> tuple[set[str], set[str]]:
        """`record` for structs already in integration order (and placed, when known)."""
        touched: set[str] = set()
        entries: set[str] = set()
        for s in order:
            found = placed.get((s.client, s.clock)) if placed is not None else None
            place = found if found is not None else self.resolve_place(s)
            self.record_struct(s, place)
            self._touch(place, touched, entries)
        for client, ranges in deletes.items():
            known = self.known(client)
            for clock, length in ranges:
                end = min(clock + length, known)
                if end > clock:
                    for _a, _b, place in self.runs_in(client, clock, end):
                        self._touch(place, touched, entries)
                    self.add_deleted(client, clock, end)
        return touched, entries

    def _touch(self, place: Place | int | None, touched: set[str], entries: set[str]) -> None:
        if place is None or isinstance(place, int):
            return
        parent = place[0]
        if isinstance(parent, str):
            touched.add(parent)
            entries.add(parent)
            return
        loc = self.loc_of(parent)
        if loc is not None:
            touched.add(loc[0])

    def record_struct(self, s: Struct, place: Place | int | None) -> None:
        if place is None or not s.is_item:
            place = GC_PLACE
        self.add_run(s.client, s.clock, s.end, place)
        if s.ref == DELETED or s.ref == GC:  # deleted as it arrives, delete set or not
            self.add_deleted(s.client, s.clock, s.end)
        if place != GC_PLACE and not isinstance(place, int) and place[1] is None:
            parent = place[0]
            if not isinstance(parent, str):
                self.inserted[parent] = self.inserted.get(parent, 0) + s.length
        if self.watch and s.values and not isinstance(place, int) and place[1] is not None:
            parent = place[0]
            loc = self.loc_of(parent) if not isinstance(parent, str) else None
            if loc is not None and len(loc) == 2 and (loc[0], place[1]) in self.watch:
                self.written[(loc[0], loc[1], place[1])] = s.values[-1]
        if s.ref == TYPE and place != GC_PLACE and s.type_ref is not None:
            assert not isinstance(place, int)
            parent, sub = place
            parent_loc = self.loc_of(parent)
            if parent_loc is not None and len(parent_loc) < MAX_TYPE_DEPTH:
                self.add_type((s.client, s.clock), s.type_ref, (*parent_loc, sub or "*"))

    def resolve_place(self, s: Struct) -> Place | int | None:
        """Where yrs puts an item: its explicit parent, else its left or right neighbour's."""
        if s.parent_name is not None:
            return (s.parent_name, s.parent_sub)
        if s.parent_id is not None:
            return (s.parent_id, s.parent_sub)
        anchor = s.origin if s.origin is not None else s.right_origin
        if anchor is None:
            return None
        return self.place_of(anchor)

    def mark_built(self) -> None:
        self._built_size = self.run_count


def integration_order(update: Update, known: object) -> tuple[list[Struct], bool]:
    """The structs yrs would integrate, in its order, and whether any would stay pending.

    `known(client)` is the doc's next clock for a client. Structs wholly known are skipped;
    a struct is ready when its own clock follows on and its origins and parent are known or
    integrated before it (across clients, with a stack as yrs does; a cycle stays pending).
    """
    known_fn = known  # callable
    queues: dict[int, deque[Struct]] = {}
    for s in update.structs:
        queues.setdefault(s.client, deque()).append(s)
    clocks: dict[int, int] = {}

    def clock_of(client: int) -> int:
        value = clocks.get(client)
        if value is None:
            value = clocks[client] = known_fn(client)  # type: ignore[operator]
        return value

    order: list[Struct] = []
    pending = False
    for first in list(queues):
        stack = [first]
        on_stack = {first}
        while stack:
            client = stack[-1]
            queue = queues[client]
            if not queue:
                stack.pop()
                on_stack.discard(client)
                continue
            s = queue[0]
            have = clock_of(client)
            if s.end <= have:
                queue.popleft()
                continue
            if s.clock > have or s.ref == SKIP:
                return order, True
            missing = _missing_dependency(s, clock_of)
            if missing is None:
                order.append(s)
                clocks[client] = s.end
                queue.popleft()
                continue
            dep_client, dep_clock = missing
            dep_queue = queues.get(dep_client)
            if (
                dep_client in on_stack
                or not dep_queue
                or not (dep_queue[0].clock <= dep_clock < dep_queue[-1].end)
            ):
                return order, True
            stack.append(dep_client)
            on_stack.add(dep_client)
    return order, pending


def _missing_dependency(s: Struct, clock_of: object) -> ID | None:
    if s.ref == GC:
        return None
    for dep in (s.origin, s.right_origin, s.parent_id):
        if dep is not None and dep[1] >= clock_of(dep[0]):  # type: ignore[operator]
            return dep
    return None
