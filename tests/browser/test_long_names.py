"""Issue 15, item 2: no user text widens a panel, chip, toast or select.

A 60-character name (and an injection string) on every screen, for the facilitator and a
participant: nothing sticks out of its panel, the full name stays in a tooltip / accessible name.
"""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import (
    add_note,
    create_board,
    join,
    open_tab,
    overflowing,
    person,
    shot15,
)
from tests.servers import PlanboardProcess

pytestmark = pytest.mark.browser

LONG = "Maximiliana von Hohenberg-Alvarez de la Fuente y Montenegros"  # 60 characters
INJECT = '"><img src=x onerror=alert(1)>WWWWWWWWWWWWWWWWWWWWWWWWWWWWWWW'


def test_long_names_never_widen_anything(browser: Any, live_server: PlanboardProcess) -> None:
    assert len(LONG) == 60
    fay = person(browser, LONG, width=1440, height=900)
    ana = person(browser, INJECT, width=1440, height=900)
    ben = person(browser, "B" * 60, width=390, height=844)
    people = [fay, ana, ben]
    try:
        board_url = create_board(fay, live_server.url, title="W" * 120, template="quarterly")
        join(ana, board_url + "/join")
        join(ben, board_url + "/join")
        expect(fay.page.locator("#roster li")).to_have_count(3)
        add_note(ana, "A note by a long name")
        # a toast that names someone
        open_tab(fay.page, "people")
        fay.page.get_by_label(f"Role of {INJECT}", exact=True).select_option("viewer")
        expect(fay.page.locator(".toast", has_text="is now viewer")).to_be_visible()
        open_tab(fay.page, "actions")
        fay.page.fill("#action-text", "Follow up")
        fay.page.locator("#action-owner").select_option(label=LONG)
        fay.page.click("#action-form button[type=submit]")
        expect(fay.page.locator("#action-list .action")).to_have_count(1)
        for who in (fay, ana):
            for tab in ("session", "actions", "results", "people"):
                open_tab(who.page, tab)
                problems = overflowing(who.page)
                assert not problems, f"{who.name[:10]} / {tab}: {problems}"
            shot15(who, f"10-long-names-{'facilitator' if who is fay else 'participant'}")
            open_tab(who.page, "session")
        open_tab(fay.page, "people")
        shot15(fay, "11-long-names-people")
        # the full name is still there for people and assistive technology
        name_el = fay.page.locator("#roster .roster__name").first
        assert LONG in (name_el.get_attribute("title") or "")
        # the phone-sized window does not get worse
        ben.page.click("#toggle-side")
        expect(ben.page.locator("#side-panel")).to_be_visible()
        ben.page.wait_for_function(  # the drawer has slid in
            "() => Math.abs(document.querySelector('#side-panel')"
            ".getBoundingClientRect().right - innerWidth) < 2"
        )
        assert not overflowing(ben.page), overflowing(ben.page)
        shot15(ben, "12-long-names-phone")
        for who in people:
            who.check_errors()
    finally:
        for who in people:
            who.context.close()
