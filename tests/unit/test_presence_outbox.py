"""The presence outbox: the latest state of each client per tick, never an older one after it."""

from __future__ import annotations

from crdt.protocol import AwarenessEntry
from server.realtime.presence import PresenceOutbox


def test_the_first_change_after_a_quiet_tick_goes_at_once_then_one_frame_a_tick() -> None:
    outbox = PresenceOutbox(tick=0.05)
    assert outbox.delay(100.0) <= 0  # nothing sent yet: no wait
    outbox.add([AwarenessEntry(1, 1, '{"x":1}')], local=True)
    assert outbox.take(100.0) == (
        [AwarenessEntry(1, 1, '{"x":1}')],
        [AwarenessEntry(1, 1, '{"x":1}')],
    )
    assert abs(outbox.delay(100.01) - 0.04) < 1e-9  # within the tick: wait for its end
    assert outbox.delay(100.06) <= 0


def test_the_latest_state_of_each_client_wins_and_only_local_ones_go_to_other_instances() -> None:
    outbox = PresenceOutbox(tick=0.05)
    outbox.add([AwarenessEntry(1, 1, '{"x":1}'), AwarenessEntry(2, 7, '{"x":2}')], local=True)
    outbox.add([AwarenessEntry(1, 2, '{"x":3}')], local=True)
    outbox.add([AwarenessEntry(9, 4, "null")], local=False)  # another instance's client left
    everyone, local = outbox.take(1.0)
    assert everyone == [
        AwarenessEntry(1, 2, '{"x":3}'),
        AwarenessEntry(2, 7, '{"x":2}'),
        AwarenessEntry(9, 4, "null"),
    ]
    assert local == [AwarenessEntry(1, 2, '{"x":3}'), AwarenessEntry(2, 7, '{"x":2}')]
    assert outbox.take(1.1) == ([], [])  # taken once
