"""Estimation rounds (planning poker) as pure changes to the board document (no I/O).

An estimation round lives in `session.voting` like a dot round, with `kind: "estimate"` and its
`scale` (the cards, in order). Ballots stay in the store until the reveal, which writes per note
the distribution (card -> count), the median card and the spread to `results[round]`. The
facilitator then records the agreed card on the note itself (`notes[id].estimate`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pycrdt import Doc, Map

from crdt import facilitation
from crdt.errors import ApiError
from crdt.schema import agenda_items

UNSURE = "?"
SCALES: dict[str, tuple[str, ...]] = {
    "fibonacci": ("0", "1", "2", "3", "5", "8", "13", "21", "34", "55", "89", UNSURE),
    "tshirt": ("XS", "S", "M", "L", "XL", "XXL", UNSURE),
    "powers": ("0", "1", "2", "4", "8", "16", "32", "64", UNSURE),
}
MAX_CARDS = 20
MAX_CARD_LENGTH = 16
MAX_ROUND_NOTES = 500
# The spread is wide ("discuss") when the lowest and highest cards are this many steps apart.
WIDE_SPREAD_STEPS = 3


def parse_scale(value: Any) -> tuple[str, tuple[str, ...]]:
    """A scale name or a custom list of cards -> (name, cards); ApiError(422) otherwise."""
    if value is None:
        value = "fibonacci"
    if isinstance(value, str):
        if value not in SCALES:
            names = ", ".join(SCALES)
            raise ApiError(422, "invalid", f"`scale` must be one of {names} or a list.")
        return value, SCALES[value]
    if not isinstance(value, list) or not 2 <= len(value) <= MAX_CARDS:
        raise ApiError(422, "invalid", f"A custom `scale` is a list of 2 to {MAX_CARDS} cards.")
    cards: list[str] = []
    for card in value:
        if isinstance(card, bool) or not isinstance(card, str | int | float):
            raise ApiError(422, "invalid", "Each card of `scale` is a string or a number.")
        text = card_text(card)
        if not 0 < len(text) <= MAX_CARD_LENGTH:
            raise ApiError(
                422, "invalid", f"Each card of `scale` has 1 to {MAX_CARD_LENGTH} characters."
            )
        if text in cards:
            raise ApiError(422, "invalid", f"The card {text!r} appears twice in `scale`.")
        cards.append(text)
    return "custom", tuple(cards)


def card_text(value: Any) -> str:
    """5, 5.0 and "5" are the same card; 0.5 stays "0.5"."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def card_on_scale(value: Any, scale: tuple[str, ...]) -> str:
    """The card for a ballot's value; ApiError(422) for anything off the scale."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ApiError(422, "invalid", "`value` must be a card of the round's scale.")
    text = card_text(value)
    if text not in scale:
        raise ApiError(
            422, "off_scale", f"`value` must be one of the round's cards: {', '.join(scale)}."
        )
    return text


@dataclass(frozen=True)
class NoteSummary:
    distribution: dict[str, int]
    count: int
    median: str | None
    low: str | None
    high: str | None
    discuss: str | None  # "discuss: 3 to 13" when the spread is wide


def summarize(values: list[str], scale: tuple[str, ...]) -> NoteSummary:
    """Distribution, median card and spread of one note's ballots ("?" counts, never ranks).

    The median is a card of the scale: the middle one in scale order, the higher of the two
    middle ones for an even count (an estimate that rounds up is the safer one).
    """
    distribution: dict[str, int] = {}
    for v in values:
        distribution[v] = distribution.get(v, 0) + 1
    ranked = sorted(scale.index(v) for v in values if v in scale and v != UNSURE)
    if not ranked:
        return NoteSummary(dict(sorted(distribution.items())), len(values), None, None, None, None)
    median = scale[ranked[len(ranked) // 2]]
    low, high = scale[ranked[0]], scale[ranked[-1]]
    wide = ranked[-1] - ranked[0] >= WIDE_SPREAD_STEPS
    ordered = dict(sorted(distribution.items(), key=lambda kv: _position(kv[0], scale)))
    return NoteSummary(
        ordered, len(values), median, low, high, f"discuss: {low} to {high}" if wide else None
    )


def _position(card: str, scale: tuple[str, ...]) -> int:
    return scale.index(card) if card in scale else len(scale)


def estimation_start(
    doc: Doc[Any],
    scale_name: str,
    scale: tuple[str, ...],
    scope: str | None,
    note_ids: list[str] | None,
) -> facilitation.VotingState:
    """Open a secret estimation round (the next round number, after any dot rounds)."""
    current = facilitation.voting_state(doc)
    if current is not None and current.status == "open":
        raise ApiError(409, "voting_open", "A voting round is already open.")
    if scope is not None and scope not in {i.get("id") for i in agenda_items(doc)}:
        raise ApiError(404, "item_not_found", "`scope` names no agenda item.")
    if note_ids is not None:
        missing = [n for n in note_ids if not facilitation.note_exists(doc, n)]
        if missing:
            raise ApiError(404, "note_not_found", f"No such note: {missing[0]}.")
    round_no = (current.round if current else 0) + 1
    facilitation._session(doc)["voting"] = Map(
        {
            "round": round_no,
            "status": "open",
            "kind": "estimate",
            "scale_name": scale_name,
            "scale": list(scale),
            "notes": note_ids,
            "budget": 0,
            "max_per_note": 0,
            "secret": True,
            "scope": scope,
            "done": 0,
        }
    )
    state = facilitation.voting_state(doc)
    assert state is not None
    return state


def eligible_notes(doc: Doc[Any], state: facilitation.VotingState) -> list[str]:
    """The notes this round estimates: its list, else its agenda item's notes, else all."""
    notes = doc.get("notes", type=Map)
    if state.notes is not None:
        return [n for n in state.notes if isinstance(notes.get(n), Map)]
    return [
        n
        for n in notes
        if isinstance(notes.get(n), Map)
        and (state.scope is None or facilitation.note_item(doc, n) == state.scope)
    ]


def note_in_round(doc: Doc[Any], state: facilitation.VotingState, note_id: str) -> None:
    if not facilitation.note_exists(doc, note_id):
        raise ApiError(404, "note_not_found", "No such note.")
    if state.notes is not None and note_id not in state.notes:
        raise ApiError(409, "out_of_scope", "This round does not estimate this note.")
    if state.scope is not None and facilitation.note_item(doc, note_id) != state.scope:
        raise ApiError(409, "out_of_scope", "This round only takes notes of its agenda item.")


def members_done(
    doc: Doc[Any], state: facilitation.VotingState, ballots: dict[str, dict[str, str]]
) -> int:
    """How many members have estimated every note of the round (the public "n done")."""
    wanted = set(eligible_notes(doc, state))
    if not wanted:
        return 0
    return sum(1 for mine in ballots.values() if wanted <= set(mine))


def estimation_reveal(
    doc: Doc[Any], state: facilitation.VotingState, ballots: dict[str, dict[str, str]]
) -> dict[str, NoteSummary]:
    """Mark the round revealed and write each existing note's summary to `results[round]`."""
    per_note: dict[str, list[str]] = {}
    for mine in ballots.values():
        for note_id, value in mine.items():
            per_note.setdefault(note_id, []).append(value)
    summaries = {
        note_id: summarize(values, state.scale)
        for note_id, values in sorted(per_note.items())
        if facilitation.note_exists(doc, note_id)
    }
    facilitation._sub_map(facilitation._session(doc), "voting")["status"] = "revealed"
    doc.get("results", type=Map)[str(state.round)] = Map(
        {
            note_id: Map(
                {
                    "distribution": Map(s.distribution),
                    "count": s.count,
                    "median": s.median,
                    "low": s.low,
                    "high": s.high,
                    "discuss": s.discuss,
                }
            )
            for note_id, s in summaries.items()
        }
    )
    return summaries


def agree(doc: Doc[Any], note_id: str, value: str | None) -> dict[str, Any]:
    """Record (or clear, with None) the agreed estimate on the note (server-written field)."""
    note = doc.get("notes", type=Map).get(note_id)
    if not isinstance(note, Map):
        raise ApiError(404, "note_not_found", "No such note.")
    if value is None:
        if "estimate" in note:
            del note["estimate"]
    elif note.get("estimate") != value:
        note["estimate"] = value
    return {"note_id": note_id, "estimate": value}


def latest_scale(doc: Doc[Any]) -> tuple[str, ...] | None:
    state = facilitation.voting_state(doc)
    return state.scale if state is not None and state.kind == "estimate" else None


def summary_dict(s: NoteSummary) -> dict[str, Any]:
    return {
        "distribution": s.distribution,
        "count": s.count,
        "median": s.median,
        "low": s.low,
        "high": s.high,
        "discuss": s.discuss,
    }
