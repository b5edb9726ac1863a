"""Soak: does a loaded board's memory, and a joiner's download, follow the board or its age?

One real server process, 50 clients on one small board, 10 of them writers at 5 edits per
second each (rewrite their note's text, move it), for `--minutes`. Every 30 s it samples the
server's RSS and the size of the full-state sync a new joiner downloads, beside the size of the
same board re-encoded from scratch. The same workload runs against planboard (SQLite),
pycrdt-websocket and the Node reference `@y/websocket-server`, one after the other: every Yjs
server keeps a tombstone per overwritten value and per deleted run of text, so the board, and
with it any server's memory and any joiner's download, grows with every edit; what a server
must not do is keep more than that. The review measured +2.2 MiB per minute and a joiner
download that grew from 4 KiB to 389 KiB under the old guard (an undo manager pinned every
deleted item), while the board re-encoded was 54 KiB.

    cd bench && npm ci && cd .. && .venv/bin/python bench/soak.py --minutes 10
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
import websockets
from pycrdt import Doc, Map, Text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from servers import PEERS, PlanboardServer, Server  # bench/servers.py, as run.py imports it

from crdt import protocol
from tests.boards import add_note
from tests.yclient import YClient

WRITERS = 10
CLIENTS = 50
RATE = 5.0


async def joiner_download(url: str) -> int:
    """Bytes of the sync step 2 a fresh client receives."""

    async with websockets.connect(url, max_size=None) as ws:
        await ws.send(protocol.encode_sync_step1(b"\x00"))
        while True:
            frame = await ws.recv()
            assert isinstance(frame, bytes)
            message = protocol.parse_message(frame)
            if isinstance(message, protocol.SyncStep2):
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


async def run(kind: str, minutes: float) -> dict[str, Any]:
    """The workload against one server (`planboard` or a peer of bench/servers.py)."""
    workdir = Path(tempfile.mkdtemp(prefix=f"soak-{kind}-"))
    server: Server = PEERS[kind](workdir)
    if isinstance(server, PlanboardServer):
        server.env_extra = {"PLANBOARD_IDLE_UNLOAD": "100000"}
    server.start()
    proc = psutil.Process(server.pid)
    try:
        room = server.room(WRITERS, CLIENTS - WRITERS)
        writers = []
        for i, url in enumerate(room.writer_urls(server.port)):
            client = await YClient(url).connect()
            add_note(client.doc, f"w{i}", room.writer_authors[i], "start")
            writers.append(client)
        reader_urls = room.reader_urls(server.port)
        readers = [
            await YClient(reader_urls[i % len(reader_urls)]).connect()
            for i in range(CLIENTS - WRITERS)
        ]
        start = time.monotonic()
        stop = start + minutes * 60
        tasks = [asyncio.create_task(writer(c, f"w{i}", stop)) for i, c in enumerate(writers)]
        samples = []
        while time.monotonic() < stop:
            download = await joiner_download(reader_urls[0])
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
            print(kind, samples[-1], flush=True)
            await asyncio.sleep(30)  # the sampling period
        edits = sum(await asyncio.gather(*tasks))
        for client in writers + readers:
            await client.close()
    finally:
        server.stop()
    first, last = samples[0], samples[-1]
    span_min = max(1e-9, (last["t_s"] - first["t_s"]) / 60)
    return {
        "server": kind,
        "minutes": minutes,
        "edits": edits,
        "samples": samples,
        "rss_growth_mib_per_min": round((last["rss_mib"] - first["rss_mib"]) / span_min, 2),
        "rss_bytes_per_edit": round((last["rss_mib"] - first["rss_mib"]) * 2**20 / max(1, edits)),
        "joiner_first_kib": first["joiner_kib"],
        "joiner_last_kib": last["joiner_kib"],
        "joiner_bytes_per_edit": round(
            (last["joiner_kib"] - first["joiner_kib"]) * 1024 / max(1, edits), 1
        ),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument(
        "--servers",
        default=",".join(PEERS),
        help=f"comma-separated, of {', '.join(PEERS)} (default: all, one after the other)",
    )
    args = parser.parse_args()
    results = [asyncio.run(run(kind, args.minutes)) for kind in args.servers.split(",")]
    out = Path(__file__).resolve().parent / "results" / "soak.json"
    out.write_text(json.dumps(results, indent=2) + "\n")
    for result in results:
        print(json.dumps({k: v for k, v in result.items() if k != "samples"}))


if __name__ == "__main__":
    main()
