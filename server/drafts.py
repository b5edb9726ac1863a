"""Silent brainstorming on the server: draft counts on the board, and the reveal.

A member's drafts doc (`{board}/drafts/{member}`) is opened only by its owner: the doc id
comes from the token's subject, so there is no URL that names someone else's drafts.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from pycrdt import Doc

from crdt import drafts as d
from crdt import facilitation as f
from server.commands_api import FACILITATOR, Context, register
from server.docref import DocRef
from server.errors import ApiError
from server.notices import Notice
from server.room import Room
from server.rooms import RoomManager

log = logging.getLogger("planboard.drafts")


def attach_draft_counter(room: Room, rooms: RoomManager, max_drafts: int) -> None:
    """Keep a member to the draft cap, and mirror their count into `session.drafts`."""
    member = room.ref.drafts_of
    if member is None:
        return
    board = room.ref.board
    pending: set[asyncio.Task[None]] = set()

    async def publish() -> None:
        extra = d.drafts_beyond(room.doc, max_drafts)
        if extra:
            await room.apply_server_change(lambda doc: d.remove_drafts(doc, extra))
            room.notify(
                member,
                Notice("limit", f"at most {max_drafts} drafts per member; {len(extra)} removed"),
            )
        count = d.count_drafts(room.doc)
        try:
            async with rooms.using(board) as board_room:
                await board_room.apply_server_change(
                    lambda doc: d.set_draft_count(doc, member, count)
                )
        except Exception:
            log.exception("could not publish the draft count of %s", room.doc_id)

    def on_change(_: Room) -> None:
        if pending:
            return  # one publish in flight reads the latest count when it runs
        task = asyncio.get_running_loop().create_task(publish())
        pending.add(task)
        task.add_done_callback(pending.discard)

    room.change_listeners.append(on_change)


async def _member_drafts(ctx: Context) -> dict[str, list[d.Draft]]:
    services = ctx.services
    settings = services.settings
    by_member: dict[str, list[d.Draft]] = {}
    for doc_id in await services.store.list_docs(DocRef.drafts_prefix(ctx.board_id)):
        ref = DocRef.parse(doc_id)
        if ref.drafts_of is None or ref.board_id != ctx.board_id:
            continue
        async with services.rooms.using(ref) as private:
            drafts = d.read_drafts(private.doc, settings.max_note_text)
        if drafts:
            by_member[ref.drafts_of] = drafts[: settings.max_drafts_per_member]
    return by_member


async def _remove(ctx: Context, member: str, note_ids: list[str]) -> None:
    async with ctx.services.rooms.using(DocRef(ctx.board_id, member)) as private:
        await private.apply_server_change(lambda doc: d.remove_drafts(doc, note_ids))


async def drafts_start(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    # Drafts that did not fit on the board last time are still there: count them again.
    by_member = await _member_drafts(ctx)

    def start(doc: Doc[Any]) -> None:
        d.set_drafting(doc, True)
        for member, drafts in by_member.items():
            d.set_draft_count(doc, member, len(drafts))

    await ctx.room.apply_server_change(start)
    return {"drafting": True}


async def drafts_reveal(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    if not d.is_drafting(ctx.room.doc):
        raise ApiError(409, "not_drafting", "Silent brainstorming is not running.")
    services = ctx.services
    settings = services.settings
    by_member = await _member_drafts(ctx)
    now = time.time() * 1000.0

    def reveal(doc: Doc[Any]) -> d.Placement:
        placement = d.place_drafts(
            doc,
            by_member,
            key=settings.secret or "",
            board_id=ctx.board_id,
            now_ms=now,
            item=f.current_item(doc),
            max_notes=settings.max_notes_per_board,
            origin_y=d.lowest_note_y(doc),
        )
        d.set_drafting(doc, False)
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


def register_draft_commands() -> None:
    register("drafts.start", FACILITATOR, drafts_start)
    register("drafts.reveal", FACILITATOR, drafts_reveal)
