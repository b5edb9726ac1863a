"""Helpers for the browser tests: people (a context and a page each), and board actions."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from playwright.sync_api import BrowserContext, Locator, Page, expect

ROOT = Path(__file__).resolve().parents[2]
# Debian's Chromium; PLANBOARD_CHROMIUM names another binary (the missing-browser test uses it).
CHROMIUM = os.environ.get("PLANBOARD_CHROMIUM", "/usr/bin/chromium")
WEB_DIST = ROOT / "web" / "static" / "dist"
SCREENSHOTS = Path(os.environ.get("PLANBOARD_SCREENSHOTS", ROOT / "test-output" / "screenshots"))
TIMEOUT = 10_000

expect.set_options(timeout=TIMEOUT)


@dataclass
class Person:
    name: str
    context: BrowserContext
    page: Page
    errors: list[str] = field(default_factory=list)

    def shot(self, name: str) -> Path:
        path = SCREENSHOTS / f"{name}.png"
        self.page.screenshot(path=str(path))
        return path

    def check_errors(self) -> None:
        assert not self.errors, f"{self.name}'s page had errors: {self.errors}"


def person(
    browser: Any, name: str, *, width: int = 1280, height: int = 800, clipboard: bool = False
) -> Person:
    context = browser.new_context(viewport={"width": width, "height": height})
    if clipboard:
        context.grant_permissions(["clipboard-read", "clipboard-write"])
    context.set_default_timeout(TIMEOUT)
    page = context.new_page()
    who = Person(name, context, page)
    page.on("pageerror", lambda exc: who.errors.append(str(exc)))
    return who


def wait_online(page: Page) -> None:
    expect(page.locator("#conn")).to_have_attribute("data-state", "online")
    expect(page.locator("#app")).to_have_attribute("data-state", "ready")


def create_board(
    who: Person, base_url: str, *, title: str, template: str = "prioritization"
) -> str:
    page = who.page
    page.goto(base_url + "/")
    page.locator(f'input[name="template"][value="{template}"]').check(force=True)
    page.fill("#name", who.name)
    page.fill("#title", title)
    page.click("#create-submit")
    page.wait_for_url(re.compile(r".*/b/[A-Za-z0-9_-]{16,}$"))
    wait_online(page)
    return page.url


def join(who: Person, join_url: str) -> None:
    page = who.page
    page.goto(join_url)
    page.fill("#join-name", who.name)
    page.click("#join-submit")
    page.wait_for_url(re.compile(r".*/b/[A-Za-z0-9_-]{16,}$"))
    wait_online(page)


def note_by_text(page: Page, text: str) -> Locator:
    return page.locator(".note", has=page.locator(".note__body", has_text=text))


def add_note(who: Person, text: str) -> str:
    """Press N, type, leave the editor; returns the new note's id."""
    page = who.page
    before = set(page.locator(".note").evaluate_all("els => els.map(e => e.dataset.id)"))
    page.keyboard.press("n")
    editor = page.locator(".note.is-editing textarea")
    expect(editor).to_be_focused()
    page.keyboard.type(text)
    page.keyboard.press("Escape")
    expect(note_by_text(page, text)).to_have_count(1)
    after = page.locator(".note").evaluate_all("els => els.map(e => e.dataset.id)")
    new = [i for i in after if i not in before]
    assert len(new) == 1, new
    return str(new[0])


def note(page: Page, note_id: str) -> Locator:
    return page.locator(f'.note[data-id="{note_id}"]')


def command(who: Person, selector: str) -> None:
    who.page.click(selector)


def open_tab(page: Page, tab: str) -> None:
    page.click(f"#tab-btn-{tab}")
    expect(page.locator(f"#tab-{tab}")).to_be_visible()
