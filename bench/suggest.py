"""Time `groups.suggest`'s computation for N notes with the built-in back end on one core.

    .venv/bin/python bench/suggest.py [--notes 200] [--runs 5]

Pins itself to one core (and BLAS to one thread) before numpy loads, builds N planning notes
from the labelled fixture's themes with varied wording, and prints the median and worst time of
`crdt.themes.suggest` over the runs. The target is under 2 s for 200 notes.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"
if hasattr(os, "sched_setaffinity"):
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from crdt.themes import LexicalEmbedder, NoteInput, suggest  # noqa: E402
from tests.themes_fixture import NOTES  # noqa: E402

PREFIXES = ("", "We should ", "Idea: ", "Maybe ", "Please ", "Q3: ", "Customers ask to ")


def notes(count: int) -> list[NoteInput]:
    out = []
    for i in range(count):
        _, text, _ = NOTES[i % len(NOTES)]
        prefix = PREFIXES[(i // len(NOTES)) % len(PREFIXES)]
        out.append(NoteInput(f"b{i:04d}", prefix + text, author=f"p{i % 12}"))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notes", type=int, default=200)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    board = notes(args.notes)
    suggest(board[:10], LexicalEmbedder())  # warm the imports' lazy parts
    times = []
    for _ in range(args.runs):
        start = time.perf_counter()
        result = suggest(board, LexicalEmbedder())
        times.append(time.perf_counter() - start)
    print(
        f"{args.notes} notes, built-in back end, 1 core: median {statistics.median(times):.3f} s,"
        f" worst {max(times):.3f} s over {args.runs} runs"
        f" ({len(result.themes)} themes, {len(result.ungrouped)} ungrouped,"
        f" {len(result.duplicates)} duplicate sets)"
    )


if __name__ == "__main__":
    main()
