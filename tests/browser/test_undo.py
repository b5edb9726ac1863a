"""Issue 15, item 4: undo and redo of one's own changes, and "Undo" in destructive toasts.

Y.UndoManager tracks only this client's origins: Ctrl+Z never undoes what someone else did.
"""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import add_note, create_board, join, note, note_by_text, person, shot15
from tests.servers import PlanboardProcess

pytestmark = pytest.mark.browser


def test_undo_redo_and_undo_toasts(browser: Any, live_server: PlanboardProcess) -> None:
    fay = person(browser, "Fay", width=1440, height=900)
    ana = person(browser, "Ana", width=1440, height=900)
    people = [fay, ana]
    try:
        board_url = create_board(fay, live_server.url, title="Undo", template="blank")
        join(ana, board_url + "/join")
        page = ana.page
        # delete with the Delete key: the toast offers Undo, which brings the note back for all
        keep = add_note(ana, "Keep me")
        note(page, keep).focus()
        page.keyboard.press("Delete")
        expect(note(fay.page, keep)).to_have_count(0)
        toast = page.locator(".toast", has_text="Note deleted")
        expect(toast.get_by_role("button", name="Undo")).to_be_visible()
        shot15(ana, "30-undo-toast")
        toast.get_by_role("button", name="Undo").click()
        for who in people:
            expect(note_by_text(who.page, "Keep me")).to_have_count(1)
        # Ctrl+Z / Ctrl+Shift+Z on the board, and the toolbar buttons
        second = add_note(ana, "Second")
        note(page, second).focus()
        page.keyboard.press("Delete")
        expect(note(fay.page, second)).to_have_count(0)
        page.locator("#canvas").focus()
        page.keyboard.press("Control+z")
        expect(note_by_text(fay.page, "Second")).to_have_count(1)
        page.keyboard.press("Control+Shift+z")
        expect(note_by_text(fay.page, "Second")).to_have_count(0)
        page.click("#undo-btn")
        expect(note_by_text(fay.page, "Second")).to_have_count(1)
        expect(page.locator("#redo-btn")).to_be_enabled()
        # never undoes someone else's change
        add_note(fay, "Fay's own")
        expect(note_by_text(page, "Fay's own")).to_have_count(1)
        page.locator("#canvas").focus()
        for _ in range(6):
            page.keyboard.press("Control+z")
        expect(note_by_text(page, "Fay's own")).to_have_count(1)
        expect(note_by_text(fay.page, "Fay's own")).to_have_count(1)
        # a group, a decision and an action item: each delete can be undone from its toast
        fay.page.locator("#canvas").focus()
        fay.page.keyboard.press("g")
        fay.page.locator(".group__title-input").fill("Theme")
        fay.page.keyboard.press("Enter")
        group = fay.page.locator(".group", has_text="Theme")
        shot15(fay, "32-before-group-delete")
        group.locator(".group__head").hover()
        group.get_by_role("button", name="Delete group (keeps its notes)").click()
        expect(fay.page.locator(".group")).to_have_count(0)
        fay.page.locator(".toast", has_text="deleted").get_by_role("button", name="Undo").click()
        for who in people:
            expect(who.page.locator(".group", has_text="Theme")).to_have_count(1)
        fay.page.click("#tab-btn-actions")
        fay.page.fill("#decision-text", "We ship in May")
        fay.page.click("#decision-form button[type=submit]")
        fay.page.fill("#action-text", "Write the plan")
        fay.page.click("#action-form button[type=submit]")
        expect(ana.page.locator("#action-list .action")).to_have_count(1)
        fay.page.get_by_role("button", name="Delete decision").click()
        fay.page.locator(".toast", has_text="Decision deleted").get_by_role(
            "button", name="Undo"
        ).click()
        fay.page.get_by_role("button", name="Delete action item").click()
        expect(ana.page.locator("#action-list .action")).to_have_count(0)
        fay.page.locator(".toast", has_text="Action item deleted").get_by_role(
            "button", name="Undo"
        ).click()
        ana.page.click("#tab-btn-actions")
        expect(ana.page.locator("#decision-list .decision__text")).to_contain_text(
            ["We ship in May"]
        )
        expect(ana.page.locator("#action-list .action__text")).to_have_value("Write the plan")
        shot15(fay, "31-undo-outcomes")
        for who in people:
            who.check_errors()
    finally:
        for who in people:
            who.context.close()
