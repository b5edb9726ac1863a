"""What judging and compensating one update costs, on a small and on a large board.

The guard must cost in proportion to the update, not to the board: this measures a lawful
edit, a compensated edit (another member's note) and a compensated delete on boards of
10 and 10,000 notes, in process (no network), median of many runs.

    .venv/bin/python bench/policy_cost.py
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from pycrdt import Doc, Map, Text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from crdt import yupdate
from crdt.policy import Actor, BoardGuard, DocLimits, MalformedUpdate
from crdt.schema import BoardDoc
from crdt.templates import init_board
from tests.yjs_encoder import Item, Run, encode

RUNS = 300


def board_with(notes: int) -> tuple[Doc[Any], BoardGuard]:
    doc: Doc[Any] = Doc()
    guard = BoardGuard(doc, DocLimits(max_notes=notes + 10))
    init_board(doc, title="t", objective="o", template_id="blank", created_at_ms=0.0)
    board = BoardDoc(doc)
    with doc.transaction(origin="server"):
        board.add_participant("ana", name="Ana", role="participant", joined_at=0.0)
        board.add_participant("bob", name="Bob", role="participant", joined_at=0.0)
        for i in range(notes):
            board.add_note(f"n{i}", author="bob", text=f"note {i}", x=i, y=i)
        board.add_note("mine", author="ana", text="ana's note")
    return doc, guard


def measure(doc: Doc[Any], guard: BoardGuard, kind: str) -> float:
    """Median microseconds to judge (and, when needed, compensate) one client update."""
    samples = []
    ana = Actor("ana")
    client: Doc[Any] = Doc()
    client.apply_update(doc.get_update())
    for i in range(RUNS):
        since = client.get_state()
        notes: Map[Any] = client.get("notes", type=Map)
        if kind == "lawful edit":
            text: Text = notes["mine"]["text"]
            text.insert(0, "x")
        elif kind == "compensated edit":
            text = notes["n1"]["text"]
            text.insert(0, f"hack {i}")
        else:
            del notes["n2"]
        update = client.get_update(since)
        start = time.perf_counter()
        violations = guard.apply_client_update(update, ana)
        samples.append(time.perf_counter() - start)
        assert bool(violations) == (kind != "lawful edit"), (kind, violations)
        client.apply_update(doc.get_update(client.get_state()))  # converge, as the room would
    return statistics.median(samples) * 1e6


def measure_plain(doc: Doc[Any]) -> float:
    """The same lawful edit integrated by pycrdt alone: what any server pays, guard or not."""
    plain: Doc[Any] = Doc()
    plain.apply_update(doc.get_update())
    client: Doc[Any] = Doc()
    client.apply_update(plain.get_update())
    samples = []
    for _ in range(RUNS):
        since = client.get_state()
        text: Text = client.get("notes", type=Map)["mine"]["text"]
        text.insert(0, "x")
        update = client.get_update(since)
        start = time.perf_counter()
        with plain.transaction(origin="client"):
            plain.apply_update(update)
        samples.append(time.perf_counter() - start)
    return statistics.median(samples) * 1e6


def measure_hostile(doc: Doc[Any], guard: BoardGuard, shape: str) -> tuple[int, float, str]:
    """A hostile update of about 1 MB: bytes, ms to judge or refuse it, and what happened.

    "nested": 60,000 maps each inside the last (refused while decoding: nothing is that deep);
    "flat": meta values a participant may not write, as many as fit (each one judged, all
    compensated).
    """

    run = Run(4_000_000_001, 0)
    if shape == "nested":
        parent: str | tuple[int, int] = "notes"
        sub: str | None = "deep"
        for _ in range(60_000):
            parent = run.add(Item(("type", yupdate.TYPE_MAP), parent=parent, sub=sub))
            sub = "k"
    else:
        for i in range(52_000):
            run.add(Item(("any", [i]), parent="meta", sub=f"k{i}"))
    data = encode([run])
    start = time.perf_counter()
    try:
        violations = guard.apply_client_update(data, Actor("ana"))
        outcome = f"compensated ({violations[0].rule})"
    except MalformedUpdate:
        outcome = "refused (1007)"
    elapsed = time.perf_counter() - start
    return len(data), elapsed * 1e3, outcome


def main() -> None:
    results: dict[str, dict[str, float]] = {}
    for size in (10, 10_000):
        doc, guard = board_with(size)
        results[str(size)] = {"pycrdt alone (lawful edit, no guard)": round(measure_plain(doc), 1)}
        results[str(size)].update(
            {
                kind: round(measure(doc, guard, kind), 1)
                for kind in ("lawful edit", "compensated edit", "compensated delete")
            }
        )
    for shape in ("nested", "flat"):
        size, ms, outcome = measure_hostile(*board_with(10), shape)
        results[f"hostile {shape}"] = {"bytes": size, "ms": round(ms, 1)}
        print(f"hostile update, {shape}, {size} bytes: {outcome} in {ms:.0f} ms")
    print("| update | 10 notes (µs) | 10,000 notes (µs) |")
    print("| --- | ---: | ---: |")
    for kind in results["10"]:
        print(f"| {kind} | {results['10'][kind]} | {results['10000'][kind]} |")
    out = Path(__file__).resolve().parent / "results" / "policy_cost.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
