"""Facilitation commands as pure changes to the board document (no I/O).

Each function runs inside the caller's transaction (origin "server"), checks the state it
needs, and raises ApiError with the HTTP status the API should answer (404, 409, 422).
Commands are idempotent where they can be: locking a locked board leaves it locked.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pycrdt import Doc, Map

from crdt.errors import ApiError
from crdt.schema import ROLES, agenda_items

MAX_TIMER_SECONDS = 24 * 3600


def _session(doc: Doc[Any]) -> Map[Any]:
    session: Map[Any] = doc.get("session", type=Map)
    return session


def _participants(doc: Doc[Any]) -> Map[Any]:
    participants: Map[Any] = doc.get("participants", type=Map)
    return participants


def _sub_map(parent: Map[Any], key: str) -> Map[Any]:
    """The nested Map at key, created if missing (or if a client left something else there)."""
    value = parent.get(key)
    if not isinstance(value, Map):
        parent[key] = Map()
        value = parent[key]
    assert isinstance(value, Map)
    return value


# -- lock
def set_locked(doc: Doc[Any], locked: bool) -> dict[str, Any]:
    session = _session(doc)
    if session.get("locked") is not locked:
        session["locked"] = locked
    return {"locked": locked}


def is_locked(doc: Doc[Any]) -> bool:
    return _session(doc).get("locked") is True


# -- agenda
def current_item(doc: Doc[Any]) -> str | None:
    value = _session(doc).get("current_item")
    return value if isinstance(value, str) else None


def _go_to_index(doc: Doc[Any], index: int, now_ms: float, start_timer: bool) -> dict[str, Any]:
    items = agenda_items(doc)
    item = items[index]
    session = _session(doc)
    _record_elapsed(doc, now_ms)  # the time spent on the item we leave (or restart) is kept
    if session.get("current_item") != item["id"]:
        session["current_item"] = item["id"]
        _sub_map(session, "ready").clear()  # "I'm done" belongs to one item
    minutes = item.get("minutes")
    if start_timer and isinstance(minutes, int | float) and minutes > 0:
        # Coming back to an item resumes its timebox where it was left (possibly over time).
        spent = item_elapsed(doc, item["id"])
        _start_timer(session, float(minutes) * 60_000 - spent, now_ms, item["id"], spent)
    return {"current_item": item["id"], "index": index}


def _current_index(doc: Doc[Any]) -> int | None:
    current = current_item(doc)
    for index, item in enumerate(agenda_items(doc)):
        if item.get("id") == current:
            return index
    return None


def agenda_step(doc: Doc[Any], step: int, now_ms: float, start_timer: bool) -> dict[str, Any]:
    items = agenda_items(doc)
    if not items:
        raise ApiError(409, "no_agenda", "The agenda is empty.")
    index = _current_index(doc)
    target = 0 if index is None else index + step
    if target < 0:
        raise ApiError(409, "agenda_start", "Already at the first agenda item.")
    if target >= len(items):
        raise ApiError(409, "agenda_end", "Already at the last agenda item.")
    return _go_to_index(doc, target, now_ms, start_timer)


def agenda_goto(doc: Doc[Any], item_id: str, now_ms: float, start_timer: bool) -> dict[str, Any]:
    for index, item in enumerate(agenda_items(doc)):
        if item.get("id") == item_id:
            return _go_to_index(doc, index, now_ms, start_timer)
    raise ApiError(404, "item_not_found", "No agenda item with this id.")


# -- timer
# A timer belongs to the agenda item that was current when it started (`item`); `base_ms` is the
# time already spent on that item before this timer, `spent_ms` the time this timer ran before
# its last resume. So the time spent on an item survives going back and forth: `session.elapsed`
# (item id -> ms) is updated whenever the item is left or its timer replaced or reset.
MAX_ADD_SECONDS = 3600


def _start_timer(
    session: Map[Any], duration_ms: float, now_ms: float, item: str | None, base_ms: float = 0.0
) -> None:
    session["timer"] = Map(
        {
            "started_at": now_ms,
            "duration_ms": duration_ms,
            "remaining_ms": None,
            "item": item,
            "base_ms": base_ms,
            "spent_ms": 0.0,
        }
    )


def _timer(doc: Doc[Any]) -> Map[Any] | None:
    value = _session(doc).get("timer")
    return value if isinstance(value, Map) else None


def _num(value: Any) -> float:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0.0


def _timer_used_ms(timer: Map[Any], now_ms: float) -> float:
    """How long this timer has run (pauses excluded)."""
    duration = _num(timer.get("duration_ms"))
    started = timer.get("started_at")
    if isinstance(started, int | float):
        remaining = duration - (now_ms - float(started))
    else:
        remaining = _num(timer.get("remaining_ms"))
    return max(0.0, _num(timer.get("spent_ms")) + duration - remaining)


def item_elapsed(doc: Doc[Any], item_id: str) -> float:
    """Time spent on an agenda item so far (recorded; the running timer not included)."""
    elapsed = _session(doc).get("elapsed")
    return _num(elapsed.get(item_id)) if isinstance(elapsed, Map) else 0.0


def _record_elapsed(doc: Doc[Any], now_ms: float) -> None:
    """Write the current timer's item's time spent to `session.elapsed`."""
    timer = _timer(doc)
    if timer is None or not isinstance(timer.get("item"), str):
        return
    item = str(timer["item"])
    total = round(_num(timer.get("base_ms")) + _timer_used_ms(timer, now_ms))
    elapsed = _sub_map(_session(doc), "elapsed")
    if elapsed.get(item) != total:
        elapsed[item] = total


def timer_start(doc: Doc[Any], seconds: float, now_ms: float) -> dict[str, Any]:
    if not 1 <= seconds <= MAX_TIMER_SECONDS:
        raise ApiError(422, "invalid", f"`seconds` must be between 1 and {MAX_TIMER_SECONDS}.")
    _record_elapsed(doc, now_ms)
    item = current_item(doc)
    base = item_elapsed(doc, item) if item else 0.0
    _start_timer(_session(doc), seconds * 1000.0, now_ms, item, base)
    return {"timer": timer_state(doc)}


def timer_pause(doc: Doc[Any], now_ms: float) -> dict[str, Any]:
    timer = _timer(doc)
    if timer is None or timer.get("started_at") is None:
        raise ApiError(409, "timer_not_running", "No running timer to pause.")
    elapsed = now_ms - float(timer["started_at"])
    remaining = float(timer["duration_ms"]) - elapsed
    timer["remaining_ms"] = remaining if remaining < 0 else max(0.0, remaining)
    timer["started_at"] = None
    return {"timer": timer_state(doc)}


def timer_resume(doc: Doc[Any], now_ms: float) -> dict[str, Any]:
    timer = _timer(doc)
    if timer is None or timer.get("remaining_ms") is None:
        raise ApiError(409, "timer_not_paused", "The timer is not paused.")
    timer["spent_ms"] = (
        _num(timer.get("spent_ms")) + _num(timer.get("duration_ms")) - float(timer["remaining_ms"])
    )
    timer["duration_ms"] = float(timer["remaining_ms"])
    timer["started_at"] = now_ms
    timer["remaining_ms"] = None
    return {"timer": timer_state(doc)}


def timer_add(doc: Doc[Any], seconds: float) -> dict[str, Any]:
    """+1 / +5 min: more time on the running or paused timer (the item's plan stays the same,
    so the session's overrun stays honest)."""
    if not 1 <= seconds <= MAX_ADD_SECONDS:
        raise ApiError(422, "invalid", f"`seconds` must be between 1 and {MAX_ADD_SECONDS}.")
    timer = _timer(doc)
    if timer is None:
        raise ApiError(409, "no_timer", "No timer to add time to.")
    timer["duration_ms"] = _num(timer.get("duration_ms")) + seconds * 1000.0
    if timer.get("remaining_ms") is not None:
        timer["remaining_ms"] = _num(timer.get("remaining_ms")) + seconds * 1000.0
    return {"timer": timer_state(doc)}


def timer_reset(doc: Doc[Any], now_ms: float | None = None) -> dict[str, Any]:
    if now_ms is not None:
        _record_elapsed(doc, now_ms)
    session = _session(doc)
    if "timer" in session:
        del session["timer"]
    return {"timer": None}


def timer_state(doc: Doc[Any]) -> dict[str, Any] | None:
    timer = _timer(doc)
    return None if timer is None else timer.to_py()


# -- roles and presence signals
def role_of(doc: Doc[Any], participant_id: str) -> str | None:
    entry = _participants(doc).get(participant_id)
    if isinstance(entry, Map):
        role = entry.get("role")
        return role if isinstance(role, str) else None
    return None


def current_role(doc: Doc[Any], participant_id: str, token_role: str) -> str:
    """The roster's role wins over the token's: roles change during a session, tokens do not."""
    return role_of(doc, participant_id) or token_role


def set_role(doc: Doc[Any], participant_id: str, role: str) -> dict[str, Any]:
    if role not in ROLES:
        raise ApiError(422, "invalid", f"`role` must be one of {', '.join(ROLES)}.")
    entry = _participants(doc).get(participant_id)
    if not isinstance(entry, Map):
        raise ApiError(404, "participant_not_found", "No such participant on this board.")
    if entry.get("role") == "facilitator" and role != "facilitator":
        facilitators = [
            pid
            for pid, e in _participants(doc).items()
            if isinstance(e, Map) and e.get("role") == "facilitator"
        ]
        if len(facilitators) <= 1:
            raise ApiError(409, "last_facilitator", "A board keeps at least one facilitator.")
    if entry.get("role") != role:
        entry["role"] = role
    return {"participant_id": participant_id, "role": role}


def set_flag(doc: Doc[Any], key: str, participant_id: str, value: Any | None) -> dict[str, Any]:
    """ready / hands: a per-member entry, present or absent (idempotent both ways)."""
    flags = _sub_map(_session(doc), key)
    if value is None:
        if participant_id in flags:
            del flags[participant_id]
    elif participant_id not in flags:
        flags[participant_id] = value
    return {key: sorted(flags.keys())}


def summon(doc: Doc[Any], by: str, x: float, y: float, zoom: float) -> dict[str, Any]:
    session = _session(doc)
    previous = session.get("summon")
    counter = 0
    if isinstance(previous, Map) and isinstance(previous.get("counter"), int | float):
        counter = int(previous["counter"])
    session["summon"] = Map({"x": x, "y": y, "zoom": zoom, "by": by, "counter": counter + 1})
    return {"counter": counter + 1}


# -- voting
@dataclass(frozen=True)
class VotingState:
    round: int
    status: str
    budget: int
    max_per_note: int
    secret: bool
    scope: str | None
    done: int
    kind: str = "dots"  # or "estimate" (crdt.estimation); absent from dot rounds' map
    scale: tuple[str, ...] = ()
    notes: tuple[str, ...] | None = None


def voting_state(doc: Doc[Any]) -> VotingState | None:
    value = _session(doc).get("voting")
    if not isinstance(value, Map):
        return None
    data = value.to_py() or {}
    return VotingState(
        round=int(data.get("round", 0)),
        status=str(data.get("status", "closed")),
        budget=int(data.get("budget", 0)),
        max_per_note=int(data.get("max_per_note", 0)),
        secret=bool(data.get("secret", True)),
        scope=data.get("scope") if isinstance(data.get("scope"), str) else None,
        done=int(data.get("done", 0)),
        kind="estimate" if data.get("kind") == "estimate" else "dots",
        scale=tuple(str(c) for c in data.get("scale") or ()),
        notes=tuple(str(n) for n in data["notes"]) if isinstance(data.get("notes"), list) else None,
    )


def voting_start(
    doc: Doc[Any], budget: int, max_per_note: int, secret: bool, scope: str | None
) -> VotingState:
    current = voting_state(doc)
    if current is not None and current.status == "open":
        raise ApiError(409, "voting_open", "A voting round is already open.")
    if scope is not None and scope not in {i.get("id") for i in agenda_items(doc)}:
        raise ApiError(404, "item_not_found", "`scope` names no agenda item.")
    round_no = (current.round if current else 0) + 1
    _session(doc)["voting"] = Map(
        {
            "round": round_no,
            "status": "open",
            "budget": budget,
            "max_per_note": max_per_note,
            "secret": secret,
            "scope": scope,
            "done": 0,
        }
    )
    # Each round's settings outlive the round, so that exports still say round 1 was secret
    # after round 2 started (`session.voting` holds only the latest round).
    _sub_map(_session(doc), "rounds")[str(round_no)] = Map(
        {"secret": secret, "budget": budget, "max_per_note": max_per_note}
    )
    if not secret:
        doc.get("results", type=Map)[str(round_no)] = Map()
    state = voting_state(doc)
    assert state is not None
    return state


def voting_close(doc: Doc[Any]) -> VotingState:
    state = voting_state(doc)
    if state is None:
        raise ApiError(409, "no_round", "No voting round to close.")
    if state.status == "open":
        _sub_map(_session(doc), "voting")["status"] = "closed"
    new_state = voting_state(doc)
    assert new_state is not None
    return new_state


def voting_reveal(doc: Doc[Any], tally: dict[str, int]) -> VotingState:
    """Close if open, then write the round's tallies to `results` for everyone to see."""
    state = voting_state(doc)
    if state is None:
        raise ApiError(409, "no_round", "No voting round to reveal.")
    voting = _sub_map(_session(doc), "voting")
    voting["status"] = "revealed"
    doc.get("results", type=Map)[str(state.round)] = Map(
        {note: count for note, count in sorted(tally.items())}
    )
    new_state = voting_state(doc)
    assert new_state is not None
    return new_state


def set_voting_done(doc: Doc[Any], done: int) -> None:
    voting = _session(doc).get("voting")
    if isinstance(voting, Map) and voting.get("done") != done:
        voting["done"] = done


def set_open_tally(doc: Doc[Any], round_no: int, note_id: str, count: int) -> None:
    """Open rounds show live tallies; secret rounds never call this before reveal."""
    results = doc.get("results", type=Map)
    round_results = _sub_map(results, str(round_no))
    if count > 0:
        round_results[note_id] = count
    elif note_id in round_results:
        del round_results[note_id]


def note_exists(doc: Doc[Any], note_id: str) -> bool:
    return isinstance(doc.get("notes", type=Map).get(note_id), Map)


def note_item(doc: Doc[Any], note_id: str) -> str | None:
    note = doc.get("notes", type=Map).get(note_id)
    if isinstance(note, Map):
        item = note.get("item")
        return item if isinstance(item, str) else None
    return None


def ranking(tally: dict[str, int], doc: Doc[Any]) -> list[dict[str, Any]]:
    """Most votes first; ties broken by the note's creation time, then id: deterministic."""
    notes = doc.get("notes", type=Map)

    def created(note_id: str) -> float:
        note = notes.get(note_id)
        if isinstance(note, Map) and isinstance(note.get("created_at"), int | float):
            return float(note["created_at"])
        return float("inf")

    ordered = sorted(tally.items(), key=lambda kv: (-kv[1], created(kv[0]), kv[0]))
    out = []
    rank = 0
    previous: int | None = None
    for position, (note_id, count) in enumerate(ordered, start=1):
        if count != previous:
            rank = position
            previous = count
        note = notes.get(note_id)
        text = str(note.get("text", "")) if isinstance(note, Map) else ""
        out.append({"rank": rank, "note_id": note_id, "votes": count, "text": text})
    return out
