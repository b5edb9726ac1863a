"""Silent brainstorming on the server: draft counts on the board, and the reveal.

A member's drafts doc (`{board}/drafts/{member}`) is opened only by its owner: the doc id
comes from the token's subject, so there is no URL that names someone else's drafts.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping
from typing import Any

from pycrdt import Doc

from crdt import drafts as drafts_doc
from crdt import facilitation
from crdt.errors import ApiError
from server.features.base import FACILITATOR, Command, Context, Feature
from server.realtime.docref import DocRef
from server.realtime.notices import Notice
from server.realtime.room import Room, RoomWatch
from server.realtime.rooms import RoomManager

log = logging.getLogger("planboard.drafts")


class Drafts(Feature):
    """Silent brainstorming: `drafts.start` and `drafts.reveal`, and on each member's drafts
    doc a watch that keeps the member to the cap and mirrors their count onto the board."""

    def __init__(self, max_drafts: int) -> None:
        self.max_drafts = max_drafts

    def attach(self, room: Room, rooms: RoomManager) -> RoomWatch | None:
        if room.ref.drafts_of is None:
            return None
        return _DraftCounter(room, room.ref.drafts_of, rooms, self.max_drafts)

    def commands(self) -> Mapping[str, Command]:
        return {
            "drafts.start": Command(FACILITATOR, drafts_start),
            "drafts.reveal": Command(FACILITATOR, drafts_reveal),
        }


class _DraftCounter(RoomWatch):
    def __init__(self, room: Room, member: str, rooms: RoomManager, max_drafts: int) -> None:
        self.room = room
        self.member = member
        self.rooms = rooms
        self.max_drafts = max_drafts
        self._pending: set[asyncio.Task[None]] = set()

    def changed(self) -> None:
        if self._pending:
            return  # one publish in flight reads the latest count when it runs
        task = asyncio.get_running_loop().create_task(self._publish())
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def _publish(self) -> None:
        room, member, max_drafts = self.room, self.member, self.max_drafts
        extra = drafts_doc.drafts_beyond(room.doc, max_drafts)
        if extra:
            await room.apply_server_change(lambda doc: drafts_doc.remove_drafts(doc, extra))
            room.notify(
                member,
                Notice("limit", f"at most {max_drafts} drafts per member; {len(extra)} removed"),
            )
        count = drafts_doc.count_drafts(room.doc)
        try:
            async with self.rooms.using(room.ref.board) as board:
                await board.apply_server_change(
                    lambda doc: drafts_doc.set_draft_count(doc, member, count)
                )
        except Exception:
            log.exception("could not publish the draft count of %s", room.ref)


async def _member_drafts(ctx: Context) -> dict[str, list[drafts_doc.Draft]]:
    services = ctx.services
    settings = services.settings
    by_member: dict[str, list[drafts_doc.Draft]] = {}
    prefix = DocRef.drafts_prefix(ctx.board_id)
    for doc_id in await services.store.list_docs(prefix):
        member = doc_id[len(prefix) :]
        async with services.rooms.using(DocRef(ctx.board_id, member)) as private:
            written = drafts_doc.read_drafts(private.doc, settings.max_note_text)
        if written:
            by_member[member] = written[: settings.max_drafts_per_member]
    return by_member


async def _remove(ctx: Context, member: str, note_ids: list[str]) -> None:
    async with ctx.services.rooms.using(DocRef(ctx.board_id, member)) as private:
        await private.apply_server_change(lambda doc: drafts_doc.remove_drafts(doc, note_ids))


async def drafts_start(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    # Drafts that did not fit on the board last time are still there: count them again.
    by_member = await _member_drafts(ctx)

    def start(doc: Doc[Any]) -> None:
        drafts_doc.set_drafting(doc, True)
        for member, written in by_member.items():
            drafts_doc.set_draft_count(doc, member, len(written))

    await ctx.room.apply_server_change(start)
    return {"drafting": True}


async def drafts_reveal(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    if not drafts_doc.is_drafting(ctx.room.doc):
        raise ApiError(409, "not_drafting", "Silent brainstorming is not running.")
    services = ctx.services
    settings = services.settings
    by_member = await _member_drafts(ctx)
    now = time.time() * 1000.0

    def reveal(doc: Doc[Any]) -> drafts_doc.Placement:
        placement = drafts_doc.place_drafts(
            doc,
            by_member,
            key=settings.secret or "",
            board_id=ctx.board_id,
            now_ms=now,
            item=facilitation.current_item(doc),
            max_notes=settings.max_notes_per_board,
            origin_y=drafts_doc.lowest_note_y(doc),
        )
        drafts_doc.set_drafting(doc, False)
        return placement

    placement = await ctx.room.apply_server_change(reveal)
    # Only now leave the private docs: a crash in between re-reveals under the same ids.
    for member in set(placement.placed) | set(placement.already):
        done = placement.placed.get(member, []) + placement.already.get(member, [])
        await _remove(ctx, member, done)
    for member, left in placement.left.items():
        detail = (
            f"{left} of your drafts did not fit on the board (at most "
            f"{settings.max_notes_per_board} notes); they stay in your drafts"
        )
        ctx.room.notify(member, Notice("drafts_not_placed", detail))
    answer: dict[str, Any] = {
        "revealed": placement.placed_count,
        "members": len(by_member),
        "not_placed": placement.left_count,
    }
    if placement.left:
        answer["not_placed_by_member"] = dict(placement.left)
        answer["message"] = (
            f"{placement.left_count} drafts did not fit on the board (at most "
            f"{settings.max_notes_per_board} notes); they stay in their writers' drafts."
        )
    return answer
