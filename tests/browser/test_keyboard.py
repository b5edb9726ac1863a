"""The canvas with a keyboard: Tab reaches the panels and the toolbar before any note, the notes
are a single Tab stop, arrow keys walk the notes in reading order (by position, not creation),
Alt+arrows still move a note, and the focused note is drawn on top of its neighbours."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.browser.access import DESKTOP, api_board, new_person, open_board, shot
from tests.servers import PlanboardProcess

pytestmark = pytest.mark.browser

# Created in this order, laid out so that reading order (rows, then left to right) differs.
LAYOUT = {
    "alpha": (700, 80),
    "bravo": (400, 420),
    "charlie": (400, 90),
    "delta": (700, 410),
    "echo": (100, 430),
    "foxtrot": (100, 70),
}
READING = ["foxtrot", "charlie", "alpha", "echo", "bravo", "delta"]


def focused_note(page: Page) -> str | None:
    value = page.evaluate(
        "() => document.activeElement?.classList.contains('note')"
        " ? document.activeElement.querySelector('.note__body').textContent : null"
    )
    return None if value is None else str(value)


def test_canvas_keyboard(browser: Any, live_server: PlanboardProcess) -> None:
    board = api_board(live_server.url, template="blank")
    fay = new_person(browser, "Fay", **DESKTOP)
    page = fay.page
    try:
        open_board(fay, live_server.url, board["id"], board, view="outline")
        for text in LAYOUT:
            page.fill("#ol-note-text", text)
            page.click("#ol-note-add")
        expect(page.locator("#outline .ol-note")).to_have_count(len(LAYOUT))
        page.evaluate(
            """(layout) => { const b = window.planboard
              b.transact(() => b.notes.forEach((n) => {
                const [x, y] = layout[n.get('text').toString()]
                n.set('x', x); n.set('y', y) })) }""",
            LAYOUT,
        )
        page.click("#view-toggle")
        expect(page.locator(".note")).to_have_count(len(LAYOUT))
        page.click("#zoom-fit")

        # -- Tab once around the page: panels and toolbar come before the one note stop
        order: list[str] = []
        for _ in range(120):
            page.keyboard.press("Tab")
            what = page.evaluate(
                "() => { const e = document.activeElement;"
                " if (!e || e === document.body) return '';"
                " if (e.classList.contains('note')) return 'note';"
                " return e.id || e.closest('[id]')?.id || e.tagName }"
            )
            if what and order and what == order[0] and len(order) > 5:
                break  # went around once
            order.append(what)
        assert order.count("note") == 1, order
        start = order.index("collapse-agenda")  # the first control of the top bar
        order = order[start:] + order[:start]
        first_note = order.index("note")
        for control in ("add-note", "zoom-fit", "tab-btn-session", "agenda-next", "canvas"):
            assert control in order, (control, order)
            assert order.index(control) < first_note, (control, order)

        # -- into the notes: the Tab stop is the first note in reading order
        while focused_note(page) is None:
            page.keyboard.press("Tab")
        assert focused_note(page) == READING[0]
        seen = [READING[0]]
        for _ in range(len(READING) - 1):
            page.keyboard.press("ArrowRight")
            seen.append(str(focused_note(page)))
        assert seen == READING
        page.keyboard.press("ArrowRight")  # the last one stays focused
        assert focused_note(page) == READING[-1]
        page.keyboard.press("Home")
        assert focused_note(page) == READING[0]
        page.keyboard.press("ArrowDown")  # nearest note in the row below
        assert focused_note(page) == "echo"
        page.keyboard.press("ArrowRight")
        page.keyboard.press("ArrowUp")
        assert focused_note(page) == "charlie"
        page.keyboard.press("End")
        assert focused_note(page) == "delta"

        # -- Alt+arrow moves the focused note (10 px), and the focus stays on it
        before = page.evaluate("() => window.planboard.notes.toJSON()")
        page.keyboard.press("Alt+ArrowRight")
        page.wait_for_function(
            """(x) => Object.values(window.planboard.notes.toJSON())
                 .some((n) => n.text === 'delta' && n.x === x)""",
            arg=next(n["x"] for n in before.values() if n["text"] == "delta") + 10,
        )
        assert focused_note(page) == "delta"

        # -- the focused note is on top of a note laid over it
        page.evaluate(
            """() => { const b = window.planboard
              b.transact(() => b.notes.forEach((n) => {
                if (n.get('text').toString() !== 'bravo') return
                n.set('x', 750); n.set('y', 440) })) }"""
        )
        page.wait_for_function(
            """() => [...document.querySelectorAll('.note')].some((el) =>
                 el.querySelector('.note__body').textContent === 'bravo'
                 && el.style.transform.includes('750px'))"""
        )
        on_top = page.evaluate(
            """() => { const el = document.activeElement; const r = el.getBoundingClientRect()
              const hit = document.elementFromPoint(r.left + r.width * 0.75, r.top + r.height * 0.6)
              return el.contains(hit) }"""
        )
        assert on_top, "the focused note is hidden under another note"
        shot(fay, "keyboard-canvas-focus-1440")
        # -- Tab leaves the notes after the focused note's own tools
        for _ in range(4):
            page.keyboard.press("Tab")
            if focused_note(page) is not None:
                continue
        assert page.evaluate("() => !document.activeElement.classList.contains('note')")
        fay.check_errors()
    finally:
        fay.context.close()
