"""A doc from what a store keeps: the compacted snapshot, then the log after it.

The room, the export and compaction all rebuild a doc this way; one function keeps them equal.
Pure: the caller reads the bytes from its store.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pycrdt import Doc


def doc_from_log(
    snapshot: bytes | None, updates: Iterable[bytes], into: Doc[Any] | None = None
) -> Doc[Any]:
    """`into` (a fresh doc when None) with the snapshot and then every update applied.

    A room passes its live doc, inside a transaction of its own origin.
    """
    doc: Doc[Any] = Doc() if into is None else into
    if snapshot:
        doc.apply_update(snapshot)
    for update in updates:
        doc.apply_update(update)
    return doc
