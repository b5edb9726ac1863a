"""The y-websocket framing: round trips, and strict refusal of everything malformed."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pycrdt import Doc, Text, create_awareness_message, create_sync_message, create_update_message

from crdt import protocol


def test_parses_what_pycrdt_encodes() -> None:
    doc: Doc = Doc()
    doc["t"] = text = Text()
    text += "hello"
    step1 = protocol.parse_message(create_sync_message(doc))
    assert isinstance(step1, protocol.SyncStep1)
    assert step1.state_vector == doc.get_state()
    update = protocol.parse_message(create_update_message(doc.get_update()))
    assert isinstance(update, protocol.SyncUpdate)
    assert update.update == doc.get_update()


def test_awareness_round_trip() -> None:
    entries = [
        protocol.AwarenessEntry(7, 3, '{"user":{"name":"Ana"}}'),
        protocol.AwarenessEntry(9, 1, "null"),
    ]
    frame = protocol.encode_awareness(entries)
    parsed = protocol.parse_message(frame)
    assert isinstance(parsed, protocol.AwarenessUpdate)
    assert list(parsed.entries) == entries
    # pycrdt's own encoder agrees on the framing
    assert protocol.parse_message(create_awareness_message(frame[2:])) == parsed


def test_encoders_match_pycrdt() -> None:
    assert protocol.encode_update(b"\x01\x02") == create_update_message(b"\x01\x02")
    assert protocol.parse_message(protocol.encode_query_awareness()) == protocol.QueryAwareness()


@pytest.mark.parametrize(
    "frame",
    [
        b"",
        b"\x07",  # unknown message type
        b"\x00",  # sync without subtype
        b"\x00\x05\x00",  # unknown sync subtype
        b"\x00\x02\x05ab",  # length prefix beyond the end
        b"\x00\x02\xff\xff\xff\xff\xff\xff\xff\xff\xff",  # varuint too long
        b"\x00\x02\x01a\x00",  # trailing bytes
        b"\x03\x00",  # query-awareness with trailing bytes
        b"\x01\x05\x01\x01\x01\x01{",  # awareness state that is not JSON
        b"\x01\x06\x01\x01\x01\x02[]",  # awareness state that is not an object
    ],
)
def test_malformed_frames_are_refused(frame: bytes) -> None:
    with pytest.raises(protocol.ProtocolError):
        protocol.parse_message(frame)


@given(st.binary(max_size=64))
def test_random_bytes_never_crash_the_parser(frame: bytes) -> None:
    with contextlib.suppress(protocol.ProtocolError):
        protocol.parse_message(frame)


@given(st.integers(min_value=0, max_value=2**53))
def test_var_uint_round_trip(value: int) -> None:
    frame = bytes([protocol.MSG_SYNC, protocol.SYNC_UPDATE]) + protocol.write_var_uint(3) + b"abc"
    assert protocol.parse_message(frame) == protocol.SyncUpdate(b"abc")
    reader = protocol._Reader(protocol.write_var_uint(value))
    assert reader.var_uint() == value
