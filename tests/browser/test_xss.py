"""User text is rendered as text everywhere: notes, names, titles, actions, the summary."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import add_note, create_board, join, note, open_tab, person
from tests.servers import PlanboardProcess

pytestmark = pytest.mark.browser

PAYLOADS = [
    "<img src=x onerror=window.__xss=1>",
    "<script>window.__xss=2</script>",
    '"><svg onload=window.__xss=3>',
]


def test_user_text_never_runs(browser: Any, live_server: PlanboardProcess) -> None:
    fay = person(browser, "<b>Fay</b>")
    ana = person(browser, "<img src=x onerror=window.__xss=5>")
    try:
        title = "<script>window.__xss=4</script>Plan"
        board_url = create_board(fay, live_server.url, title=title, template="blank")
        expect(fay.page.locator("#board-title")).to_have_text(title)
        join(ana, board_url + "/join")
        expect(ana.page.locator("#board-title")).to_have_text(title)
        ids = [add_note(ana, payload) for payload in PAYLOADS]
        for who in (fay, ana):
            for note_id, payload in zip(ids, PAYLOADS, strict=True):
                expect(note(who.page, note_id).locator(".note__body")).to_have_text(payload)
        expect(note(fay.page, ids[0]).locator(".note__author")).to_have_text(
            "<img src=x onerror=window.__xss=5>"
        )
        open_tab(fay.page, "actions")
        fay.page.fill("#action-text", PAYLOADS[0])
        fay.page.click("#action-form button[type=submit]")
        expect(fay.page.locator("#action-list .action__text")).to_have_value(PAYLOADS[0])
        for who in (fay, ana):
            assert who.page.evaluate("window.__xss") is None
            assert who.page.locator("#app img, #app svg[onload], #app script").count() == 0
        fay.page.goto(board_url + "/summary")
        expect(fay.page.locator("#summary-title")).to_have_text(title)
        expect(fay.page.locator("#summary-actions")).to_contain_text(PAYLOADS[0])
        expect(fay.page.locator(".note-chip").first).to_be_visible()
        assert fay.page.evaluate("window.__xss") is None
        assert fay.page.locator("main img, main script").count() == 0
        fay.check_errors()
        ana.check_errors()
    finally:
        fay.context.close()
        ana.context.close()
