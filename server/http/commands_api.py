"""`POST /api/boards/{id}/commands` and `GET votes/me`: facilitation and voting over HTTP.

The server applies each command to the board's document (origin "server"), so its effect
reaches every client, on every instance, through ordinary sync. Roles are checked against the
board's current roster, not the token's role claim: a demoted facilitator loses the right at once.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

from pycrdt import Doc
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from crdt import facilitation
from crdt.errors import ApiError
from server.auth import Claims
from server.features.base import FACILITATOR, MEMBERS, Command, Context, Feature
from server.features.estimation import estimation_close, estimation_reveal, estimation_start
from server.features.voting import cast_dot, on_existing_notes, withdraw_dot
from server.http.httputil import bearer_claims, board_id_of, read_json, services_of
from server.services import Services

# Ballots are secret, and the audit log is exported: ballots never go into it.
NO_AUDIT = frozenset({"vote", "unvote", "estimate"})


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
        return await estimation_close(ctx, state)
    return await _change(ctx, lambda doc: {"voting": _state_dict(facilitation.voting_close(doc))})


async def voting_reveal(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    state = facilitation.voting_state(ctx.room.doc)
    if state is None:
        raise ApiError(409, "no_round", "No voting round to reveal.")
    if state.kind == "estimate":
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


async def vote(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    note_id = _id(body, "note_id")
    assert note_id is not None
    state = _open_round(ctx)
    if not facilitation.note_exists(ctx.room.doc, note_id):
        raise ApiError(404, "note_not_found", "No such note.")
    if state.scope is not None and facilitation.note_item(ctx.room.doc, note_id) != state.scope:
        raise ApiError(409, "out_of_scope", "This round only takes notes of its agenda item.")
    dot = await cast_dot(ctx.services.store, ctx.room, state, ctx.participant_id, note_id)
    if dot.status == "budget":
        raise ApiError(409, "no_dots_left", f"All {state.budget} dots are used.")
    if dot.status == "cap":
        raise ApiError(
            409, "note_cap", f"At most {state.max_per_note} dots per note in this round."
        )
    if dot.status == "closed":
        raise ApiError(409, "voting_closed", "The voting round closed.")
    return {
        "round": state.round,
        "used": dot.used,
        "left": state.budget - dot.used,
        "on_note": dot.on_note,
    }


async def unvote(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    note_id = _id(body, "note_id")
    assert note_id is not None
    state = _open_round(ctx)
    used = await withdraw_dot(ctx.services.store, ctx.room, state, ctx.participant_id, note_id)
    if used is None:
        raise ApiError(409, "no_dot", "You have no dot on this note.")
    return {"round": state.round, "used": used, "left": state.budget - used}


class Facilitation(Feature):
    """The design's commands: running the session, and dot voting."""

    def commands(self) -> Mapping[str, Command]:
        return {
            "lock": Command(FACILITATOR, lock),
            "unlock": Command(FACILITATOR, unlock),
            "agenda.next": Command(FACILITATOR, agenda_next),
            "agenda.prev": Command(FACILITATOR, agenda_prev),
            "agenda.goto": Command(FACILITATOR, agenda_goto),
            "timer.start": Command(FACILITATOR, timer_start),
            "timer.pause": Command(FACILITATOR, timer_pause),
            "timer.resume": Command(FACILITATOR, timer_resume),
            "timer.reset": Command(FACILITATOR, timer_reset),
            "timer.add": Command(FACILITATOR, timer_add),
            "voting.start": Command(FACILITATOR, voting_start),
            "voting.close": Command(FACILITATOR, voting_close),
            "voting.reveal": Command(FACILITATOR, voting_reveal),
            "role.set": Command(FACILITATOR, role_set),
            "summon": Command(FACILITATOR, summon),
            "vote": Command(MEMBERS, vote),
            "unvote": Command(MEMBERS, unvote),
            "ready": Command(MEMBERS, ready),
            "unready": Command(MEMBERS, unready),
            "hand.raise": Command(MEMBERS, hand_raise),
            "hand.lower": Command(MEMBERS, hand_lower),
        }


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
    commands = services.commands
    if not isinstance(kind, str) or kind not in commands:
        known = ", ".join(sorted(commands))
        raise ApiError(422, "unknown_command", f"`type` must be one of: {known}.")
    command = commands[kind]
    if await services.store.get_board(board_id) is None:
        raise ApiError(404, "board_not_found", "No such board.")
    async with services.rooms.using(board_id) as room:
        role = facilitation.current_role(room.doc, claims.participant_id, claims.role)
        if role not in command.roles:
            services.metrics.commands.labels(kind, "forbidden").inc()
            raise ApiError(403, "forbidden", f"A {role} may not `{kind}`.")
        ctx = Context(services, room, board_id, claims, role)
        try:
            result = await command.handler(ctx, body)
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
