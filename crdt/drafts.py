"""Silent brainstorming: taking a member's private drafts and laying them out on the board.

Drafts live in a private doc per member (same `notes` schema) until the facilitator reveals.
A revealed draft gets a fresh note id, derived from a server key, the writer and the draft
(`reveal_id`): a client can neither choose nor predict it, so a draft can never overwrite an
existing note (ballots and results are keyed by note id), and a reveal that runs twice (a
double click, two instances) computes the same ids and skips those already on the board.
Only validated fields are written, and the board's note limit holds: drafts that do not fit
stay in their writer's private doc and are reported.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field
from typing import Any

from pycrdt import Doc, Map, Text

from crdt import schema

NOTE_W = 220.0
NOTE_H = 160.0
COLUMNS = 5


@dataclass(frozen=True)
class Draft:
    note_id: str  # the key in the private doc
    text: str
    color: str
    created_at: float


@dataclass
class Placement:
    """What a reveal did: placed drafts, and per member those it left in the private doc."""

    placed: dict[str, list[str]] = field(default_factory=dict)  # member -> draft ids placed
    already: dict[str, list[str]] = field(default_factory=dict)  # member -> revealed before
    left: dict[str, int] = field(default_factory=dict)  # member -> drafts that did not fit

    @property
    def placed_count(self) -> int:
        return sum(len(ids) for ids in self.placed.values())

    @property
    def left_count(self) -> int:
        return sum(self.left.values())


def count_drafts(doc: Doc[Any]) -> int:
    return len(doc.get("notes", type=Map))


def read_drafts(doc: Doc[Any], max_text: int) -> list[Draft]:
    """Every well-formed draft of a private doc, oldest first, as the board may show it."""
    notes: Map[Any] = doc.get("notes", type=Map)
    drafts = []
    for note_id, note in notes.items():
        if not isinstance(note, Map) or not schema.is_id(note_id):
            continue
        text = note.get("text")
        color = note.get("color")
        created = note.get("created_at")
        drafts.append(
            Draft(
                note_id=note_id,
                text=str(text)[:max_text] if isinstance(text, Text | str) else "",
                color=color if isinstance(color, str) and schema.is_color(color) else "yellow",
                created_at=float(created) if isinstance(created, int | float) else 0.0,
            )
        )
    drafts.sort(key=lambda d: (d.created_at, d.note_id))
    return drafts


def drafts_beyond(doc: Doc[Any], cap: int) -> list[str]:
    """The ids past a member's draft cap: malformed entries first, then the newest drafts."""
    notes: Map[Any] = doc.get("notes", type=Map)
    if len(notes) <= cap:
        return []
    kept = [draft.note_id for draft in read_drafts(doc, 0)][:cap]
    keep = set(kept)
    return sorted(set(notes.keys()) - keep)


def remove_drafts(doc: Doc[Any], note_ids: list[str]) -> None:
    """Empty the private doc of the drafts that reached the board, in the caller's transaction."""
    notes: Map[Any] = doc.get("notes", type=Map)
    for note_id in note_ids:
        if note_id in notes:
            del notes[note_id]


def reveal_id(key: str, board_id: str, member: str, draft: Draft) -> str:
    """The board id of a revealed draft: keyed, so no client can aim it at an existing note."""
    message = f"{board_id}\x00{member}\x00{draft.note_id}\x00{draft.created_at!r}".encode()
    digest = hmac.new(key.encode(), message, hashlib.sha256).hexdigest()
    return "r" + digest[:31]


def _fair_order(drafts_by_member: dict[str, list[Draft]]) -> list[tuple[str, int, Draft]]:
    """Round robin over members, so a short board gets some drafts of everyone."""
    order = []
    longest = max((len(d) for d in drafts_by_member.values()), default=0)
    for index in range(longest):
        for member in sorted(drafts_by_member):
            drafts = drafts_by_member[member]
            if index < len(drafts):
                order.append((member, index, drafts[index]))
    return order


def place_drafts(
    doc: Doc[Any],
    drafts_by_member: dict[str, list[Draft]],
    *,
    key: str,
    board_id: str,
    now_ms: float,
    item: str | None,
    max_notes: int,
    origin_x: float = 0.0,
    origin_y: float = 0.0,
) -> Placement:
    """Add drafts to the board's notes under fresh ids, up to the note limit.

    Layout: one row band per member, a grid inside it.
    """
    notes: Map[Any] = doc.get("notes", type=Map)
    result = Placement()
    room = max(0, max_notes - len(notes))
    chosen: dict[str, list[tuple[str, Draft]]] = {}
    for member, _, draft in _fair_order(drafts_by_member):
        note_id = reveal_id(key, board_id, member, draft)
        if note_id in notes:
            result.already.setdefault(member, []).append(draft.note_id)
        elif room > 0:
            room -= 1
            chosen.setdefault(member, []).append((note_id, draft))
        else:
            result.left[member] = result.left.get(member, 0) + 1
    band_y = origin_y
    for member in sorted(chosen):
        placed = chosen[member]
        for index, (note_id, draft) in enumerate(placed):
            column, row = index % COLUMNS, index // COLUMNS
            notes[note_id] = Map(
                {
                    "text": Text(draft.text),
                    "x": origin_x + column * NOTE_W,
                    "y": band_y + row * NOTE_H,
                    "color": draft.color,
                    "author": member,
                    "created_at": now_ms,
                    "group": None,
                    "item": item,
                }
            )
            result.placed.setdefault(member, []).append(draft.note_id)
        rows = (len(placed) + COLUMNS - 1) // COLUMNS
        band_y += rows * NOTE_H + 40.0
    return result


def lowest_note_y(doc: Doc[Any]) -> float:
    """Where free space starts below the existing notes (so revealed notes do not pile up)."""
    bottom = 0.0
    for note in doc.get("notes", type=Map).values():
        if isinstance(note, Map):
            y = note.get("y")
            if isinstance(y, int | float):
                bottom = max(bottom, float(y) + NOTE_H + 40.0)
    return bottom


def set_drafting(doc: Doc[Any], drafting: bool) -> None:
    session: Map[Any] = doc.get("session", type=Map)
    if session.get("drafting") is not drafting:
        session["drafting"] = drafting
    if not drafting and "drafts" in session:
        del session["drafts"]
    if drafting and not isinstance(session.get("drafts"), Map):
        # Created once, here: two instances creating it concurrently would each make their
        # own Map under the same key, and only one of them (with its counts) would survive.
        session["drafts"] = Map()


def is_drafting(doc: Doc[Any]) -> bool:
    session: Map[Any] = doc.get("session", type=Map)
    return session.get("drafting") is True


def set_draft_count(doc: Doc[Any], participant_id: str, count: int) -> None:
    """Show a member's number of drafts; only while drafting (leftovers wait for the next)."""
    session: Map[Any] = doc.get("session", type=Map)
    if session.get("drafting") is not True:
        return
    counts = session.get("drafts")
    if not isinstance(counts, Map):
        session["drafts"] = counts = Map()
    assert isinstance(counts, Map)
    if count <= 0:
        if participant_id in counts:
            del counts[participant_id]
    elif counts.get(participant_id) != count:
        counts[participant_id] = count
