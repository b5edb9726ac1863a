"""A board that exercises every branch of the export: groups, rounds, estimates, odd entries.

Deterministic (no clocks, no random ids), so its export can be compared with golden files.
"""

from __future__ import annotations

import json
from typing import Any

from pycrdt import Array, Doc, Map, Text

from crdt import export

AUDIT = [{"at": "2026-01-05T10:00:00+00:00", "actor": "fay", "action": "lock"}]
GENERATED_AT_MS = 1_767_607_200_000.0


def _note(text: str, author: str, created_at: float | None, **fields: Any) -> Map[Any]:
    entry: dict[str, Any] = {
        "text": Text(text),
        "x": 0.0,
        "y": 0.0,
        "color": "yellow",
        "author": author,
        "group": None,
        "item": None,
        **fields,
    }
    if created_at is not None:
        entry["created_at"] = created_at
    return Map(entry)


def rich_board() -> Doc[Any]:
    doc: Doc[Any] = Doc()
    meta = doc.get("meta", type=Map)
    meta.update(
        {
            "title": "Q3 planning | <b>bold</b>",
            "objective": "Pick [three](https://evil.example) bets",
            "template": "quarterly",
            "created_at": 1_767_600_000_000.0,
            "follow_up_of": "earlier-board",
            "follow_ups": ["next-board", 42, "odd id!"],
        }
    )
    participants = doc.get("participants", type=Map)
    participants["fay"] = Map({"name": "Fay", "role": "facilitator", "joined_at": 1.0})
    participants["ana"] = Map({"name": "Ana", "role": "participant", "joined_at": 2.0})
    participants["bob"] = Map({"name": "Bob", "role": "viewer", "joined_at": 3.0})
    agenda = doc.get("agenda", type=Array)
    agenda.append(Map({"id": "i1", "title": "Ideas", "minutes": 10, "kind": "brainstorm"}))
    agenda.append(Map({"id": "i2", "title": "Vote", "minutes": 5.5, "kind": "vote"}))
    agenda.append(Map({"id": "i3", "title": "Wrap-up", "minutes": None, "kind": "discuss"}))
    agenda.append("stray")
    groups = doc.get("groups", type=Map)
    groups["g1"] = Map({"title": "Risks", "x": 0.0, "y": 0.0, "w": 100.0, "h": 100.0})
    groups["g2"] = Map({"title": "Wins", "x": 0.0, "y": 0.0, "w": 100.0, "h": 100.0})
    notes = doc.get("notes", type=Map)
    notes["n1"] = _note("Ship = fast", "ana", 1000.0, group="g1", item="i1")
    notes["n2"] = _note("Hire\nsomeone [now]", "fay", 500.0, group="g1", item="i1")
    notes["n3"] = _note("Estimate me", "ana", 2000.0, item="i2", estimate="5")
    notes["n4"] = _note("Orphan of a gone item", "bob", 3000.0, item="gone")
    notes["n5"] = _note("In a missing group", "ghost", None, group="nowhere")
    notes["n6"] = _note("", "ana", 1500.0, group="g2", item="i1")
    notes["n7"] = _note("-1+1 =cmd|' /C calc'!A0", "ana", 4000.0, item="i3")
    session = doc.get("session", type=Map)
    session.update(
        {
            "current_item": "i2",
            "voting": Map({"round": 2, "status": "open", "secret": False, "budget": 3}),
            "rounds": Map({"1": Map({"secret": True})}),
        }
    )
    results = doc.get("results", type=Map)
    results["1"] = Map({"n1": 3, "n2": 1, "n3": 1, "n6": 0})
    results["2"] = Map({"n1": 1, "n4": 2, "n5": 2, "bad": "x"})
    results["3"] = Map(
        {
            "n3": Map(
                {
                    "distribution": Map({"3": 2, "?": "x"}),  # one card: a Map's order varies
                    "count": 2,
                    "median": "3",
                    "discuss": "discuss: 3 to 5",
                }
            ),
            "n9": Map({"distribution": None, "count": None, "median": 3}),
            "n4": 7,
        }
    )
    results["later"] = Map({"n1": 9})
    actions = doc.get("actions", type=Map)
    actions["a1"] = Map(
        {
            "text": Text('Write the plan, "now"'),
            "owner": "ana",
            "due": "2026-02-01",
            "status": "open",
            "note": "n1",
            "item": "i1",
            "created_at": 2.0,
        }
    )
    actions["a2"] = Map({"text": "=SUM(A1)", "owner": None, "due": None, "status": "done"})
    actions["a3"] = Map(
        {"text": "Ghost's job", "owner": "ghost", "due": "", "status": "open", "created_at": 1.0}
    )
    actions["a4"] = "not an action"
    decisions = doc.get("decisions", type=Map)
    decisions["d1"] = Map(
        {
            "text": "Go <now>",
            "item": "i2",
            "created_at": 5.0,
            "rationale": "It | wins",
            "notes": ["n1", "nope", 7],
            "round": 1,
        }
    )
    decisions["d2"] = Map({"text": "Later", "item": None, "created_at": 3.0})
    decisions["d3"] = "not a decision"
    return doc


def rendered(doc: Doc[Any]) -> dict[str, str]:
    """Every output of the export for `doc`, as the API renders it (file name -> text)."""
    data = export.build_export(
        doc, board_id="board-1", audit=AUDIT, generated_at_ms=GENERATED_AT_MS
    )
    return {
        "export.json": json.dumps(data, indent=2, ensure_ascii=False) + "\n",
        "export.md": export.to_markdown(data),
        "export-actions.csv": export.actions_csv(data),
        "export-results.csv": export.results_csv(data, None),
        "export-results-1.csv": export.results_csv(data, 1),
    }
