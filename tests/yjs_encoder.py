"""A Yjs update v1 encoder for tests: blocks that pycrdt's API never produces.

Hand-picked origins and right origins, parents by name or by id, map keys, every content
type (strings with multi-byte characters, any, JSON, binary, embed, format, type, doc,
deleted), GC and skip runs, clocks ahead of the state vector. Production code encodes only what
it decoded (crdt/yupdate.py); this writes anything.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from typing import Any

from crdt import yupdate


def _uint(out: bytearray, value: int) -> None:
    yupdate.write_var_uint(out, value)


def _string(out: bytearray, text: str) -> None:
    yupdate.write_var_string(out, text)


def write_any(out: bytearray, value: Any) -> None:
    if value is None:
        out.append(126)
    elif value is True:
        out.append(120)
    elif value is False:
        out.append(121)
    elif isinstance(value, int) and -(2**31) <= value < 2**31:
        out.append(125)
        negative = value < 0
        value = abs(value)
        first = (value & 0x3F) | (0x40 if negative else 0)
        value >>= 6
        out.append(first | (0x80 if value else 0))
        while value:
            byte = value & 0x7F
            value >>= 7
            out.append(byte | (0x80 if value else 0))
    elif isinstance(value, int | float):
        out.append(123)
        out += struct.pack(">d", float(value))
    elif isinstance(value, str):
        out.append(119)
        _string(out, value)
    elif isinstance(value, bytes):
        out.append(116)
        _uint(out, len(value))
        out += value
    elif isinstance(value, list):
        out.append(117)
        _uint(out, len(value))
        for v in value:
            write_any(out, v)
    elif isinstance(value, dict):
        out.append(118)
        _uint(out, len(value))
        for k, v in value.items():
            _string(out, k)
            write_any(out, v)
    else:
        raise TypeError(value)


@dataclass
class Item:
    """One struct. `content` is (kind, payload): ("string", "é"), ("any", [1, 2]),
    ("type", y.TYPE_MAP), ("deleted", 3), ("embed", '{"x":1}'), ("format", ("bold", "true")),
    ("json", ["1"]), ("binary", b".."), ("doc", "guid"), ("gc", 3), ("skip", 2)."""

    content: tuple[str, Any]
    origin: yupdate.ID | None = None
    right_origin: yupdate.ID | None = None
    parent: str | yupdate.ID | None = None  # a root name or a type's id; None with an origin
    sub: str | None = None

    @property
    def length(self) -> int:
        kind, payload = self.content
        if kind == "string":
            return yupdate.utf16_len(payload)
        if kind in ("any", "json"):
            return len(payload)
        if kind in ("deleted", "gc", "skip"):
            return int(payload)
        return 1

    def encode(self) -> bytes:
        kind, payload = self.content
        out = bytearray()
        if kind in ("gc", "skip"):
            out.append(yupdate.GC if kind == "gc" else yupdate.SKIP)
            _uint(out, payload)
            return bytes(out)
        refs = {
            "deleted": yupdate.DELETED,
            "json": yupdate.JSON,
            "binary": yupdate.BINARY,
            "string": yupdate.STRING,
            "embed": yupdate.EMBED,
            "format": yupdate.FORMAT,
            "type": yupdate.TYPE,
            "any": yupdate.ANY,
            "doc": yupdate.DOC,
        }
        info = refs[kind]
        if self.origin is not None:
            info |= yupdate.HAS_ORIGIN
        if self.right_origin is not None:
            info |= yupdate.HAS_RIGHT_ORIGIN
        if self.sub is not None:
            info |= yupdate.HAS_PARENT_SUB
        out.append(info)
        if self.origin is not None:
            _uint(out, self.origin[0])
            _uint(out, self.origin[1])
        if self.right_origin is not None:
            _uint(out, self.right_origin[0])
            _uint(out, self.right_origin[1])
        if self.origin is None and self.right_origin is None:
            if isinstance(self.parent, str):
                _uint(out, 1)
                _string(out, self.parent)
            else:
                assert self.parent is not None
                _uint(out, 0)
                _uint(out, self.parent[0])
                _uint(out, self.parent[1])
            if self.sub is not None:
                _string(out, self.sub)
        if kind == "deleted":
            _uint(out, payload)
        elif kind == "string" or kind == "embed":
            _string(out, payload)
        elif kind == "any":
            _uint(out, len(payload))
            for v in payload:
                write_any(out, v)
        elif kind == "type":
            _uint(out, payload)
        elif kind == "json":
            _uint(out, len(payload))
            for v in payload:
                _string(out, v)
        elif kind == "binary":
            _uint(out, len(payload))
            out += payload
        elif kind == "format":
            _string(out, payload[0])
            _string(out, payload[1])
        elif kind == "doc":
            _string(out, payload)
            write_any(out, {})
        return bytes(out)


@dataclass
class Run:
    """Consecutive structs of one client starting at `clock`."""

    client: int
    clock: int
    items: list[Item] = field(default_factory=list)
    _next: int | None = None

    def add(self, item: Item) -> yupdate.ID:
        """Append an item; returns its id (its first clock)."""
        clock = self._next if self._next is not None else self.next_clock
        self.items.append(item)
        self._next = clock + item.length
        return (self.client, clock)

    @property
    def next_clock(self) -> int:
        return self.clock + sum(i.length for i in self.items)


def encode(runs: list[Run], deletes: dict[int, list[tuple[int, int]]] | None = None) -> bytes:
    out = bytearray()
    runs = [r for r in runs if r.items]
    _uint(out, len(runs))
    for run in runs:
        _uint(out, len(run.items))
        _uint(out, run.client)
        _uint(out, run.clock)
        for item in run.items:
            out += item.encode()
    yupdate.write_delete_set(out, deletes or {})
    return bytes(out)


def state_of(doc: Any) -> dict[int, int]:
    """A pycrdt doc's state vector, decoded."""
    return yupdate.decode_state_vector(doc.get_state())


def find_type(index: Any, loc: tuple[str, ...]) -> yupdate.ID:
    """The id of the live type at a schema path (from a guard's struct index)."""
    found = [tid for tid, info in index.types.items() if info.loc == loc]
    assert found, loc
    return max(found)  # the newest one is the current one in these tests


def find_value(index: Any, parent: yupdate.ID, sub: str) -> yupdate.ID:
    """The newest item id at a map key of a type (from a guard's struct index)."""
    best: yupdate.ID | None = None
    for client, runs in index._runs.items():
        for i in range(len(runs.starts)):
            place_id = runs.places[i]
            if place_id >= 0 and index._places[place_id] == (parent, sub):
                candidate = (client, runs.ends[i] - 1)
                if best is None or candidate[1] > best[1]:
                    best = candidate
    assert best is not None, (parent, sub)
    return best
