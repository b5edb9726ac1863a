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
from server.errors import ApiError
from server.ids import drafts_doc_id
from server.room import Room
from server.rooms import RoomManager

log = logging.getLogger("planboard.drafts")


def attach_draft_counter(room: Room, rooms: RoomManager) -> None:
    """Mirror the number of a member's drafts into the board's `session.drafts`."""
    parts = room.doc_id.split("/")
    if len(parts) != 3 or parts[1] != "drafts":
        return
    board_id, member = parts[0], parts[2]
    pending: set[asyncio.Task[None]] = set()

    async def publish() -> None:
        count = d.count_drafts(room.doc)
        try:
            async with rooms.using(board_id) as board:
                await board.apply_server_change(lambda doc: d.set_draft_count(doc, member, count))
        except Exception:
            log.exception("could not publish the draft count of %s", room.doc_id)

    def on_change(_: Room) -> None:
        if pending:
            return  # one publish in flight reads the latest count when it runs
        task = asyncio.get_running_loop().create_task(publish())
        pending.add(task)
        task.add_done_callback(pending.discard)

    room.change_listeners.append(on_change)


async def drafts_start(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    await ctx.room.apply_server_change(lambda doc: d.set_drafting(doc, True))
    return {"drafting": True}


async def drafts_reveal(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    if not d.is_drafting(ctx.room.doc):
        raise ApiError(409, "not_drafting", "Silent brainstorming is not running.")
    services = ctx.services
    max_text = services.settings.max_note_text
    prefix = drafts_doc_id(ctx.board_id, "")
    by_member: dict[str, list[d.Draft]] = {}
    for doc_id in await services.store.list_docs(prefix):
        member = doc_id[len(prefix) :]
        async with services.rooms.using(doc_id) as private:
            drafts = await private.apply_server_change(lambda doc: d.take_drafts(doc, max_text))
        if drafts:
            by_member[member] = drafts
    now = time.time() * 1000.0

    def reveal(doc: Doc[Any]) -> dict[str, Any]:
        placed = d.place_drafts(
            doc, by_member, now, f.current_item(doc), origin_y=d.lowest_note_y(doc)
        )
        d.set_drafting(doc, False)
        return {"revealed": placed, "members": len(by_member)}

    return await ctx.room.apply_server_change(reveal)


def register_draft_commands() -> None:
    register("drafts.start", FACILITATOR, drafts_start)
    register("drafts.reveal", FACILITATOR, drafts_reveal)
