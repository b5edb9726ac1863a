"""Hostile drafts: a reveal never touches existing notes and keeps to the board's limits."""

from __future__ import annotations

from typing import Any

from pycrdt import Map

from tests.boards import add_note, note_texts
from tests.helpers import command, create_board, join_board
from tests.yclient import YClient, wait_for


def _notes(client: YClient) -> dict[str, Any]:
    return client.doc.get("notes", type=Map).to_py() or {}


async def test_reveal_never_overwrites_an_existing_note(server_factory: Any) -> None:
    server = server_factory()
    board = create_board(server.url)
    base, bid, ws = server.url, board["id"], server.ws_url
    mallory = join_board(base, bid, "Mallory")
    fac = await YClient(f"{ws}/ws/{bid}?token={board['token']}").connect()
    add_note(fac.doc, "fac-note", board["participant_id"], "the facilitator's idea")
    assert command(base, bid, board["token"], "drafts.start").status_code == 200
    drafts = await YClient(f"{ws}/ws/{bid}/drafts?token={mallory['token']}").connect()
    add_note(drafts.doc, "fac-note", mallory["participant_id"], "hijacked")
    add_note(drafts.doc, "own", mallory["participant_id"], "an honest draft")
    await wait_for(
        lambda: (
            (fac.doc.get("session", type=Map).to_py() or {}).get("drafts")
            == {mallory["participant_id"]: 2.0}
        ),
        what="draft count",
    )
    r = command(base, bid, board["token"], "drafts.reveal")
    assert r.status_code == 200, r.text
    assert r.json()["revealed"] == 2
    await wait_for(lambda: len(_notes(fac)) == 3, what="two revealed notes beside the old one")
    notes = _notes(fac)
    assert notes["fac-note"]["author"] == board["participant_id"]
    assert str(notes["fac-note"]["text"]) == "the facilitator's idea"
    revealed = {str(n["text"]): n for k, n in notes.items() if k != "fac-note"}
    assert set(revealed) == {"hijacked", "an honest draft"}
    assert all(n["author"] == mallory["participant_id"] for n in revealed.values())
    # A later client sees the same thing (what is stored, not just what was broadcast).
    late = await YClient(f"{ws}/ws/{bid}?token={board['token']}").connect()
    assert note_texts(late.doc)["fac-note"] == "the facilitator's idea"
    for client in (fac, drafts, late):
        await client.close()


def _notices(client: YClient) -> list[dict[str, Any]]:
    state = client.awareness.get(0) or {}
    return [state["notice"]] if "notice" in state else []


async def test_reveal_keeps_to_the_note_limit_and_says_what_it_left(server_factory: Any) -> None:
    server = server_factory(env={"PLANBOARD_MAX_NOTES": "5"})
    board = create_board(server.url)
    base, bid, ws = server.url, board["id"], server.ws_url
    ana, bo = join_board(base, bid, "Ana"), join_board(base, bid, "Bo")
    fac = await YClient(f"{ws}/ws/{bid}?token={board['token']}").connect()
    for i in range(3):
        add_note(fac.doc, f"old{i}", board["participant_id"], f"old {i}")
    assert command(base, bid, board["token"], "drafts.start").status_code == 200
    ana_board = await YClient(f"{ws}/ws/{bid}?token={ana['token']}").connect()
    ana_drafts = await YClient(f"{ws}/ws/{bid}/drafts?token={ana['token']}").connect()
    bo_drafts = await YClient(f"{ws}/ws/{bid}/drafts?token={bo['token']}").connect()
    for i in range(2):
        add_note(ana_drafts.doc, f"a{i}", ana["participant_id"], f"ana {i}")
        add_note(bo_drafts.doc, f"b{i}", bo["participant_id"], f"bo {i}")
    await wait_for(
        lambda: (
            (fac.doc.get("session", type=Map).to_py() or {}).get("drafts")
            == {ana["participant_id"]: 2.0, bo["participant_id"]: 2.0}
        ),
        what="draft counts",
    )
    r = command(base, bid, board["token"], "drafts.reveal")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["revealed"] == 2 and body["not_placed"] == 2
    assert body["not_placed_by_member"] == {ana["participant_id"]: 1, bo["participant_id"]: 1}
    assert "did not fit" in body["message"]
    late = await YClient(f"{ws}/ws/{bid}?token={board['token']}").connect()
    assert len(note_texts(late.doc)) == 5
    # One of each member's drafts reached the board; the other stays private.
    await wait_for(lambda: len(note_texts(ana_drafts.doc)) == 1, what="ana's leftover")
    assert len(note_texts(bo_drafts.doc)) == 1
    await wait_for(lambda: _notices(ana_board), what="a notice to ana")
    assert _notices(ana_board)[0]["rule"] == "drafts_not_placed"
    for client in (fac, ana_board, ana_drafts, bo_drafts, late):
        await client.close()


async def test_reveal_writes_only_valid_fields(server_factory: Any) -> None:
    """The drafts doc is judged like the board (notes schema and limits): an invalid draft is
    undone at once, and what the reveal writes has exactly the note fields."""
    server = server_factory(env={"PLANBOARD_MAX_NOTE_TEXT": "40"})
    board = create_board(server.url)
    base, bid, ws = server.url, board["id"], server.ws_url
    ana = join_board(base, bid, "Ana")
    assert command(base, bid, board["token"], "drafts.start").status_code == 200
    drafts = await YClient(f"{ws}/ws/{bid}/drafts?token={ana['token']}").connect()
    add_note(drafts.doc, "evil", ana["participant_id"], "x" * 100)
    note = drafts.doc.get("notes", type=Map)["evil"]
    note["color"] = "url(javascript:x)"
    note["onclick"] = "alert(1)"
    note["x"] = "not a number"
    notice = await wait_for(lambda: drafts.awareness.get(0), what="the invalid draft is undone")
    assert notice["notice"]["rule"] in ("limit", "shape")
    await wait_for(lambda: not note_texts(drafts.doc), what="the draft is gone from its doc")
    add_note(drafts.doc, "fine", ana["participant_id"], "a valid draft")
    fac = await YClient(f"{ws}/ws/{bid}?token={board['token']}").connect()
    await wait_for(
        lambda: (
            (fac.doc.get("session", type=Map).to_py() or {}).get("drafts")
            == {ana["participant_id"]: 1.0}
        ),
        what="draft count",
    )
    assert command(base, bid, board["token"], "drafts.reveal").status_code == 200
    await wait_for(lambda: len(note_texts(fac.doc)) == 1, what="the revealed note")
    (revealed,) = (fac.doc.get("notes", type=Map).to_py() or {}).values()
    assert revealed["color"] == "yellow"
    assert set(revealed) == {"text", "x", "y", "color", "author", "created_at", "group", "item"}
    assert str(revealed["text"]) == "a valid draft"
    assert isinstance(revealed["x"], float)
    await drafts.close()
    await fac.close()


async def test_a_member_demoted_to_viewer_loses_drafts(server_factory: Any) -> None:
    server = server_factory()
    board = create_board(server.url)
    base, bid, ws = server.url, board["id"], server.ws_url
    ana = join_board(base, bid, "Ana")
    assert command(base, bid, board["token"], "drafts.start").status_code == 200
    first = await YClient(f"{ws}/ws/{bid}/drafts?token={ana['token']}").connect()
    assert first.close_code is None
    await first.close()
    r = command(
        base, bid, board["token"], "role.set", participant_id=ana["participant_id"], role="viewer"
    )
    assert r.status_code == 200, r.text
    again = await YClient(f"{ws}/ws/{bid}/drafts?token={ana['token']}").connect()
    assert await again.wait_closed() == 4403
    await again.close()


async def test_a_member_keeps_to_the_draft_cap(server_factory: Any) -> None:
    server = server_factory(env={"PLANBOARD_MAX_DRAFTS": "3"})
    board = create_board(server.url)
    base, bid, ws = server.url, board["id"], server.ws_url
    ana = join_board(base, bid, "Ana")
    assert command(base, bid, board["token"], "drafts.start").status_code == 200
    drafts = await YClient(f"{ws}/ws/{bid}/drafts?token={ana['token']}").connect()
    for i in range(6):
        add_note(drafts.doc, f"d{i}", ana["participant_id"], f"draft {i}")
    await wait_for(lambda: len(note_texts(drafts.doc)) == 3, what="drafts trimmed to the cap")
    assert sorted(note_texts(drafts.doc)) == ["d0", "d1", "d2"]  # the oldest stay
    await wait_for(lambda: _notices(drafts), what="a notice about the cap")
    assert _notices(drafts)[0]["rule"] == "limit"
    stored = await YClient(f"{ws}/ws/{bid}/drafts?token={ana['token']}").connect()
    assert len(note_texts(stored.doc)) == 3
    r = command(base, bid, board["token"], "drafts.reveal")
    assert r.json()["revealed"] == 3
    await drafts.close()
    await stored.close()
