"""Facilitation across instances: a command on one instance reaches clients of another, and
silent-brainstorming drafts written on two instances are revealed exactly once."""

from __future__ import annotations

from typing import Any

import pytest
from pycrdt import Map

from tests.boards import add_note, note_texts
from tests.helpers import command, create_board, join_board
from tests.multi.conftest import StartInstances
from tests.yclient import YClient, wait_for

pytestmark = pytest.mark.redis


def session(client: YClient) -> dict[str, Any]:
    state: dict[str, Any] = client.doc.get("session", type=Map).to_py() or {}
    return state


async def test_commands_on_one_instance_reach_clients_of_another(
    instances: StartInstances,
) -> None:
    a, b = instances(2)
    board = create_board(a.url, template="kickoff")
    bid = board["id"]
    ana = join_board(b.url, bid, "Ana")
    on_b = await YClient(f"{b.ws_url}/ws/{bid}?token={ana['token']}").connect()
    assert command(a.url, bid, board["token"], "lock").status_code == 200
    await wait_for(lambda: session(on_b).get("locked") is True, what="lock seen on b")
    assert command(a.url, bid, board["token"], "agenda.next").status_code == 200
    await wait_for(lambda: session(on_b).get("current_item") == "scope", what="next item on b")
    assert command(b.url, bid, board["token"], "timer.start", seconds=300).status_code == 200
    await wait_for(
        lambda: (session(on_b).get("timer") or {}).get("duration_ms") == 300_000,
        what="timer on b",
    )
    # A role given on one instance counts on the other at once.
    assert (
        command(a.url, bid, board["token"], "role.set", participant_id=ana["participant_id"],
                role="facilitator").status_code
        == 200
    )  # fmt: skip
    assert command(b.url, bid, ana["token"], "unlock").status_code == 200
    await wait_for(lambda: session(on_b).get("locked") is False, what="unlock by new facilitator")
    await on_b.close()


async def test_drafts_on_two_instances_are_revealed_once(instances: StartInstances) -> None:
    a, b = instances(2)
    board = create_board(a.url)
    bid = board["id"]
    ana = join_board(a.url, bid, "Ana")
    bo = join_board(b.url, bid, "Bo")
    assert command(a.url, bid, board["token"], "drafts.start").status_code == 200
    ana_drafts = await YClient(f"{a.ws_url}/ws/{bid}/drafts?token={ana['token']}").connect()
    bo_drafts = await YClient(f"{b.ws_url}/ws/{bid}/drafts?token={bo['token']}").connect()
    watcher = await YClient(f"{b.ws_url}/ws/{bid}?token={board['token']}").connect()
    add_note(ana_drafts.doc, "d-ana", ana["participant_id"], "ana on a")
    add_note(bo_drafts.doc, "d-bo", bo["participant_id"], "bo on b")
    await wait_for(
        lambda: (
            session(watcher).get("drafts")
            == {ana["participant_id"]: 1.0, bo["participant_id"]: 1.0}
        ),
        what="counts from both instances",
    )
    assert note_texts(watcher.doc) == {}
    # Reveal on the instance that does not hold Bo's drafts room: it reads them from the store.
    r = command(a.url, bid, board["token"], "drafts.reveal")
    assert r.status_code == 200 and r.json()["revealed"] == 2
    await wait_for(
        lambda: sorted(note_texts(watcher.doc).values()) == ["ana on a", "bo on b"],
        what="both drafts revealed",
    )
    await wait_for(lambda: note_texts(bo_drafts.doc) == {}, what="b's drafts emptied")
    assert command(b.url, bid, board["token"], "drafts.reveal").status_code == 409
    assert len(note_texts(watcher.doc)) == 2
    for client in (ana_drafts, bo_drafts, watcher):
        await client.close()
