"""Silent brainstorming: taking a member's private drafts and laying them out on the board.

Drafts live in a private doc per member (same `notes` schema) until the facilitator reveals.
Revealed notes keep their draft ids, so a reveal that runs twice (a double click, two
instances) writes the same keys again instead of duplicating notes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pycrdt import Doc, Map, Text

NOTE_W = 220.0
NOTE_H = 160.0
COLUMNS = 5


@dataclass(frozen=True)
class Draft:
    note_id: str
    text: str
    color: str


def count_drafts(doc: Doc[Any]) -> int:
    return len(doc.get("notes", type=Map))


def take_drafts(doc: Doc[Any], max_text: int) -> list[Draft]:
    """Read every draft and empty the private doc, in the caller's transaction."""
    notes: Map[Any] = doc.get("notes", type=Map)
    drafts = []
    for note_id, note in sorted(notes.items()):
        if not isinstance(note, Map) or not isinstance(note_id, str) or len(note_id) > 64:
            continue
        text = note.get("text")
        color = note.get("color")
        drafts.append(
            Draft(
                note_id=note_id,
                text=str(text)[:max_text] if text is not None else "",
                color=color if isinstance(color, str) and len(color) <= 32 else "yellow",
            )
        )
    notes.clear()
    return drafts


def place_drafts(
    doc: Doc[Any],
    drafts_by_member: dict[str, list[Draft]],
    now_ms: float,
    item: str | None,
    origin_x: float = 0.0,
    origin_y: float = 0.0,
) -> int:
    """Add the drafts to the board's notes: one row band per member, a grid inside it."""
    notes: Map[Any] = doc.get("notes", type=Map)
    placed = 0
    band_y = origin_y
    for author, drafts in sorted(drafts_by_member.items()):
        for index, draft in enumerate(drafts):
            column, row = index % COLUMNS, index // COLUMNS
            notes[draft.note_id] = Map(
                {
                    "text": Text(draft.text),
                    "x": origin_x + column * NOTE_W,
                    "y": band_y + row * NOTE_H,
                    "color": draft.color,
                    "author": author,
                    "created_at": now_ms,
                    "group": None,
                    "item": item,
                }
            )
            placed += 1
        rows = (len(drafts) + COLUMNS - 1) // COLUMNS
        band_y += max(rows, 1) * NOTE_H + 40.0 if drafts else 0.0
    return placed


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
    session: Map[Any] = doc.get("session", type=Map)
    counts = session.get("drafts")
    if not isinstance(counts, Map):
        session["drafts"] = counts = Map()
    assert isinstance(counts, Map)
    if count <= 0:
        if participant_id in counts:
            del counts[participant_id]
    elif counts.get(participant_id) != count:
        counts[participant_id] = count
