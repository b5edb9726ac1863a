"""Originals of restored entries: edits that reach them are carried over to their copies.

A compensation cannot undo a deletion (Yjs deletions are final), so it restores a deleted entry
as a copy under the same key. An edit its author made at the same moment still aims at the
original, which is deleted: yrs integrates it there, out of sight. For a while after a restore
the guard keeps the originals alive in a scratch doc (the board as it was just before the
compensation); a lawful update that writes into an original is applied there too, and what it
changed in the original (text ranges, plain fields) is written to the copy.

One scratch doc at a time, for a bounded number of judged updates: the memory of one board.
"""

from __future__ import annotations

from typing import Any

from pycrdt import Doc, Map, Text

from crdt.structindex import ParentRef, Place, StructIndex
from crdt.yupdate import ID, Struct, Update, encode_update

KEEP_FOR_UPDATES = 1000  # judged updates after which in-flight edits cannot still arrive


class Originals:
    def __init__(self, before: bytes, entries: list[tuple[str, str]]) -> None:
        self._before = before  # the board just before the compensation, made a doc when needed
        self._scratch: Doc[Any] | None = None
        self.entries = entries  # (root, key) of every restored entry
        self.left = KEEP_FOR_UPDATES
        # What the compensated update deleted (the originals among it). A client that received
        # the compensation re-sends these ranges in every full delete set: they are never
        # carried over. (So a deletion of text that existed when the copy was made, typed at
        # that same moment, cannot be told apart and is not carried either.)
        self.compensated: dict[int, list[tuple[int, int]]] = {}

    @property
    def scratch(self) -> Doc[Any]:
        if self._scratch is None:
            self._scratch = Doc()
            self._scratch.apply_update(self._before)
            self._before = b""
        return self._scratch

    def touched_by(
        self, order: list[Struct], placed: dict[ID, Place | int], update: Update, index: StructIndex
    ) -> bool:
        """Whether an update writes into, or deletes from, a deleted incarnation of a restored
        entry (its map or a field type of it)."""
        for s in order:
            place = placed.get((s.client, s.clock))
            if isinstance(place, tuple) and self._is_original(place[0], index):
                return True
        for client, ranges in self._own_deletes(update.deletes).items():
            for clock, length in ranges:
                for _a, _b, place in index.runs_in(client, clock, clock + length):
                    if isinstance(place, tuple) and self._is_original(place[0], index):
                        return True
        return False

    def _is_original(self, parent: ParentRef, index: StructIndex) -> bool:
        if isinstance(parent, str):
            return False
        info = index.types.get(parent)
        if info is None or len(info.loc) < 2 or (info.loc[0], info.loc[1]) not in self.entries:
            return False
        return not index.live_parts(parent[0], parent[1], parent[1] + 1)

    def _own_deletes(
        self, deletes: dict[int, list[tuple[int, int]]]
    ) -> dict[int, list[tuple[int, int]]]:
        """The delete set less the compensated ranges."""
        out: dict[int, list[tuple[int, int]]] = {}
        for client, ranges in deletes.items():
            cut = self.compensated.get(client, [])
            kept: list[tuple[int, int]] = []
            for clock, length in ranges:
                parts = [(clock, clock + length)]
                for c_clock, c_length in cut:
                    c_end = c_clock + c_length
                    parts = [
                        piece
                        for a, b in parts
                        for piece in ((a, min(b, c_clock)), (max(a, c_end), b))
                        if piece[0] < piece[1]
                    ]
                kept.extend((a, b - a) for a, b in parts)
            if kept:
                out[client] = kept
        return out

    def carry_over(self, update: Update, doc: Doc[Any]) -> None:
        """Apply `update` to the originals and write what it changed in them to the copies."""
        before = {entry: _read(self.scratch, entry) for entry in self.entries}
        self.scratch.apply_update(encode_update(update.structs, self._own_deletes(update.deletes)))
        for entry in self.entries:
            old, new = before[entry], _read(self.scratch, entry)
            root, key = entry
            target: Map[Any] = doc.get(root, type=Map)
            copy = target.get(key)
            if old is None or new is None or not isinstance(copy, Map):
                continue
            for name, value in new.items():
                if value == old.get(name):
                    continue
                current = copy.get(name)
                if isinstance(current, Text) and isinstance(value, str):
                    _carry_text(current, old.get(name) or "", value)
                elif not isinstance(current, Text):
                    copy[name] = value


def _read(doc: Doc[Any], entry: tuple[str, str]) -> dict[str, Any] | None:
    found = doc.get(entry[0], type=Map).get(entry[1])
    if not isinstance(found, Map):
        return None
    return {name: str(v) if isinstance(v, Text) else v for name, v in found.items()}


def _carry_text(text: Text, base: str, edited: str) -> None:
    """Replay the change from `base` to `edited` on `text`, which may have moved on since."""
    current = str(text)
    limit = min(len(base), len(edited))
    prefix = 0
    while prefix < limit and base[prefix] == edited[prefix]:
        prefix += 1
    suffix = 0
    while suffix < limit - prefix and base[-1 - suffix] == edited[-1 - suffix]:
        suffix += 1
    removed = base[prefix : len(base) - suffix]
    inserted = edited[prefix : len(edited) - suffix]
    # Where the change sits in the copy: after the same text as before it, else before the same
    # text as after it (someone typed earlier in the copy), else at the same place.
    tail = base[prefix:]
    if current[:prefix] == base[:prefix]:
        at = prefix
    elif tail and current.endswith(tail):
        at = len(current) - len(tail)
    else:
        at = min(prefix, len(current))
    if removed and current[at : at + len(removed)] == removed:
        start = len(current[:at].encode())
        del text[start : start + len(removed.encode())]
    if inserted:
        text.insert(len(current[:at].encode()), inserted)
