"""The y-websocket wire protocol: strict parsing of client frames and encoding of replies.

Parsing is strict on purpose: a frame that a Yjs client could not have produced (truncated,
oversized length prefix, trailing bytes, unknown type) is rejected as a whole, so the server can
close the connection with 1007 instead of acting on half a message.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

MSG_SYNC = 0
MSG_AWARENESS = 1
MSG_AUTH = 2
MSG_QUERY_AWARENESS = 3

SYNC_STEP1 = 0
SYNC_STEP2 = 1
SYNC_UPDATE = 2

EMPTY_UPDATE = b"\x00\x00"
MAX_VARUINT_BYTES = 8  # 2**56 is beyond any id or length a real client sends
MAX_AWARENESS_STATE = 16 * 1024
MAX_AWARENESS_ENTRIES = 64


class ProtocolError(ValueError):
    """A frame that is not a well-formed y-websocket message."""


@dataclass(frozen=True, slots=True)
class SyncStep1:
    state_vector: bytes


@dataclass(frozen=True, slots=True)
class SyncStep2:
    update: bytes


@dataclass(frozen=True, slots=True)
class SyncUpdate:
    update: bytes


@dataclass(slots=True)  # not frozen: presence is the busiest traffic, built by the thousand
class AwarenessEntry:
    client_id: int
    clock: int
    state: str  # JSON text; "null" means the client is gone
    # The state as parsed when a client's frame was checked, so that it is parsed only once.
    value: Any = field(default=None, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class AwarenessUpdate:
    entries: tuple[AwarenessEntry, ...]


@dataclass(frozen=True, slots=True)
class QueryAwareness:
    pass


Message = SyncStep1 | SyncStep2 | SyncUpdate | AwarenessUpdate | QueryAwareness


class _Reader:
    __slots__ = ("buf", "pos")

    def __init__(self, buf: bytes) -> None:
        self.buf = buf
        self.pos = 0

    def var_uint(self) -> int:
        pos = self.pos
        buf = self.buf
        if pos < len(buf) and buf[pos] < 0x80:  # most lengths and small numbers: one byte
            self.pos = pos + 1
            return buf[pos]
        result = 0
        shift = 0
        for _ in range(MAX_VARUINT_BYTES):
            if self.pos >= len(self.buf):
                raise ProtocolError("truncated varuint")
            byte = self.buf[self.pos]
            self.pos += 1
            result |= (byte & 0x7F) << shift
            if byte < 0x80:
                return result
            shift += 7
        raise ProtocolError("varuint too long")

    def var_bytes(self) -> bytes:
        length = self.var_uint()
        end = self.pos + length
        if end > len(self.buf):
            raise ProtocolError("length prefix beyond the end of the frame")
        data = self.buf[self.pos : end]
        self.pos = end
        return data

    def var_string(self) -> str:
        try:
            return self.var_bytes().decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ProtocolError("string is not UTF-8") from exc

    def done(self) -> None:
        if self.pos != len(self.buf):
            raise ProtocolError("trailing bytes after the message")


def parse_message(frame: bytes) -> Message:
    """Decode one client frame; raises ProtocolError for anything malformed."""
    reader = _Reader(frame)
    kind = reader.var_uint()
    message: Message
    if kind == MSG_SYNC:
        sub = reader.var_uint()
        payload = reader.var_bytes()
        if sub == SYNC_STEP1:
            message = SyncStep1(payload)
        elif sub == SYNC_STEP2:
            message = SyncStep2(payload)
        elif sub == SYNC_UPDATE:
            message = SyncUpdate(payload)
        else:
            raise ProtocolError(f"unknown sync message type {sub}")
    elif kind == MSG_AWARENESS:
        message = parse_awareness(reader.var_bytes())
    elif kind == MSG_QUERY_AWARENESS:
        message = QueryAwareness()
    else:
        raise ProtocolError(f"unknown message type {kind}")
    reader.done()
    return message


def parse_awareness(payload: bytes) -> AwarenessUpdate:
    """Decode an awareness update, checking that every state is JSON a Yjs peer can parse."""
    reader = _Reader(payload)
    count = reader.var_uint()
    if count > MAX_AWARENESS_ENTRIES:
        raise ProtocolError("too many awareness entries")
    entries = []
    loads = json.loads
    for _ in range(count):
        client_id = reader.var_uint()
        clock = reader.var_uint()
        state = reader.var_string()
        if len(state) > MAX_AWARENESS_STATE:
            raise ProtocolError("awareness state too large")
        try:
            value = loads(state)
        except ValueError as exc:
            raise ProtocolError("awareness state is not JSON") from exc
        if value is not None and type(value) is not dict:
            raise ProtocolError("awareness state must be an object or null")
        entries.append(AwarenessEntry(client_id, clock, state, value))
    reader.done()
    return AwarenessUpdate(tuple(entries))


def write_var_uint(value: int) -> bytes:
    out = bytearray()
    while value > 0x7F:
        out.append(0x80 | (value & 0x7F))
        value >>= 7
    out.append(value)
    return bytes(out)


def _var_bytes(data: bytes) -> bytes:
    return write_var_uint(len(data)) + data


def encode_sync_step1(state_vector: bytes) -> bytes:
    return bytes((MSG_SYNC, SYNC_STEP1)) + _var_bytes(state_vector)


def encode_sync_step2(update: bytes) -> bytes:
    return bytes((MSG_SYNC, SYNC_STEP2)) + _var_bytes(update)


def encode_update(update: bytes) -> bytes:
    return bytes((MSG_SYNC, SYNC_UPDATE)) + _var_bytes(update)


def encode_awareness(entries: list[AwarenessEntry] | tuple[AwarenessEntry, ...]) -> bytes:
    body = bytearray(write_var_uint(len(entries)))
    for entry in entries:
        body += write_var_uint(entry.client_id)
        body += write_var_uint(entry.clock)
        body += _var_bytes(entry.state.encode("utf-8"))
    return bytes((MSG_AWARENESS,)) + _var_bytes(bytes(body))


def encode_query_awareness() -> bytes:
    return bytes((MSG_QUERY_AWARENESS,))
