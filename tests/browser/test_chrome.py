"""Issue 15, item 9: the welcome banner leaves once someone joined; at most two toasts, in one
corner, never over the panels or the toolbar; a note near its 2,000-character limit shows a
counter and says when it is full; a long note ends with an ellipsis."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import add_note, create_board, join, note, person, shot15
from tests.servers import PlanboardProcess

pytestmark = pytest.mark.browser


def test_banners_toasts_and_long_notes(browser: Any, live_server: PlanboardProcess) -> None:
    fay = person(browser, "Fay", width=1440, height=900)
    ana = person(browser, "Ana", width=1440, height=900)
    try:
        board_url = create_board(fay, live_server.url, title="Chrome", template="blank")
        page = fay.page
        expect(page.locator("#welcome-banner")).to_be_visible()
        join(ana, board_url + "/join")
        expect(page.locator("#welcome-banner")).to_have_count(0)  # it has done its job

        # toasts: never more than two, stacked in the canvas corner above the toolbar
        page.locator("#canvas").focus()
        for _ in range(4):
            page.keyboard.press("Control+z")  # "Nothing to undo." once, deduplicated
        page.click("#zoom-fit")
        page.evaluate("document.querySelector('#voting-start').click()")
        page.click("#voting-close")
        expect(page.locator("#toasts .toast")).to_have_count(2)
        toasts = page.locator("#toasts").bounding_box()
        toolbar = page.locator("#toolbar").bounding_box()
        side = page.locator("#side-panel").bounding_box()
        assert toasts and toolbar and side
        assert toasts["y"] + toasts["height"] <= toolbar["y"], (toasts, toolbar)
        assert toasts["x"] + toasts["width"] <= side["x"], (toasts, side)
        shot15(fay, "70-toasts")

        # a note near its limit: a counter, and a clear word when it is full
        note_id = add_note(ana, "start")
        n = note(ana.page, note_id)
        n.dblclick()
        editor = n.locator("textarea")
        expect(editor).to_be_focused()
        counter = n.locator(".note__counter")
        expect(counter).to_be_hidden()
        editor.fill("x" * 1850)
        editor.press("End")
        ana.page.keyboard.type("yz")
        expect(counter).to_have_text("1,852 / 2,000")
        editor.fill("w " * 999)
        ana.page.keyboard.type("abcd")  # 2 more fit, the rest is refused
        expect(counter).to_have_text("Full: 2,000 characters at most")
        shot15(ana, "71-note-full")
        ana.page.keyboard.press("Escape")
        # the long note is clipped with an ellipsis, on every screen
        for who in (fay, ana):
            body = note(who.page, note_id).locator(".note__body")
            expect(note(who.page, note_id)).to_have_class(re.compile("is-clipped"))
            assert body.evaluate("el => getComputedStyle(el).webkitLineClamp") != "none"
        shot15(fay, "72-long-note")
        fay.check_errors()
        ana.check_errors()
    finally:
        fay.context.close()
        ana.context.close()
