"""Fuzzing a live server: hypothesis-made y-websocket frames and JSON bodies.

Oracle: a frame our own strict parser refuses must close that connection with 1007; anything
else either keeps the connection open (a later sync still answers) or closes it with a code of
the design; the server stays up and a bystander keeps converging. JSON bodies never get a 500
and always get the error shape.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crdt import protocol
from tests.boards import add_note, note_texts
from tests.helpers import create_board
from tests.servers import PlanboardProcess
from tests.yclient import YClient, wait_for

ALLOWED_CLOSES = {1007, 1009, 4429}


@pytest.fixture(scope="module")
def fuzz_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PlanboardProcess]:
    data: Path = tmp_path_factory.mktemp("fuzz")
    server = PlanboardProcess(
        data,
        env={
            "PLANBOARD_RATE_MESSAGES": "100000",
            "PLANBOARD_RATE_BURST": "100000",
            "PLANBOARD_MAX_CONNECTIONS_PER_IP": "10000",
        },
    ).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def fuzz_board(fuzz_server: PlanboardProcess) -> dict[str, Any]:
    return create_board(fuzz_server.url)


varuint = st.integers(min_value=0, max_value=2**40).map(protocol.write_var_uint)
frames = st.one_of(
    st.binary(max_size=64),  # random bytes
    st.builds(
        lambda t, rest: protocol.write_var_uint(t) + rest,
        st.integers(0, 10),
        st.binary(max_size=32),
    ),
    st.builds(  # valid framing around a garbage update
        lambda sub, body: (
            bytes([0]) + protocol.write_var_uint(sub) + protocol.write_var_uint(len(body)) + body
        ),
        st.integers(0, 3),
        st.binary(max_size=64),
    ),
    st.builds(  # huge or lying length prefixes
        lambda prefix, body: bytes([0, 2]) + prefix + body, varuint, st.binary(max_size=16)
    ),
    st.builds(lambda n: bytes([1]) + protocol.write_var_uint(n) + b"\x01", st.integers(0, 2**32)),
    st.builds(  # awareness with random states
        lambda cid, clock, state: protocol.encode_awareness(
            [protocol.AwarenessEntry(cid, clock, state)]
        ),
        st.integers(0, 2**32),
        st.integers(0, 2**32),
        st.text(max_size=40),
    ),
)


async def _probe(server: PlanboardProcess, board: dict[str, Any], frame: bytes) -> None:
    url = f"{server.ws_url}/ws/{board['id']}?token={board['token']}"
    client = await YClient(url).connect()
    try:
        parser_refuses = False
        try:
            protocol.parse_message(frame)
        except protocol.ProtocolError:
            parser_refuses = True
        await client.send_raw(frame)
        # A sync round trip tells whether the connection is still usable.
        before = len(client.received)
        with contextlib.suppress(Exception):
            await client.send_raw(protocol.encode_sync_step1(client.doc.get_state()))
        _, pending = await asyncio.wait(
            [
                asyncio.ensure_future(client.closed.wait()),
                asyncio.ensure_future(wait_for(lambda: len(client.received) > before, 10)),
            ],
            return_when=asyncio.FIRST_COMPLETED,
        )
        for task in pending:
            task.cancel()
        if client.closed.is_set():
            code = await client.wait_closed()
            assert code in ALLOWED_CLOSES, (frame, code)
            if parser_refuses:
                assert code == 1007, (frame, code)
        else:
            assert not parser_refuses, f"server accepted a malformed frame {frame!r}"
    finally:
        await client.close()


@settings(max_examples=120, deadline=None, suppress_health_check=list(HealthCheck))
@given(frame=frames)
def test_fuzzed_frames_get_the_right_answer(
    fuzz_server: PlanboardProcess, fuzz_board: dict[str, Any], frame: bytes
) -> None:
    asyncio.run(_probe(fuzz_server, fuzz_board, frame))


async def test_room_survives_the_fuzzing(
    fuzz_server: PlanboardProcess, fuzz_board: dict[str, Any]
) -> None:
    assert httpx.get(f"{fuzz_server.url}/healthz").status_code == 200
    url = f"{fuzz_server.ws_url}/ws/{fuzz_board['id']}?token={fuzz_board['token']}"
    a = await YClient(url).connect()
    b = await YClient(url).connect()
    add_note(a.doc, "after-fuzz", fuzz_board["participant_id"], "still converging")
    await wait_for(lambda: "after-fuzz" in note_texts(b.doc))
    await a.close()
    await b.close()


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=10,
)
command_bodies = st.one_of(
    st.dictionaries(
        st.sampled_from(
            [
                "type",
                "seconds",
                "item",
                "note_id",
                "budget",
                "max_per_note",
                "secret",
                "role",
                "participant_id",
                "x",
                "y",
                "zoom",
                "scope",
            ]
        ),
        json_values,
        max_size=5,
    ),
    st.fixed_dictionaries(
        {
            "type": st.sampled_from(
                ["lock", "vote", "timer.start", "voting.start", "agenda.goto", "role.set", "summon"]
            )
        },
        optional={
            "seconds": json_values,
            "note_id": json_values,
            "budget": json_values,
            "item": json_values,
            "role": json_values,
            "participant_id": json_values,
            "zoom": json_values,
        },
    ),
)


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    target=st.sampled_from(["boards", "participants", "commands"]),
    body=st.one_of(command_bodies, json_values, st.binary(max_size=40)),
)
def test_fuzzed_json_never_breaks_the_api(
    fuzz_server: PlanboardProcess, fuzz_board: dict[str, Any], target: str, body: Any
) -> None:
    base, bid = fuzz_server.url, fuzz_board["id"]
    url = {
        "boards": f"{base}/api/boards",
        "participants": f"{base}/api/boards/{bid}/participants",
        "commands": f"{base}/api/boards/{bid}/commands",
    }[target]
    headers = {"Authorization": f"Bearer {fuzz_board['token']}"}
    if isinstance(body, bytes):
        r = httpx.post(url, content=body, headers=headers)
    else:
        r = httpx.post(url, json=body, headers=headers)
    assert r.status_code < 500, (body, r.text)
    if r.status_code >= 400:
        error = r.json()["error"]
        assert isinstance(error["code"], str) and isinstance(error["message"], str)
