"""axe-core (the npm package, injected by Playwright) on every page and main state, at 1440x900
and 390x844: landing, join, empty board, dialogs, board with notes, the outline, voting open,
results, the drawers and the summary. Any violation of impact serious or critical fails."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.browser.access import (
    DESKTOP,
    PHONE,
    api_board,
    api_command,
    api_join,
    axe,
    new_person,
    open_board,
    shot,
)
from tests.servers import PlanboardProcess

pytestmark = pytest.mark.browser


def set_view(page: Page, view: str) -> None:
    toggle = page.locator("#view-toggle")
    if (toggle.get_attribute("aria-pressed") == "true") != (view == "outline"):
        toggle.click()
    expect(toggle).to_have_attribute("aria-pressed", "true" if view == "outline" else "false")


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_axe_finds_nothing_serious(browser: Any, live_server: PlanboardProcess, size: str) -> None:
    viewport = DESKTOP if size == "desktop" else PHONE
    phone = size == "phone"
    url = live_server.url
    # Two words: the avatars then show two-letter initials inside the people button.
    board = api_board(
        url, template="prioritization", objective="Pick the top three", name="Fay Ortiz"
    )
    board_id = board["id"]
    fay = new_person(browser, "Fay", touch=phone, still=True, **viewport)
    found: list[dict[str, Any]] = []
    page = fay.page
    tag = "1440" if size == "desktop" else "390"

    def check(state: str) -> None:
        found.extend(axe(page, f"{state} at {size}"))

    try:
        page.goto(url + "/")
        check("landing")
        page.goto(f"{url}/b/{board_id}/join")
        check("join")

        open_board(fay, url, board_id, board, view="canvas")
        check("empty board")
        for opener, dialog in (
            ("#invite-btn", "#invite-dialog"),
            ("#edit-title", "#details-dialog"),
            ("#help-btn", "#help-dialog"),
        ):
            page.locator(opener).click()
            expect(page.locator(dialog)).to_be_visible()
            check(f"dialog {dialog}")
            if dialog == "#help-dialog" and not phone:
                shot(fay, "dialog-help-1440")
            page.keyboard.press("Escape")
            expect(page.locator(dialog)).to_be_hidden()

        set_view(page, "outline")
        check("empty outline")
        for text in ("Faster CI", "Fix onboarding", "Dark mode"):
            page.fill("#ol-note-text", text)
            page.click("#ol-note-add")
        page.fill("#ol-group-name", "Quick wins")
        page.click("#ol-group-add")
        expect(page.locator("#outline .ol-note")).to_have_count(3)
        check("outline with notes")
        page.locator("#outline [aria-haspopup='menu']").first.click()
        expect(page.locator("[role='menu']")).to_be_visible()
        check("outline menu open")
        page.keyboard.press("Escape")

        set_view(page, "canvas")
        expect(page.locator(".note")).to_have_count(3)
        check("board with notes")
        if not phone:
            page.click("#agenda-edit")
            check("agenda editor")
            page.click("#agenda-edit")
            page.click("#tab-btn-actions")
            check("outcomes tab")
            page.click("#tab-btn-session")

        api_command(url, board_id, board["token"], type="voting.start", budget=3)
        expect(page.locator("#voting-banner")).to_be_visible()
        check("voting open (canvas)")
        shot(fay, f"board-voting-{tag}")
        set_view(page, "outline")
        expect(page.locator("#ol-status")).to_contain_text("Voting round 1 is open")
        check("voting open (outline)")

        ids = json.loads(
            page.evaluate("JSON.stringify(Object.keys(window.planboard.notes.toJSON()))")
        )
        ana = api_join(url, board_id, "Ana")
        for note_id in ids[:2]:
            api_command(url, board_id, ana["token"], type="vote", note_id=note_id)
        api_command(url, board_id, board["token"], type="voting.reveal")
        expect(page.locator("#ol-results-list li")).to_have_count(2)
        check("results (outline)")
        shot(fay, f"outline-results-{tag}")
        set_view(page, "canvas")
        expect(page.locator("#results")).to_be_attached()
        check("results (canvas)")
        shot(fay, f"board-results-{tag}")

        if phone:
            for toggle, cls in (("#toggle-agenda", "show-agenda"), ("#toggle-side", "show-side")):
                page.locator(toggle).tap()
                expect(page.locator("#app")).to_have_class(re.compile(cls))
                check(f"drawer {toggle}")
                page.keyboard.press("Escape")
                expect(page.locator("#app")).not_to_have_class(re.compile("show-"))
        page.goto(f"{url}/b/{board_id}/summary")
        expect(page.locator("body")).to_contain_text("Faster CI")
        check("summary")
        shot(fay, f"summary-{tag}", full_page=True)
        fay.check_errors()
    finally:
        fay.context.close()
    assert not found, "axe found serious or critical violations:\n" + json.dumps(found, indent=1)
