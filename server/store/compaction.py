"""Folding a snapshot and a log into one update: CPU work, run off the event loop."""

from __future__ import annotations

from collections.abc import Iterable

from crdt.docload import doc_from_log


def fold_updates(snapshot: bytes | None, updates: Iterable[bytes]) -> bytes:
    """Integrate into a fresh doc and re-encode: unlike merge_updates this drops deleted content."""
    return doc_from_log(snapshot, updates).get_update()
