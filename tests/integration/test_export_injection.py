"""Exports pasted into spreadsheets and trackers: no formula, no live link, no raw HTML."""

from __future__ import annotations

import re
import time
from typing import Any

import httpx
from pycrdt import Map, Text

from tests.boards import add_note
from tests.helpers import create_board, join_board
from tests.servers import PlanboardProcess
from tests.yclient import YClient, wait_for

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
HOSTILE = [
    "fine\r=1+1",  # a bare CR: a spreadsheet starts a new row there
    "\t=2+2",
    "@SUM(A1:A9)",
    "-3+3",
    'a,b\n+4 "quoted"',
    "x\t=HYPERLINK(1)",
]


def _export(server: PlanboardProcess, board: dict[str, Any], **params: str) -> str:
    r = httpx.get(
        f"{server.url}/api/boards/{board['id']}/export",
        params=params,
        headers={"Authorization": f"Bearer {board['token']}"},
    )
    assert r.status_code == 200, r.text
    return r.text


def spreadsheet_rows(text: str, delimiter: str = ",") -> list[list[str]]:
    """Split like a spreadsheet import does: rows end at CR or LF outside quotes."""
    rows: list[list[str]] = []
    cell, row, in_quotes, i = "", [], False, 0
    while i < len(text):
        ch = text[i]
        if in_quotes:
            if ch == '"' and text[i + 1 : i + 2] == '"':
                cell += '"'
                i += 1
            elif ch == '"':
                in_quotes = False
            else:
                cell += ch
        elif ch == '"' and cell == "":
            in_quotes = True
        elif ch == delimiter:
            row.append(cell)
            cell = ""
        elif ch in "\r\n":
            if cell or row:
                row.append(cell)
                rows.append(row)
            cell, row = "", []
        else:
            cell += ch
        i += 1
    if cell or row:
        row.append(cell)
        rows.append(row)
    return rows


async def test_csv_cells_never_start_a_formula_or_a_row(live_server: PlanboardProcess) -> None:
    board = create_board(live_server.url)
    ana = join_board(live_server.url, board["id"], "Ana")
    client = await YClient(f"{live_server.ws_url}/ws/{board['id']}?token={ana['token']}").connect()
    actions = client.doc.get("actions", type=Map)
    for i, text in enumerate(HOSTILE):
        actions[f"a{i}"] = Map(
            {
                "text": Text(text),
                "owner": None,
                "due": None,
                "status": "open",
                "note": None,
                "item": None,
                "created_at": time.time() * 1000 + i,
            }
        )
    watcher = await YClient(
        f"{live_server.ws_url}/ws/{board['id']}?token={board['token']}"
    ).connect()
    await wait_for(lambda: len(watcher.doc.get("actions", type=Map)) == len(HOSTILE))
    rows = spreadsheet_rows(_export(live_server, board, format="csv"))
    assert len(rows) == 1 + len(HOSTILE), rows  # the header and one row per action, no more
    texts = sorted(row[1] for row in rows[1:])
    assert texts == sorted("'" + t if t[:1] in FORMULA_START else t for t in HOSTILE)
    for row in rows:
        assert len(row) == len(rows[0])
        for cell in row:
            assert not cell.startswith(FORMULA_START), (cell, row)
    await client.close()
    await watcher.close()


LINK = re.compile(r"(?<!\\)!?(?<!\\)\[[^\]]*(?<!\\)\]\(")


async def test_markdown_has_no_live_links_images_or_html(live_server: PlanboardProcess) -> None:
    board = create_board(live_server.url)
    bid = board["id"]
    fac = await YClient(f"{live_server.ws_url}/ws/{bid}?token={board['token']}").connect()
    meta = fac.doc.get("meta", type=Map)
    meta["template"] = "<img src=x onerror=alert(1)>"
    meta["follow_up_of"] = "`<script>alert(2)</script>`"
    add_note(fac.doc, "n1", board["participant_id"], "![pixel](https://evil.example/p.png)")
    add_note(fac.doc, "n2", board["participant_id"], r"[click me](https://evil.example) \[x](y)")
    add_note(fac.doc, "n3", board["participant_id"], "[ref]: https://evil.example <b>bold</b>")
    watcher = await YClient(f"{live_server.ws_url}/ws/{bid}?token={board['token']}").connect()
    await wait_for(lambda: len(watcher.doc.get("notes", type=Map)) == 3)
    await wait_for(lambda: watcher.doc.get("meta", type=Map).get("follow_up_of"))
    md = _export(live_server, board, format="md")
    assert "<img" not in md and "<script" not in md and "<b>" not in md
    assert not LINK.search(md), LINK.search(md)
    assert not re.search(r"^\s*(- )?\[ref\]:", md, re.M)
    assert "evil.example/p.png" in md  # the text is kept, only inert
    await fac.close()
    await watcher.close()
