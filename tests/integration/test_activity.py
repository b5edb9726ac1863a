"""A board's last activity follows its edits (the store's `touch_board`, through a feature), so
that `planboard boards` lists recently used boards first, with when they were last used."""

from __future__ import annotations

import asyncio
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from tests.boards import add_note, note_texts
from tests.helpers import create_board
from tests.servers import PlanboardProcess
from tests.yclient import YClient, wait_for


def last_activity(data_dir: Path, board_id: str) -> float:
    with sqlite3.connect(data_dir / "planboard.sqlite3") as db:
        row = db.execute("SELECT last_activity FROM boards WHERE id = ?", (board_id,)).fetchone()
    return float(row[0])


async def test_an_edit_moves_the_boards_last_activity(live_server: PlanboardProcess) -> None:
    old = create_board(live_server.url, title="Old board")
    board = create_board(live_server.url, title="Busy board")
    created = last_activity(live_server.data_dir, board["id"])
    client = await YClient(
        f"{live_server.ws_url}/ws/{board['id']}?token={board['token']}"
    ).connect()
    started = time.time()
    add_note(client.doc, "n1", board["participant_id"], "an edit")
    await wait_for(lambda: "n1" in note_texts(client.doc), what="the note")
    await wait_for(
        lambda: last_activity(live_server.data_dir, board["id"]) >= started,
        what="the edit recorded as the board's last activity",
    )
    assert last_activity(live_server.data_dir, board["id"]) > created
    await client.close()
    command = [sys.executable, "-m", "server.cli", "boards", "--data", str(live_server.data_dir)]
    done = await asyncio.to_thread(
        subprocess.run, command, capture_output=True, text=True, check=True, timeout=60
    )
    listed = done.stdout.splitlines()
    ids: list[Any] = [line.split("\t")[0] for line in listed]
    assert ids.index(board["id"]) < ids.index(old["id"])  # most recently active first
