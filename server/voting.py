"""Keeps ballots in step with the board: deleting a voted note gives its dots back.

In an open round at once. In a secret round the refund waits for the voter's next ballot
(`refund_gone_notes`, run by `vote` and `unvote`; `votes/me` already shows the dots as free):
refunding at the deletion would move the public "done" count and tell whoever deleted the note
that done voters had dots on it.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from pycrdt import Doc, Map, MapEvent

from crdt import facilitation as f
from server.room import Room
from server.store.base import Store

log = logging.getLogger("planboard.voting")


def attach_vote_cleanup(room: Room, store: Store) -> None:
    """Watch the board's notes; after a deletion, drop that note's ballots in the open round."""
    if room.ref.is_drafts:
        return  # drafts docs hold no votes
    board_id = room.ref.board_id
    notes: Map[Any] = room.doc.get("notes", type=Map)
    tasks: set[asyncio.Task[None]] = set()

    def on_notes(event: MapEvent) -> None:
        changes: dict[str, Any] = getattr(event, "keys", {})
        deleted = [key for key, change in changes.items() if change["action"] == "delete"]
        if deleted:
            task = asyncio.get_running_loop().create_task(_cleanup(deleted))
            tasks.add(task)
            task.add_done_callback(tasks.discard)

    async def _cleanup(note_ids: list[str]) -> None:
        state = f.voting_state(room.doc)
        if state is None or state.status != "open" or state.secret or state.kind != "dots":
            return  # estimation rounds: a deleted note's cards are left out of the reveal
        # A compensated (unlawful) deletion restores the note in the same step: skip those.
        gone = [n for n in note_ids if not f.note_exists(room.doc, n)]
        removed = 0
        for note_id in gone:
            removed += await store.remove_note_votes(board_id, state.round, note_id)
        if not removed:
            return
        done = await store.voters_done(board_id, state.round, state.budget)

        def publish(doc: Doc[Any]) -> None:
            f.set_voting_done(doc, done)
            if not state.secret:
                for note_id in gone:
                    f.set_open_tally(doc, state.round, note_id, 0)

        try:
            await room.apply_server_change(publish)
        except Exception:
            log.exception("could not publish vote cleanup on %s", board_id)

    room.subscriptions.append(notes.observe(on_notes))


def on_existing_notes(doc: Doc[Any], counts: dict[str, int]) -> dict[str, int]:
    """Ballots or tallies without those of deleted notes (a secret round keeps them a while)."""
    return {note_id: n for note_id, n in counts.items() if f.note_exists(doc, note_id)}


async def refund_gone_notes(
    store: Store, doc: Doc[Any], board_id: str, round_no: int, participant_id: str
) -> list[str]:
    """Give a voter back the dots on notes deleted since; the ids of those notes."""
    ballots = await store.ballots(board_id, round_no, participant_id)
    gone = [note_id for note_id in ballots if not f.note_exists(doc, note_id)]
    for note_id in gone:
        for _ in range(ballots[note_id]):
            await store.remove_vote(board_id, round_no, participant_id, note_id)
    return gone
