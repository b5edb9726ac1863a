"""The outline view with a keyboard alone (no mouse event anywhere): a participant joins, writes
three notes, makes a group and moves a note into it, votes and raises a hand; the facilitator
creates the board, runs silent brainstorming and reveals it, starts and reveals a vote, and
records a decision and an action. Others' changes are announced politely, without taking focus.
"""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.browser.access import (
    DESKTOP,
    assert_nothing_undone,
    expect_announced,
    new_person,
    shot,
    tab_to,
)
from tests.browser.helpers import Person, wait_online
from tests.servers import PlanboardProcess

pytestmark = pytest.mark.browser


def type_into(page: Page, selector: str, text: str) -> None:
    tab_to(page, selector)
    page.keyboard.type(text)


def outline_note(page: Page, text: str) -> Any:
    return page.locator("#outline .ol-note", has=page.locator(".ol-note__text", has_text=text))


def press_on(page: Page, selector: str, key: str = "Enter") -> None:
    tab_to(page, selector)
    page.keyboard.press(key)


def test_keyboard_only_session_in_the_outline(browser: Any, live_server: PlanboardProcess) -> None:
    fay = new_person(browser, "Fay", **DESKTOP)
    ana = new_person(browser, "Ana", **DESKTOP)
    try:
        run(live_server, fay, ana)
    finally:
        fay.context.close()
        ana.context.close()
    fay.check_errors()
    ana.check_errors()


def run(server: PlanboardProcess, fay: Person, ana: Person) -> None:
    f, a = fay.page, ana.page

    # -- the facilitator creates a board on the landing page, keyboard only
    f.goto(server.url + "/")
    type_into(f, "#name", "Fay")
    type_into(f, "#title", "Keyboard planning")
    f.keyboard.press("Enter")
    f.wait_for_url(re.compile(r".*/b/[A-Za-z0-9_-]{16,}$"))
    wait_online(f)
    board_url = f.url
    # the canvas is the default on a wide window; O switches to the outline
    expect(f.locator("#outline")).to_be_hidden()
    f.keyboard.press("o")
    expect(f.locator("#outline")).to_be_visible()
    expect(f.locator("#view-toggle")).to_have_attribute("aria-pressed", "true")
    expect(f.locator("#outline h2", has_text="Agenda")).to_be_visible()
    press_on(f, "#ol-drafts-start")
    expect(f.locator("#ol-drafts-reveal")).to_be_visible()

    # -- a participant joins by the invite link, keyboard only
    a.goto(board_url + "/join")
    type_into(a, "#join-name", "Ana")
    a.keyboard.press("Enter")
    a.wait_for_url(re.compile(r".*/b/[A-Za-z0-9_-]{16,}$"))
    wait_online(a)
    a.keyboard.press("o")
    expect(a.locator("#outline")).to_be_visible()
    expect(a.locator("#ol-status")).to_contain_text("Silent brainstorming")

    # -- three notes: N goes to the outline's "New note" field, Enter adds
    a.keyboard.press("n")
    for text in ("Faster CI", "Fix onboarding", "Dark mode"):
        expect(a.locator("#ol-note-text")).to_be_focused()
        a.keyboard.type(text)
        a.keyboard.press("Enter")
        expect(outline_note(a, text)).to_have_count(1)
        expect(a.locator("#ol-note-text")).to_be_focused()
        expect(a.locator("#ol-note-text")).to_have_value("")
    # drafts stay private: the facilitator sees only the count
    expect(f.locator("#ol-drafts-line")).to_contain_text("3 private notes")
    expect(f.locator("#outline .ol-note")).to_have_count(0)
    expect(a.locator("#outline .ol-group--drafts .ol-note")).to_have_count(3)

    # -- the facilitator reveals the drafts; others' notes are announced to her
    press_on(f, "#ol-drafts-reveal")
    expect(f.locator("#outline .ol-note")).to_have_count(3)
    expect_announced(f, "Ana added a note")
    expect(a.locator("#outline .ol-group--none .ol-note")).to_have_count(3)

    # -- a group, and a note moved into it with the "Move to…" menu
    type_into(a, "#ol-group-name", "Quick wins")
    a.keyboard.press("Enter")
    group = a.locator("#outline .ol-group", has=a.locator("h3", has_text="Quick wins"))
    expect(group).to_have_count(1)
    move = outline_note(a, "Faster CI").locator("button[aria-haspopup='menu']", has_text="Move to")
    press_on(a, "[aria-label^='Move to…: Faster CI']")
    expect(move).to_have_attribute("aria-expanded", "true")
    menu = a.locator("[role='menu']")
    expect(menu.locator("[role='menuitemradio'][aria-checked='true']")).to_be_focused()
    a.keyboard.press("Home")
    expect(menu.locator("[role='menuitemradio']").first).to_have_text("Quick wins")
    a.keyboard.press("Enter")
    expect(menu).to_have_count(0)
    expect(group.locator(".ol-note")).to_have_count(1)
    expect(group.locator(".ol-note")).to_contain_text("Faster CI")
    # the focus came back to the note's menu button, in its new place
    expect(a.locator("[aria-label^='Move to…: Faster CI']")).to_be_focused()
    fay_group = f.locator("#outline .ol-group", has=f.locator("h3", has_text="Quick wins"))
    expect(fay_group.locator(".ol-note")).to_contain_text("Faster CI")
    expect_announced(f, "A note moved to Quick wins")

    # -- the facilitator starts a vote; Ana's focus stays where it is
    a.keyboard.press("n")
    expect(a.locator("#ol-note-text")).to_be_focused()
    press_on(f, "#ol-vote-start")
    expect(a.locator("#ol-status")).to_contain_text("Voting round 1 is open")
    expect(a.locator("#ol-note-text")).to_be_focused()
    expect_announced(a, "Voting round 1 started")
    press_on(a, "[aria-label='Vote for: Faster CI']")
    expect(a.locator("#ol-status")).to_contain_text("4 of 5 dots left")
    expect(outline_note(a, "Faster CI")).to_contain_text("your dots: 1")
    # the vote button keeps the focus: a second Enter places a second dot
    a.keyboard.press("Enter")
    expect(a.locator("#ol-status")).to_contain_text("3 of 5 dots left")
    press_on(a, "[aria-label='Remove dot from: Faster CI']")
    expect(a.locator("#ol-status")).to_contain_text("4 of 5 dots left")

    # -- Ana raises her hand; the facilitator hears it
    press_on(a, "#ol-hand")
    expect(a.locator("#ol-hand")).to_have_attribute("aria-pressed", "true")
    expect(a.locator("#ol-hand")).to_have_text("Lower hand")
    expect_announced(f, "Ana raised a hand")
    shot(ana, "keyboard-outline-voting-1440")

    # -- the facilitator reveals the vote, records a decision and an action
    press_on(f, "#ol-vote-reveal")
    expect(f.locator("#ol-results-list li")).to_have_count(1)
    expect(f.locator("#ol-results-list")).to_contain_text("Faster CI")
    expect(outline_note(a, "Faster CI")).to_contain_text("1 vote")
    type_into(f, "#ol-decision-text", "Invest in CI first")
    press_on(f, "#ol-decision-add")
    expect(f.locator("#ol-decisions")).to_contain_text("Invest in CI first")
    expect(a.locator("#ol-decisions")).to_contain_text("Invest in CI first")
    type_into(f, "#ol-action-text", "Write the CI plan")
    tab_to(f, "#ol-action-owner")
    f.keyboard.press("ArrowDown")  # the first person after "No owner"
    type_into(f, "#ol-action-due", "12152026")
    press_on(f, "#ol-action-add")
    expect(a.locator("#ol-actions")).to_contain_text("Write the CI plan")
    shot(fay, "keyboard-outline-facilitator-1440", full_page=False)

    # the outcomes are the board's: the export has them
    token = f.evaluate("window.planboard.auth.token")
    board_id = board_url.rsplit("/", 1)[1]
    export = httpx.get(
        f"{server.url}/api/boards/{board_id}/export?format=json",
        headers={"authorization": f"Bearer {token}"},
    ).json()
    assert [d["text"] for d in export["decisions"]] == ["Invest in CI first"]
    assert [x["text"] for x in export["actions"]] == ["Write the CI plan"]
    assert export["actions"][0]["due"] == "2026-12-15"
    assert export["actions"][0]["owner_name"] in ("Fay", "Ana")
    assert_nothing_undone(fay)
    assert_nothing_undone(ana)
