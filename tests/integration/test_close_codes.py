"""Every close code of the design, each after a real handshake; the room survives each one."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any

import jwt
import pytest

from crdt import protocol
from tests.boards import add_note, note_texts
from tests.helpers import create_board
from tests.servers import PlanboardProcess
from tests.yclient import YClient, wait_for

Board = dict[str, Any]


async def _assert_room_still_works(server: PlanboardProcess, board: Board) -> None:
    url = f"{server.ws_url}/ws/{board['id']}?token={board['token']}"
    a = await YClient(url).connect()
    b = await YClient(url).connect()
    note_id = f"n{time.monotonic_ns()}"
    add_note(a.doc, note_id, board["participant_id"], "still alive")
    await wait_for(lambda: note_id in note_texts(b.doc), what="room keeps syncing")
    await a.close()
    await b.close()


async def _closed_with(url: str, code: int, *, origin: str | None = None) -> None:
    client = YClient(url, origin=origin)
    await client.connect(wait_synced=False)
    assert await client.wait_closed() == code, client.close_reason


def _forge(board_id: str, secret: str = "not-the-key", **claims: Any) -> str:
    payload = {"sub": "x", "board": board_id, "role": "facilitator", "exp": time.time() + 60}
    payload.update(claims)
    return jwt.encode(payload, secret, algorithm="HS256")


async def test_bad_tokens_get_4401(live_server: PlanboardProcess) -> None:
    board = create_board(live_server.url)
    base = f"{live_server.ws_url}/ws/{board['id']}"
    await _closed_with(f"{base}?token=garbage", 4401)
    await _closed_with(base, 4401)
    await _closed_with(f"{base}?token={_forge(board['id'])}", 4401)
    secret = (live_server.data_dir / "secret.key").read_text().strip()
    expired = _forge(board["id"], secret, exp=time.time() - 10)
    await _closed_with(f"{base}?token={expired}", 4401)
    await _assert_room_still_works(live_server, board)


async def test_other_board_token_and_bad_origin_get_4403(live_server: PlanboardProcess) -> None:
    board = create_board(live_server.url)
    other = create_board(live_server.url)
    await _closed_with(f"{live_server.ws_url}/ws/{board['id']}?token={other['token']}", 4403)
    url = f"{live_server.ws_url}/ws/{board['id']}?token={board['token']}"
    await _closed_with(url, 4403, origin="https://evil.example")
    # The server's own origin is allowed.
    ok = await YClient(url, origin=live_server.url).connect()
    assert ok.synced.is_set()
    await ok.close()
    await _assert_room_still_works(live_server, board)


async def test_unknown_board_gets_4404(live_server: PlanboardProcess) -> None:
    board = create_board(live_server.url)
    secret = (live_server.data_dir / "secret.key").read_text().strip()
    missing = "A" * 22
    await _closed_with(f"{live_server.ws_url}/ws/{missing}?token={_forge(missing, secret)}", 4404)
    await _closed_with(f"{live_server.ws_url}/ws/bad.id?token=x", 4404)
    await _assert_room_still_works(live_server, board)


Sender = Callable[[YClient], Awaitable[None]]


async def _oversized(c: YClient) -> None:
    await c.send_raw(protocol.encode_update(b"\x00" * (1024 * 1024 + 10)))


async def _garbage_frame(c: YClient) -> None:
    await c.send_raw(b"\x00\x02\x99\x99")


async def _garbage_update(c: YClient) -> None:
    await c.send_raw(protocol.encode_update(b"\xff\xfe\xfd\xfc\x01\x02\x03"))


async def _text_frame(c: YClient) -> None:
    await c._ws.send("hello")


async def _flood(c: YClient) -> None:
    frame = protocol.encode_awareness([protocol.AwarenessEntry(c.doc.client_id, 1, '{"a":1}')])
    for _ in range(3000):
        if c.closed.is_set():
            return
        await c.send_raw(frame)


@pytest.mark.parametrize(
    ("send", "code"),
    [
        (_oversized, 1009),
        (_garbage_frame, 1007),
        (_garbage_update, 1007),
        (_text_frame, 1007),
        (_flood, 4429),
    ],
    ids=["oversized-1009", "malformed-frame-1007", "bad-update-1007", "text-1007", "flood-4429"],
)
async def test_bad_messages_close_only_the_offender(
    live_server: PlanboardProcess, send: Sender, code: int
) -> None:
    board = create_board(live_server.url)
    url = f"{live_server.ws_url}/ws/{board['id']}?token={board['token']}"
    bystander = await YClient(url).connect()
    offender = await YClient(url).connect()
    await send(offender)
    assert await offender.wait_closed() == code
    note_id = "after-offence"
    add_note(bystander.doc, note_id, board["participant_id"], "bystander fine")
    await _assert_room_still_works(live_server, board)
    assert not bystander.closed.is_set()
    await bystander.close()
