"""The note editor enforces the server's configured limit (PLANBOARD_MAX_NOTE_TEXT), which the
board page's data carries: no copy of the default in the client."""

from __future__ import annotations

import json
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import add_note, create_board, note, person

pytestmark = pytest.mark.browser


def test_the_editor_takes_the_servers_note_limit(browser: Any, server_factory: Any) -> None:
    server = server_factory(env={"PLANBOARD_MAX_NOTE_TEXT": "50"})
    fay = person(browser, "Fay")
    try:
        create_board(fay, server.url, title="Short notes", template="blank")
        page = fay.page
        data = json.loads(page.locator("#page-data").text_content() or "{}")
        assert data["limits"] == {"note_text": 50}
        note_id = add_note(fay, "start")
        n = note(page, note_id)
        n.dblclick()
        editor = n.locator("textarea")
        expect(editor).to_be_focused()
        expect(editor).to_have_attribute("maxlength", "50")
        counter = n.locator(".note__counter")
        editor.fill("x" * 44)
        expect(counter).to_be_hidden()  # from 90% of the limit on
        editor.press("End")
        page.keyboard.type("y")
        expect(counter).to_have_text("45 / 50")
        page.keyboard.type("abcdefghij")  # 5 more fit, the rest is refused
        expect(counter).to_have_text("Full: 50 characters at most")
        assert len(editor.input_value()) == 50
        page.keyboard.press("Escape")
        fay.check_errors()
    finally:
        fay.context.close()
