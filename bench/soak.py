"""Soak: does a loaded board's memory, and a joiner's download, follow the board or its age?

One real planboard process (SQLite), 50 clients on one small board, 10 of them writers at 5
edits per second each (rewrite their note's text, move it), for `--minutes`. Every 30 s it
samples the server's RSS and the size of the full-state sync a new joiner downloads, beside the
size of the same board re-encoded from scratch. The review measured +2.2 MiB per minute and a
joiner download that grew from 4 KiB to 389 KiB under the old guard (an undo manager pinned
every deleted item).

    .venv/bin/python bench/soak.py --minutes 10
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import psutil
from pycrdt import Doc, Map, Text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from crdt import protocol as p
from tests.boards import add_note
from tests.conftest import create_board, join_board
from tests.servers import PlanboardProcess
from tests.yclient import YClient

WRITERS = 10
CLIENTS = 50
RATE = 5.0


async def joiner_download(url: str) -> int:
    """Bytes of the sync step 2 a fresh client receives."""
    import websockets

    async with websockets.connect(url, max_size=None) as ws:
        await ws.send(p.encode_sync_step1(b"\x00"))
        while True:
            frame = await ws.recv()
            assert isinstance(frame, bytes)
            message = p.parse_message(frame)
            if isinstance(message, p.SyncStep2):
                return len(message.update)


async def writer(client: YClient, note_id: str, stop: float) -> int:
    edits = 0
    while time.monotonic() < stop:
        note: Map[Any] = client.doc.get("notes", type=Map)[note_id]
        with client.doc.transaction():
            text: Text = note["text"]
            del text[0 : len(text)]
            text.insert(0, f"edit {edits} " + "lorem ipsum " * 3)
            note["x"] = float(edits % 500)
        edits += 1
        await asyncio.sleep(1 / RATE)  # the load's pace, not a synchronisation
    return edits


async def run(minutes: float) -> dict[str, Any]:
    server = PlanboardProcess(
        Path(tempfile.mkdtemp(prefix="soak-")),
        env={
            "PLANBOARD_RATE_MESSAGES": "100000",
            "PLANBOARD_RATE_BURST": "100000",
            "PLANBOARD_MAX_CONNECTIONS_PER_IP": "10000",
            "PLANBOARD_IDLE_UNLOAD": "100000",
        },
    ).start()
    proc = psutil.Process(server.proc.pid if server.proc else 0)
    try:
        board = create_board(server.url)
        url = f"{server.ws_url}/ws/{board['id']}?token={board['token']}"
        members = [join_board(server.url, board["id"], f"W{i}") for i in range(WRITERS)]
        writers = []
        for i, member in enumerate(members):
            client = await YClient(
                f"{server.ws_url}/ws/{board['id']}?token={member['token']}"
            ).connect()
            add_note(client.doc, f"w{i}", member["participant_id"], "start")
            writers.append(client)
        readers = [await YClient(url).connect() for _ in range(CLIENTS - WRITERS)]
        start = time.monotonic()
        stop = start + minutes * 60
        tasks = [asyncio.create_task(writer(c, f"w{i}", stop)) for i, c in enumerate(writers)]
        samples = []
        while time.monotonic() < stop:
            download = await joiner_download(url)
            fresh: Doc[Any] = Doc()
            fresh.apply_update(readers[0].doc.get_update())
            samples.append(
                {
                    "t_s": round(time.monotonic() - start),
                    "rss_mib": round(proc.memory_info().rss / 2**20, 1),
                    "joiner_kib": round(download / 1024, 1),
                    "reencoded_kib": round(len(fresh.get_update()) / 1024, 1),
                }
            )
            print(samples[-1], flush=True)
            await asyncio.sleep(30)  # the sampling period
        edits = sum(await asyncio.gather(*tasks))
        for client in writers + readers:
            await client.close()
    finally:
        server.stop()
    first, last = samples[0], samples[-1]
    return {
        "minutes": minutes,
        "edits": edits,
        "samples": samples,
        "rss_growth_mib_per_min": round(
            (last["rss_mib"] - first["rss_mib"]) / max(1e-9, (last["t_s"] - first["t_s"]) / 60), 2
        ),
        "joiner_first_kib": first["joiner_kib"],
        "joiner_last_kib": last["joiner_kib"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    args = parser.parse_args()
    result = asyncio.run(run(args.minutes))
    out = Path(__file__).resolve().parent / "results" / "soak.json"
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps({k: v for k, v in result.items() if k != "samples"}, indent=2))


if __name__ == "__main__":
    main()
