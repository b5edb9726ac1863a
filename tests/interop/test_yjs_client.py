"""The stock yjs client (y-websocket provider under Node) and the Python client on one board."""

from __future__ import annotations

import asyncio
import json
import shutil
from pathlib import Path

import pytest
from pycrdt import Map, Text

from tests.boards import add_note, note_texts
from tests.helpers import create_board, join_board
from tests.servers import PlanboardProcess
from tests.yclient import YClient, wait_for

HERE = Path(__file__).resolve().parent


@pytest.mark.interop
async def test_yjs_and_python_clients_converge(live_server: PlanboardProcess) -> None:
    node = shutil.which("node")
    assert node, "node is required for the interop tests"
    assert (HERE / "node_modules" / "y-websocket").exists(), "run `make setup` (npm ci)"
    board = create_board(live_server.url)
    py = join_board(live_server.url, board["id"], "Py")
    client = await YClient(f"{live_server.ws_url}/ws/{board['id']}?token={py['token']}").connect()
    await client.set_awareness({"user": {"name": "python-client"}, "agent": "python-client"})
    add_note(client.doc, "py-note", py["participant_id"], "from python")
    # The JS client uses the facilitator token so it may co-edit the Python client's note.
    proc = await asyncio.create_subprocess_exec(
        node,
        str(HERE / "client.mjs"),
        live_server.ws_url,
        board["id"],
        board["token"],
        board["participant_id"],
        "py-note",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        cwd=HERE,
    )
    try:
        await wait_for(lambda: "js-note" in note_texts(client.doc), 20, "the yjs client's note")
        await wait_for(
            lambda: any(
                (s or {}).get("agent") == "yjs-client"
                and (s or {}).get("user", {}).get("id") == board["participant_id"]
                for s in client.awareness.values()
            ),
            20,
            "the yjs client's awareness",
        )
        await wait_for(lambda: note_texts(client.doc)["py-note"].startswith("[js] "), 20)
        text = client.doc.get("notes", type=Map)["py-note"]["text"]
        assert isinstance(text, Text)
        text += " [py-done]"
        stdout, stderr = await asyncio.wait_for(proc.communicate(), 30)
    finally:
        if proc.returncode is None:
            proc.kill()
    assert proc.returncode == 0, stderr.decode()
    js_view = json.loads(stdout.decode().strip().splitlines()[-1])["notes"]
    assert js_view == note_texts(client.doc)
    assert js_view["py-note"] == "[js] from python [py-done]"
    assert js_view["js-note"] == "from yjs"
    await client.close()
