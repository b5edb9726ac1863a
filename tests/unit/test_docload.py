"""crdt/docload.py: a doc rebuilt from a snapshot and the log after it, fresh or into a live doc."""

from __future__ import annotations

from typing import Any

from pycrdt import Doc, Map

from crdt.docload import doc_from_log


def history() -> tuple[bytes, list[bytes], dict[str, Any]]:
    """A snapshot of the first edits, the updates made after it, and the final content."""
    doc: Doc[Any] = Doc()
    root = doc.get("m", type=Map)
    root["a"] = 1
    root["b"] = 2
    snapshot = doc.get_update()
    updates: list[bytes] = []
    doc.observe(lambda event: updates.append(event.update))
    root["a"] = 10
    del root["b"]
    root["c"] = 3
    return snapshot, updates, root.to_py() or {}


def test_a_fresh_doc_from_snapshot_and_log() -> None:
    snapshot, updates, expected = history()
    assert doc_from_log(snapshot, updates).get("m", type=Map).to_py() == expected
    assert doc_from_log(None, [snapshot, *updates]).get("m", type=Map).to_py() == expected
    assert doc_from_log(snapshot, []).get("m", type=Map).to_py() == {"a": 1, "b": 2}
    assert doc_from_log(None, []).get_update() == Doc().get_update()  # nothing at all


def test_into_a_live_doc_in_the_callers_transaction() -> None:
    snapshot, updates, expected = history()
    live: Doc[Any] = Doc()
    origins: list[Any] = []
    live.observe(lambda event: origins.append(event))
    with live.transaction(origin="load"):
        assert doc_from_log(snapshot, iter(updates), live) is live
    assert live.get("m", type=Map).to_py() == expected
    assert len(origins) == 1  # one transaction: observers see the load once
