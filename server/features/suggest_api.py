"""Commands `groups.suggest`, `groups.accept` and `notes.merge` (facilitator only).

`groups.suggest` reads the notes on the event loop, then computes in one worker thread (one
suggestion at a time, so a busy board cannot take both cores) under a time limit
(`PLANBOARD_SUGGEST_TIMEOUT`, seconds, default 30: the local model loads in about 20 s the first
time). It changes nothing. A configured back end that fails falls back to the built-in one, and
the answer says so (`backend`, `fallback`).
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from pycrdt import Doc, Map

from crdt import facilitation
from crdt import theme_layout as layout
from crdt.errors import ApiError
from crdt.schema import BoardDoc, participant_name
from server.features.base import FACILITATOR, Command, Context, Feature

if TYPE_CHECKING:
    from crdt.themes import NoteInput

log = logging.getLogger("planboard.suggest")
_worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="planboard-suggest")
MAX_IDS = 2000


def _timeout() -> float:
    raw = os.environ.get("PLANBOARD_SUGGEST_TIMEOUT", "")
    try:
        return float(raw) if raw else 30.0
    except ValueError:
        return 30.0


def board_notes(doc: Doc[Any]) -> list[NoteInput]:
    from crdt.themes import NoteInput

    board = BoardDoc(doc)
    out = []
    for note_id in board.note_ids():
        try:
            view = board.note(note_id)
        except KeyError:
            continue
        out.append(NoteInput(view.id, view.text, view.author, view.x, view.y, view.group))
    return out


def compute(notes: list[NoteInput]) -> dict[str, Any]:
    """Runs in the worker thread: the configured back end, else the built-in one."""
    # Imported here: scikit-learn costs a second at import, paid on first use, not at start.
    from threadpoolctl import threadpool_limits

    from crdt.themes import LexicalEmbedder, suggest
    from server.features.embeddings import EmbeddingError, choose_embedder

    with threadpool_limits(limits=1):  # one core for BLAS: the event loop keeps the other
        try:
            embedder = choose_embedder(timeout=max(1.0, _timeout() - 1.0))
            answer: dict[str, Any] = suggest(notes, embedder).to_dict()
        except EmbeddingError as exc:
            log.warning("embedding back end failed, using the built-in one: %s", exc)
            answer = suggest(notes, LexicalEmbedder()).to_dict()
            answer["fallback"] = str(exc)
    return answer


async def groups_suggest(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    notes = board_notes(ctx.room.doc)
    loop = asyncio.get_running_loop()
    try:
        return await asyncio.wait_for(
            loop.run_in_executor(_worker, compute, notes), timeout=_timeout()
        )
    except TimeoutError as exc:
        raise ApiError(
            503, "suggest_timeout", "Suggesting themes took too long; try again shortly."
        ) from exc


def _note_ids(value: Any, name: str) -> list[str]:
    if not isinstance(value, list) or not value or len(value) > MAX_IDS:
        raise ApiError(422, "invalid", f"`{name}` must be a list of note ids.")
    if not all(isinstance(v, str) and 0 < len(v) <= 64 for v in value):
        raise ApiError(422, "invalid", f"`{name}` must be a list of note ids.")
    return list(value)


def _themes(body: dict[str, Any]) -> list[layout.AcceptedTheme]:
    raw = body.get("themes")
    if not isinstance(raw, list):
        raise ApiError(422, "invalid", "`themes` must be a list of {title, note_ids}.")
    themes = []
    for entry in raw:
        if not isinstance(entry, dict) or not isinstance(entry.get("title"), str):
            raise ApiError(422, "invalid", "Each theme needs a `title` and `note_ids`.")
        themes.append(
            layout.AcceptedTheme(entry["title"], _note_ids(entry.get("note_ids"), "note_ids"))
        )
    return themes


async def groups_accept(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    themes = _themes(body)
    group_ids = [secrets.token_urlsafe(12) for _ in themes]

    def accept(doc: Doc[Any]) -> dict[str, Any]:
        return {"groups": layout.accept_themes(doc, themes, group_ids)}

    return await ctx.room.apply_server_change(accept)


async def notes_merge(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    note_ids = _note_ids(body.get("note_ids"), "note_ids")
    doc = ctx.room.doc
    participants: Map[Any] = doc.get("participants", type=Map)
    names = {pid: participant_name(doc, pid) or pid for pid in list(participants.keys())}
    max_text = ctx.services.settings.max_note_text
    # Check first (nothing changes on a bad request), move the dots, then change the board.
    layout.merged_text(doc, note_ids, names, max_text)
    state = facilitation.voting_state(doc)
    moved = 0
    if state is not None:
        for note_id in note_ids[1:]:
            moved += await ctx.services.store.move_note_votes(
                ctx.board_id, state.round, note_id, note_ids[0]
            )

    def merge(doc: Doc[Any]) -> dict[str, Any]:
        result = layout.merge_notes(doc, note_ids, names, max_text)
        layout.merge_results(doc, note_ids[0], note_ids[1:])
        return {**result, "votes_moved": moved}

    return await ctx.room.apply_server_change(merge)


class Suggestions(Feature):
    def commands(self) -> Mapping[str, Command]:
        return {
            "groups.suggest": Command(FACILITATOR, groups_suggest),
            "groups.accept": Command(FACILITATOR, groups_accept),
            "notes.merge": Command(FACILITATOR, notes_merge),
        }
