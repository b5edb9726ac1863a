"""`POST /api/boards/{id}/commands` and `GET votes/me`: facilitation and voting over HTTP.

The server applies each command to the board's document (origin "server"), so its effect
reaches every client, on every instance, through ordinary sync. Roles are checked against the
board's current roster, not the token's role claim: a demoted facilitator loses the right at once.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from pycrdt import Doc
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from crdt import facilitation
from crdt.errors import ApiError
from server.auth import Claims
from server.httputil import bearer_claims, board_id_of, read_json, services_of
from server.room import Room
from server.services import Services
from server.voting import on_existing_notes, refund_gone_notes

FACILITATOR = frozenset({"facilitator"})
MEMBERS = frozenset({"facilitator", "participant"})
# Ballots are secret, and the audit log is exported: ballots never go into it.
NO_AUDIT = frozenset({"vote", "unvote", "estimate"})


@dataclass
class Context:
    services: Services
    room: Room
    board_id: str
    claims: Claims
    role: str

    @property
    def participant_id(self) -> str:
        return self.claims.participant_id


Handler = Callable[[Context, dict[str, Any]], Awaitable[dict[str, Any]]]


# -- field parsing (422 with a message that names the field)
def _int(body: dict[str, Any], name: str, default: int | None, lo: int, hi: int) -> int:
    value = body.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or value != int(value):
        raise ApiError(422, "invalid", f"`{name}` must be a whole number.")
    if not lo <= value <= hi:
        raise ApiError(422, "invalid", f"`{name}` must be between {lo} and {hi}.")
    return int(value)


def _number(body: dict[str, Any], name: str, default: float, lo: float, hi: float) -> float:
    value = body.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or value != value:
        raise ApiError(422, "invalid", f"`{name}` must be a number.")
    if not lo <= value <= hi:
        raise ApiError(422, "invalid", f"`{name}` must be between {lo} and {hi}.")
    return float(value)


def _bool(body: dict[str, Any], name: str, default: bool) -> bool:
    value = body.get(name, default)
    if not isinstance(value, bool):
        raise ApiError(422, "invalid", f"`{name}` must be true or false.")
    return value


def _id(body: dict[str, Any], name: str, *, required: bool = True) -> str | None:
    value = body.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not 0 < len(value) <= 64:
        raise ApiError(422, "invalid", f"`{name}` must be an id (a string of 1 to 64 characters).")
    return value


def _now_ms() -> float:
    return time.time() * 1000.0


async def _change(ctx: Context, change: Callable[[Doc[Any]], dict[str, Any]]) -> dict[str, Any]:
    return await ctx.room.apply_server_change(change)


# -- facilitation
async def lock(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    return await _change(ctx, lambda doc: facilitation.set_locked(doc, True))


async def unlock(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    return await _change(ctx, lambda doc: facilitation.set_locked(doc, False))


async def agenda_next(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    start = _bool(body, "start_timer", True)
    return await _change(ctx, lambda doc: facilitation.agenda_step(doc, 1, _now_ms(), start))


async def agenda_prev(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    start = _bool(body, "start_timer", True)
    return await _change(ctx, lambda doc: facilitation.agenda_step(doc, -1, _now_ms(), start))


async def agenda_goto(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    item = _id(body, "item")
    assert item is not None
    start = _bool(body, "start_timer", True)
    return await _change(ctx, lambda doc: facilitation.agenda_goto(doc, item, _now_ms(), start))


async def timer_start(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    if "seconds" not in body:
        raise ApiError(422, "invalid", "`seconds` is required.")
    seconds = _number(body, "seconds", 0, -1e12, 1e12)
    return await _change(ctx, lambda doc: facilitation.timer_start(doc, seconds, _now_ms()))


async def timer_pause(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    return await _change(ctx, lambda doc: facilitation.timer_pause(doc, _now_ms()))


async def timer_resume(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    return await _change(ctx, lambda doc: facilitation.timer_resume(doc, _now_ms()))


async def timer_reset(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    return await _change(ctx, lambda doc: facilitation.timer_reset(doc, _now_ms()))


async def timer_add(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    if "seconds" not in body:
        raise ApiError(422, "invalid", "`seconds` is required.")
    seconds = _number(body, "seconds", 0, -1e12, 1e12)
    return await _change(ctx, lambda doc: facilitation.timer_add(doc, seconds))


async def role_set(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    pid = _id(body, "participant_id")
    role = body.get("role")
    if not isinstance(role, str):
        raise ApiError(422, "invalid", "`role` must be facilitator, participant or viewer.")
    assert pid is not None
    return await _change(ctx, lambda doc: facilitation.set_role(doc, pid, role))


async def ready(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    return await _change(
        ctx, lambda doc: facilitation.set_flag(doc, "ready", ctx.participant_id, True)
    )


async def unready(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    return await _change(
        ctx, lambda doc: facilitation.set_flag(doc, "ready", ctx.participant_id, None)
    )


async def hand_raise(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    return await _change(
        ctx, lambda doc: facilitation.set_flag(doc, "hands", ctx.participant_id, _now_ms())
    )


async def hand_lower(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    return await _change(
        ctx, lambda doc: facilitation.set_flag(doc, "hands", ctx.participant_id, None)
    )


async def summon(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    x = _number(body, "x", 0.0, -1e7, 1e7)
    y = _number(body, "y", 0.0, -1e7, 1e7)
    zoom = _number(body, "zoom", 1.0, 0.05, 20.0)
    return await _change(ctx, lambda doc: facilitation.summon(doc, ctx.participant_id, x, y, zoom))


# -- voting
def _state_dict(state: facilitation.VotingState) -> dict[str, Any]:
    return {
        "round": state.round,
        "status": state.status,
        "budget": state.budget,
        "max_per_note": state.max_per_note,
        "secret": state.secret,
        "scope": state.scope,
        "done": state.done,
    }


async def voting_start(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    kind = body.get("kind", "dots")
    if kind == "estimate":
        from server.estimation import estimation_start  # estimation builds on this module

        return await estimation_start(ctx, body)
    if kind != "dots":
        raise ApiError(422, "invalid", "`kind` must be dots or estimate.")
    budget = _int(body, "budget", 5, 1, 100)
    cap = _int(body, "max_per_note", budget, 1, 100)
    if cap > budget:
        raise ApiError(422, "invalid", "`max_per_note` cannot exceed `budget`.")
    secret = _bool(body, "secret", True)
    scope = _id(body, "scope", required=False)
    return await _change(
        ctx,
        lambda doc: {
            "voting": _state_dict(facilitation.voting_start(doc, budget, cap, secret, scope))
        },
    )


async def voting_close(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    state = facilitation.voting_state(ctx.room.doc)
    if state is not None and state.kind == "estimate":
        from server.estimation import estimation_close

        return await estimation_close(ctx, state)
    return await _change(ctx, lambda doc: {"voting": _state_dict(facilitation.voting_close(doc))})


async def voting_reveal(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    state = facilitation.voting_state(ctx.room.doc)
    if state is None:
        raise ApiError(409, "no_round", "No voting round to reveal.")
    if state.kind == "estimate":
        from server.estimation import estimation_reveal

        return await estimation_reveal(ctx, state)
    tally = await ctx.services.store.tally(ctx.board_id, state.round)

    def reveal(doc: Doc[Any]) -> dict[str, Any]:
        counted = on_existing_notes(doc, tally)  # a secret round keeps dots of deleted notes
        new_state = facilitation.voting_reveal(doc, counted)
        return {"voting": _state_dict(new_state), "ranking": facilitation.ranking(counted, doc)}

    return await _change(ctx, reveal)


def _open_round(ctx: Context) -> facilitation.VotingState:
    state = facilitation.voting_state(ctx.room.doc)
    if state is None or state.status != "open":
        raise ApiError(409, "voting_closed", "No voting round is open.")
    if state.kind != "dots":
        raise ApiError(409, "wrong_kind", "The open round is an estimation: use `estimate`.")
    return state


async def _publish_progress(ctx: Context, state: facilitation.VotingState, note_id: str) -> None:
    """After a ballot: the public "n done" figure, and live tallies only in open rounds."""
    store = ctx.services.store
    done = await store.voters_done(ctx.board_id, state.round, state.budget)
    count = None
    if not state.secret:
        count = (await store.tally(ctx.board_id, state.round)).get(note_id, 0)

    def publish(doc: Doc[Any]) -> dict[str, Any]:
        facilitation.set_voting_done(doc, done)
        if count is not None:
            facilitation.set_open_tally(doc, state.round, note_id, count)
        return {}

    await ctx.room.apply_server_change(publish)


async def vote(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    note_id = _id(body, "note_id")
    assert note_id is not None
    state = _open_round(ctx)
    if not facilitation.note_exists(ctx.room.doc, note_id):
        raise ApiError(404, "note_not_found", "No such note.")
    if state.scope is not None and facilitation.note_item(ctx.room.doc, note_id) != state.scope:
        raise ApiError(409, "out_of_scope", "This round only takes notes of its agenda item.")
    store = ctx.services.store
    await refund_gone_notes(store, ctx.room.doc, ctx.board_id, state.round, ctx.participant_id)
    result = await store.cast_vote(
        ctx.board_id, state.round, ctx.participant_id, note_id, state.budget, state.max_per_note
    )
    if result.status == "budget":
        raise ApiError(409, "no_dots_left", f"All {state.budget} dots are used.")
    if result.status == "cap":
        raise ApiError(
            409, "note_cap", f"At most {state.max_per_note} dots per note in this round."
        )
    current = facilitation.voting_state(ctx.room.doc)
    if current is None or current.round != state.round or current.status != "open":
        # The round closed while the ballot was in flight: take it back.
        await store.remove_vote(ctx.board_id, state.round, ctx.participant_id, note_id)
        raise ApiError(409, "voting_closed", "The voting round closed.")
    await _publish_progress(ctx, state, note_id)
    return {
        "round": state.round,
        "used": result.used,
        "left": state.budget - result.used,
        "on_note": result.on_note,
    }


async def unvote(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    note_id = _id(body, "note_id")
    assert note_id is not None
    state = _open_round(ctx)
    store = ctx.services.store
    gone = await refund_gone_notes(
        store, ctx.room.doc, ctx.board_id, state.round, ctx.participant_id
    )
    if note_id not in gone and not await store.remove_vote(
        ctx.board_id, state.round, ctx.participant_id, note_id
    ):
        raise ApiError(409, "no_dot", "You have no dot on this note.")
    await _publish_progress(ctx, state, note_id)
    ballots = await store.ballots(ctx.board_id, state.round, ctx.participant_id)
    used = sum(ballots.values())
    return {"round": state.round, "used": used, "left": state.budget - used}


COMMANDS: dict[str, tuple[frozenset[str], Handler]] = {
    "lock": (FACILITATOR, lock),
    "unlock": (FACILITATOR, unlock),
    "agenda.next": (FACILITATOR, agenda_next),
    "agenda.prev": (FACILITATOR, agenda_prev),
    "agenda.goto": (FACILITATOR, agenda_goto),
    "timer.start": (FACILITATOR, timer_start),
    "timer.pause": (FACILITATOR, timer_pause),
    "timer.resume": (FACILITATOR, timer_resume),
    "timer.reset": (FACILITATOR, timer_reset),
    "timer.add": (FACILITATOR, timer_add),
    "voting.start": (FACILITATOR, voting_start),
    "voting.close": (FACILITATOR, voting_close),
    "voting.reveal": (FACILITATOR, voting_reveal),
    "role.set": (FACILITATOR, role_set),
    "summon": (FACILITATOR, summon),
    "vote": (MEMBERS, vote),
    "unvote": (MEMBERS, unvote),
    "ready": (MEMBERS, ready),
    "unready": (MEMBERS, unready),
    "hand.raise": (MEMBERS, hand_raise),
    "hand.lower": (MEMBERS, hand_lower),
}


def register(name: str, roles: frozenset[str], handler: Handler) -> None:
    """Other modules (drafts) add their commands here."""
    COMMANDS[name] = (roles, handler)


async def run_command(request: Request) -> Response:
    services = services_of(request)
    board_id = board_id_of(request)
    claims = bearer_claims(request, board_id)
    assert claims is not None
    body = await read_json(request, services.settings.max_json_body)
    result = await execute_command(services, board_id, claims, body)
    return JSONResponse({"ok": True, **result})


async def execute_command(
    services: Services, board_id: str, claims: Claims, body: dict[str, Any]
) -> dict[str, Any]:
    """Check the role against the roster, run the command, audit it: the one way in for HTTP
    and MCP alike. Raises ApiError."""
    kind = body.get("type")
    if not isinstance(kind, str) or kind not in COMMANDS:
        known = ", ".join(sorted(COMMANDS))
        raise ApiError(422, "unknown_command", f"`type` must be one of: {known}.")
    roles, handler = COMMANDS[kind]
    if await services.store.get_board(board_id) is None:
        raise ApiError(404, "board_not_found", "No such board.")
    async with services.rooms.using(board_id) as room:
        role = facilitation.current_role(room.doc, claims.participant_id, claims.role)
        if role not in roles:
            services.metrics.commands.labels(kind, "forbidden").inc()
            raise ApiError(403, "forbidden", f"A {role} may not `{kind}`.")
        ctx = Context(services, room, board_id, claims, role)
        try:
            result = await handler(ctx, body)
        except ApiError as exc:
            services.metrics.commands.labels(kind, str(exc.status)).inc()
            raise
        services.metrics.commands.labels(kind, "ok").inc()
        if kind not in NO_AUDIT:
            args = {k: v for k, v in body.items() if k != "type"}
            await services.store.append_audit(
                board_id,
                {"actor": claims.participant_id, "name": claims.name, "type": kind, "args": args},
            )
        if services.outbox is not None:
            await services.outbox.after_command(room, board_id, kind, result)
    return result


async def my_votes(request: Request) -> Response:
    services = services_of(request)
    board_id = board_id_of(request)
    claims = bearer_claims(request, board_id)
    assert claims is not None
    if await services.store.get_board(board_id) is None:
        raise ApiError(404, "board_not_found", "No such board.")
    async with services.rooms.using(board_id) as room:
        state = facilitation.voting_state(room.doc)
    if state is None:
        return JSONResponse({"round": None, "status": None, "ballots": {}, "used": 0, "left": 0})
    if state.kind == "estimate":
        mine = await services.store.my_estimates(board_id, state.round, claims.participant_id)
        return JSONResponse(
            {
                "round": state.round,
                "status": state.status,
                "kind": state.kind,
                "scale": list(state.scale),
                "estimates": mine,
                "ballots": {},
                "used": 0,
                "left": 0,
            }
        )
    ballots = await services.store.ballots(board_id, state.round, claims.participant_id)
    async with services.rooms.using(board_id) as room:
        ballots = on_existing_notes(room.doc, ballots)  # dots on deleted notes are free again
    used = sum(ballots.values())
    return JSONResponse(
        {
            "round": state.round,
            "status": state.status,
            "budget": state.budget,
            "max_per_note": state.max_per_note,
            "secret": state.secret,
            "ballots": ballots,
            "used": used,
            "left": max(0, state.budget - used),
        }
    )


def command_routes() -> list[BaseRoute]:
    return [
        Route("/api/boards/{board_id}/commands", run_command, methods=["POST"]),
        Route("/api/boards/{board_id}/votes/me", my_votes, methods=["GET"]),
    ]
