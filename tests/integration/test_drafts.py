"""Silent brainstorming: drafts reach nobody but their writer until the facilitator reveals."""

from __future__ import annotations

from typing import Any

from pycrdt import Doc, Map

from tests.boards import add_note, note_texts
from tests.helpers import command, create_board, join_board
from tests.yclient import YClient, wait_for

SECRET_TEXTS = ("ana-secret-idea", "bo-private-thought")


def _decoded_texts(client: YClient) -> str:
    """Everything a socket received, decoded into a fresh doc, as one searchable string."""
    replay: Doc[Any] = Doc()
    for update in client.updates_received():
        replay.apply_update(update)
    return repr({name: replay.get(name, type=Map).to_py() for name in ("notes", "session")})


async def test_drafts_stay_private_until_reveal(server_factory: Any) -> None:
    server = server_factory()
    board = create_board(server.url)
    base, bid = server.url, board["id"]
    ana = join_board(base, bid, "Ana")
    bo = join_board(base, bid, "Bo")
    assert command(base, bid, ana["token"], "drafts.start").status_code == 403
    assert command(base, bid, board["token"], "drafts.reveal").status_code == 409
    assert command(base, bid, board["token"], "drafts.start").status_code == 200
    ws = server.ws_url
    fac_board = await YClient(f"{ws}/ws/{bid}?token={board['token']}").connect()
    bo_board = await YClient(f"{ws}/ws/{bid}?token={bo['token']}").connect()
    ana_drafts = await YClient(f"{ws}/ws/{bid}/drafts?token={ana['token']}").connect()
    bo_drafts = await YClient(f"{ws}/ws/{bid}/drafts?token={bo['token']}").connect()
    fac_drafts = await YClient(f"{ws}/ws/{bid}/drafts?token={board['token']}").connect()
    add_note(ana_drafts.doc, "d-ana-1", ana["participant_id"], SECRET_TEXTS[0])
    add_note(ana_drafts.doc, "d-ana-2", ana["participant_id"], "second")
    add_note(bo_drafts.doc, "d-bo-1", bo["participant_id"], SECRET_TEXTS[1])
    counts = lambda c: (c.doc.get("session", type=Map).to_py() or {}).get("drafts")  # noqa: E731
    expected = {ana["participant_id"]: 2.0, bo["participant_id"]: 1.0}
    await wait_for(lambda: counts(fac_board) == expected, what="counts on the board")
    await wait_for(lambda: counts(bo_board) == expected)
    # Nobody but the writer received a draft's text: board sockets and their own drafts socket.
    for client in (fac_board, bo_board, fac_drafts):
        seen = _decoded_texts(client) + repr(client.received)
        assert SECRET_TEXTS[0] not in seen and SECRET_TEXTS[1] not in seen
    assert SECRET_TEXTS[0] not in _decoded_texts(bo_drafts)
    assert note_texts(bo_drafts.doc) == {"d-bo-1": SECRET_TEXTS[1]}
    # Reveal: every draft once on the board, authored by its writer; private docs emptied.
    r = command(base, bid, board["token"], "drafts.reveal")
    assert r.status_code == 200 and r.json()["revealed"] == 3
    await wait_for(lambda: len(note_texts(bo_board.doc)) == 3, what="revealed notes")
    notes = bo_board.doc.get("notes", type=Map).to_py() or {}
    by_text = {str(n["text"]): n for n in notes.values()}
    assert by_text[SECRET_TEXTS[0]]["author"] == ana["participant_id"]
    assert by_text[SECRET_TEXTS[1]]["author"] == bo["participant_id"]
    assert not {"d-ana-1", "d-ana-2", "d-bo-1"} & set(notes)  # fresh ids, not the drafts' own
    positions = {(n["x"], n["y"]) for n in notes.values()}
    assert len(positions) == 3  # laid out, not piled up
    await wait_for(lambda: note_texts(ana_drafts.doc) == {}, what="drafts emptied")
    await wait_for(
        lambda: (bo_board.doc.get("session", type=Map).to_py() or {}).get("drafting") is False
    )
    # Reveal twice: nothing duplicated.
    assert command(base, bid, board["token"], "drafts.reveal").status_code == 409
    for client in (fac_board, bo_board, ana_drafts, bo_drafts, fac_drafts):
        await client.close()


async def test_drafts_survive_a_restart(server_factory: Any, tmp_path: Any) -> None:
    data = tmp_path / "drafts-restart"
    server = server_factory(data_dir=data)
    board = create_board(server.url)
    base, bid = server.url, board["id"]
    ana = join_board(base, bid, "Ana")
    command(base, bid, board["token"], "drafts.start")
    drafts = await YClient(f"{server.ws_url}/ws/{bid}/drafts?token={ana['token']}").connect()
    add_note(drafts.doc, "kept", ana["participant_id"], "survives restarts")
    watcher = await YClient(f"{server.ws_url}/ws/{bid}?token={board['token']}").connect()
    await wait_for(
        lambda: (
            (watcher.doc.get("session", type=Map).to_py() or {}).get("drafts")
            == {ana["participant_id"]: 1.0}
        )
    )
    server.kill()
    await drafts.close()
    await watcher.close()
    restarted = server_factory(data_dir=data)
    again = await YClient(f"{restarted.ws_url}/ws/{bid}/drafts?token={ana['token']}").connect()
    assert note_texts(again.doc) == {"kept": "survives restarts"}
    r = command(restarted.url, bid, board["token"], "drafts.reveal")
    assert r.status_code == 200 and r.json()["revealed"] == 1
    viewer = await YClient(f"{restarted.ws_url}/ws/{bid}?token={board['token']}").connect()
    assert list(note_texts(viewer.doc).values()) == ["survives restarts"]
    await again.close()
    await viewer.close()
