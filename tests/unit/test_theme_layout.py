"""Accepting themes lays groups out without overlap; merging keeps authors and tallies."""

from __future__ import annotations

import pytest
from pycrdt import Doc, Map

from crdt.errors import ApiError
from crdt.schema import BoardDoc
from crdt.theme_layout import AcceptedTheme, accept_themes, merge_notes, merge_results
from tests.boards import add_group


def _box(entry: dict[str, float], w: float = 200.0, h: float = 140.0) -> tuple[float, ...]:
    return (entry["x"], entry["y"], entry.get("w", w), entry.get("h", h))


def _overlap(a: tuple[float, ...], b: tuple[float, ...]) -> bool:
    return not (
        a[0] + a[2] <= b[0] or b[0] + b[2] <= a[0] or a[1] + a[3] <= b[1] or b[1] + b[3] <= a[1]
    )


def test_new_groups_clear_existing_content_and_each_other() -> None:
    doc: Doc = Doc()
    board = BoardDoc(doc)
    add_group(doc, "old", title="Existing", x=100, y=100, w=600, h=900)
    for i in range(30):
        board.add_note(f"n{i}", author="a", text=f"idea {i}", x=i * 37.0, y=(i % 5) * 90.0)
    themes = [AcceptedTheme(f"T{k}", [f"n{i}" for i in range(k * 5, k * 5 + 5)]) for k in range(5)]
    with doc.transaction():
        created = accept_themes(doc, themes, [f"g{k}" for k in range(5)])
    assert [c["id"] for c in created] == ["g0", "g1", "g2", "g3", "g4"]
    groups = doc.get("groups", type=Map).to_py() or {}
    notes = doc.get("notes", type=Map).to_py() or {}
    boxes = {k: _box(v) for k, v in groups.items()}
    for a in boxes:
        for b in boxes:
            if a < b:
                assert not _overlap(boxes[a], boxes[b]), (a, b)
    for note in notes.values():
        if note["group"] is None:  # left where it was: under no new group
            assert not any(_overlap(_box(note), boxes[g]) for g in boxes if g != "old")
        else:
            assert _box(note)[0] >= boxes[note["group"]][0]


def test_merge_names_authors_and_adds_tallies() -> None:
    doc: Doc = Doc()
    board = BoardDoc(doc)
    board.add_note("a", author="p1", text="Ship the beta")
    board.add_note("b", author="p2", text="ship the beta!")
    board.add_note("c", author="p3", text="Ship the beta in May")
    doc.get("results", type=Map)["1"] = Map({"a": 2, "b": 1, "c": 3})
    with doc.transaction():
        out = merge_notes(doc, ["a", "b", "c"], {"p1": "Ana", "p2": "Bo"}, 2000)
        merge_results(doc, "a", ["b", "c"])
    assert out == {"kept": "a", "removed": ["b", "c"], "authors": ["p1", "p2", "p3"]}
    assert str(doc.get("notes", type=Map)["a"]["text"]) == (
        "Ship the beta\n+ Ship the beta in May\n— Ana, Bo, p3"
    )
    assert doc.get("results", type=Map)["1"].to_py() == {"a": 6}
    with pytest.raises(ApiError):
        merge_notes(doc, ["a", "a"], {}, 2000)
