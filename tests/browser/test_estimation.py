"""Planning poker in two browsers: start a round, cards on each note, reveal, agree."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import add_note, create_board, join, note, open_tab, person
from tests.servers import PlanboardProcess

pytestmark = pytest.mark.browser


def test_estimation_round_in_the_browser(browser: Any, live_server: PlanboardProcess) -> None:
    fay = person(browser, "Fay")
    ana = person(browser, "Ana")
    try:
        board_url = create_board(fay, live_server.url, title="Sprint sizing")
        join(ana, board_url + "/join")
        ci = add_note(ana, "Faster CI")
        docs = add_note(fay, "Write the docs")
        expect(note(fay.page, ci)).to_have_count(1)
        # Fay starts an estimation round on the fibonacci scale.
        open_tab(fay.page, "session")
        fay.page.select_option("#estimation-scale", "fibonacci")
        fay.page.click("#estimation-start")
        # Both see a deck of cards on each note; a click casts, a second click changes it.
        for who in (ana, fay):
            expect(note(who.page, ci).locator(".deck-card")).to_have_count(12)
            who.page.click("#zoom-fit")  # the decks made the notes taller: bring all into view
        ana.page.locator(f'.note[data-id="{ci}"] .deck-card[data-card="8"]').click()
        ana.page.locator(f'.note[data-id="{ci}"] .deck-card[data-card="3"]').click()
        expect(note(ana.page, ci).locator(".deck-card.is-mine")).to_have_text("3")
        ana.page.locator(f'.note[data-id="{docs}"] .deck-card[data-card="2"]').click()
        fay.page.locator(f'.note[data-id="{ci}"] .deck-card[data-card="13"]').click()
        expect(note(fay.page, ci).locator(".deck-card.is-mine")).to_have_text("13")
        # Secret until the reveal: Fay's page shows nothing of Ana's cards.
        expect(fay.page.locator(".note__estimate:visible")).to_have_count(0)
        expect(fay.page.locator("#estimation-state")).to_contain_text("1 of 2")
        fay.page.click("#estimation-reveal")
        for who in (ana, fay):
            result = note(who.page, ci).locator(".note__estimate")
            expect(result.locator(".estimate-median")).to_have_text("median 13")
            expect(result.locator(".estimate-discuss")).to_have_text("discuss: 3 to 13")
            expect(note(who.page, ci).locator(".deck-card")).to_have_count(0)
        expect(note(ana.page, ci).locator(".estimate-agree")).to_have_count(0)  # facilitators only
        fay.shot("estimation-revealed")
        # Fay records the agreed value; everyone sees it on the note.
        note(fay.page, ci).locator('.estimate-agree [data-agree="3"]').click()
        for who in (ana, fay):
            expect(note(who.page, ci).locator(".note__estimate-badge")).to_have_text("3")
    finally:
        fay.context.close()
        ana.context.close()
    fay.check_errors()
    ana.check_errors()
