"""Yjs update v1, decoded into structs before anything is integrated, and encoded back.

The guard judges an update from its structure, not from the events a live doc emits after
integrating it: so it must read the binary format itself. The decoder is strict (unknown
flags, truncation, trailing bytes and over-deep values are errors) and linear in the size of
the update; it keeps each struct's raw bytes, so that a judged update is passed on unchanged and
a compensated one is re-encoded with only the neutralised structs replaced.

Format: lib0 encoding as written by Yjs `writeStructs`/`writeDeleteSet` (and yrs, which is
wire-compatible). Lengths and clocks count UTF-16 code units for strings, as in Yjs.
"""

from __future__ import annotations

import struct as _struct
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

# Content refs (the low 5 bits of a struct's info byte).
GC = 0
DELETED = 1
JSON = 2
BINARY = 3
STRING = 4
EMBED = 5
FORMAT = 6
TYPE = 7
ANY = 8
DOC = 9
SKIP = 10
MOVE = 11  # yrs only

# Type refs of ContentType.
TYPE_ARRAY = 0
TYPE_MAP = 1
TYPE_TEXT = 2
TYPE_XML_ELEMENT = 3
TYPE_XML_HOOK = 5

HAS_ORIGIN = 0x80
HAS_RIGHT_ORIGIN = 0x40
HAS_PARENT_SUB = 0x20

MAX_ANY_DEPTH = 8  # the schema stores flat values and short lists; deeper is hostile
MAX_VARUINT_BYTES = 8

ID = tuple[int, int]  # (client, clock)


class UpdateFormatError(ValueError):
    """The bytes are not a well-formed Yjs v1 update."""


@dataclass(slots=True)
class Struct:
    """One struct of an update: an item, a GC run or a skip, covering clocks [clock, end)."""

    client: int
    clock: int
    length: int
    ref: int  # content ref: GC, SKIP or an item's content kind
    raw: bytes = b""  # the struct's bytes as encoded (info byte included)
    origin: ID | None = None
    right_origin: ID | None = None
    parent_name: str | None = None  # a root, by name
    parent_id: ID | None = None  # a nested type, by the id of the item that holds it
    parent_sub: str | None = None  # the key in a map parent
    type_ref: int | None = None  # for TYPE content
    text: str | None = None  # for STRING content
    values: list[Any] | None = None  # for ANY content
    head: int = 0  # where the content starts in `raw` (after info, origins and parent)

    @property
    def end(self) -> int:
        return self.clock + self.length

    @property
    def is_item(self) -> bool:
        return self.ref not in (GC, SKIP)


@dataclass(slots=True)
class Update:
    structs: list[Struct] = field(default_factory=list)  # grouped by client, clocks ascending
    deletes: dict[int, list[tuple[int, int]]] = field(
        default_factory=dict
    )  # client -> (clock, len)


# -- reading ----------------------------------------------------------------------------------
class _Reader:
    __slots__ = ("buf", "pos")

    def __init__(self, buf: bytes) -> None:
        self.buf = buf
        self.pos = 0

    def byte(self) -> int:
        if self.pos >= len(self.buf):
            raise UpdateFormatError("truncated update")
        value = self.buf[self.pos]
        self.pos += 1
        return value

    def var_uint(self) -> int:
        value, self.pos = _uint_at(self.buf, self.pos)
        return value

    def var_int(self) -> int:
        first = self.byte()
        negative = bool(first & 0x40)
        result = first & 0x3F
        shift = 6
        byte = first
        count = 1
        while byte & 0x80:
            if count >= MAX_VARUINT_BYTES + 2:
                raise UpdateFormatError("varint too long")
            byte = self.byte()
            result |= (byte & 0x7F) << shift
            shift += 7
            count += 1
        return -result if negative else result

    def raw(self, n: int) -> bytes:
        end = self.pos + n
        if n < 0 or end > len(self.buf):
            raise UpdateFormatError("truncated bytes")
        value = self.buf[self.pos : end]
        self.pos = end
        return value

    def var_bytes(self) -> bytes:
        return self.raw(self.var_uint())

    def var_string(self) -> str:
        data = self.var_bytes()
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise UpdateFormatError("string is not UTF-8") from exc

    def any(self, depth: int = 0) -> Any:
        if depth > MAX_ANY_DEPTH:
            raise UpdateFormatError("value nested too deeply")
        tag = self.byte()
        if tag == 119:
            return self.var_string()
        if tag == 125:
            return self.var_int()
        if tag == 123:
            return _struct.unpack(">d", self.raw(8))[0]
        if tag == 124:
            return _struct.unpack(">f", self.raw(4))[0]
        if tag == 126 or tag == 127:
            return None
        if tag == 120:
            return True
        if tag == 121:
            return False
        if tag == 122:
            return _struct.unpack(">q", self.raw(8))[0]
        if tag == 118:
            obj: dict[str, Any] = {}
            for _ in range(self._count()):
                key = self.var_string()
                obj[key] = self.any(depth + 1)
            return obj
        if tag == 117:
            return [self.any(depth + 1) for _ in range(self._count())]
        if tag == 116:
            return self.var_bytes()
        raise UpdateFormatError(f"unknown value tag {tag}")

    def _count(self) -> int:
        count = self.var_uint()
        if count > len(self.buf) - self.pos:  # every element takes at least one byte
            raise UpdateFormatError("count larger than the update")
        return count


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, the unit of Yjs clocks and JavaScript strings."""
    if text.isascii():
        return len(text)
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def _uint_at(buf: bytes, pos: int) -> tuple[int, int]:
    """A varuint at `pos`, unrolled: client ids take five to eight bytes."""
    try:
        byte = buf[pos]
        if byte < 0x80:
            return byte, pos + 1
        result = byte & 0x7F
        byte = buf[pos + 1]
        result |= (byte & 0x7F) << 7
        if byte < 0x80:
            return result, pos + 2
        byte = buf[pos + 2]
        result |= (byte & 0x7F) << 14
        if byte < 0x80:
            return result, pos + 3
        byte = buf[pos + 3]
        result |= (byte & 0x7F) << 21
        if byte < 0x80:
            return result, pos + 4
        byte = buf[pos + 4]
        result |= (byte & 0x7F) << 28
        if byte < 0x80:
            return result, pos + 5
        byte = buf[pos + 5]
        result |= (byte & 0x7F) << 35
        if byte < 0x80:
            return result, pos + 6
        byte = buf[pos + 6]
        result |= (byte & 0x7F) << 42
        if byte < 0x80:
            return result, pos + 7
        byte = buf[pos + 7]
        result |= (byte & 0x7F) << 49
        if byte < 0x80:
            return result, pos + 8
    except IndexError:
        raise UpdateFormatError("truncated varuint") from None
    raise UpdateFormatError("varuint too long")


def _id_at(buf: bytes, pos: int) -> tuple[ID, int]:
    """A struct id (client, clock) at `pos`."""
    client, pos = _uint_at(buf, pos)
    clock, pos = _uint_at(buf, pos)
    return (client, clock), pos


def _string_at(buf: bytes, pos: int) -> tuple[str, int]:
    n, pos = _uint_at(buf, pos)
    end = pos + n
    if end > len(buf):
        raise UpdateFormatError("truncated bytes")
    try:
        return buf[pos:end].decode("utf-8"), end
    except UnicodeDecodeError as exc:
        raise UpdateFormatError("string is not UTF-8") from exc


DepthOf = Callable[[ID], "int | None"]


def decode_update(data: bytes, depth_of: DepthOf | None = None, max_depth: int = 0) -> Update:
    """Decode a v1 update; raises UpdateFormatError for anything Yjs could not have written.

    With `depth_of` (the depth of an item the doc already has: 1 for a root's child), items
    nested deeper than `max_depth` are refused while decoding, before the rest is read: a
    hostile update of deep nesting costs a few structs, not its whole size.
    """
    buf = data
    size = len(buf)
    r = _Reader(buf)
    update = Update()
    structs = update.structs
    append = structs.append
    seen_clients: set[int] = set()
    depths = _Depths(depth_of, max_depth) if depth_of is not None else None
    groups, pos = _uint_at(buf, 0)
    if groups > size - pos:
        raise UpdateFormatError("count larger than the update")
    for _ in range(groups):
        n, pos = _uint_at(buf, pos)
        client, pos = _uint_at(buf, pos)
        clock, pos = _uint_at(buf, pos)
        if n > size - pos:  # every struct takes at least one byte
            raise UpdateFormatError("count larger than the update")
        if client in seen_clients:
            raise UpdateFormatError("a client appears twice")
        seen_clients.add(client)
        for _ in range(n):
            start = pos
            if pos >= size:
                raise UpdateFormatError("truncated update")
            info = buf[pos]
            pos += 1
            ref = info & 0x1F
            if ref in (GC, SKIP):
                if info & 0xE0:
                    raise UpdateFormatError("flags on a GC or skip struct")
                length, pos = _uint_at(buf, pos)
                if length == 0:
                    raise UpdateFormatError("empty struct")
                s = Struct(client, clock, length, ref, buf[start:pos])
                append(s)
                clock += length
                continue
            s = Struct(client, clock, 0, ref)
            if info & HAS_ORIGIN:
                s.origin, pos = _id_at(buf, pos)
            if info & HAS_RIGHT_ORIGIN:
                s.right_origin, pos = _id_at(buf, pos)
            if not info & (HAS_ORIGIN | HAS_RIGHT_ORIGIN):
                kind = buf[pos] if pos < size else 0x80
                if kind == 1:
                    s.parent_name, pos = _string_at(buf, pos + 1)
                elif kind == 0:
                    s.parent_id, pos = _id_at(buf, pos + 1)
                else:
                    raise UpdateFormatError("unknown parent kind")
                if info & HAS_PARENT_SUB:
                    s.parent_sub, pos = _string_at(buf, pos)
            # With an origin, the key (flag 0x20) is inherited from it and not written.
            s.head = pos - start
            if ref == STRING:
                text, pos = _string_at(buf, pos)
                s.text = text
                s.length = len(text) if text.isascii() else utf16_len(text)
            else:
                r.pos = pos
                _read_content(r, s)
                pos = r.pos
            if s.length == 0:
                raise UpdateFormatError("empty item")
            s.raw = buf[start:pos]
            if depths is not None:
                depths.check(s)
            append(s)
            clock += s.length
    r.pos = pos
    if pos < size and buf[pos] == 0 and pos + 1 == size:
        return update  # no deletions: the usual keystroke
    for _ in range(r._count()):
        client = r.var_uint()
        ranges = update.deletes.setdefault(client, [])
        for _ in range(r._count()):
            clock = r.var_uint()
            length = r.var_uint()
            if length:
                ranges.append((clock, length))
    if r.pos != size:
        raise UpdateFormatError("trailing bytes after the update")
    return update


def _read_content(r: _Reader, s: Struct) -> None:
    """Every content kind but strings (read inline by the decoder)."""
    ref = s.ref
    if ref == DELETED:
        s.length = r.var_uint()
    elif ref == ANY:
        s.values = [r.any() for _ in range(r._count())]
        s.length = len(s.values)
    elif ref == TYPE:
        s.type_ref = r.var_uint()
        if s.type_ref in (TYPE_XML_ELEMENT, TYPE_XML_HOOK):
            r.var_string()
        s.length = 1
    elif ref == JSON:
        count = r._count()
        for _ in range(count):
            r.var_string()
        s.length = count
    elif ref == BINARY:
        r.var_bytes()
        s.length = 1
    elif ref == EMBED:
        r.var_string()
        s.length = 1
    elif ref == FORMAT:
        r.var_string()
        r.var_string()
        s.length = 1
    elif ref == DOC:
        r.var_string()
        r.any()
        s.length = 1
    else:
        raise UpdateFormatError(f"unknown content kind {ref}")


class _Depths:
    """How deep the items of an update sit (1: a root's child), followed as it is decoded.

    Depth is followed through explicit parents (a root by name, a type by id) and, for types,
    through their left or right neighbour; an item placed only by a neighbour takes the depth
    recorded for that neighbour's last unit when there is one. Nesting that cannot be followed
    this way is still refused by the judgement, at its linear cost.
    """

    __slots__ = ("_by_last", "_depth_of", "_max", "_types")

    def __init__(self, depth_of: DepthOf, max_depth: int) -> None:
        self._depth_of = depth_of
        self._max = max_depth
        self._types: dict[ID, int] = {}  # types of this update -> depth of their children
        self._by_last: dict[ID, int] = {}  # an item's last unit -> its depth

    def check(self, s: Struct) -> None:
        if s.parent_name is not None:
            depth: int | None = 1
        elif s.parent_id is not None:
            depth = self._types.get(s.parent_id)
            if depth is None:
                parent = self._depth_of(s.parent_id)
                depth = None if parent is None else parent + 1
        else:
            anchor = s.origin if s.origin is not None else s.right_origin
            assert anchor is not None
            depth = self._by_last.get(anchor)
            if depth is None and s.ref == TYPE:  # a keystroke needs no look-up in the index
                depth = self._depth_of(anchor)
        if depth is None:
            return
        if depth > self._max:
            raise UpdateFormatError(f"content nested {depth} levels deep")
        if s.ref == TYPE:
            self._types[(s.client, s.clock)] = depth + 1
        self._by_last[(s.client, s.clock + s.length - 1)] = depth


def decode_state_vector(data: bytes) -> dict[int, int]:
    r = _Reader(data)
    state: dict[int, int] = {}
    for _ in range(r._count()):
        client = r.var_uint()
        state[client] = r.var_uint()
    if r.pos != len(data):
        raise UpdateFormatError("trailing bytes after the state vector")
    return state


# -- writing ----------------------------------------------------------------------------------
def write_var_uint(out: bytearray, value: int) -> None:
    while value > 0x7F:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)


def write_var_string(out: bytearray, text: str) -> None:
    data = text.encode("utf-8")
    write_var_uint(out, len(data))
    out += data


def gc_struct(length: int) -> bytes:
    out = bytearray((GC,))
    write_var_uint(out, length)
    return bytes(out)


def tombstone(s: Struct) -> Struct:
    """The same item (clocks, origins, parent) with its content deleted: a tombstone.

    Peers place it exactly where the original sits, so later writes anchored to it, and the
    server's own writes after it, are ordered the same everywhere. Its bytes are the original's
    up to the content, with the content kind changed and the content replaced by a length.
    """
    out = bytearray(s.raw[: s.head])
    out[0] = (out[0] & 0xE0) | DELETED
    write_var_uint(out, s.length)
    return Struct(
        s.client,
        s.clock,
        s.length,
        DELETED,
        raw=bytes(out),
        origin=s.origin,
        right_origin=s.right_origin,
        parent_name=s.parent_name,
        parent_id=s.parent_id,
        parent_sub=s.parent_sub,
        head=s.head,
    )


def encode_update(structs: list[Struct], deletes: dict[int, list[tuple[int, int]]]) -> bytes:
    """Encode structs (by their raw bytes; consecutive per client) and a delete set."""
    out = bytearray()
    groups = list(_by_client(structs))
    write_var_uint(out, len(groups))
    for client, group in groups:
        write_var_uint(out, len(group))
        write_var_uint(out, client)
        write_var_uint(out, group[0].clock)
        for s in group:
            out += s.raw
    write_delete_set(out, deletes)
    return bytes(out)


def write_delete_set(out: bytearray, deletes: dict[int, list[tuple[int, int]]]) -> None:
    clients = [(c, r) for c, r in deletes.items() if r]
    write_var_uint(out, len(clients))
    for client, ranges in clients:
        write_var_uint(out, client)
        write_var_uint(out, len(ranges))
        for clock, length in ranges:
            write_var_uint(out, clock)
            write_var_uint(out, length)


def decode_delete_set(data: bytes) -> dict[int, list[tuple[int, int]]]:
    """A delete set alone (pycrdt's `TransactionEvent.delete_set`): client -> (clock, length)."""
    return decode_update(b"\x00" + data).deletes


def delete_set_update(deletes: dict[int, list[tuple[int, int]]]) -> bytes:
    """An update that only deletes: no structs, the given ranges."""
    out = bytearray((0,))
    write_delete_set(out, deletes)
    return bytes(out)


def _by_client(structs: list[Struct]) -> Iterator[tuple[int, list[Struct]]]:
    group: list[Struct] = []
    for s in structs:
        if group and (s.client != group[0].client or s.clock != group[-1].end):
            yield group[0].client, group
            group = []
        group.append(s)
    if group:
        yield group[0].client, group
