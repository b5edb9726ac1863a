"""Estimation rounds over HTTP: `voting.start {kind: "estimate"}`, `estimate`, reveal, agree.

Ballots live in the store (one card per member per note, one atomic step, refused once the
store marks the round closed), never in the document; the reveal writes the summaries that
crdt.estimation computes. voting.start/close/reveal of commands_api hand estimate rounds here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pycrdt import Doc

from crdt import estimation, facilitation
from crdt.errors import ApiError
from server.features.base import FACILITATOR, MEMBERS, Command, Context, Feature


def _state_dict(state: facilitation.VotingState) -> dict[str, Any]:
    return {
        "round": state.round,
        "status": state.status,
        "kind": state.kind,
        "scale": list(state.scale),
        "notes": None if state.notes is None else list(state.notes),
        "scope": state.scope,
        "secret": True,
        "done": state.done,
    }


def _note_list(body: dict[str, Any]) -> list[str] | None:
    value = body.get("notes")
    if value is None:
        return None
    if (
        not isinstance(value, list)
        or not 0 < len(value) <= estimation.MAX_ROUND_NOTES
        or not all(isinstance(n, str) and 0 < len(n) <= 64 for n in value)
    ):
        raise ApiError(
            422, "invalid", f"`notes` must be a list of 1 to {estimation.MAX_ROUND_NOTES} note ids."
        )
    return list(dict.fromkeys(value))


async def _change(ctx: Context, change: Any) -> dict[str, Any]:
    result: dict[str, Any] = await ctx.room.apply_server_change(change)
    return result


async def estimation_start(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    scale_name, scale = estimation.parse_scale(body.get("scale"))
    scope = body.get("scope")
    if scope is not None and (not isinstance(scope, str) or not 0 < len(scope) <= 64):
        raise ApiError(422, "invalid", "`scope` must be an agenda item id.")
    notes = _note_list(body)
    return await _change(
        ctx,
        lambda doc: {
            "voting": _state_dict(estimation.estimation_start(doc, scale_name, scale, scope, notes))
        },
    )


async def estimation_close(ctx: Context, state: facilitation.VotingState) -> dict[str, Any]:
    await ctx.services.store.close_estimates(ctx.board_id, state.round)
    return await _change(ctx, lambda doc: {"voting": _state_dict(facilitation.voting_close(doc))})


async def estimation_reveal(ctx: Context, state: facilitation.VotingState) -> dict[str, Any]:
    store = ctx.services.store
    await store.close_estimates(ctx.board_id, state.round)  # no ballot lands after the count
    ballots = await store.estimate_ballots(ctx.board_id, state.round)

    def reveal(doc: Doc[Any]) -> dict[str, Any]:
        summaries = estimation.estimation_reveal(doc, state, ballots)
        new_state = facilitation.voting_state(doc)
        assert new_state is not None
        return {
            "voting": _state_dict(new_state),
            "estimates": {n: estimation.summary_dict(s) for n, s in summaries.items()},
        }

    return await _change(ctx, reveal)


async def estimate(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    """Cast, change or (value null) withdraw one's card for a note in the open round."""
    note_id = body.get("note_id")
    if not isinstance(note_id, str) or not 0 < len(note_id) <= 64:
        raise ApiError(422, "invalid", "`note_id` must be an id (a string of 1 to 64 characters).")
    state = facilitation.voting_state(ctx.room.doc)
    if state is None or state.status != "open":
        raise ApiError(409, "voting_closed", "No voting round is open.")
    if state.kind != "estimate":
        raise ApiError(409, "wrong_kind", "The open round is a dot vote: use `vote`.")
    raw = body.get("value")
    value = None if raw is None else estimation.card_on_scale(raw, state.scale)
    estimation.note_in_round(ctx.room.doc, state, note_id)
    store = ctx.services.store
    if not await store.cast_estimate(ctx.board_id, state.round, ctx.participant_id, note_id, value):
        raise ApiError(409, "voting_closed", "The estimation round closed.")
    ballots = await store.estimate_ballots(ctx.board_id, state.round)

    def publish(doc: Doc[Any]) -> dict[str, Any]:
        current = facilitation.voting_state(doc)
        if current is not None and current.round == state.round and current.status == "open":
            facilitation.set_voting_done(doc, estimation.members_done(doc, state, ballots))
        return {}

    await ctx.room.apply_server_change(publish)
    return {
        "round": state.round,
        "note_id": note_id,
        "value": value,
        "mine": ballots.get(ctx.participant_id, {}),
    }


async def estimate_agree(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    """The facilitator records the value the team agreed on, on the note (null clears it)."""
    note_id = body.get("note_id")
    if not isinstance(note_id, str) or not 0 < len(note_id) <= 64:
        raise ApiError(422, "invalid", "`note_id` must be an id (a string of 1 to 64 characters).")
    raw = body.get("value")
    value: str | None = None
    if raw is not None:
        scale = estimation.latest_scale(ctx.room.doc)
        value = estimation.card_on_scale(raw, scale) if scale else _free_card(raw)
    return await _change(ctx, lambda doc: estimation.agree(doc, note_id, value))


def _free_card(raw: Any) -> str:
    """Without an estimation round to take the scale from, any short card is accepted."""
    if isinstance(raw, bool) or not isinstance(raw, str | int | float):
        raise ApiError(422, "invalid", "`value` must be a card (a string or a number).")
    text = estimation.card_text(raw)
    if not 0 < len(text) <= estimation.MAX_CARD_LENGTH:
        raise ApiError(422, "invalid", f"`value` has 1 to {estimation.MAX_CARD_LENGTH} characters.")
    return text


class Estimation(Feature):
    """Casting and agreeing estimates; starting, closing and revealing a round go through
    `voting.start/close/reveal` (server/http/commands_api.py), which hand estimate rounds here."""

    def commands(self) -> Mapping[str, Command]:
        return {
            "estimate": Command(MEMBERS, estimate),
            "estimate.agree": Command(FACILITATOR, estimate_agree),
        }
