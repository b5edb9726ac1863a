"""The room core without a network: what each kind of change yields for the shell to pass on."""

from __future__ import annotations

from typing import Any

import pytest
from pycrdt import Doc, Map

from crdt import protocol
from crdt.policy import BoardGuard, DocLimits, MalformedUpdate
from crdt.schema import BoardDoc
from crdt.templates import init_board
from server.realtime.room_core import RoomCore
from tests.policy_harness import add_members, new_note


def board_core() -> RoomCore:
    doc: Doc[Any] = Doc()
    core = RoomCore(doc, BoardGuard(doc, DocLimits()))
    init_board(doc, title="Plan", objective="", template_id="blank", created_at_ms=1.0)
    core.apply_server_change(add_members)
    return core


def replica(core: RoomCore) -> Doc[Any]:
    doc: Doc[Any] = Doc()
    doc.apply_update(core.doc.get_update())
    return doc


def note_ids(doc: Doc[Any]) -> set[str]:
    return set(doc.get("notes", type=Map).keys())


def add_note(doc: Doc[Any], note_id: str, author: str) -> bytes:
    """The update that adds a note on `doc` (a client's replica)."""
    before = doc.get_state()
    doc.get("notes", type=Map)[note_id] = new_note(author)
    return doc.get_update(before)


def test_a_lawful_update_is_the_net_update_without_violations() -> None:
    core = board_core()
    client = replica(core)
    outcome = core.apply_client_update(add_note(client, "n1", "ana"), "ana")
    assert outcome.violations == []
    assert not outcome.needs_state
    assert not outcome.for_sender  # the sender has it all already
    assert outcome.net is not None
    assert "n1" in note_ids(core.doc)
    observer = replica(board_core())  # a doc without the note: the net update brings it
    observer.apply_update(outcome.net)
    assert "n1" in note_ids(observer)


def test_a_forbidden_update_yields_violations_and_a_compensated_net_update() -> None:
    core = board_core()
    observer = replica(core)
    client = replica(core)
    outcome = core.apply_client_update(add_note(client, "n1", "vic"), "vic")  # a viewer
    assert outcome.violations and outcome.for_sender
    assert "n1" not in note_ids(core.doc)
    assert outcome.net is not None  # the client's items with their removal: it converges back
    observer.apply_update(outcome.net)
    assert "n1" not in note_ids(observer)
    client.apply_update(outcome.net)
    assert "n1" not in note_ids(client)


def test_an_update_that_cannot_integrate_asks_for_state_and_changes_nothing() -> None:
    core = board_core()
    client = replica(core)
    add_note(client, "n1", "ana")
    later = add_note(client, "n2", "ana")  # builds on n1, which the core has not seen
    before = core.doc.get_update()
    outcome = core.apply_client_update(later, "ana")
    assert outcome.needs_state
    assert outcome.net is None and outcome.violations == []
    assert core.doc.get_update() == before
    message = protocol.parse_message(core.sync_step1())
    assert isinstance(message, protocol.SyncStep1)
    assert message.state_vector == core.doc.get_state()


def test_a_malformed_update_is_refused_before_anything_changes() -> None:
    core = board_core()
    before = core.doc.get_update()
    with pytest.raises(MalformedUpdate):
        core.apply_client_update(b"\xff\xff\xff", "ana")
    assert core.doc.get_update() == before


def test_a_remote_update_is_applied_once() -> None:
    core = board_core()
    elsewhere = replica(core)
    before = elsewhere.get_state()
    BoardDoc(elsewhere).add_note("n9", author="bob", text="from another instance")
    update = elsewhere.get_update(before)
    assert core.apply_remote(update) is not None
    assert "n9" in note_ids(core.doc)
    assert core.apply_remote(update) is None  # idempotent: nothing new to pass on


def test_a_server_change_returns_its_result_and_net_update() -> None:
    core = board_core()
    result, net = core.apply_server_change(lambda doc: BoardDoc(doc).add_note("s1", author="fac"))
    assert result is None
    assert net is not None
    observer = replica(board_core())
    observer.apply_update(net)
    assert "s1" in note_ids(observer)
    assert core.apply_server_change(lambda doc: 42) == (42, None)  # no change, nothing to store


def test_sync_step1_is_answered_with_what_the_client_lacks() -> None:
    core = board_core()
    client = replica(core)
    BoardDoc(core.doc).add_note("n1", author="fac")
    message = protocol.parse_message(core.answer_sync_step1(client.get_state()))
    assert isinstance(message, protocol.SyncStep2)
    client.apply_update(message.update)
    assert client.get_state() == core.doc.get_state()
    with pytest.raises(MalformedUpdate):
        core.answer_sync_step1(b"\xff\xff")


def test_the_full_step2_is_cached_until_the_doc_changes() -> None:
    core = board_core()
    first = core.answer_sync_step1(b"\x00")
    assert core.answer_sync_step1(b"\x00") is first  # encoded once
    core.apply_server_change(lambda doc: BoardDoc(doc).add_note("n1", author="fac"))
    fresh = core.answer_sync_step1(b"\x00")
    assert fresh is not first
    message = protocol.parse_message(fresh)
    assert isinstance(message, protocol.SyncStep2)
    joiner: Doc[Any] = Doc()
    joiner.apply_update(message.update)
    assert "n1" in note_ids(joiner)


def test_missing_from_gives_what_the_store_lacks() -> None:
    core = board_core()
    stored = [core.doc.get_update()]
    assert core.missing_from(stored) is None
    core.apply_server_change(lambda doc: BoardDoc(doc).add_note("n1", author="fac"))
    lacking = core.missing_from(stored)
    assert lacking is not None
    copy: Doc[Any] = Doc()
    for update in [*stored, lacking]:
        copy.apply_update(update)
    assert "n1" in note_ids(copy)
