"""Dot voting between the store and the board: casting and withdrawing dots, and refunds.

Ballots live in the store (the budget and cap hold across instances: one atomic step there);
the board shows only the public progress ("n done", and live tallies in open rounds). A dot is
therefore a short sequence of store and doc steps, kept together here.

Deleting a voted note gives its dots back: in an open round at once (`VoteCleanup`). In a
secret round the refund waits for the voter's next ballot (`refund_gone_notes`, run by casting
and withdrawing; `votes/me` already shows the dots as free): refunding at the deletion would
move the public "done" count and tell whoever deleted the note that done voters had dots on it.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any, Literal

from pycrdt import Doc, Map, MapEvent

from crdt import facilitation
from server.features.base import Feature
from server.realtime.room import Room, RoomWatch
from server.realtime.rooms import RoomManager
from server.store.base import Store

log = logging.getLogger("planboard.voting")


@dataclass(frozen=True)
class Dot:
    """What casting a dot did: "ok", refused by the store ("budget", "cap"), or taken back
    because the round closed while the ballot was in flight ("closed")."""

    status: Literal["ok", "budget", "cap", "closed"]
    used: int  # the voter's dots in the round after the call
    on_note: int  # the voter's dots on the note after the call


async def cast_dot(
    store: Store, room: Room, state: facilitation.VotingState, voter: str, note_id: str
) -> Dot:
    """Refund dots on deleted notes, cast one dot atomically, then publish the progress."""
    board_id = room.ref.board_id
    await refund_gone_notes(store, room.doc, board_id, state.round, voter)
    result = await store.cast_vote(
        board_id, state.round, voter, note_id, state.budget, state.max_per_note
    )
    if result.status != "ok":
        return Dot(result.status, result.used, result.on_note)
    current = facilitation.voting_state(room.doc)
    if current is None or current.round != state.round or current.status != "open":
        await store.remove_vote(board_id, state.round, voter, note_id)
        return Dot("closed", result.used, result.on_note)
    await _publish_progress(store, room, state, note_id)
    return Dot("ok", result.used, result.on_note)


async def withdraw_dot(
    store: Store, room: Room, state: facilitation.VotingState, voter: str, note_id: str
) -> int | None:
    """Take one dot back (a deleted note's are given back anyway) and publish the progress;
    the voter's dots in the round after, or None when there was no dot on the note."""
    board_id = room.ref.board_id
    gone = await refund_gone_notes(store, room.doc, board_id, state.round, voter)
    if note_id not in gone and not await store.remove_vote(board_id, state.round, voter, note_id):
        return None
    await _publish_progress(store, room, state, note_id)
    ballots = await store.ballots(board_id, state.round, voter)
    return sum(ballots.values())


async def _publish_progress(
    store: Store, room: Room, state: facilitation.VotingState, note_id: str
) -> None:
    """After a ballot: the public "n done" figure, and live tallies only in open rounds."""
    board_id = room.ref.board_id
    done = await store.voters_done(board_id, state.round, state.budget)
    count = None
    if not state.secret:
        count = (await store.tally(board_id, state.round)).get(note_id, 0)

    def publish(doc: Doc[Any]) -> None:
        facilitation.set_voting_done(doc, done)
        if count is not None:
            facilitation.set_open_tally(doc, state.round, note_id, count)

    await room.apply_server_change(publish)


def on_existing_notes(doc: Doc[Any], counts: dict[str, int]) -> dict[str, int]:
    """Ballots or tallies without those of deleted notes (a secret round keeps them a while)."""
    return {note_id: n for note_id, n in counts.items() if facilitation.note_exists(doc, note_id)}


async def refund_gone_notes(
    store: Store, doc: Doc[Any], board_id: str, round_no: int, participant_id: str
) -> list[str]:
    """Give a voter back the dots on notes deleted since; the ids of those notes."""
    ballots = await store.ballots(board_id, round_no, participant_id)
    gone = [note_id for note_id in ballots if not facilitation.note_exists(doc, note_id)]
    for note_id in gone:
        for _ in range(ballots[note_id]):
            await store.remove_vote(board_id, round_no, participant_id, note_id)
    return gone


class VoteCleanup(Feature):
    """Watches each board's notes; after a deletion, drops that note's ballots in an open
    (not secret) dot round and publishes the new figures."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def attach(self, room: Room, rooms: RoomManager) -> RoomWatch | None:
        if room.ref.is_drafts:
            return None  # drafts docs hold no votes
        return _NoteDeletions(room, self.store)


class _NoteDeletions(RoomWatch):
    def __init__(self, room: Room, store: Store) -> None:
        self.room = room
        self.store = store
        self._tasks: set[asyncio.Task[None]] = set()
        notes: Map[Any] = room.doc.get("notes", type=Map)
        self._subscription = notes.observe(self._on_notes)

    def _on_notes(self, event: MapEvent) -> None:
        changes: dict[str, Any] = getattr(event, "keys", {})
        deleted = [key for key, change in changes.items() if change["action"] == "delete"]
        if deleted:
            task = asyncio.get_running_loop().create_task(self._cleanup(deleted))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _cleanup(self, note_ids: list[str]) -> None:
        room, store = self.room, self.store
        board_id = room.ref.board_id
        state = facilitation.voting_state(room.doc)
        if state is None or state.status != "open" or state.secret or state.kind != "dots":
            return  # estimation rounds: a deleted note's cards are left out of the reveal
        # A compensated (unlawful) deletion restores the note in the same step: skip those.
        gone = [n for n in note_ids if not facilitation.note_exists(room.doc, n)]
        removed = 0
        for note_id in gone:
            removed += await store.remove_note_votes(board_id, state.round, note_id)
        if not removed:
            return
        done = await store.voters_done(board_id, state.round, state.budget)

        def publish(doc: Doc[Any]) -> None:
            facilitation.set_voting_done(doc, done)
            if not state.secret:
                for note_id in gone:
                    facilitation.set_open_tally(doc, state.round, note_id, 0)

        try:
            await room.apply_server_change(publish)
        except Exception:
            log.exception("could not publish vote cleanup on %s", board_id)
