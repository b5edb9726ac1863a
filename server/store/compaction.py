"""Folding a snapshot and a log into one update: CPU work, run off the event loop."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pycrdt import Doc


def fold_updates(snapshot: bytes | None, updates: Iterable[bytes]) -> bytes:
    """Integrate into a fresh doc and re-encode: unlike merge_updates this drops deleted content."""
    doc: Doc[Any] = Doc()
    if snapshot:
        doc.apply_update(snapshot)
    for update in updates:
        doc.apply_update(update)
    return doc.get_update()
