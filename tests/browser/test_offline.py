"""Offline edits merge on reconnect, and an edit the server compensated is explained."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import add_note, create_board, join, note, note_by_text, person
from tests.servers import PlanboardProcess

pytestmark = pytest.mark.browser


def test_offline_edits_merge_on_reconnect(browser: Any, live_server: PlanboardProcess) -> None:
    fay = person(browser, "Fay")
    ana = person(browser, "Ana")
    try:
        board_url = create_board(fay, live_server.url, title="Offline test", template="blank")
        join(ana, board_url + "/join")
        n1 = add_note(ana, "Written online")
        expect(note_by_text(fay.page, "Written online")).to_have_count(1)

        ana.context.set_offline(True)
        expect(ana.page.locator("#conn")).to_have_attribute("data-state", "offline")
        add_note(ana, "Written offline")
        mine = note(ana.page, n1)
        mine.dblclick()
        expect(mine.locator("textarea")).to_be_focused()
        ana.page.keyboard.press("End")
        ana.page.keyboard.type(", edited offline")
        ana.page.keyboard.press("Escape")
        expect(ana.page.locator("#conn-text")).to_have_text(
            re.compile(r"Offline · \d+ changes? pending")
        )
        ana.shot("10-offline")

        add_note(fay, "Meanwhile, online")
        expect(note_by_text(fay.page, "Written offline")).to_have_count(0)

        ana.context.set_offline(False)
        expect(ana.page.locator("#conn")).to_have_attribute("data-state", "online")
        expect(ana.page.locator("#presence .avatar")).to_have_count(2)  # presence is back
        for who in (fay, ana):
            expect(who.page.locator(".note")).to_have_count(3)
            expect(note_by_text(who.page, "Written offline")).to_have_count(1)
            expect(note_by_text(who.page, "Meanwhile, online")).to_have_count(1)
            expect(note(who.page, n1).locator(".note__body")).to_have_text(
                "Written online, edited offline"
            )
        fay.check_errors()
        ana.check_errors()
    finally:
        fay.context.close()
        ana.context.close()


def test_edit_undone_by_lock_is_explained(browser: Any, live_server: PlanboardProcess) -> None:
    """Ana edits her note offline while the facilitator locks the board: on reconnect the
    server compensates the edit, and Ana is told why her change disappeared."""
    fay = person(browser, "Fay")
    ana = person(browser, "Ana")
    try:
        board_url = create_board(fay, live_server.url, title="Lock test", template="blank")
        join(ana, board_url + "/join")
        n1 = add_note(ana, "Original idea")
        expect(note_by_text(fay.page, "Original idea")).to_have_count(1)

        ana.context.set_offline(True)
        expect(ana.page.locator("#conn")).to_have_attribute("data-state", "offline")
        fay.page.click("#lock-btn")
        expect(fay.page.locator("#locked-banner")).to_be_visible()
        mine = note(ana.page, n1)
        mine.dblclick()
        expect(mine.locator("textarea")).to_be_focused()
        ana.page.keyboard.press("End")
        ana.page.keyboard.type(" (changed)")
        ana.page.keyboard.press("Escape")

        ana.context.set_offline(False)
        toast = ana.page.locator(".toast", has_text="locked the board; your change was undone")
        expect(toast).to_be_visible()
        expect(ana.page.locator("#locked-banner")).to_be_visible()
        expect(note(ana.page, n1).locator(".note__body")).to_have_text("Original idea")
        expect(note(fay.page, n1).locator(".note__body")).to_have_text("Original idea")
        ana.shot("11-compensated")
        fay.check_errors()
        ana.check_errors()
    finally:
        fay.context.close()
        ana.context.close()
