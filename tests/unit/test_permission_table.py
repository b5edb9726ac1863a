"""The README's permission table and the guard's table (crdt/permissions.py) say the same."""

from __future__ import annotations

import re
from pathlib import Path

from crdt.permissions import BOARD_RULES
from crdt.schema import NOTE_FIELDS, ROOTS

README = Path(__file__).resolve().parents[2] / "README.md"


def readme_rows() -> dict[str, list[str]]:
    text = README.read_text()
    start = text.index("| what | facilitator | participant | viewer |")
    rows: dict[str, list[str]] = {}
    for line in text[start:].splitlines()[2:]:
        if not line.startswith("|"):
            break
        cells = [c.strip() for c in line.strip("|").split("|")]
        rows[cells[0]] = cells[1:]
    return rows


def roots_in(cell: str) -> set[str]:
    return set(re.findall(r"`([a-z]+)`", cell))


def test_every_root_is_in_the_code_table_and_nothing_else() -> None:
    assert set(BOARD_RULES) == set(ROOTS)


def test_the_readme_rows_match_the_code() -> None:
    rows = readme_rows()
    by_writers: dict[str, set[str]] = {}
    for root, rule in BOARD_RULES.items():
        by_writers.setdefault(rule.writers, set()).add(root)

    facilitator_row = next(k for k in rows if roots_in(k) == by_writers["facilitator"])
    assert rows[facilitator_row] == ["write", "—", "—"]
    server_row = next(k for k in rows if roots_in(k) == by_writers["server"])
    assert rows[server_row] == ["only through commands", "only through commands", "—"]
    assert all(
        not BOARD_RULES[r].lockable for r in by_writers["facilitator"] | by_writers["server"]
    )

    members = by_writers["members"]
    assert members == {"notes", "groups", "actions"}
    assert all(BOARD_RULES[r].lockable for r in members)

    create = rows["create a note (author must be oneself)"]
    note = BOARD_RULES["notes"].entry
    assert note is not None
    assert note.author_field == "author"
    assert create == ["yes", "yes, unless locked", "—"]

    edit = rows["edit text or color of, or delete, a note"]
    assert note.owner_fields == {"text", "color"}
    assert edit == ["any", "own notes, unless locked", "—"]

    move_row = next(k for k in rows if k.startswith("move or regroup a note"))
    assert roots_in(move_row) == members - {"notes"}
    moves = set(NOTE_FIELDS) - note.owner_fields - note.fixed_fields
    assert moves == {"x", "y", "group", "item"}
    assert rows[move_row] == ["yes", "yes, unless locked", "—"]
