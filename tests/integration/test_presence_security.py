"""Presence (awareness) under a hostile client: bounded, live, and bound to who is connected."""

from __future__ import annotations

import json
from typing import Any

from crdt import protocol
from tests.helpers import create_board, join_board
from tests.servers import PlanboardProcess
from tests.yclient import YClient, wait_for


def _url(server: PlanboardProcess, board_id: str, token: str) -> str:
    return f"{server.ws_url}/ws/{board_id}?token={token}"


def _entry(client_id: int, clock: int, state: Any) -> protocol.AwarenessEntry:
    return protocol.AwarenessEntry(client_id, clock, json.dumps(state, separators=(",", ":")))


def _peers(client: YClient) -> dict[int, Any]:
    """Live presence a client knows of, without the server's notices (client id 0)."""
    return {cid: s for cid, s in client.awareness.items() if cid != 0 and s is not None}


def _awareness_frames(client: YClient) -> list[protocol.AwarenessUpdate]:
    out = []
    for frame in client.received:
        if frame[:1] == bytes((protocol.MSG_AWARENESS,)):
            message = protocol.parse_message(frame)
            assert isinstance(message, protocol.AwarenessUpdate)
            out.append(message)
    return out


async def _barrier(client: YClient) -> None:
    """Everything the server answered before this point has arrived (it answers in order)."""
    before = len(client.updates_received())
    await client.send_raw(protocol.encode_sync_step1(client.doc.get_state()))
    await wait_for(lambda: len(client.updates_received()) > before, what="the barrier's reply")


async def test_a_connection_holds_a_few_client_ids_only(live_server: PlanboardProcess) -> None:
    board = create_board(live_server.url)
    bid, token = board["id"], board["token"]
    observer = await YClient(_url(live_server, bid, token)).connect()
    flooder = await YClient(_url(live_server, bid, token)).connect()
    entries = [_entry(1000 + i, 1, {"cursor": {"x": i}}) for i in range(40)]
    await flooder.send_raw(protocol.encode_awareness(entries))
    await flooder.set_awareness({"cursor": {"x": -1}})  # its own id: beyond the first four
    await _barrier(flooder)
    await wait_for(lambda: len(_peers(observer)) >= 4, what="the first ids relayed")
    await _barrier(observer)
    assert len(_peers(observer)) == 4
    late = await YClient(_url(live_server, bid, token)).connect()
    await _barrier(late)
    assert len(_peers(late)) == 4
    for client in (observer, flooder, late):
        await client.close()


async def test_awareness_state_size_and_room_are_bounded(server_factory: Any) -> None:
    server = server_factory(
        env={"PLANBOARD_MAX_AWARENESS_BYTES": "1024", "PLANBOARD_MAX_AWARENESS_STATES": "6"}
    )
    board = create_board(server.url)
    bid, token = board["id"], board["token"]
    observer = await YClient(_url(server, bid, token)).connect()
    big = await YClient(_url(server, bid, token)).connect()
    await big.set_awareness({"blob": "x" * 2000})
    small = await YClient(_url(server, bid, token)).connect()
    await small.set_awareness({"cursor": {"x": 1}})
    await wait_for(lambda: small.doc.client_id in _peers(observer), what="the small state")
    await _barrier(big)
    await _barrier(observer)
    assert big.doc.client_id not in _peers(observer)
    sockets = [await YClient(_url(server, bid, token)).connect() for _ in range(4)]
    for index, client in enumerate(sockets):
        await client.send_raw(
            protocol.encode_awareness(
                [_entry(5000 + 10 * index + i, 1, {"n": i}) for i in range(4)]
            )
        )
        await _barrier(client)
    late = await YClient(_url(server, bid, token)).connect()
    await _barrier(late)
    assert len(_peers(late)) == 6
    for client in (observer, big, small, late, *sockets):
        await client.close()


async def test_join_and_query_answers_are_chunked_and_rate_limited(
    live_server: PlanboardProcess,
) -> None:
    board = create_board(live_server.url)
    bid, token = board["id"], board["token"]
    writers = [await YClient(_url(live_server, bid, token)).connect() for _ in range(25)]
    for index, client in enumerate(writers):
        states = [_entry(9000 + 10 * index + i, 1, {"cursor": {"i": i}}) for i in range(4)]
        await client.send_raw(protocol.encode_awareness(states))
        await _barrier(client)
    joiner = await YClient(_url(live_server, bid, token)).connect()
    await wait_for(lambda: len(_peers(joiner)) == 100, what="all 100 states on join")
    assert all(len(m.entries) <= protocol.MAX_AWARENESS_ENTRIES for m in _awareness_frames(joiner))
    # Ten query-awareness messages in a row get one answer, not ten.
    before = len(_awareness_frames(joiner))
    for _ in range(10):
        await joiner.send_raw(protocol.encode_query_awareness())
    await _barrier(joiner)
    answers = _awareness_frames(joiner)[before:]
    assert sum(len(m.entries) for m in answers) <= 100
    for client in (joiner, *writers):
        await client.close()


async def test_stale_presence_is_not_handed_to_joiners(server_factory: Any) -> None:
    server = server_factory(env={"PLANBOARD_AWARENESS_TIMEOUT": "1"})
    board = create_board(server.url)
    bid, token = board["id"], board["token"]
    silent = await YClient(_url(server, bid, token)).connect()
    await silent.set_awareness({"cursor": {"x": 1}})  # and never renewed

    async def seen_by_a_joiner() -> bool:
        fresh = await YClient(_url(server, bid, token)).connect()
        await _barrier(fresh)
        seen = silent.doc.client_id in _peers(fresh)
        await fresh.close()
        return seen

    assert await seen_by_a_joiner()
    for _ in range(200):  # each try is a whole join: bounded by the count, not a sleep
        if not await seen_by_a_joiner():
            break
    else:
        raise AssertionError("presence that was not renewed was still handed to joiners")
    await silent.close()


async def test_identity_in_presence_is_bound_to_the_token(live_server: PlanboardProcess) -> None:
    board = create_board(live_server.url)
    bid = board["id"]
    mallory = join_board(live_server.url, bid, "Mallory")
    observer = await YClient(_url(live_server, bid, board["token"])).connect()
    spoofer = await YClient(_url(live_server, bid, mallory["token"])).connect()
    forged = {"id": board["participant_id"], "name": "Facilitator", "role": "facilitator"}
    await spoofer.set_awareness({"user": {**forged, "color": "#ff0000"}, "cursor": {"x": 1}})
    await wait_for(lambda: spoofer.doc.client_id in _peers(observer), what="mallory's state")
    state = _peers(observer)[spoofer.doc.client_id]
    assert state["user"] == {
        "id": mallory["participant_id"],
        "name": "Mallory",
        "role": "participant",
        "color": "#ff0000",
    }
    assert state["cursor"] == {"x": 1}
    for client in (observer, spoofer):
        await client.close()


async def test_a_gone_members_client_id_cannot_be_squatted(live_server: PlanboardProcess) -> None:
    board = create_board(live_server.url)
    bid = board["id"]
    ana = join_board(live_server.url, bid, "Ana")
    mallory = join_board(live_server.url, bid, "Mallory")
    observer = await YClient(_url(live_server, bid, board["token"])).connect()
    ana_client = await YClient(_url(live_server, bid, ana["token"])).connect()
    ana_id = ana_client.doc.client_id
    await ana_client.set_awareness({"cursor": {"x": 1}})
    await wait_for(lambda: ana_id in _peers(observer), what="ana's presence")
    await ana_client.close()
    await wait_for(lambda: observer.awareness.get(ana_id, 1) is None, what="ana left")
    squatter = await YClient(_url(live_server, bid, mallory["token"])).connect()
    await squatter.send_raw(protocol.encode_awareness([_entry(ana_id, 50, {"cursor": {"x": 666}})]))
    await _barrier(squatter)
    # Ana comes back with the same doc (the same client id): her presence is hers again.
    await ana_client.connect()
    ana_client.awareness_clock = 60
    await ana_client.set_awareness({"cursor": {"x": 2}})
    await wait_for(
        lambda: (_peers(observer).get(ana_id) or {}).get("cursor") == {"x": 2},
        what="ana's own presence, not the squatter's",
    )
    assert _peers(observer)[ana_id]["user"]["id"] == ana["participant_id"]
    for client in (observer, ana_client, squatter):
        await client.close()


async def test_presence_goes_out_in_ticks_latest_state_wins_and_the_last_arrives(
    live_server: PlanboardProcess,
) -> None:
    """30 pointer moves in a burst reach an observer in a few frames, clocks only rising, the
    last move always there; two movers share frames."""
    board = create_board(live_server.url)
    bid, token = board["id"], board["token"]
    observer = await YClient(_url(live_server, bid, token)).connect()
    movers = [await YClient(_url(live_server, bid, token)).connect() for _ in range(2)]
    for clock in range(1, 31):
        for mover in movers:
            entry = _entry(mover.doc.client_id, clock, {"cursor": {"x": clock}})
            await mover.send_raw(protocol.encode_awareness([entry]))
    ids = {mover.doc.client_id for mover in movers}

    def last_clocks() -> dict[int, int]:
        seen: dict[int, int] = {}
        for message in _awareness_frames(observer):
            for entry in message.entries:
                if entry.client_id in ids:
                    assert entry.clock > seen.get(entry.client_id, 0), "a clock went backwards"
                    seen[entry.client_id] = entry.clock
        return seen

    await wait_for(lambda: last_clocks() == dict.fromkeys(ids, 30), what="every last move")
    frames = [m for m in _awareness_frames(observer) if ids & {e.client_id for e in m.entries}]
    assert len(frames) <= 10, f"{len(frames)} frames for 60 moves: not coalesced"
    assert any({e.client_id for e in m.entries} >= ids for m in frames), "movers never shared"
    assert _peers(observer)[next(iter(ids))]["cursor"] == {"x": 30}
    for client in (observer, *movers):
        await client.close()
