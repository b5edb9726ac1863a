"""Issue 15: the agenda drives the tools. The session bar shows the item's tool for the
facilitator on every tab; lock, timer, next/prev, hands and ready counts are always in view;
raised hands queue up in raise order with a toast; the roster has its own tab (and the avatars
open it); participants do not see the facilitator's bookkeeping."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import (
    add_note,
    create_board,
    join,
    overflowing,
    person,
    shot15,
    unnamed,
)
from tests.servers import PlanboardProcess

pytestmark = pytest.mark.browser


def test_agenda_drives_the_tools(browser: Any, live_server: PlanboardProcess) -> None:
    fay = person(browser, "Fay", width=1440, height=900)
    ana = person(browser, "Ana", width=1440, height=900)
    ben = person(browser, "Ben", width=1440, height=900)
    cleo = person(browser, "Cleo", width=390, height=844)  # a phone
    people = [fay, ana, ben, cleo]
    try:
        board_url = create_board(fay, live_server.url, title="Quarterly", template="quarterly")
        join(ana, board_url + "/join")
        join(ben, board_url + "/join")
        join(cleo, board_url + "/join")
        page = fay.page
        # participants: no "Off", no "No voting round yet", no lock state while open
        for who in (ana, ben):
            expect(who.page.locator("#drafts-state")).to_be_hidden()
            expect(who.page.locator("#voting-state")).to_be_hidden()
            expect(who.page.locator("#lock-state")).to_be_hidden()
            expect(who.page.locator("#fb-tools")).to_be_hidden()
            expect(who.page.locator("#fb-item")).to_contain_text("Review last quarter")
        # item 1 is "discuss": the ranking, one click away, from another tab
        page.click("#tab-btn-actions")
        expect(page.locator("#fb-ranking")).to_be_visible()
        # item 2 "brainstorm": silent brainstorming from the bar, reveal from the bar
        page.click("#fb-next")
        expect(ana.page.locator("#fb-item")).to_contain_text("Brainstorm objectives")
        expect(ana.page.locator("#fb-timer")).to_have_text(re.compile(r"^1[45]:\d\d$"))
        page.click("#fb-silent")
        expect(ana.page.locator("#drafts-banner")).to_be_visible()
        add_note(ana, "Grow revenue 20%")
        add_note(ben, "Cut churn in half")
        expect(page.locator("#fb-reveal")).to_have_text("Reveal drafts (2)")
        shot15(fay, "80-bar-brainstorm")
        page.click("#fb-reveal")
        expect(page.locator(".note")).to_have_count(2)
        # item 3 "group": add a group, tidy
        page.click("#fb-next")
        expect(page.locator("#fb-group")).to_be_visible()
        expect(page.locator("#fb-tidy")).to_be_visible()
        # item 4 "vote": the round with the form's settings, then close / reveal
        page.click("#fb-next")
        expect(page.locator("#fb-vote")).to_have_text("Start voting: 5 dots, max 3, secret")
        page.click("#fb-vote")
        expect(ana.page.locator("#voting-banner")).to_be_visible()
        expect(page.locator("#fb-reveal-votes")).to_be_visible()
        # hands: on the avatar, counted in the bar, a queue in raise order, a toast for Fay
        ben.page.click("#fb-hand")
        expect(
            page.locator(".toast", has_text="Ben raised a hand (1 in the queue)")
        ).to_be_visible()
        ana.page.click("#fb-hand")
        expect(page.locator("#fb-hands")).to_contain_text("2")
        expect(page.locator("#presence .avatar.has-hand")).to_have_count(2)
        page.click("#fb-hands")
        expect(page.locator("#fb-queue li")).to_have_text(["Ben", "Ana"])
        shot15(fay, "81-bar-hands")
        page.keyboard.press("Escape")
        # ready counts, in distinct words from the voting round's
        ana.page.click("#fb-done")
        expect(page.locator("#fb-ready")).to_have_text("1 of 4 done")
        # lock from the bar
        page.click("#fb-lock")
        expect(ana.page.locator("#locked-banner")).to_be_visible()
        expect(page.locator("#fb-lock")).to_have_attribute("aria-pressed", "true")
        page.click("#fb-lock")
        # the roster: its own tab, and the avatars open it
        page.click("#tab-btn-session")
        page.click("#presence-btn")
        expect(page.locator("#tab-people #roster li")).to_have_count(4)
        shot15(fay, "82-people-tab")
        shot15(ana, "83-participant-view")
        expect(cleo.page.locator("#fb-item")).to_contain_text("Vote on objectives")
        expect(cleo.page.locator("#fb-hand")).to_be_visible()
        shot15(cleo, "84-phone-bar")
        cleo.page.click("#toggle-side")
        cleo.page.click("#tab-btn-people")
        expect(cleo.page.locator("#tab-people #roster li")).to_have_count(4)
        shot15(cleo, "85-phone-people")
        for who in people:
            assert not overflowing(who.page), overflowing(who.page)
            for tab in ("session", "actions", "results", "people"):
                who.page.click(f"#tab-btn-{tab}")
                assert not unnamed(who.page), (who.name, tab, unnamed(who.page))
            who.check_errors()
    finally:
        for who in people:
            who.context.close()
