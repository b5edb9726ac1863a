"""Helpers that write lawful board content from a client's doc, like a Yjs UI would."""

from __future__ import annotations

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


def note_texts(doc: Doc) -> dict[str, str]:
    notes = doc.get("notes", type=Map)
    return {key: str(value["text"]) for key, value in notes.items()}
