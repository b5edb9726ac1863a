"""Issue 15, item 7: the summary page and the exports agree with the board: groups, the
not-actionable flag, one date format, file names from the title, a download link that works in a
new tab (short-lived, signed)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import add_note, create_board, open_tab, person, shot15
from tests.servers import PlanboardProcess

pytestmark = pytest.mark.browser


def test_summary_and_exports_agree(browser: Any, live_server: PlanboardProcess) -> None:
    fay = person(browser, "Fay", width=1440, height=900)
    stranger = person(browser, "Tab", width=1440, height=900)
    try:
        board_url = create_board(fay, live_server.url, title="Q1 Planning", template="blank")
        page = fay.page
        grouped = add_note(fay, "Faster CI")
        add_note(fay, "Loose idea")
        page.evaluate(
            """([id]) => {
              const b = window.planboard
              const G = b.groups.constructor
              b.transact(() => {
                const g = new G()
                b.groups.set('g-eng', g)
                g.set('title', 'Engineering'); g.set('x', 3000); g.set('y', 3000)
                g.set('w', 480); g.set('h', 320); g.set('color', 'blue')
                b.notes.get(id).set('group', 'g-eng')
              })
            }""",
            [grouped],
        )
        open_tab(page, "actions")
        page.fill("#action-text", "Plan the CI work")
        page.locator("#action-owner").select_option(label="Fay")
        page.fill("#action-due", "2027-01-15")
        page.click("#action-form button[type=submit]")
        page.fill("#action-text", "Someone should look")
        page.click("#action-form button[type=submit]")
        expect(page.locator("#action-list .action")).to_have_count(2)
        # the board's export button: a download named after the title
        with page.expect_download() as md:
            page.click("#export-md")
        assert md.value.suggested_filename == "planboard-q1-planning.md"
        text = Path(md.value.path()).read_text(encoding="utf-8")
        assert "**Engineering**" in text

        page.goto(board_url + "/summary")
        expect(page.locator("#summary-body")).to_be_visible()
        expect(
            page.locator("#summary-agenda .summary-group__title", has_text="Engineering")
        ).to_be_visible()
        actions = page.locator("#summary-actions tbody tr")
        expect(actions).to_have_count(2)
        expect(actions.nth(1)).to_contain_text("Not yet actionable: no owner and no due date")
        expect(actions.nth(0)).not_to_contain_text("Not yet actionable")
        board_format = page.evaluate(
            "new Date(2027, 0, 15).toLocaleDateString(undefined,"
            " {year: 'numeric', month: '2-digit', day: '2-digit'})"
        )
        due = actions.nth(0).locator("td").nth(2)
        expect(due).to_have_text(board_format)
        assert due.evaluate("el => getComputedStyle(el).whiteSpace") == "nowrap"
        shot15(fay, "50-summary")

        # a link that opens in a new tab, with no token in that browser at all
        url = page.evaluate(
            """async () => {
              const id = location.pathname.split('/')[2]
              const token = JSON.parse(localStorage.getItem('planboard.auth.' + id)).token
              const r = await fetch(`/api/boards/${id}/export/link`, {method: 'POST',
                headers: {'Content-Type': 'application/json', Authorization: 'Bearer ' + token},
                body: JSON.stringify({format: 'json'})})
              return (await r.json()).url
            }"""
        )
        assert url and "sig=" in url, url
        response = stranger.page.request.get(live_server.url + url)
        assert response.status == 200, response.text()
        assert response.json()["board"]["title"] == "Q1 Planning"
        fay.check_errors()
    finally:
        fay.context.close()
        stranger.context.close()
