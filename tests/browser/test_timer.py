"""Issue 15, item 8: the timer keeps the time spent per agenda item (going back does not restart
the timebox), +1 / +5 min, and the minutes box takes whole minutes only."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import create_board, join, person, shot15
from tests.servers import PlanboardProcess

pytestmark = pytest.mark.browser


def test_timer_keeps_time_per_item(browser: Any, live_server: PlanboardProcess) -> None:
    fay = person(browser, "Fay", width=1440, height=900)
    ana = person(browser, "Ana", width=1440, height=900)
    try:
        board_url = create_board(fay, live_server.url, title="Timer", template="quarterly")
        join(ana, board_url + "/join")
        page = fay.page
        first = page.locator("#agenda-list [data-item]").first
        first_id = first.get_attribute("data-item")
        # the minutes box: 0.05 and 0 are refused with a message, nothing starts
        for bad in ("0.05", "0", "999"):
            page.fill("#timer-minutes", bad)
            page.click("#timer-start")
            expect(page.locator("#timer-error")).to_have_text("Enter whole minutes from 1 to 240.")
            expect(page.locator("#timer-time")).to_have_text("--:--")
        # start the first item's timebox (15 min) and let it run a little
        page.click("#agenda-next")
        page.click("#agenda-prev")
        expect(ana.page.locator("#timer-time")).to_have_text(re.compile(r"^14:5\d$"))
        expect(page.locator("#timer-time")).to_have_text(re.compile(r"^14:(5[0-7]|4\d)$"))
        page.click("#agenda-next")
        expect(page.locator("#timer-time")).to_have_text(re.compile(r"^1[45]:\d\d$"))
        # back to the first item: its timebox resumes where it was, it does not restart at 15:00
        page.click("#agenda-prev")
        expect(page.locator(f'#agenda-list [data-item="{first_id}"]')).to_have_attribute(
            "aria-current", "step"
        )
        page.wait_for_function(
            f"() => window.planboard.timer() && window.planboard.timer().item === {first_id!r}"
        )
        duration = page.evaluate("window.planboard.timer().duration_ms")
        assert duration <= 15 * 60_000 - 2_500, duration  # the 3+ seconds spent are kept
        expect(page.locator("#timer-time")).to_have_text(re.compile(r"^14:[0-5]\d$"))
        # +1 and +5 min, for everyone
        before = page.locator("#timer-time").inner_text()
        minutes = int(before.split(":")[0])
        page.click("#timer-add1")
        expect(ana.page.locator("#timer-time")).to_have_text(re.compile(rf"^{minutes + 1}:\d\d$"))
        page.click("#timer-add5")
        expect(ana.page.locator("#timer-time")).to_have_text(re.compile(rf"^{minutes + 6}:\d\d$"))
        expect(page.locator("#session-overrun")).to_have_text(re.compile("On time|ahead|behind"))
        expect(page.locator("#timer-add1")).to_have_accessible_name("Add one minute")
        shot15(fay, "60-timer")
        # participants see the time, not the controls
        expect(ana.page.locator("#timer-add1")).to_be_hidden()
        fay.check_errors()
        ana.check_errors()
    finally:
        fay.context.close()
        ana.context.close()
