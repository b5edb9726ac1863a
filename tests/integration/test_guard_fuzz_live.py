"""The guard fuzzer against a live server: hand-made hostile updates over a real socket.

A participant sends a few hundred hypothesis-made updates (every content kind, parents and
origins anywhere in the live board, delete sets over anything); after each the server answers
/healthz within a second. At the end a fresh reader finds no forbidden state: the title, the
roles and the lock are as they were, every note is valid and authored by its writer, and the
participant still has no facilitator power.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pycrdt import Doc, Map
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from crdt import protocol, yupdate
from crdt.schema import note_problem
from crdt.structindex import StructIndex
from tests.helpers import command, create_board, join_board
from tests.servers import PlanboardProcess
from tests.unit.test_guard_fuzz import hostile_updates
from tests.yclient import YClient


class Target:
    def __init__(self, server: PlanboardProcess, board: dict[str, Any], eve: dict[str, Any]):
        self.server = server
        self.board = board
        self.eve = eve
        self.ws: ClientConnection | None = None
        self.sockets = contextlib.ExitStack()
        self.type_ids: list[yupdate.ID] = []
        self.item_ids: list[yupdate.ID] = []

    def url(self, token: str) -> str:
        return f"{self.server.ws_url}/ws/{self.board['id']}?token={token}"

    def send(self, update: bytes) -> None:
        for _ in range(2):
            if self.ws is None:
                self.ws = self.sockets.enter_context(
                    connect(self.url(self.eve["token"]), max_size=None)
                )
            try:
                self.ws.send(protocol.encode_update(update))
                while True:  # drain what the server sent back, so it never waits on us
                    self.ws.recv(timeout=0)
            except TimeoutError:
                return
            except ConnectionClosed:
                self.ws = None  # closed for this update (1007, 4429): a new socket goes on


@pytest.fixture(scope="module")
def target(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Target]:
    data: Path = tmp_path_factory.mktemp("guardfuzz")
    server = PlanboardProcess(
        data,
        env={
            "PLANBOARD_RATE_MESSAGES": "100000",
            "PLANBOARD_RATE_BURST": "100000",
            "PLANBOARD_MAX_CONNECTIONS_PER_IP": "10000",
            "PLANBOARD_MAX_NOTE_TEXT": "300",
        },
    ).start()
    board = create_board(server.url, template="kickoff")
    eve = join_board(server.url, board["id"], "Eve")
    t = Target(server, board, eve)
    yield t
    t.sockets.close()
    server.stop()


def board_doc(t: Target) -> Doc[Any]:
    async def read() -> Doc[Any]:
        reader = await YClient(t.url(t.board["token"])).connect()
        doc = reader.doc
        await reader.close()
        return doc

    return asyncio.run(read())


@pytest.fixture(scope="module")
def pools(target: Target) -> tuple[list[yupdate.ID], list[yupdate.ID]]:
    index = StructIndex()
    index.record(yupdate.decode_update(board_doc(target).get_update()))
    items: list[yupdate.ID] = []
    for client, runs in index._runs.items():
        for start, end in zip(runs.starts, runs.ends, strict=True):
            items.extend({(client, start), (client, end - 1)})
    return sorted(index.types), sorted(items)


@settings(
    max_examples=250,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(data=st.data())
def test_live_server_survives_hostile_updates(
    target: Target, pools: tuple[list[yupdate.ID], list[yupdate.ID]], data: st.DataObject
) -> None:
    update, _ = data.draw(hostile_updates(pools[0], pools[1], ("eve",)))
    target.send(update)
    started = time.monotonic()
    assert httpx.get(f"{target.server.url}/healthz", timeout=1.0).status_code == 200
    assert time.monotonic() - started < 1.0


def test_after_the_fuzz_nothing_forbidden_is_on_the_board(target: Target) -> None:
    doc = board_doc(target)
    assert doc.get("meta", type=Map)["title"] == "Test board"
    roles = {pid: entry["role"] for pid, entry in doc.get("participants", type=Map).items()}
    assert roles[target.eve["participant_id"]] == "participant"
    assert roles[target.board["participant_id"]] == "facilitator"
    assert doc.get("session", type=Map).get("locked") is not True
    for note_id, note in doc.get("notes", type=Map).items():
        assert note_problem(note, 300) is None, note_id
        assert note["author"] == target.eve["participant_id"], note_id
    fresh: Doc[Any] = Doc()
    fresh.apply_update(doc.get_update())
    assert fresh.get("notes", type=Map).to_py() == doc.get("notes", type=Map).to_py()
    response = command(target.server.url, target.board["id"], target.eve["token"], "lock")
    assert response.status_code == 403
