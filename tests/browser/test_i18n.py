"""The page in German for a German browser, dates and numbers by the locale, and the language
switch (kept in this browser) back to English."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.access import DESKTOP, api_board, axe, new_person, open_board, shot
from tests.servers import PlanboardProcess

pytestmark = pytest.mark.browser


def test_german_browser_gets_german(browser: Any, live_server: PlanboardProcess) -> None:
    board = api_board(live_server.url, template="prioritization")
    fay = new_person(browser, "Fay", lang="de-DE", still=True, **DESKTOP)
    page = fay.page
    try:
        page.goto(live_server.url + "/")
        expect(page.locator("html")).to_have_attribute("lang", "de")
        expect(page.locator(".landing__intro h1")).to_have_text("Gemeinsam planen, in Echtzeit.")
        expect(page.locator("#create-submit")).to_have_text("Board anlegen")

        open_board(fay, live_server.url, board["id"], board, view="outline")
        expect(page.locator("#ol-note-add")).to_have_text("Notiz hinzufügen")
        expect(page.locator("#toggle-side")).to_have_text("Bereich")
        expect(page.locator("#ol-agenda-h")).to_have_text("Agenda")
        expect(page.locator("#ol-fac-h")).to_have_text("Moderation")
        page.fill("#ol-note-text", "Schnellere Builds")
        page.click("#ol-note-add")
        expect(page.locator("#ol-notes-h")).to_contain_text("1 Notiz")
        page.fill("#ol-action-text", "Plan schreiben")
        page.fill("#ol-action-due", "2026-12-15")
        page.click("#ol-action-add")
        # dates by the locale
        expect(page.locator("#ol-actions")).to_contain_text("fällig: 15.12.2026")
        page.keyboard.press("Escape")
        page.evaluate("document.activeElement.blur()")
        page.keyboard.press("?")
        expect(page.locator("#help-title")).to_have_text("Tastenkürzel")
        expect(page.locator("#help-dialog dd").first).to_have_text("Neue Haftnotiz")
        page.keyboard.press("Escape")
        found = axe(page, "German outline")
        assert not found, found
        shot(fay, "outline-german-1440")

        # the switch: English, remembered in this browser
        page.select_option("#lang-switch", "en")
        expect(page.locator("#ol-note-add")).to_have_text("Add note")
        expect(page.locator("html")).to_have_attribute("lang", "en")
        page.goto(live_server.url + "/")
        expect(page.locator("#create-submit")).to_have_text("Create board")
        fay.check_errors()
    finally:
        fay.context.close()
