"""Helpers that write lawful board content from a client's doc, like a Yjs UI would."""

from __future__ import annotations

import asyncio
import secrets
import time

from pycrdt import Doc, Map, Text


def add_note(doc: Doc, note_id: str, author: str, text: str = "idea", x: float = 0.0) -> None:
    notes = doc.get("notes", type=Map)
    notes[note_id] = Map(
        {
            "text": Text(text),
            "x": x,
            "y": 0.0,
            "color": "yellow",
            "author": author,
            "created_at": time.time() * 1000,
            "group": None,
            "item": None,
        }
    )


async def stream_big_edits(
    doc: Doc, note_id: str, author: str, count: int, *, pause_every: int, pause: float
) -> None:
    """A new note, then `count` incompressible edits of 1.5 KB to its text, each one lawful
    update (insert and trim in one transaction: the note stays under the text limit), paced by
    a pause every `pause_every` edits (to stay under the sender's message rate)."""
    add_note(doc, note_id, author, "")
    text = doc.get("notes", type=Map)[note_id]["text"]
    assert isinstance(text, Text)
    for i in range(count):
        with doc.transaction():
            text.insert(0, f"{i:04d}" + secrets.token_hex(750))
            del text[1500:]
        if i % pause_every == 0:
            await asyncio.sleep(pause)


def add_group(
    doc: Doc,
    group_id: str,
    *,
    title: str,
    x: float,
    y: float,
    w: float = 480.0,
    h: float = 320.0,
    color: str = "gray",
) -> None:
    doc.get("groups", type=Map)[group_id] = Map(
        {"title": title, "x": x, "y": y, "w": w, "h": h, "color": color}
    )


def add_action(
    doc: Doc,
    action_id: str,
    *,
    text: str,
    owner: str | None = None,
    due: str | None = None,
    note: str | None = None,
    item: str | None = None,
    created_at: float = 0.0,
) -> None:
    doc.get("actions", type=Map)[action_id] = Map(
        {
            "text": Text(text),
            "owner": owner,
            "due": due,
            "status": "open",
            "note": note,
            "item": item,
            "created_at": float(created_at),
        }
    )


def add_decision(
    doc: Doc, decision_id: str, *, text: str, item: str | None, created_at: float
) -> None:
    doc.get("decisions", type=Map)[decision_id] = Map(
        {"text": text, "item": item, "created_at": float(created_at)}
    )


def note_texts(doc: Doc) -> dict[str, str]:
    notes = doc.get("notes", type=Map)
    return {key: str(value["text"]) for key, value in notes.items()}


def state_vector(doc: Doc) -> dict[int, int]:
    """The doc's state vector as a dict: its encoding's order of clients is not stable."""
    data, pos = doc.get_state(), 0

    def var_uint() -> int:
        nonlocal pos
        value, shift = 0, 0
        while True:
            byte = data[pos]
            pos += 1
            value |= (byte & 0x7F) << shift
            shift += 7
            if byte < 0x80:
                return value

    return {var_uint(): var_uint() for _ in range(var_uint())}
