"""The log cursor: positions in order advance, a gap asks for the store, a new epoch restarts."""

from __future__ import annotations

from server.realtime.log_cursor import LogCursor


def test_consecutive_positions_advance_without_a_gap() -> None:
    cursor = LogCursor(track_gaps=True)
    assert not cursor.note(1)
    assert not cursor.note(2)
    assert cursor.position == 2 and not cursor.has_gap


def test_a_gap_is_reported_and_closes_when_the_missing_update_arrives() -> None:
    cursor = LogCursor(track_gaps=True)
    cursor.restart(epoch=3, position=10)
    assert cursor.note(12)  # 11 is missing: read it from the store
    assert cursor.position == 10 and cursor.has_gap
    assert not cursor.note(11)
    assert cursor.position == 12 and not cursor.has_gap


def test_the_store_read_fills_the_gap() -> None:
    cursor = LogCursor(track_gaps=True)
    assert cursor.note(3)
    assert cursor.note(5)
    cursor.advance_to(3)  # the store had 1..3
    assert cursor.position == 3 and cursor.has_gap
    cursor.advance_to(4)
    assert cursor.position == 5 and not cursor.has_gap


def test_old_positions_change_nothing() -> None:
    cursor = LogCursor(track_gaps=True)
    cursor.restart(epoch=1, position=7)
    assert not cursor.note(4)
    assert cursor.position == 7


def test_without_a_relaying_backplane_there_are_no_gaps() -> None:
    cursor = LogCursor(track_gaps=False)
    assert not cursor.note(5)
    assert cursor.position == 5 and not cursor.has_gap


def test_a_new_epoch_starts_over() -> None:
    cursor = LogCursor(track_gaps=True)
    cursor.note(4)
    cursor.restart(epoch=2, position=1)
    assert (cursor.epoch, cursor.position, cursor.has_gap) == (2, 1, False)
