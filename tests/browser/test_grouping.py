"""Issue 15, item 3: groups and notes are placed where nothing is; a note joins a group only when
dropped there; groups grow around dropped notes and can be tidied; simultaneous adds never
coincide."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.browser.helpers import add_note, create_board, join, note, person, shot15
from tests.servers import PlanboardProcess

pytestmark = pytest.mark.browser


def box(page: Page, selector: str) -> dict[str, float]:
    b = page.locator(selector).bounding_box()
    assert b is not None, selector
    return b


def overlap(a: dict[str, float], b: dict[str, float]) -> bool:
    return (
        a["x"] < b["x"] + b["width"]
        and b["x"] < a["x"] + a["width"]
        and a["y"] < b["y"] + b["height"]
        and b["y"] < a["y"] + a["height"]
    )


def inside(a: dict[str, float], b: dict[str, float]) -> bool:
    return (
        a["x"] >= b["x"] - 1
        and a["y"] >= b["y"] - 1
        and a["x"] + a["width"] <= b["x"] + b["width"] + 1
        and a["y"] + a["height"] <= b["y"] + b["height"] + 1
    )


def add_group(page: Page, title: str) -> str:
    before = set(page.locator(".group").evaluate_all("els => els.map(e => e.dataset.id)"))
    page.keyboard.press("g")
    field = page.locator(".group__title-input")
    expect(field).to_be_focused()
    field.fill(title)
    page.keyboard.press("Enter")
    expect(page.locator(".group", has_text=title)).to_have_count(1)
    ids = page.locator(".group").evaluate_all("els => els.map(e => e.dataset.id)")
    return str(next(i for i in ids if i not in before))


def group_of(page: Page, note_id: str) -> Any:
    return page.evaluate(f"window.planboard.notes.get({note_id!r}).get('group')")


def drag_into(page: Page, note_id: str, group_id: str, dx: float, dy: float) -> None:
    n = box(page, f'.note[data-id="{note_id}"]')
    g = box(page, f'.group[data-id="{group_id}"]')
    page.mouse.move(n["x"] + 60, n["y"] + 20)
    page.mouse.down()
    page.mouse.move(g["x"] + dx, g["y"] + dy, steps=8)
    page.mouse.up()


def test_grouping_places_grows_and_tidies(browser: Any, live_server: PlanboardProcess) -> None:
    fay = person(browser, "Fay", width=1440, height=900)
    ana = person(browser, "Ana", width=1440, height=900)
    ben = person(browser, "Ben", width=1440, height=900)
    people = [fay, ana, ben]
    try:
        board_url = create_board(fay, live_server.url, title="Themes", template="blank")
        join(ana, board_url + "/join")
        join(ben, board_url + "/join")
        page = fay.page
        fay.page.click("#zoom-out")
        fay.page.click("#zoom-out")
        g1 = add_group(page, "Growth")
        g2 = add_group(page, "Quality")
        assert not overlap(
            box(page, f'.group[data-id="{g1}"]'), box(page, f'.group[data-id="{g2}"]')
        )
        # notes added with N land where nothing is, and join no group
        ids = [add_note(fay, f"Idea {i}") for i in range(5)]
        for note_id in ids:
            assert group_of(page, note_id) is None
            nb = box(page, f'.note[data-id="{note_id}"]')
            for g in (g1, g2):
                assert not overlap(nb, box(page, f'.group[data-id="{g}"]')), (note_id, g)
        # dropping notes into a group: they join it, and the group grows around all of them
        for i, note_id in enumerate(ids[:4]):
            drag_into(page, note_id, g1, 30 + 60 * i, 60 + 30 * i)
            page.wait_for_function(
                f"() => window.planboard.notes.get({note_id!r}).get('group') === {g1!r}"
            )
        gb = box(page, f'.group[data-id="{g1}"]')
        for note_id in ids[:4]:
            assert inside(box(page, f'.note[data-id="{note_id}"]'), gb), note_id
        shot15(fay, "20-group-grown")
        # tidy: a grid inside the group, nothing overlapping
        page.locator(f'.group[data-id="{g1}"] .group__head').hover()
        page.locator(f'.group[data-id="{g1}"] button[aria-label^="Tidy"]').click()
        page.wait_for_function(
            f"""() => {{
              const xs = {ids[:4]!r}.map(id => window.planboard.notes.get(id).get('x'))
              return new Set(xs).size === 2
            }}"""
        )
        gb = box(page, f'.group[data-id="{g1}"]')
        boxes = [box(page, f'.note[data-id="{i}"]') for i in ids[:4]]
        for i, a in enumerate(boxes):
            assert inside(a, gb)
            for b in boxes[i + 1 :]:
                assert not overlap(a, b)
        shot15(fay, "21-group-tidy")
        # colour by group / by author, on request (a local view)
        bg = "el => getComputedStyle(el).backgroundColor"
        page.select_option("#color-mode", "group")
        expect(note(page, ids[0])).to_have_class(re.compile("is-painted"))
        in_group = {note(page, i).evaluate(bg) for i in ids[:4]}
        assert len(in_group) == 1, in_group
        assert note(page, ids[4]).evaluate(bg) not in in_group
        shot15(fay, "22-colour-by-group")
        page.select_option("#color-mode", "note")
        expect(note(page, ids[0])).not_to_have_class(re.compile("is-painted"))
        # two people adding a note at the same spot at the same moment (one of them offline, so
        # that neither sees the other's first) never end up exactly on top of each other
        ben.context.set_offline(True)
        expect(ben.page.locator("#conn")).to_have_attribute("data-state", "offline")
        for who in (ana, ben):
            who.page.evaluate("window.planboard.notesLayer.create(2000, 2000)")
            expect(who.page.locator(".note.is-editing textarea")).to_be_focused()
            who.page.keyboard.type(f"{who.name} at once")
            who.page.keyboard.press("Escape")
        ben.context.set_offline(False)
        expect(fay.page.locator(".note")).to_have_count(7)
        for who in people:
            who.page.wait_for_function(
                """() => {
                  const seen = new Set()
                  const notes = window.planboard.notes
                  for (const [, n] of notes) seen.add(n.get('x') + ':' + n.get('y'))
                  return seen.size === notes.size
                }"""
            )
        assert note(page, ids[4]).count() == 1
        page.select_option("#color-mode", "author")
        ana_note = page.locator(".note", has_text="Ana at once")
        ben_note = page.locator(".note", has_text="Ben at once")
        assert ana_note.evaluate(bg) != ben_note.evaluate(bg)
        assert note(page, ids[0]).evaluate(bg) == note(page, ids[1]).evaluate(bg)  # both Fay's
        shot15(fay, "23-colour-by-author")
        for who in people:
            who.check_errors()
    finally:
        for who in people:
            who.context.close()
