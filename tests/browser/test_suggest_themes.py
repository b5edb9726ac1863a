"""Suggested themes in the browser: suggest, preview, accept some, rename; others see groups."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import SCREENSHOTS, add_note, create_board, join, open_tab, person

pytestmark = pytest.mark.browser

NOTES = [  # the shorter of the two near duplicates first (add_note matches by substring)
    "Launch self-serve onboarding",
    "Launch self-serve onboarding flow",
    "Onboarding checklist for new workspaces",
    "Welcome email after signup for onboarding",
    "Dashboard is slow to load",
    "Cache the slow dashboard queries",
    "Reduce page load time of the dashboard",
    "Annual billing plan with a discount",
    "Pricing page is confusing",
    "Billing by invoice instead of card pricing",
]


def test_suggest_accept_some_rename(browser: Any, server_factory: Any) -> None:
    server = server_factory(env={"PLANBOARD_SUGGEST_BACKEND": "builtin"})
    fay = person(browser, "Fay", width=1440, height=900)
    ana = person(browser, "Ana")
    try:
        board_url = create_board(fay, server.url, title="Q3 planning", template="blank")
        join(ana, board_url + "/join")
        for text in NOTES:
            add_note(fay, text)
        expect(ana.page.locator(".note")).to_have_count(len(NOTES))
        expect(ana.page.locator("#suggest-section")).to_be_hidden()  # facilitators only

        page = fay.page
        open_tab(page, "session")
        page.click("#suggest-themes")
        preview = page.locator("#suggest-preview")
        expect(preview).to_be_visible()
        expect(page.locator("#suggest-backend")).to_have_attribute("data-backend", "builtin")
        expect(page.locator("#suggest-backend")).to_contain_text("nothing leaves the server")
        themes = page.locator("#suggest-themes-list > li")
        count = themes.count()
        assert count >= 2, count
        expect(page.locator("#suggest-duplicates li")).to_have_count(1)
        expect(page.locator("#suggest-duplicates")).to_contain_text("possible duplicate of")
        expect(page.locator("#suggest-accept")).to_have_text(f"Accept all {count}")
        preview.scroll_into_view_if_needed()
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        fay.shot("30-suggest-preview-1440")

        # Accept some: untick the last theme, rename the first.
        themes.nth(count - 1).locator('input[type="checkbox"]').uncheck()
        expect(page.locator("#suggest-accept")).to_have_text(f"Accept {count - 1} of {count}")
        title = themes.nth(0).locator("input.suggest__title")
        title.fill("Getting started")
        page.set_viewport_size({"width": 390, "height": 844})
        toggle = page.locator("#toggle-side")
        if toggle.is_visible():
            toggle.click()
        expect(preview).to_be_visible()
        preview.scroll_into_view_if_needed()
        fay.shot("31-suggest-preview-390")
        page.click("#suggest-accept")

        groups = ana.page.locator(".group")
        expect(groups).to_have_count(count - 1)
        expect(ana.page.locator(".group__title", has_text="Getting started")).to_have_count(1)
        expect(page.locator("#suggest-themes-list > li")).to_have_count(1)  # the one left out
        page.set_viewport_size({"width": 1440, "height": 900})
        page.click("#suggest-dismiss")
        expect(preview).to_be_hidden()
        ana.page.click("#zoom-fit")
        expect(ana.page.locator(".group__title", has_text="Getting started")).to_be_in_viewport()
        ana.shot("32-suggest-accepted")
        fay.check_errors()
        ana.check_errors()
    finally:
        fay.context.close()
        ana.context.close()
