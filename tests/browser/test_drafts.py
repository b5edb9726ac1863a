"""Silent brainstorming: drafts stay private until the facilitator reveals them."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import add_note, create_board, join, note_by_text, person
from tests.servers import PlanboardProcess

pytestmark = pytest.mark.browser


def test_drafts_are_private_until_revealed(browser: Any, live_server: PlanboardProcess) -> None:
    fay = person(browser, "Fay")
    ana = person(browser, "Ana")
    try:
        board_url = create_board(fay, live_server.url, title="Silent", template="blank")
        join(ana, board_url + "/join")
        fay.page.click("#drafts-start")
        expect(ana.page.locator("#drafts-banner")).to_be_visible()
        add_note(ana, "My private idea")
        expect(ana.page.locator(".note.note--draft")).to_have_count(1)
        expect(fay.page.locator("#drafts-banner")).to_contain_text("everyone: 1")
        expect(fay.page.locator("#drafts-state")).to_contain_text("1 private note from 1 person")
        expect(note_by_text(fay.page, "My private idea")).to_have_count(0)
        ana.shot("12-drafts")

        fay.page.click("#drafts-reveal")
        expect(note_by_text(fay.page, "My private idea")).to_have_count(1)
        expect(ana.page.locator("#drafts-banner")).to_have_count(0)
        expect(note_by_text(ana.page, "My private idea")).to_have_count(1)
        expect(ana.page.locator(".note.note--draft")).to_have_count(0)
        fay.check_errors()
        ana.check_errors()
    finally:
        fay.context.close()
        ana.context.close()
