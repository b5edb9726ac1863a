"""A laptop with both side panels open (1101-1525 px windows, often only 800 px high).

The canvas toolbar fits the canvas it sits on. With both panels open the canvas is 500-920 px
wide; the toolbar used to scroll sideways there, with Follow and the shortcuts button out of
sight. It now drops what the phone layout drops (the separators, the swatches, then the colour
mode and the tool labels, whose names stay for screen readers) and every control that is shown
is whole, inside the toolbar, with no scrolling. Hiding a panel brings the rest back; touch
screens, with their larger targets, drop the swatches sooner.

A side panel taller than the window scrolls; where it holds nothing focusable (a participant's
agenda), it is a focus stop itself, so the keyboard can scroll it (axe: scrollable-region-
focusable).

The outline view begins under the session bar (phones included: the bar's height is read, not
assumed)."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.access import api_board, api_join, axe, new_person, open_board, shot
from tests.servers import PlanboardProcess

pytestmark = pytest.mark.browser

# Every control of the toolbar that must stay on screen at any width of a desktop window.
ALWAYS = [
    "#add-note",
    "#add-group",
    "#undo-btn",
    "#redo-btn",
    "#zoom-out",
    "#zoom-reset",
    "#zoom-in",
    "#zoom-fit",
    "#help-btn",
]

FIT = """() => {
  const bar = document.getElementById('toolbar')
  const box = bar.getBoundingClientRect()
  const shown = [...bar.querySelectorAll('button, select, [role=radio]')]
    .filter(e => e.offsetParent)
  const cut = shown.filter(e => {
    const r = e.getBoundingClientRect()
    return r.left < box.left - 0.5 || r.right > box.right + 0.5 || r.bottom > box.bottom + 0.5
  }).map(e => e.id || e.getAttribute('aria-label'))
  return {scrolls: bar.scrollWidth > bar.clientWidth + 1, cut, height: box.height,
          stage: document.getElementById('main').getBoundingClientRect().width}
}"""


def test_the_toolbar_fits_the_canvas_with_both_panels_open(
    browser: Any, live_server: PlanboardProcess
) -> None:
    base = live_server.url
    board = api_board(base, title="Toolbar widths")
    board_id = board["id"]
    member = api_join(base, board_id, "Ana Lima")
    bad: list[dict[str, Any]] = []
    for width in (1440, 1280, 1101):
        for role, name, auth in (("facilitator", "Fay", board), ("participant", "Ana", member)):
            who = new_person(browser, name, width=width, height=900, still=True)
            try:
                open_board(who, base, board_id, auth)
                page = who.page
                expect(page.locator("#side-panel")).to_be_visible()
                expect(page.locator("#agenda-panel")).to_be_visible()
                fit = page.evaluate(FIT)
                assert not fit["scrolls"], (width, role, fit)
                assert not fit["cut"], (width, role, fit)
                assert fit["height"] < 70, (width, role, fit)  # one row: new notes go above it
                for selector in ALWAYS + (["#follow-btn"] if role == "participant" else []):
                    expect(page.locator(selector)).to_be_visible()
                # labels that are not shown are still the buttons' names
                expect(page.get_by_role("button", name="Group", exact=True)).to_be_visible()
                expect(page.get_by_role("button", name="Note", exact=True)).to_be_visible()
                swatches = page.locator("#swatches")
                if width >= 1440:
                    expect(swatches).to_be_visible()
                    expect(page.locator("#color-mode")).to_be_visible()
                elif width == 1280:
                    expect(page.locator("#color-mode")).to_be_visible()
                bad += axe(page, f"{role} at {width} px, both panels open")
                shot(who, f"toolbar-{width}-{role}")
                if width == 1280 and role == "facilitator":
                    # hiding a panel gives the canvas room: the swatches come back
                    page.click("#collapse-side")
                    expect(page.locator("#side-panel")).to_be_hidden()
                    expect(swatches).to_be_visible()
                    fit = page.evaluate(FIT)
                    assert not fit["scrolls"] and not fit["cut"], fit
                    shot(who, "toolbar-1280-facilitator-side-hidden")
                    page.click("#collapse-side")
                    expect(page.locator("#side-panel")).to_be_visible()
                who.check_errors()
            finally:
                who.context.close()
    # a tablet held upright: 44 px touch targets, the panels are drawers, the canvas is 820 px
    who = new_person(browser, "Ana", width=820, height=1180, touch=True, still=True)
    try:
        open_board(who, base, board_id, member)
        fit = who.page.evaluate(FIT)
        assert not fit["scrolls"] and not fit["cut"], fit
        for selector in [*ALWAYS, "#follow-btn"]:
            expect(who.page.locator(selector)).to_be_visible()
        bad += axe(who.page, "participant on a tablet, 820 px")
        shot(who, "toolbar-820-touch-participant")
        who.check_errors()
    finally:
        who.context.close()
    assert not bad, bad


def test_a_scrolling_panel_without_controls_can_be_scrolled_by_keyboard(
    browser: Any, live_server: PlanboardProcess
) -> None:
    base = live_server.url
    board = api_board(base, title="Six agenda items", template="prioritization")
    board_id = board["id"]
    member = api_join(base, board_id, "Ana Lima")
    ana = new_person(browser, "Ana", width=1280, height=800, still=True)
    fay = new_person(browser, "Fay", width=1280, height=800, still=True)
    try:
        open_board(ana, base, board_id, member)
        panel = ana.page.locator("#agenda-panel")
        expect(panel.locator(".agenda-item")).to_have_count(6)
        scrolls = panel.evaluate("p => p.scrollHeight > p.clientHeight")
        assert scrolls, "six agenda items must overflow an 800 px window for this test"
        expect(panel).to_have_attribute("tabindex", "0")
        panel.focus()
        expect(panel).to_be_focused()
        ana.page.keyboard.press("End")
        ana.page.wait_for_function(
            "() => { const p = document.getElementById('agenda-panel');"
            " return p.scrollTop + p.clientHeight >= p.scrollHeight - 1 }"
        )
        bad = axe(ana.page, "participant at 1280x800, six agenda items")
        shot(ana, "laptop-1280x800-participant-agenda-scrolled")

        # a facilitator's agenda items are buttons: no extra stop
        open_board(fay, base, board_id, board)
        fpanel = fay.page.locator("#agenda-panel")
        expect(fpanel.locator("button.agenda-item")).to_have_count(6)
        expect(fpanel).not_to_have_attribute("tabindex", "0")
        bad += axe(fay.page, "facilitator at 1280x800, six agenda items")

        # a window tall enough: nothing scrolls, no stop
        ana.page.set_viewport_size({"width": 1280, "height": 1400})
        expect(panel).not_to_have_attribute("tabindex", "0")
        assert not bad, bad
        ana.check_errors()
        fay.check_errors()
    finally:
        ana.context.close()
        fay.context.close()


def test_the_outline_starts_below_the_session_bar(
    browser: Any, live_server: PlanboardProcess
) -> None:
    """The session bar sits over the top of the stage; the outline view must begin under it, at
    any height the bar wraps to (three rows for a facilitator on a phone), or its first lines
    (the intro, the language switch, the top of the agenda) are hidden behind the bar."""
    base = live_server.url
    board = api_board(base, title="Outline under the bar", template="prioritization")
    board_id = board["id"]
    member = api_join(base, board_id, "Ana Lima")
    for width, height, touch in ((1440, 900, False), (390, 844, True)):
        for role, name, auth in (("facilitator", "Fay", board), ("participant", "Ana", member)):
            who = new_person(browser, name, width=width, height=height, touch=touch, still=True)
            try:
                open_board(who, base, board_id, auth, view="outline")
                page = who.page
                bar = page.locator("#facbar")
                outline = page.locator("#outline")
                expect(bar).to_be_visible()
                expect(outline).to_be_visible()
                gap = page.evaluate(
                    """() => {
                      const bar = document.getElementById('facbar').getBoundingClientRect()
                      const first = document.querySelector('#outline > *').getBoundingClientRect()
                      return first.top - bar.bottom
                    }"""
                )
                assert gap >= 0, (
                    f"{role} at {width} px: the outline starts {-gap:.0f} px under the bar"
                )
                shot(who, f"outline-under-bar-{width}-{role}")
                who.check_errors()
            finally:
                who.context.close()
