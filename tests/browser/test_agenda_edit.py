"""Facilitators edit the session in the browser; participants see it live and cannot edit.

The facilitator renames the board, edits the objective, and adds, edits, reorders and removes
agenda items; a participant's browser follows every change and shows no edit controls. Then a
voting round checks that a double-click places exactly one dot and never creates a note.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.browser.helpers import (
    SCREENSHOTS,
    Person,
    add_note,
    create_board,
    join,
    note,
    open_tab,
    person,
)
from tests.servers import PlanboardProcess

pytestmark = pytest.mark.browser

TEMPLATE_AGENDA = [
    "Collect candidate tasks",
    "Clarify and merge duplicates",
    "Dot-vote on impact",
    "Discuss the ranking",
    "Decide the top priorities",
    "Assign owners",
]


def agenda_titles(page: Page) -> Any:
    return page.locator("#agenda-list .agenda-item__title")


def edit_row(page: Page, index: int) -> Any:
    return page.locator("#agenda-list .agenda-edit").nth(index)


def test_facilitator_edits_session_live(browser: Any, live_server: PlanboardProcess) -> None:
    fay = person(browser, "Fay")
    ana = person(browser, "Ana")
    try:
        run(live_server, fay, ana)
    finally:
        for who in (fay, ana):
            who.context.close()
    for who in (fay, ana):
        who.check_errors()


def run(server: PlanboardProcess, fay: Person, ana: Person) -> None:
    board_url = create_board(fay, server.url, title="Q4 planning")
    join(ana, board_url + "/join")
    page, other = fay.page, ana.page
    expect(agenda_titles(other)).to_have_text(TEMPLATE_AGENDA)

    # -- the participant has no edit controls
    for selector in ("#edit-title", "#edit-objective", "#agenda-edit", "#agenda-editor"):
        expect(other.locator(selector)).to_be_hidden()
    expect(other.locator("#details-dialog")).to_be_hidden()

    # -- rename the board and edit the objective (one dialog, from either pencil)
    page.click("#edit-title")
    dialog = page.locator("#details-dialog")
    expect(dialog).to_be_visible()
    expect(page.locator("#details-title")).to_be_focused()
    page.fill("#details-title", "Q4 planning: <b>offsite</b>")
    page.fill("#details-objective", "Agree on three bets for Q4.\nName an owner for each.")
    page.click("#details-save")
    expect(dialog).to_be_hidden()
    for p in (page, other):
        expect(p.locator("#board-title")).to_have_text("Q4 planning: <b>offsite</b>")
        expect(p.locator("#objective")).to_have_text(
            "Agree on three bets for Q4.\nName an owner for each."
        )
    expect(other).to_have_title(re.compile(r"^Q4 planning: <b>offsite</b>"))
    # an empty title is refused; Escape leaves the dialog without saving
    page.click("#edit-objective")
    expect(page.locator("#details-objective")).to_be_focused()
    page.fill("#details-title", "  ")
    page.click("#details-save")
    expect(page.locator("#details-error")).to_have_text("The board needs a title.")
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(other.locator("#board-title")).to_have_text("Q4 planning: <b>offsite</b>")

    # -- open the agenda editor
    page.click("#agenda-edit")
    expect(page.locator("#agenda-edit")).to_have_attribute("aria-pressed", "true")
    rows = page.locator("#agenda-list .agenda-edit")
    expect(rows).to_have_count(6)
    expect(edit_row(page, 0).locator(".agenda-edit__title")).to_be_focused()
    # the current item (the first) cannot be removed; the first cannot move up
    expect(edit_row(page, 0).locator('[data-field="remove"]')).to_be_disabled()
    expect(edit_row(page, 0).locator('[data-field="up"]')).to_be_disabled()

    # add an item
    page.fill("#agenda-add-title", "Review risks")
    page.fill("#agenda-add-minutes", "20")
    page.select_option("#agenda-add-kind", "decide")
    page.press("#agenda-add-title", "Enter")
    expect(rows).to_have_count(7)
    expect(page.locator("#agenda-add-title")).to_be_focused()
    expect(page.locator("#agenda-add-title")).to_have_value("")
    last = other.locator("#agenda-list .agenda-item").nth(6)
    expect(last.locator(".agenda-item__title")).to_have_text("Review risks")
    expect(last.locator(".agenda-item__min")).to_have_text("20 min")
    expect(last.locator(".agenda-item__kind")).to_have_text("Decide")

    # rename, change minutes and kind of the second item
    second = edit_row(page, 1)
    second.locator(".agenda-edit__title").fill("Merge <i>duplicates</i>")
    second.locator(".agenda-edit__title").press("Enter")
    second.locator('[data-field="minutes"]').fill("7")
    second.locator('[data-field="minutes"]').press("Enter")
    second.locator('[data-field="kind"]').select_option("discuss")
    item = other.locator("#agenda-list .agenda-item").nth(1)
    expect(item.locator(".agenda-item__title")).to_have_text("Merge <i>duplicates</i>")
    expect(item.locator(".agenda-item__min")).to_have_text("7 min")
    expect(item.locator(".agenda-item__kind")).to_have_text("Discuss")

    # reorder: "Review risks" up once by button, once by Alt+ArrowUp; the focus stays on it
    up = edit_row(page, 6).locator('[data-field="up"]')
    up.click()
    expect(edit_row(page, 5).locator(".agenda-edit__title")).to_have_value("Review risks")
    moved_up = edit_row(page, 5).locator('[data-field="up"]')
    expect(moved_up).to_be_focused()
    page.keyboard.press("Alt+ArrowUp")
    expect(edit_row(page, 4).locator('[data-field="up"]')).to_be_focused()
    # and the first item down by one
    edit_row(page, 0).locator('[data-field="down"]').click()
    expected = [
        "Merge <i>duplicates</i>",
        "Collect candidate tasks",
        "Dot-vote on impact",
        "Discuss the ranking",
        "Review risks",
        "Decide the top priorities",
        "Assign owners",
    ]
    expect(agenda_titles(other)).to_have_text(expected)
    # the current item moved with its id: it is still current everywhere
    for p in (page, other):
        expect(p.locator('#agenda-list [aria-current="step"]')).to_have_count(1)
    expect(other.locator('.agenda-item[aria-current="step"]')).to_contain_text(
        "Collect candidate tasks"
    )

    # remove an item
    edit_row(page, 2).locator('[data-field="remove"]').click()
    expected.remove("Dot-vote on impact")
    expect(agenda_titles(other)).to_have_text(expected)
    expect(rows).to_have_count(6)
    # the focus moved to the next item's remove button
    expect(edit_row(page, 2).locator('[data-field="remove"]')).to_be_focused()
    fay.shot("11-agenda-editor")
    page.locator("#agenda-panel").screenshot(path=str(SCREENSHOTS / "12-agenda-editor-panel.png"))

    # done: the normal list again, with the new order
    page.click("#agenda-edit")
    expect(page.locator("#agenda-edit")).to_have_attribute("aria-pressed", "false")
    expect(page.locator("#agenda-editor")).to_be_hidden()
    expect(agenda_titles(page)).to_have_text(expected)

    # -- voting: a double-click places one dot and creates no note
    n1 = add_note(fay, "Hire a designer")
    n2 = add_note(fay, "Cut the beta scope")
    expect(other.locator(".note")).to_have_count(2)
    open_tab(page, "session")
    page.click("#voting-start")
    expect(other.locator("#dots-left")).to_have_text("5 of 5 dots left")
    note(other, n1).dblclick()
    expect(other.locator("#dots-left")).to_have_text("4 of 5 dots left")
    other.locator("#canvas").dblclick(position={"x": 24, "y": 300})
    expect(other.locator(".note")).to_have_count(2)
    # one more single click: the vote queue is ordered, so once it is counted, all are
    note(other, n2).click()
    expect(other.locator("#dots-left")).to_have_text("3 of 5 dots left")
    expect(note(other, n1).locator(".vote-dot")).to_have_count(1)
    expect(note(other, n2).locator(".vote-dot")).to_have_count(1)
    mine = other.evaluate(
        """async () => {
            const b = window.planboard
            const r = await fetch(`/api/boards/${b.boardId}/votes/me`,
                {headers: {Authorization: `Bearer ${b.auth.token}`}})
            return r.json()
        }"""
    )
    assert mine["ballots"] == {n1: 1, n2: 1}, mine
    assert mine["used"] == 2 and mine["left"] == 3, mine
    expect(page.locator(".note")).to_have_count(2)

    # -- wide windows: the side panels can be hidden, so the canvas gets the room
    narrow = page.locator("#canvas").bounding_box()
    assert narrow is not None
    page.click("#collapse-agenda")
    expect(page.locator("#agenda-panel")).to_be_hidden()
    expect(page.locator("#collapse-agenda")).to_have_attribute("aria-expanded", "false")
    expect(page.locator("#collapse-agenda")).to_have_attribute(
        "aria-label", "Show the agenda panel"
    )
    page.locator("#canvas").focus()
    page.keyboard.press("]")
    expect(page.locator("#side-panel")).to_be_hidden()
    wider = page.locator("#canvas").bounding_box()
    assert wider is not None and wider["width"] >= narrow["width"] + 500, (narrow, wider)
    fay.shot("13-panels-hidden")
    # remembered in this browser
    page.reload()
    expect(page.locator("#agenda-panel")).to_be_hidden()
    expect(page.locator("#side-panel")).to_be_hidden()
    page.click("#collapse-agenda")
    page.keyboard.press("]")
    expect(page.locator("#agenda-panel")).to_be_visible()
    expect(page.locator("#side-panel")).to_be_visible()
    expect(other.locator("#collapse-agenda")).to_have_attribute("aria-expanded", "true")
