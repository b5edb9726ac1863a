"""crdt/facilitation.py in process: the lock, the agenda, roles, presence signals and voting
rounds as changes to a bare doc, with the status and code each refusal answers with."""

from __future__ import annotations

from typing import Any

import pytest
from pycrdt import Array, Doc, Map, Text

from crdt import facilitation
from crdt.errors import ApiError


def board(*agenda: str) -> Doc[Any]:
    doc: Doc[Any] = Doc()
    items = doc.get("agenda", type=Array)
    for item_id in agenda:
        items.append(Map({"id": item_id, "title": item_id.upper(), "minutes": 5, "kind": "vote"}))
    participants = doc.get("participants", type=Map)
    participants["fay"] = Map({"name": "Fay", "role": "facilitator", "joined_at": 1.0})
    participants["ana"] = Map({"name": "Ana", "role": "participant", "joined_at": 2.0})
    notes = doc.get("notes", type=Map)
    for note_id, created in (("n1", 30.0), ("n2", 10.0), ("n3", 20.0)):
        notes[note_id] = Map({"text": Text(f"idea {note_id}"), "created_at": created, "item": "a"})
    return doc


def refused(call: Any, *args: Any) -> tuple[int, str]:
    with pytest.raises(ApiError) as err:
        call(*args)
    return err.value.status, err.value.code


def session(doc: Doc[Any]) -> dict[str, Any]:
    return doc.get("session", type=Map).to_py() or {}


def test_lock_is_idempotent() -> None:
    doc = board()
    assert not facilitation.is_locked(doc)
    assert facilitation.set_locked(doc, True) == {"locked": True}
    assert facilitation.set_locked(doc, True) == {"locked": True}
    assert facilitation.is_locked(doc)
    facilitation.set_locked(doc, False)
    assert not facilitation.is_locked(doc)


def test_agenda_steps_and_its_ends() -> None:
    assert refused(facilitation.agenda_step, board(), 1, 0.0, False) == (409, "no_agenda")
    doc = board("a", "b")
    assert facilitation.agenda_step(doc, 1, 0.0, False) == {"current_item": "a", "index": 0}
    assert refused(facilitation.agenda_step, doc, -1, 0.0, False) == (409, "agenda_start")
    assert facilitation.agenda_step(doc, 1, 0.0, False)["current_item"] == "b"
    assert refused(facilitation.agenda_step, doc, 1, 0.0, False) == (409, "agenda_end")
    assert facilitation.current_item(doc) == "b"
    assert "timer" not in session(doc)  # start_timer=False


def test_goto_starts_the_items_timebox_and_clears_ready() -> None:
    doc = board("a", "b")
    facilitation.set_flag(doc, "ready", "ana", True)
    assert facilitation.agenda_goto(doc, "b", 1000.0, True) == {"current_item": "b", "index": 1}
    timer = facilitation.timer_state(doc)
    assert timer is not None
    assert (timer["item"], timer["duration_ms"], timer["started_at"]) == ("b", 300_000.0, 1000.0)
    assert session(doc)["ready"] == {}
    assert refused(facilitation.agenda_goto, doc, "zzz", 0.0, True) == (404, "item_not_found")


def test_timer_refusals() -> None:
    doc = board()
    assert refused(facilitation.timer_start, doc, 0, 0.0) == (422, "invalid")
    assert refused(facilitation.timer_pause, doc, 0.0) == (409, "timer_not_running")
    assert refused(facilitation.timer_resume, doc, 0.0) == (409, "timer_not_paused")
    assert refused(facilitation.timer_add, doc, 60) == (409, "no_timer")
    facilitation.timer_start(doc, 60, 0.0)
    assert refused(facilitation.timer_add, doc, 0) == (422, "invalid")
    assert facilitation.timer_reset(doc) == {"timer": None}
    assert facilitation.timer_state(doc) is None


def test_roles() -> None:
    doc = board()
    assert facilitation.role_of(doc, "ana") == "participant"
    assert facilitation.role_of(doc, "nobody") is None
    # The roster wins over the token; a token's role counts only for someone not on it.
    assert facilitation.current_role(doc, "ana", "facilitator") == "participant"
    assert facilitation.current_role(doc, "nobody", "viewer") == "viewer"
    assert refused(facilitation.set_role, doc, "ana", "admin") == (422, "invalid")
    assert refused(facilitation.set_role, doc, "nobody", "viewer") == (404, "participant_not_found")
    assert refused(facilitation.set_role, doc, "fay", "participant") == (409, "last_facilitator")
    assert facilitation.set_role(doc, "ana", "facilitator") == {
        "participant_id": "ana",
        "role": "facilitator",
    }
    facilitation.set_role(doc, "fay", "viewer")  # another facilitator remains
    assert facilitation.role_of(doc, "fay") == "viewer"


def test_flags_and_summon() -> None:
    doc = board()
    assert facilitation.set_flag(doc, "hands", "ana", 5.0) == {"hands": ["ana"]}
    assert facilitation.set_flag(doc, "hands", "ana", 6.0) == {"hands": ["ana"]}
    assert session(doc)["hands"] == {"ana": 5.0}  # the first raise keeps its time
    assert facilitation.set_flag(doc, "hands", "ana", None) == {"hands": []}
    assert facilitation.set_flag(doc, "hands", "ana", None) == {"hands": []}
    assert facilitation.summon(doc, "fay", 1.0, 2.0, 0.5) == {"counter": 1}
    assert facilitation.summon(doc, "fay", 3.0, 4.0, 1.0) == {"counter": 2}
    assert session(doc)["summon"] == {"x": 3.0, "y": 4.0, "zoom": 1.0, "by": "fay", "counter": 2}


def test_a_secret_round_from_start_to_reveal() -> None:
    doc = board("a")
    assert facilitation.voting_state(doc) is None
    assert refused(facilitation.voting_close, doc) == (409, "no_round")
    assert refused(facilitation.voting_reveal, doc, {}) == (409, "no_round")
    assert refused(facilitation.voting_start, doc, 3, 2, True, "zzz") == (404, "item_not_found")
    state = facilitation.voting_start(doc, 3, 2, True, "a")
    assert (state.round, state.status, state.budget, state.max_per_note) == (1, "open", 3, 2)
    assert (state.secret, state.scope, state.done, state.kind) == (True, "a", 0, "dots")
    assert refused(facilitation.voting_start, doc, 3, 2, True, None) == (409, "voting_open")
    assert "1" not in doc.get("results", type=Map)  # secret: no live tallies
    facilitation.set_voting_done(doc, 2)
    assert facilitation.voting_close(doc).status == "closed"
    revealed = facilitation.voting_reveal(doc, {"n2": 1, "n1": 2})
    assert (revealed.status, revealed.done) == ("revealed", 2)
    assert doc.get("results", type=Map)["1"].to_py() == {"n1": 2, "n2": 1}
    next_round = facilitation.voting_start(doc, 1, 1, False, None)
    assert next_round.round == 2
    assert session(doc)["rounds"]["1"] == {"secret": True, "budget": 3, "max_per_note": 2}


def test_an_open_round_shows_live_tallies() -> None:
    doc = board()
    facilitation.voting_start(doc, 3, 3, False, None)
    results = doc.get("results", type=Map)
    facilitation.set_open_tally(doc, 1, "n1", 2)
    assert results["1"].to_py() == {"n1": 2}
    facilitation.set_open_tally(doc, 1, "n1", 0)
    assert results["1"].to_py() == {}


def test_ranking_breaks_ties_by_age_then_id() -> None:
    doc = board()
    rows = facilitation.ranking({"n1": 2, "n2": 2, "n3": 5, "gone": 2}, doc)
    assert [(r["note_id"], r["rank"], r["votes"]) for r in rows] == [
        ("n3", 1, 5),
        ("n2", 2, 2),  # older than n1
        ("n1", 2, 2),
        ("gone", 2, 2),  # a deleted note sorts last among its equals, with no text
    ]
    assert rows[0]["text"] == "idea n3" and rows[3]["text"] == ""


def test_note_lookups() -> None:
    doc = board()
    assert facilitation.note_exists(doc, "n1") and not facilitation.note_exists(doc, "n9")
    assert facilitation.note_item(doc, "n1") == "a"
    assert facilitation.note_item(doc, "n9") is None
