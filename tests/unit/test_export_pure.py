"""crdt/export.py in process: what each section holds, and byte-for-byte the golden outputs.

The golden files under tests/unit/golden/ were written by the export before it was split into
one builder per section; any change to them is a change of the export format.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pycrdt import Doc

from crdt import export
from tests.export_fixture import AUDIT, GENERATED_AT_MS, rendered, rich_board

GOLDEN = Path(__file__).parent / "golden"


@pytest.fixture
def data() -> dict[str, Any]:
    return export.build_export(
        rich_board(), board_id="board-1", audit=AUDIT, generated_at_ms=GENERATED_AT_MS
    )


@pytest.mark.parametrize("name", sorted(rendered(Doc())))
def test_outputs_match_the_golden_files(name: str) -> None:
    expected = (GOLDEN / name).read_bytes().decode("utf-8")
    assert rendered(rich_board())[name] == expected


@pytest.mark.parametrize("name", sorted(rendered(Doc())))
def test_an_empty_boards_outputs_match_the_golden_files(name: str) -> None:
    expected = (GOLDEN / "empty" / name).read_bytes().decode("utf-8")
    assert rendered(Doc())[name] == expected


def test_board_section(data: dict[str, Any]) -> None:
    assert data["schema"] == "planboard.export/v1"
    assert data["generated_at"] == "2026-01-05T10:00:00+00:00"
    assert data["board"] == {
        "id": "board-1",
        "title": "Q3 planning | <b>bold</b>",
        "objective": "Pick [three](https://evil.example) bets",
        "template": "quarterly",
        "created_at": "2026-01-05T08:00:00+00:00",
        "follow_up_of": "earlier-board",
        "follow_ups": ["next-board", "odd id!"],
    }
    assert data["audit"] == AUDIT


def test_participants_sorted_by_name(data: dict[str, Any]) -> None:
    assert [(p["id"], p["role"]) for p in data["participants"]] == [
        ("ana", "participant"),
        ("bob", "viewer"),
        ("fay", "facilitator"),
    ]


def test_notes_sit_under_their_item_grouped_first(data: dict[str, Any]) -> None:
    ideas, vote, wrap_up = data["agenda"]
    assert [n["id"] for n in ideas["notes"]] == ["n2", "n1", "n6"]  # Risks (oldest first), Wins
    assert ideas["notes"][0]["group_title"] == "Risks"
    assert vote["current"] is True and ideas["current"] is False
    assert vote["notes"][0]["estimate"] == "5"
    assert wrap_up["minutes"] is None
    # A note of an item that is gone, or of a group that is gone, is still exported.
    assert [n["id"] for n in data["unassigned_notes"]] == ["n5", "n4"]
    assert data["unassigned_notes"][0]["group_title"] is None


def test_votes_per_note_come_from_the_latest_round(data: dict[str, Any]) -> None:
    first = data["agenda"][0]["notes"][1]
    assert first["id"] == "n1"
    assert first["votes"] == 1  # round 2, the latest
    assert first["votes_by_round"] == {"0": 9, "1": 3, "2": 1}


def test_voting_rounds_status_and_secrecy(data: dict[str, Any]) -> None:
    rounds = {r["round"]: r for r in data["voting_rounds"]}
    assert (rounds[1]["status"], rounds[1]["secret"]) == ("revealed", True)
    assert (rounds[2]["status"], rounds[2]["secret"]) == ("open", False)
    assert rounds[0]["secret"] is None  # no settings were kept for it
    assert [(row["note_id"], row["rank"]) for row in rounds[1]["ranking"]] == [
        ("n1", 1),
        ("n2", 2),
        ("n3", 2),
        ("n6", 4),
    ]
    assert rounds[1]["group_totals"][0] == {"group": "g1", "title": "Risks", "votes": 4, "notes": 2}


def test_estimation_round(data: dict[str, Any]) -> None:
    (estimation,) = data["estimation_rounds"]
    first, odd = estimation["notes"]
    assert first == {
        "note_id": "n3",
        "text": "Estimate me",
        "distribution": {"3": 2},
        "count": 2,
        "median": "3",
        "discuss": "discuss: 3 to 5",
        "agreed": "5",
    }
    assert (odd["note_id"], odd["median"], odd["distribution"]) == ("n9", None, {})


def test_decisions_oldest_first_with_evidence(data: dict[str, Any]) -> None:
    later, go = data["decisions"]
    assert later["id"] == "d2" and later["item_title"] is None
    assert go["item_title"] == "Vote"
    assert go["evidence"] == [
        {"note_id": "n1", "text": "Ship = fast", "votes": 1},
        {"note_id": "nope", "text": "", "votes": 0},
    ]


def test_actions_warn_when_not_actionable(data: dict[str, Any]) -> None:
    by_id = {a["id"]: a for a in data["actions"]}
    assert [a["id"] for a in data["actions"]] == ["a2", "a3", "a1"]
    assert by_id["a1"]["actionable"] is True and by_id["a1"]["owner_name"] == "Ana"
    assert by_id["a2"]["warnings"] == ["no owner", "no due date"]
    assert by_id["a3"]["warnings"] == ["no due date"] and by_id["a3"]["owner_name"] == ""


def test_empty_board() -> None:
    data = export.build_export(Doc(), board_id="b", audit=[], generated_at_ms=0)
    assert data["generated_at"] is None
    assert data["agenda"] == data["voting_rounds"] == data["decisions"] == data["actions"] == []
    markdown = export.to_markdown(data)
    assert "# Untitled board" in markdown
    assert "_No revealed voting round._" in markdown
    assert "_No decisions recorded._" in markdown and "_No action items._" in markdown


def test_csv_defuses_formulas_and_quotes_delimiters(data: dict[str, Any]) -> None:
    lines = export.actions_csv(data).splitlines()
    assert lines[0] == ",".join(export.ACTION_COLUMNS)
    assert lines[1].startswith("a2,'=SUM(A1),")
    assert '"Write the plan, ""now"""' in lines[3]
