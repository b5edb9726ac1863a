"""Issue 15, item 1: revealing the drafts while a member is still typing one.

No false "not accepted" notice; the text typed until the reveal arrives lands in the revealed
note; keystrokes after the reveal never reach the canvas shortcuts (N made a stray note);
the revealed notes are brought into view with a count.
"""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import add_note, create_board, join, note_by_text, person, shot15
from tests.servers import PlanboardProcess

pytestmark = pytest.mark.browser


def test_reveal_keeps_typing_and_tells_the_truth(
    browser: Any, live_server: PlanboardProcess
) -> None:
    fay = person(browser, "Fay", width=1440, height=900)
    ana = person(browser, "Ana", width=1440, height=900)
    ben = person(browser, "Ben", width=1440, height=900)
    people = [fay, ana, ben]
    try:
        board_url = create_board(fay, live_server.url, title="Reveal", template="blank")
        join(ana, board_url + "/join")
        join(ben, board_url + "/join")
        fay.page.click("#drafts-start")
        expect(ana.page.locator("#drafts-banner")).to_be_visible()
        add_note(ana, "First idea")
        add_note(ben, "Ben's idea")
        # Ana starts a second draft and is still typing when the facilitator reveals.
        ana.page.keyboard.press("n")
        editor = ana.page.locator(".note.is-editing textarea")
        expect(editor).to_be_focused()
        ana.page.keyboard.type("Second idea")
        expect(fay.page.locator("#drafts-state")).to_contain_text("3 private notes")
        shot15(ana, "01-draft-typing")
        fay.page.click("#drafts-reveal")
        expect(ana.page.locator("#drafts-banner")).to_have_count(0)
        # The rest of the sentence, typed after the reveal arrived (it has an "n" in it).
        ana.page.keyboard.type(" continues nicely")
        ana.page.keyboard.press("Escape")
        for who in people:
            expect(note_by_text(who.page, "Second idea continues nicely")).to_have_count(1)
            expect(who.page.locator(".note")).to_have_count(3)
        expect(ana.page.locator(".note.note--draft")).to_have_count(0)
        # Everyone is told what came in, and sees it.
        for who in people:
            expect(
                who.page.locator(".toast", has_text="3 notes from 2 people revealed")
            ).to_be_visible()
            expect(who.page.locator(".toast", has_text="did not accept")).to_have_count(0)
            expect(who.page.locator(".toast", has_text="undone")).to_have_count(0)
        shot15(fay, "02-reveal-facilitator")
        shot15(ana, "03-reveal-participant")
        for who in people:
            who.check_errors()
    finally:
        for who in people:
            who.context.close()
