"""Durability: kill -9 loses nothing any client has seen; compaction reloads the same state;
SIGTERM closes sockets with 1012 after flushing the store."""

from __future__ import annotations

import asyncio
import signal
import sqlite3
from pathlib import Path
from typing import Any

from pycrdt import Doc, Map

from tests.boards import add_note, note_texts, state_vector
from tests.helpers import create_board, join_board
from tests.yclient import YClient, wait_for


async def test_kill_9_loses_nothing_that_was_seen(server_factory: Any, tmp_path: Path) -> None:
    data = tmp_path / "kill9"
    server = server_factory(data_dir=data)
    board = create_board(server.url)
    ana = join_board(server.url, board["id"], "Ana")
    writer = await YClient(f"{server.ws_url}/ws/{board['id']}?token={ana['token']}").connect()
    observer = await YClient(f"{server.ws_url}/ws/{board['id']}?token={board['token']}").connect()
    count = 60
    for i in range(count):
        add_note(writer.doc, f"n{i}", ana["participant_id"], f"note {i}")
        if i % 7 == 0:
            await asyncio.sleep(0)  # let some go out in separate frames, some together
    await wait_for(lambda: len(note_texts(observer.doc)) == count, what="observer saw all")
    seen = note_texts(observer.doc)
    server.kill()
    await writer.close()
    await observer.close()
    restarted = server_factory(data_dir=data)
    fresh = await YClient(f"{restarted.ws_url}/ws/{board['id']}?token={board['token']}").connect()
    assert note_texts(fresh.doc) == seen
    await fresh.close()


async def test_sigterm_closes_with_1012_and_flushes(server_factory: Any, tmp_path: Path) -> None:
    data = tmp_path / "term"
    server = server_factory(data_dir=data)
    board = create_board(server.url)
    client = await YClient(f"{server.ws_url}/ws/{board['id']}?token={board['token']}").connect()
    add_note(client.doc, "last-words", board["participant_id"], "written just before SIGTERM")
    observer = await YClient(f"{server.ws_url}/ws/{board['id']}?token={board['token']}").connect()
    await wait_for(lambda: "last-words" in note_texts(observer.doc))
    stopping = asyncio.get_running_loop().run_in_executor(None, server.stop, signal.SIGTERM)
    assert await client.wait_closed(15) == 1012
    # uvicorn finishes its graceful shutdown, then re-raises SIGTERM to exit as signalled.
    assert await stopping in (0, -signal.SIGTERM)
    restarted = server_factory(data_dir=data)
    fresh = await YClient(f"{restarted.ws_url}/ws/{board['id']}?token={board['token']}").connect()
    assert note_texts(fresh.doc)["last-words"] == "written just before SIGTERM"
    await fresh.close()


async def test_20000_updates_compact_and_reload_identically(
    server_factory: Any, tmp_path: Path
) -> None:
    data = tmp_path / "compact"
    env = {
        "PLANBOARD_IDLE_UNLOAD": "0.2",
        "PLANBOARD_RATE_MESSAGES": "1000000",
        "PLANBOARD_RATE_BURST": "1000000",
    }
    server = server_factory(data_dir=data, env=env)
    board = create_board(server.url)
    url = f"{server.ws_url}/ws/{board['id']}?token={board['token']}"
    client = await YClient(url).connect()
    add_note(client.doc, "counter", board["participant_id"], "")
    notes = client.doc.get("notes", type=Map)
    total = 20_000
    for i in range(total):
        notes["counter"]["x"] = float(i)  # one update per change, all tiny
        if i % 200 == 0:
            await asyncio.sleep(0)  # let the sender tasks run
    observer = await YClient(url).connect(timeout=30)
    await wait_for(lambda: observer.doc.get("notes", type=Map)["counter"]["x"] == total - 1, 30)
    expected_state = observer.doc.get_update()
    await client.close()
    await observer.close()
    # Idle unload compacts; the log then holds (almost) nothing beside the snapshot.
    db_path = data / "planboard.sqlite3"

    def log_rows() -> int:
        with sqlite3.connect(db_path) as db:
            return int(db.execute("SELECT COUNT(*) FROM updates").fetchone()[0])

    await wait_for(lambda: log_rows() == 0, 30, what="log compacted away")
    server.stop()
    restarted = server_factory(data_dir=data)
    fresh = await YClient(f"{restarted.ws_url}/ws/{board['id']}?token={board['token']}").connect(
        timeout=30
    )
    reference: Doc = Doc()
    reference.apply_update(expected_state)
    assert fresh.doc.get("notes", type=Map).to_py() == reference.get("notes", type=Map).to_py()
    assert state_vector(fresh.doc) == state_vector(reference)
    await fresh.close()
