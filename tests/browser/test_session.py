"""A whole planning session in three browsers on a real server.

The facilitator creates the board on the landing page and copies the invite link; two
participants join through it; everyone adds and co-edits notes and sees the others' cursors;
the facilitator locks the board, walks the agenda, runs a secret vote and reveals it; an action
item and a decision are recorded, exported and shown on the summary page.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import (
    Person,
    add_note,
    create_board,
    join,
    note,
    note_by_text,
    open_tab,
    person,
)
from tests.servers import PlanboardProcess

pytestmark = pytest.mark.browser


def test_planning_session(browser: Any, live_server: PlanboardProcess) -> None:
    fay = person(browser, "Fay", clipboard=True)
    ana = person(browser, "Ana")
    ben = person(browser, "Ben", width=1024, height=768)  # a tablet-sized window
    people = [fay, ana, ben]
    try:
        run_session(live_server, fay, ana, ben)
    finally:
        for who in people:
            who.context.close()
    for who in people:
        who.check_errors()


def run_session(server: PlanboardProcess, fay: Person, ana: Person, ben: Person) -> None:
    # -- the facilitator creates the board on the landing page
    fay.page.goto(server.url + "/")
    expect(fay.page.locator(".template-card")).to_have_count(5)
    fay.shot("01-landing")
    board_url = create_board(fay, server.url, title="Q3 roadmap priorities")
    page = fay.page
    expect(page.locator("#board-title")).to_have_text("Q3 roadmap priorities")
    expect(page.locator("#role-chip")).to_have_text("Facilitator")
    expect(page.locator("#objective")).not_to_be_empty()

    # ... and copies the invite link from the welcome banner
    page.click("#welcome-copy")
    expect(page.locator(".toast", has_text="Invite link copied")).to_be_visible()
    invite = page.evaluate("navigator.clipboard.readText()")
    assert invite == board_url + "/join"

    # -- participants join by the invite link
    ana.page.goto(invite)
    expect(ana.page.locator("#join-title")).to_have_text("Q3 roadmap priorities")
    ana.shot("02-join")
    join(ana, invite)
    join(ben, invite)
    expect(ana.page.locator("#role-chip")).to_have_text("Participant")
    expect(page.locator("#presence .avatar")).to_have_count(3)

    # -- notes appear everywhere
    n1 = add_note(fay, "Ship the mobile app")
    n2 = add_note(ana, "Reduce churn")
    n3 = add_note(ben, "Fix onboarding funnel")
    for who in (fay, ana, ben):
        expect(who.page.locator(".note")).to_have_count(3)
        expect(note_by_text(who.page, "Reduce churn")).to_have_count(1)

    # -- co-editing one note live: Ana edits the start, Fay (facilitator) the end
    ana_note = note(ana.page, n2)
    ana_note.dblclick()
    ana_editor = ana_note.locator("textarea")
    expect(ana_editor).to_be_focused()
    fay_note = note(page, n2)
    fay_note.dblclick()
    fay_editor = fay_note.locator("textarea")
    expect(fay_editor).to_be_focused()
    expect(ana_note.locator(".note__editing-by")).to_have_text(re.compile("Fay is typing"))
    page.keyboard.press("End")
    page.keyboard.type(" by 10%")
    ana.page.keyboard.press("Home")
    ana.page.keyboard.type("Q3: ")
    expect(ana_editor).to_have_value("Q3: Reduce churn by 10%")
    expect(fay_editor).to_have_value("Q3: Reduce churn by 10%")
    expect(note(ben.page, n2).locator(".note__body")).to_have_text("Q3: Reduce churn by 10%")
    ana.page.keyboard.press("Escape")
    page.keyboard.press("Escape")

    # -- drag a note; everyone sees it move
    box = note(ben.page, n3).bounding_box()
    assert box is not None
    before = note(fay.page, n3).get_attribute("style")
    ben.page.mouse.move(box["x"] + 60, box["y"] + 90)
    ben.page.mouse.down()
    ben.page.mouse.move(box["x"] + 160, box["y"] + 130, steps=6)
    ben.page.mouse.up()
    expect(note(fay.page, n3)).not_to_have_attribute("style", before or "")

    # -- a group: press G, name it, drop a note into it
    page.locator("#canvas").focus()
    page.keyboard.press("g")
    title = page.locator(".group__title-input")
    expect(title).to_be_focused()
    title.fill("Growth")
    title.press("Enter")
    expect(ana.page.locator(".group .group__title")).to_have_text("Growth")
    page.click("#zoom-fit")  # the new group went where nothing was: bring all into view
    group_box = page.locator(".group").bounding_box()
    note_box = note(page, n1).bounding_box()
    assert group_box is not None and note_box is not None
    page.mouse.move(
        note_box["x"] + note_box["width"] * 0.2, note_box["y"] + note_box["height"] * 0.7
    )
    page.mouse.down()
    target_x = group_box["x"] + group_box["width"] - 120
    target_y = group_box["y"] + group_box["height"] - 60
    page.mouse.move(target_x, target_y, steps=8)
    page.mouse.up()
    expect(ana.page.locator(".group .group__count")).to_have_text(re.compile(r"^[1-3] notes?$"))

    # -- following the facilitator's view
    ben.page.click("#follow-btn")
    expect(ben.page.locator("#follow-btn")).to_have_attribute("aria-pressed", "true")
    page.click("#zoom-in")
    expect(ben.page.locator("#zoom-reset")).to_have_text(page.locator("#zoom-reset").inner_text())
    ben.page.click("#follow-btn")

    # -- live cursors: Ana moves her pointer, the others see it with her name
    ana.page.mouse.move(500, 300)
    ana.page.mouse.move(520, 320, steps=3)
    expect(page.locator(".cursor .cursor__name", has_text="Ana")).to_be_visible()
    expect(ben.page.locator(".cursor .cursor__name", has_text="Ana")).to_be_visible()
    fay.shot("03-board")

    # -- lock: participants can no longer edit, and are told so
    open_tab(page, "session")
    page.click("#lock-btn")
    expect(ana.page.locator("#locked-banner")).to_be_visible()
    expect(ana.page.locator("#add-note")).to_be_hidden()
    ana.page.locator("#canvas").focus()
    ana.page.keyboard.press("n")
    expect(ana.page.locator(".note")).to_have_count(3)
    expect(ana.page.locator(".toast", has_text="locked")).to_be_visible()
    note(ana.page, n2).dblclick()
    expect(note(ana.page, n2).locator("textarea")).to_have_count(0)
    expect(note(ana.page, n2)).to_have_class(re.compile("is-readonly"))
    ana.shot("04-locked-participant")
    page.click("#lock-btn")
    expect(ana.page.locator("#locked-banner")).to_have_count(0)

    # -- the agenda moves on for everyone; the timebox starts
    page.click("#agenda-next")
    for who in (fay, ana, ben):
        current = who.page.locator('.agenda-item[aria-current="step"]')
        expect(current).to_contain_text("Clarify and merge duplicates")
        expect(who.page.locator("#timer-time")).to_have_text(re.compile(r"^(09|10):\d\d$"))

    # -- a secret vote: 3 dots each, at most 2 per note
    page.fill("#vote-budget", "3")
    page.fill("#vote-cap", "2")
    expect(page.locator("#vote-secret")).to_be_checked()
    page.click("#voting-start")
    expect(ana.page.locator("#voting-banner")).to_be_visible()
    expect(ana.page.locator("#dots-left")).to_have_text("3 of 3 dots left")
    ana.page.click("#zoom-fit")  # the banner took its strip: bring every note into view
    note(ana.page, n1).click()
    expect(ana.page.locator("#dots-left")).to_have_text("2 of 3 dots left")
    note(ana.page, n1).click()
    expect(ana.page.locator("#dots-left")).to_have_text("1 of 3 dots left")
    note(ana.page, n1).click()  # the cap: at most 2 on one note
    expect(ana.page.locator(".toast", has_text="At most 2 dots")).to_be_visible()
    note(ana.page, n3).click()
    expect(ana.page.locator("#dots-left")).to_have_text("0 of 3 dots left")
    note(ana.page, n3).locator(".vote-remove").click()  # take one back
    expect(ana.page.locator("#dots-left")).to_have_text("1 of 3 dots left")
    note(ana.page, n2).click()
    ben.page.click("#zoom-fit")  # the tablet-sized window: bring every note into view first
    note(ben.page, n1).click()
    expect(ben.page.locator("#dots-left")).to_have_text("2 of 3 dots left")
    note(ben.page, n2).click()
    expect(ben.page.locator("#dots-left")).to_have_text("1 of 3 dots left")
    # secret: nobody sees tallies yet
    for who in (fay, ana, ben):
        expect(who.page.locator(".note__count:visible")).to_have_count(0)
    expect(page.locator("#voting-state")).to_contain_text("1 of 3 have used all their dots")
    ana.shot("05-voting")

    page.click("#voting-reveal")
    for who in (fay, ana, ben):
        expect(note(who.page, n1).locator(".note__count")).to_have_text("3")
        expect(note(who.page, n2).locator(".note__count")).to_have_text("2")
        expect(note(who.page, n3).locator(".note__count")).to_be_hidden()  # no dots, no badge
        expect(who.page.locator("#tab-results")).to_be_visible()
        expect(who.page.locator("#results .ranking__bar")).to_have_count(2)
        expect(who.page.locator("#results .ranking li").first).to_contain_text(
            "Ship the mobile app"
        )
    fay.shot("06-results")
    ben.shot("07-results-tablet")

    # -- outcomes: a decision and an action item, seen by everyone
    open_tab(page, "actions")
    page.fill("#decision-text", "Mobile app first")
    page.click("#decision-form button[type=submit]")
    page.fill("#action-text", "Draft the mobile roadmap")
    page.select_option("#action-owner", label="Ana")
    page.fill("#action-due", "2026-12-01")
    page.click("#action-form button[type=submit]")
    open_tab(ana.page, "actions")
    action = ana.page.locator("#action-list .action")
    expect(action).to_have_count(1)
    expect(action.locator(".action__text")).to_have_value("Draft the mobile roadmap")
    expect(action.locator("select")).to_have_value(re.compile(".+"))
    expect(ana.page.locator("#decision-list")).to_contain_text("Mobile app first")
    action.locator(".action__check").check()
    expect(page.locator("#action-list .action.is-done")).to_have_count(1)
    fay.shot("08-outcomes")

    # -- export: downloads with the bearer token
    with page.expect_download() as md:
        page.click("#export-md")
    text = Path(md.value.path()).read_text(encoding="utf-8")
    assert md.value.suggested_filename.endswith(".md")
    assert "# Q3 roadmap priorities" in text
    assert "Draft the mobile roadmap" in text and "Mobile app first" in text
    with page.expect_download() as js:
        page.click("#export-json")
    data = json.loads(Path(js.value.path()).read_text(encoding="utf-8"))
    assert data["board"]["title"] == "Q3 roadmap priorities"
    assert data["voting_rounds"][0]["ranking"][0]["votes"] == 3
    with page.expect_download() as csv:
        page.click("#export-csv")
    assert "Draft the mobile roadmap" in Path(csv.value.path()).read_text(encoding="utf-8")

    # -- promote Ana to co-facilitator: she gets the facilitator controls
    open_tab(page, "people")
    ana_id = ana.page.evaluate("window.planboard.me")
    page.select_option(f'#roster select[data-participant="{ana_id}"]', "facilitator")
    expect(ana.page.locator("#role-chip")).to_have_text("Facilitator")
    open_tab(ana.page, "session")
    expect(ana.page.locator("#lock-btn")).to_be_visible()

    # -- make Ben a viewer: read-only, with a clear banner
    ben_id = ben.page.evaluate("window.planboard.me")
    page.select_option(f'#roster select[data-participant="{ben_id}"]', "viewer")
    expect(ben.page.locator("#viewer-banner")).to_be_visible()
    expect(ben.page.locator("#add-note")).to_be_hidden()
    expect(note(ben.page, n3)).to_have_class(re.compile("is-readonly"))

    # -- the summary page: decisions, actions, results chart
    page.goto(board_url + "/summary")
    expect(page.locator("#summary-body")).to_be_visible()
    expect(page.locator("#summary-decisions")).to_contain_text("Mobile app first")
    expect(page.locator("#summary-actions")).to_contain_text("Draft the mobile roadmap")
    expect(page.locator("#summary-results svg.chart rect.chart__bar")).to_have_count(2)
    fay.shot("09-summary")
