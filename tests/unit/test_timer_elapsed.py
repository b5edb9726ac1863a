"""Per-item elapsed time (issue 15, item 8): going back and forth keeps the time spent on each
agenda item, a return resumes the item's timebox where it was left (over time too), pauses do not
count, +1/+5 min add to the running or paused timer, and bad input is refused."""

from __future__ import annotations

from typing import Any

import pytest
from pycrdt import Array, Doc, Map

from crdt import facilitation
from crdt.errors import ApiError

MIN = 60_000.0


def board() -> Doc[Any]:
    doc: Doc[Any] = Doc()
    agenda = doc.get("agenda", type=Array)
    for item_id, minutes in (("a", 10), ("b", 5)):
        agenda.append(Map({"id": item_id, "title": item_id, "minutes": minutes, "kind": "discuss"}))
    return doc


def timer(doc: Doc[Any]) -> dict[str, Any]:
    state = facilitation.timer_state(doc)
    assert state is not None
    return state


def remaining(doc: Doc[Any], now: float) -> float:
    t = timer(doc)
    if t["started_at"] is None:
        return float(t["remaining_ms"])
    return float(t["duration_ms"]) - (now - float(t["started_at"]))


def test_elapsed_survives_going_back_and_forth() -> None:
    doc = board()
    facilitation.agenda_goto(doc, "a", 0, True)
    assert remaining(doc, 0) == 10 * MIN
    facilitation.agenda_goto(doc, "b", 3 * MIN, True)  # 3 minutes on a
    assert facilitation.item_elapsed(doc, "a") == 3 * MIN
    assert remaining(doc, 3 * MIN) == 5 * MIN
    facilitation.agenda_goto(doc, "a", 4 * MIN, True)  # 1 minute on b; back to a: 7 minutes left
    assert facilitation.item_elapsed(doc, "b") == 1 * MIN
    assert remaining(doc, 4 * MIN) == 7 * MIN
    # a pause does not count
    facilitation.timer_pause(doc, 5 * MIN)
    facilitation.timer_resume(doc, 9 * MIN)
    facilitation.agenda_step(doc, 1, 10 * MIN, True)  # a: 3 + 1 + 1 = 5 minutes
    assert facilitation.item_elapsed(doc, "a") == 5 * MIN
    assert remaining(doc, 10 * MIN) == 4 * MIN  # b: 5 - 1


def test_overrun_is_kept_and_resumed_negative() -> None:
    doc = board()
    facilitation.agenda_goto(doc, "b", 0, True)
    facilitation.agenda_goto(doc, "a", 7 * MIN, True)  # b is 2 minutes over
    assert facilitation.item_elapsed(doc, "b") == 7 * MIN
    facilitation.agenda_goto(doc, "b", 8 * MIN, True)
    assert remaining(doc, 8 * MIN) == -2 * MIN


def test_add_time_and_validation() -> None:
    doc = board()
    with pytest.raises(ApiError) as no_timer:
        facilitation.timer_add(doc, 60)
    assert no_timer.value.status == 409
    facilitation.agenda_goto(doc, "a", 0, True)
    facilitation.timer_add(doc, 60)
    assert remaining(doc, 0) == 11 * MIN
    facilitation.timer_pause(doc, 1 * MIN)
    facilitation.timer_add(doc, 300)
    assert remaining(doc, 1 * MIN) == 15 * MIN
    for bad in (0, 0.5, -60, 3601):
        with pytest.raises(ApiError) as err:
            facilitation.timer_add(doc, bad)
        assert err.value.status == 422
    # the time spent is still the real time, not the added time
    facilitation.timer_resume(doc, 1 * MIN)
    facilitation.agenda_goto(doc, "b", 2 * MIN, True)
    assert facilitation.item_elapsed(doc, "a") == 2 * MIN


def test_reset_records_the_time_spent() -> None:
    doc = board()
    facilitation.agenda_goto(doc, "a", 0, True)
    facilitation.timer_reset(doc, 2 * MIN)
    assert facilitation.item_elapsed(doc, "a") == 2 * MIN
    assert facilitation.timer_state(doc) is None
