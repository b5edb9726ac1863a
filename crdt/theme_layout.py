"""Accepting suggested themes and merging duplicates on the board document: pure, no I/O.

Accepting creates one group per theme below everything on the board and moves the theme's
notes into it on a grid, so no group overlaps another or existing content. Merging keeps one
note, appends what the others said that it did not, and names every author in the text (the
note schema has one `author` field: the first note's author stays its owner).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from pycrdt import Doc, Map, Text

from crdt.errors import ApiError
from crdt.schema import MAX_TITLE

NOTE_W = 200.0  # the web client's note size (web/src/board/notes.js)
NOTE_H = 140.0
GAP = 20.0
PAD = 24.0
HEAD = 48.0  # the group's title bar
GROUPS_PER_ROW = 4
MAX_THEMES = 50
GROUP_COLORS = ("blue", "green", "orange", "purple", "pink", "yellow", "gray")


@dataclass(frozen=True)
class AcceptedTheme:
    title: str
    note_ids: list[str]


def _notes(doc: Doc[Any]) -> Map[Any]:
    notes: Map[Any] = doc.get("notes", type=Map)
    return notes


def _num(value: Any, default: float = 0.0) -> float:
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        return float(value)
    return default


def check_themes(doc: Doc[Any], themes: list[AcceptedTheme]) -> None:
    """422 for bad titles, unknown notes, or a note in two themes: before anything changes."""
    if not themes:
        raise ApiError(422, "invalid", "`themes` must list at least one theme.")
    if len(themes) > MAX_THEMES:
        raise ApiError(422, "invalid", f"At most {MAX_THEMES} themes at once.")
    seen: set[str] = set()
    notes = _notes(doc)
    for theme in themes:
        if not theme.title.strip() or len(theme.title) > MAX_TITLE:
            raise ApiError(
                422, "invalid", f"Each theme needs a title of 1 to {MAX_TITLE} characters."
            )
        if not theme.note_ids:
            raise ApiError(422, "invalid", "Each theme needs at least one note.")
        for note_id in theme.note_ids:
            if note_id in seen:
                raise ApiError(422, "invalid", f"Note {note_id} is in two themes.")
            if not isinstance(notes.get(note_id), Map):
                raise ApiError(404, "note_not_found", f"No note {note_id} on this board.")
            seen.add(note_id)


def _content_bottom(doc: Doc[Any], moving: set[str]) -> tuple[float, float]:
    """Left edge and bottom of what stays put (groups, and notes not being moved)."""
    left, bottom, found = math.inf, -math.inf, False
    for key, note in _notes(doc).items():
        if key in moving or not isinstance(note, Map):
            continue
        left = min(left, _num(note.get("x")))
        bottom = max(bottom, _num(note.get("y")) + NOTE_H)
        found = True
    for group in doc.get("groups", type=Map).values():
        if isinstance(group, Map):
            left = min(left, _num(group.get("x")))
            bottom = max(bottom, _num(group.get("y")) + _num(group.get("h"), 320.0))
            found = True
    return (left, bottom + 80.0) if found else (0.0, 0.0)


def group_size(count: int) -> tuple[float, float, int]:
    """Width, height and columns of a group holding `count` notes in a near-square grid."""
    columns = max(1, min(4, math.ceil(math.sqrt(count))))
    rows = max(1, math.ceil(count / columns))
    width = PAD * 2 + columns * NOTE_W + (columns - 1) * GAP
    height = HEAD + PAD + rows * NOTE_H + (rows - 1) * GAP
    return width, height, columns


def accept_themes(
    doc: Doc[Any], themes: list[AcceptedTheme], group_ids: list[str]
) -> list[dict[str, Any]]:
    """Create the groups and move their notes (the caller's one transaction)."""
    check_themes(doc, themes)
    moving = {n for t in themes for n in t.note_ids}
    left, top = _content_bottom(doc, moving)
    groups: Map[Any] = doc.get("groups", type=Map)
    notes = _notes(doc)
    created = []
    x, y, row_height = left, top, 0.0
    for index, (theme, group_id) in enumerate(zip(themes, group_ids, strict=True)):
        if index and index % GROUPS_PER_ROW == 0:
            x, y, row_height = left, y + row_height + GAP * 2, 0.0
        width, height, columns = group_size(len(theme.note_ids))
        groups[group_id] = Map(
            {
                "title": theme.title.strip(),
                "x": x,
                "y": y,
                "w": width,
                "h": height,
                "color": GROUP_COLORS[index % len(GROUP_COLORS)],
            }
        )
        for slot, note_id in enumerate(theme.note_ids):
            note = notes[note_id]
            note["x"] = x + PAD + (slot % columns) * (NOTE_W + GAP)
            note["y"] = y + HEAD + (slot // columns) * (NOTE_H + GAP)
            note["group"] = group_id
        created.append({"id": group_id, "title": theme.title.strip(), "note_ids": theme.note_ids})
        x += width + GAP * 2
        row_height = max(row_height, height)
    return created


def _words(text: str) -> str:
    return " ".join(re.findall(r"\w+", text.lower()))


def merged_text(
    doc: Doc[Any], note_ids: list[str], names: dict[str, str], max_text: int
) -> tuple[str, list[str]]:
    """The kept note's new text and every author (ids), or a ApiError: changes nothing."""
    if len(note_ids) < 2 or len(set(note_ids)) != len(note_ids):
        raise ApiError(422, "invalid", "`note_ids` must name two or more different notes.")
    notes = _notes(doc)
    entries = []
    for note_id in note_ids:
        note = notes.get(note_id)
        if not isinstance(note, Map):
            raise ApiError(404, "note_not_found", f"No note {note_id} on this board.")
        entries.append(note)
    texts = [str(e.get("text", "")) for e in entries]
    authors: list[str] = []
    for entry in entries:
        author = entry.get("author")
        if isinstance(author, str) and author not in authors:
            authors.append(author)
    merged = texts[0].rstrip()
    said = {_words(texts[0])}
    for text in texts[1:]:
        if _words(text) not in said and text.strip():
            merged += "\n+ " + text.strip()
            said.add(_words(text))
    if len(authors) > 1:
        merged += "\n— " + ", ".join(names.get(a, a) for a in authors)
    if len(merged) > max_text:
        raise ApiError(422, "too_long", f"The merged note would exceed {max_text} characters.")
    return merged, authors


def merge_notes(
    doc: Doc[Any], note_ids: list[str], names: dict[str, str], max_text: int
) -> dict[str, Any]:
    """Fold `note_ids[1:]` into `note_ids[0]`; returns the kept id, removed ids and authors."""
    merged, authors = merged_text(doc, note_ids, names, max_text)
    notes = _notes(doc)
    keep = notes[note_ids[0]]
    body = keep.get("text")
    if isinstance(body, Text):
        if str(body) != merged:
            del body[0 : len(body)]
            body.insert(0, merged)
    else:
        keep["text"] = Text(merged)
    for note_id in note_ids[1:]:
        del notes[note_id]
    return {"kept": note_ids[0], "removed": note_ids[1:], "authors": authors}


def merge_results(doc: Doc[Any], keep: str, removed: list[str]) -> None:
    """Revealed (or live) tallies in `results`: the removed notes' counts go to the kept one."""
    results: Map[Any] = doc.get("results", type=Map)
    for round_results in results.values():
        if not isinstance(round_results, Map):
            continue
        moved = sum(int(_num(round_results.get(n))) for n in removed if n in round_results)
        for note_id in removed:
            if note_id in round_results:
                del round_results[note_id]
        if moved:
            round_results[keep] = int(_num(round_results.get(keep))) + moved
