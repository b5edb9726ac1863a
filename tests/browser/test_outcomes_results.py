"""Issue 15, items 5 and 6: the outcomes form and decisions with rationale and evidence; the
results: badges only where dots are, a "hide results" switch, full labels, per-group totals,
distinct words for "done" (ready) and "used all their dots" (voting)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import (
    add_note,
    create_board,
    join,
    note,
    open_tab,
    overflowing,
    person,
    shot15,
)
from tests.servers import PlanboardProcess

pytestmark = pytest.mark.browser

LONG_IDEA = (
    "Rebuild the onboarding flow so that a new team reaches its first shared board in under "
    "two minutes, with templates"
)


def test_outcomes_and_results(browser: Any, live_server: PlanboardProcess) -> None:
    fay = person(browser, "Fay", width=1440, height=900)
    ana = person(browser, "Ana", width=1440, height=900)
    ben = person(browser, "Ben", width=1440, height=900)
    people = [fay, ana, ben]
    try:
        board_url = create_board(fay, live_server.url, title="Outcomes", template="blank")
        join(ana, board_url + "/join")
        join(ben, board_url + "/join")
        page = fay.page
        n1 = add_note(ana, LONG_IDEA)
        n2 = add_note(ben, "Price plans")
        n3 = add_note(fay, "Nobody votes for me")
        # a group with n2 in it, for the per-group totals
        page.evaluate(
            """([id]) => {
              const b = window.planboard
              const G = b.groups.constructor
              b.transact(() => {
                const g = new G()
                b.groups.set('g-pricing', g)
                g.set('title', 'Pricing'); g.set('x', 2000); g.set('y', 2000)
                g.set('w', 480); g.set('h', 320); g.set('color', 'blue')
                b.notes.get(id).set('group', 'g-pricing')
              })
            }""",
            [n2],
        )
        # -- a secret round: Ana 2 dots on n1, Ben 1 on n1 and 1 on n2
        page.fill("#vote-budget", "2")
        page.fill("#vote-cap", "2")
        page.click("#voting-start")
        expect(ana.page.locator("#dots-left")).to_have_text("2 of 2 dots left")
        note(ana.page, n1).click()
        note(ana.page, n1).click()
        expect(ana.page.locator("#dots-left")).to_have_text("0 of 2 dots left")
        expect(page.locator("#voting-state")).to_contain_text("1 of 3 have used all their dots")
        expect(page.locator("#voting-state")).not_to_contain_text("done")
        note(ben.page, n1).click()
        note(ben.page, n2).click()
        expect(ben.page.locator("#dots-left")).to_have_text("0 of 2 dots left")
        page.click("#voting-reveal")
        late = add_note(ana, "Written after the round")
        for who in people:
            expect(note(who.page, n1).locator(".note__count")).to_have_text("3")
            expect(note(who.page, n2).locator(".note__count")).to_have_text("1")
            # no badge where no dots are: not on an unvoted note, not on a later note
            expect(note(who.page, n3).locator(".note__count")).to_be_hidden()
            expect(note(who.page, late).locator(".note__count")).to_be_hidden()
            expect(note(who.page, n3).locator(".note__rank")).to_be_hidden()
        # full labels in the results panel, nothing sticks out
        ranking = page.locator("#results .ranking li").first.locator(".ranking__text")
        expect(ranking).to_have_text(LONG_IDEA)
        assert not overflowing(page), overflowing(page)
        # per-group totals
        totals = page.locator("#group-totals")
        expect(totals).to_contain_text("Pricing (1 note)")
        expect(totals).to_contain_text("Not in a group (1 note)")
        shot15(fay, "40-results")
        # hide results: the badges leave the canvas (for me), and come back
        ana.page.click("#tab-btn-results")
        ana.page.check("#results-hide")
        expect(ana.page.locator(".note__count:visible")).to_have_count(0)
        expect(note(page, n1).locator(".note__count")).to_have_text("3")
        shot15(ana, "41-results-hidden")
        ana.page.uncheck("#results-hide")
        expect(note(ana.page, n1).locator(".note__count")).to_have_text("3")
        # participants get no decision button
        expect(ana.page.locator("#decide-top")).to_have_count(0)

        # -- decision from result #1: text, rationale and evidence prefilled, then recorded
        page.click("#decide-top")
        expect(page.locator("#tab-actions")).to_be_visible()
        expect(page.locator("#decision-text")).to_have_value(LONG_IDEA)
        expect(page.locator("#decision-rationale")).to_have_value(
            "Ranked #1 in voting round 1 with 3 dots of 4."
        )
        expect(page.locator("#decision-evidence")).to_contain_text("Evidence from voting round 1")
        page.fill("#decision-text", "Onboarding first")
        page.click("#decision-form button[type=submit]")
        expect(page.locator("#decision-evidence")).to_be_hidden()
        open_tab(ana.page, "actions")
        decision = ana.page.locator("#decision-list .decision")
        expect(decision.locator(".decision__title")).to_have_text("Onboarding first")
        expect(decision.locator(".decision__why")).to_have_text(
            "Ranked #1 in voting round 1 with 3 dots of 4."
        )
        expect(decision.locator(".decision__evidence")).to_contain_text("3 dots")

        # -- the action form resets completely: the next action has no owner
        page.fill("#action-text", "First action")
        page.locator("#action-owner").select_option(label="Fay")
        page.fill("#action-due", "2027-01-15")
        page.click("#action-form button[type=submit]")
        expect(page.locator("#action-owner")).to_have_value("")
        expect(page.locator("#action-due")).to_have_value("")
        page.fill("#action-text", "Second action")
        page.click("#action-form button[type=submit]")
        rows = ana.page.locator("#action-list .action")
        expect(rows).to_have_count(2)
        expect(rows.nth(1).locator(".action__meta select")).to_have_value("")
        shot15(fay, "42-outcomes")

        # -- the export carries rationale and evidence
        with page.expect_download() as js:
            page.click("#export-json")
        data = json.loads(Path(js.value.path()).read_text(encoding="utf-8"))
        dec = data["decisions"][0]
        assert dec["rationale"] == "Ranked #1 in voting round 1 with 3 dots of 4."
        assert dec["round"] == 1
        assert [e["note_id"] for e in dec["evidence"]] == [n1]
        for who in people:
            who.check_errors()
    finally:
        for who in people:
            who.context.close()
