"""Phones: a whole session by touch alone at 390x844 (every tapped control at least 44x44 px and
inside the screen), no page scrolling sideways at 360, 390 and 430 px, every toolbar button on
screen, drawers that close, and a canvas that opens at a readable zoom."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.browser.access import (
    PHONE,
    api_board,
    api_command,
    api_join,
    assert_nothing_undone,
    new_person,
    open_board,
    overflow,
    shot,
)
from tests.browser.helpers import Person, wait_online
from tests.servers import PlanboardProcess

pytestmark = pytest.mark.browser


def tap(page: Page, selector: str) -> None:
    """Tap a control after checking that it is a real touch target: at least 44x44 px and, once
    scrolled into view, wholly on the screen."""
    target = page.locator(selector).first
    target.scroll_into_view_if_needed()
    box = target.bounding_box()
    assert box is not None, f"{selector} is not rendered"
    assert box["width"] >= 44 and box["height"] >= 44, f"{selector} is {box} (< 44x44)"
    view = page.viewport_size
    assert view is not None
    assert box["x"] >= 0 and box["x"] + box["width"] <= view["width"] + 0.5, f"{selector} {box}"
    target.tap()


def type_in(page: Page, selector: str, text: str) -> None:
    tap(page, selector)
    page.keyboard.type(text)


def outline_note(page: Page, text: str) -> Any:
    return page.locator("#outline .ol-note", has=page.locator(".ol-note__text", has_text=text))


def test_touch_only_session_on_phones(browser: Any, live_server: PlanboardProcess) -> None:
    fay = new_person(browser, "Fay", touch=True, **PHONE)
    ben = new_person(browser, "Ben", touch=True, **PHONE)
    try:
        run_touch_session(live_server, fay, ben)
    finally:
        fay.context.close()
        ben.context.close()
    fay.check_errors()
    ben.check_errors()


def run_touch_session(server: PlanboardProcess, fay: Person, ben: Person) -> None:
    f, b = fay.page, ben.page
    f.goto(server.url + "/")
    type_in(f, "#name", "Fay")
    type_in(f, "#title", "Phone planning")
    tap(f, "#create-submit")
    f.wait_for_url(re.compile(r".*/b/[A-Za-z0-9_-]{16,}$"))
    wait_online(f)
    # below 600 px the outline is the default view
    expect(f.locator("#outline")).to_be_visible()
    expect(f.locator("#view-toggle")).to_have_attribute("aria-pressed", "true")
    tap(f, "#ol-drafts-start")
    expect(f.locator("#ol-drafts-reveal")).to_be_visible()

    b.goto(f.url + "/join")
    type_in(b, "#join-name", "Ben")
    tap(b, "#join-submit")
    b.wait_for_url(re.compile(r".*/b/[A-Za-z0-9_-]{16,}$"))
    wait_online(b)
    expect(b.locator("#outline")).to_be_visible()
    shot(ben, "phone-outline-390")
    for text in ("Offline mode", "Bigger buttons", "Share sheet"):
        type_in(b, "#ol-note-text", text)
        tap(b, "#ol-note-add")
        expect(outline_note(b, text)).to_have_count(1)
    expect(f.locator("#ol-drafts-line")).to_contain_text("3 private notes")
    tap(f, "#ol-drafts-reveal")
    expect(f.locator("#outline .ol-note")).to_have_count(3)
    expect(b.locator("#outline .ol-group--none .ol-note")).to_have_count(3)

    type_in(b, "#ol-group-name", "Mobile")
    tap(b, "#ol-group-add")
    group = b.locator("#outline .ol-group", has=b.locator("h3", has_text="Mobile"))
    expect(group).to_have_count(1)
    tap(b, "[aria-label^='Move to…: Bigger buttons']")
    tap(b, "[role='menu'] [role='menuitemradio']:has-text('Mobile')")
    expect(group.locator(".ol-note")).to_contain_text("Bigger buttons")
    expect(
        f.locator("#outline .ol-group", has=f.locator("h3", has_text="Mobile")).locator(".ol-note")
    ).to_contain_text("Bigger buttons")

    tap(f, "#ol-vote-start")
    expect(b.locator("#ol-status")).to_contain_text("Voting round 1 is open")
    tap(b, "[aria-label='Vote for: Bigger buttons']")
    expect(b.locator("#ol-status")).to_contain_text("4 of 5 dots left")
    tap(b, "#ol-hand")
    expect(b.locator("#ol-hand")).to_have_attribute("aria-pressed", "true")
    shot(ben, "phone-outline-voting-390")
    for _ in range(5):  # at most two toasts show at once; closing one may bring the next
        if b.locator(".toast__close").count() == 0:
            break
        b.locator(".toast__close").first.tap()
    expect(b.locator(".toast")).to_have_count(0)
    b.locator("#ol-notes-h").scroll_into_view_if_needed()
    b.evaluate("document.getElementById('ol-notes-h').scrollIntoView({block: 'start'})")
    shot(ben, "phone-outline-notes-390")  # docs/screenshot-phone.png
    tap(f, "#ol-vote-reveal")
    expect(f.locator("#ol-results-list")).to_contain_text("Bigger buttons")
    type_in(f, "#ol-decision-text", "Ship bigger buttons")
    tap(f, "#ol-decision-add")
    type_in(f, "#ol-action-text", "Design the new buttons")
    tap(f, "#ol-action-add")
    expect(b.locator("#ol-decisions")).to_contain_text("Ship bigger buttons")
    expect(b.locator("#ol-actions")).to_contain_text("Design the new buttons")
    shot(fay, "phone-outline-facilitator-390")
    assert_nothing_undone(fay)
    assert_nothing_undone(ben)


def spread_notes(who: Person, count: int) -> None:
    """Add notes through the outline, then spread them wide (a fit-everything zoom would be
    far below 60 % on a phone)."""
    page = who.page
    for i in range(count):
        page.fill("#ol-note-text", f"Idea number {i + 1}")
        page.click("#ol-note-add")
    expect(page.locator("#outline .ol-note")).to_have_count(count)
    page.evaluate(
        """() => { const b = window.planboard; let i = 0
          b.transact(() => b.notes.forEach((n) => { n.set('x', 60 + (i % 4) * 700);
            n.set('y', 60 + Math.floor(i / 4) * 400); i++ })) }"""
    )


def test_no_page_scrolls_sideways_on_phones(browser: Any, live_server: PlanboardProcess) -> None:
    board = api_board(live_server.url, template="prioritization")
    board_id = board["id"]
    fay = new_person(browser, "Fay")
    people = [fay]
    try:
        open_board(fay, live_server.url, board_id, board, view="outline")
        api_command(live_server.url, board_id, board["token"], type="agenda.next")
        spread_notes(fay, 6)
        api_command(live_server.url, board_id, board["token"], type="voting.start", budget=5)
        for width in (360, 390, 430):
            who = new_person(browser, f"P{width}", touch=True, width=width, height=844)
            people.append(who)
            auth = api_join(live_server.url, board_id, f"P{width}")
            page = who.page
            for name, url in (("landing", "/"), ("join", f"/b/{board_id}/join")):
                page.goto(live_server.url + url)
                page.wait_for_load_state("networkidle")
                assert_fits(page, width, f"{name} at {width}")
            open_board(who, live_server.url, board_id, auth)
            # the summary needs the member's token, which the board has stored now
            page.goto(f"{live_server.url}/b/{board_id}/summary")
            expect(page.locator("#summary-body")).to_be_visible()
            assert_fits(page, width, f"summary at {width}")
            page.goto(f"{live_server.url}/b/{board_id}")
            wait_online(page)
            expect(page.locator("#outline")).to_be_visible()
            expect(page.locator("#outline .ol-note")).to_have_count(6)
            assert_fits(page, width, f"outline at {width}")
            assert_topbar(page, width)
            for drawer, toggle in (
                ("agenda-panel", "#toggle-agenda"),
                ("side-panel", "#toggle-side"),
            ):
                page.locator(toggle).tap()
                close = page.locator(f"#{drawer} > .drawer-close")
                expect(close).to_be_focused()
                expect(close).to_be_visible()
                assert_fits(page, width, f"{drawer} at {width}")
                if width == 390:
                    page.wait_for_function(
                        "id => getComputedStyle(document.getElementById(id)).transform === 'none'",
                        arg=drawer,
                    )
                    shot(who, f"phone-drawer-{drawer}-390")
                if drawer == "agenda-panel":
                    page.keyboard.press("Escape")  # Escape closes a drawer ...
                else:
                    close.tap()  # ... and so does its close button
                expect(page.locator("#app")).not_to_have_class(re.compile(r"show-"))
                expect(page.locator(toggle)).to_be_focused()
            # the canvas, when a phone user switches to it: readable, everything on screen
            page.locator("#view-toggle").tap()
            expect(page.locator("#canvas")).to_be_visible()
            page.wait_for_function(
                "() => parseInt(document.querySelector('#zoom-reset').textContent) >= 60"
            )
            assert_fits(page, width, f"canvas at {width}")
            for tool in page.locator("#toolbar button").all():
                if not tool.is_visible():
                    continue
                box = tool.bounding_box()
                assert box is not None
                assert box["x"] >= 0 and box["x"] + box["width"] <= width, (width, box)
                assert box["y"] >= 0 and box["y"] + box["height"] <= 844, (width, box)
                assert box["width"] >= 44 and box["height"] >= 44, (width, box)
            if width == 390:
                shot(who, "phone-canvas-390")
            who.check_errors()
        fay.check_errors()
    finally:
        for who in people:
            who.context.close()


def assert_fits(page: Page, width: int, what: str) -> None:
    info = overflow(page, width)
    assert info["scrollWidth"] <= width and info["innerWidth"] == width, (what, info)
    assert not info["offenders"], (what, info)


def assert_topbar(page: Page, width: int) -> None:
    """Title (with an ellipsis), role, timer and connection: visible, inside, not overlapping."""
    boxes = {}
    for sel in ("#board-title", "#role-chip", "#conn"):
        box = page.locator(sel).bounding_box()
        assert box is not None and box["width"] > 20, (sel, box)
        assert box["x"] >= 0 and box["x"] + box["width"] <= width, (sel, box)
        boxes[sel] = box
    timer = page.locator("#timer-mini")
    if timer.is_visible():
        boxes["#timer-mini"] = timer.bounding_box()
    items = list(boxes.items())
    for i, (a, ba) in enumerate(items):
        for b, bb in items[i + 1 :]:
            apart = (
                ba["x"] + ba["width"] <= bb["x"] + 0.5
                or bb["x"] + bb["width"] <= ba["x"] + 0.5
                or ba["y"] + ba["height"] <= bb["y"] + 0.5
                or bb["y"] + bb["height"] <= ba["y"] + 0.5
            )
            assert apart, f"{a} {ba} overlaps {b} {bb} at {width} px"
    assert (
        page.evaluate("() => getComputedStyle(document.getElementById('board-title')).textOverflow")
        == "ellipsis"
    )
