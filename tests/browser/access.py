"""Helpers for the accessibility, phone and keyboard tests: keyboard-only focus moves, axe-core,
horizontal overflow, and people who open a board with a token minted through the HTTP API."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import Page, expect

from tests.browser.helpers import ROOT, SCREENSHOTS, TIMEOUT, Person, wait_online

AXE = ROOT / "web" / "node_modules" / "axe-core" / "axe.min.js"
SHOTS = SCREENSHOTS / "issue16"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1440, "height": 900}


# Every toast a page shows, kept in window.__toasts (they vanish after a few seconds).
RECORD_TOASTS = """
addEventListener('DOMContentLoaded', () => {
  window.__toasts = []
  const region = document.getElementById('toasts')
  if (!region) return
  new MutationObserver((records) => {
    for (const r of records) for (const n of r.addedNodes) window.__toasts.push(n.textContent)
  }).observe(region, {childList: true})
})
"""


def new_person(
    browser: Any,
    name: str,
    *,
    touch: bool = False,
    width: int = 1440,
    height: int = 900,
    still: bool = False,
    lang: str = "en-GB",
) -> Person:
    """A person in their own context. Touch contexts are phones (has_touch, is_mobile); every
    context may run axe-core (bypass_csp lets Playwright inject it into our strict-CSP pages).
    `still` asks for reduced motion: axe would judge colours in the middle of an animation."""
    context = browser.new_context(
        viewport={"width": width, "height": height},
        has_touch=touch,
        is_mobile=touch,
        device_scale_factor=1,
        bypass_csp=True,
        locale=lang,
        reduced_motion="reduce" if still else "no-preference",
    )
    context.set_default_timeout(TIMEOUT)
    context.add_init_script(RECORD_TOASTS)
    page = context.new_page()
    who = Person(name, context, page)
    page.on("pageerror", lambda exc: who.errors.append(str(exc)))
    return who


def api_board(base_url: str, **body: Any) -> dict[str, Any]:
    response = httpx.post(
        f"{base_url}/api/boards", json={"title": "Accessible planning", "name": "Fay", **body}
    )
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()
    return data


def api_join(base_url: str, board_id: str, name: str) -> dict[str, Any]:
    response = httpx.post(f"{base_url}/api/boards/{board_id}/participants", json={"name": name})
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()
    return data


def api_command(base_url: str, board_id: str, token: str, **body: Any) -> dict[str, Any]:
    response = httpx.post(
        f"{base_url}/api/boards/{board_id}/commands",
        json=body,
        headers={"authorization": f"Bearer {token}"},
    )
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()
    return data


def open_board(
    who: Person, base_url: str, board_id: str, auth: dict[str, Any], view: str | None = None
) -> None:
    """Open the board with a token from the API (as the create and join pages would store it);
    `view` ("outline" or "canvas") presets the remembered view."""
    stored = {
        "token": auth["token"],
        "participant_id": auth["participant_id"],
        "role": auth["role"],
        "name": who.name,
    }
    page = who.page
    page.goto(base_url + "/healthz")
    script = f"localStorage.setItem('planboard.auth.{board_id}', {json.dumps(json.dumps(stored))})"
    if view:
        script += f"; localStorage.setItem('planboard.view', '{view}')"
    page.evaluate(script)
    page.goto(f"{base_url}/b/{board_id}")
    wait_online(page)


def focused(page: Page) -> str:
    """A short description of the focused element (for messages)."""
    return str(
        page.evaluate(
            "() => { const e = document.activeElement; if (!e) return 'nothing';"
            " return e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') +"
            " ' ' + (e.getAttribute('aria-label') || e.textContent || '').trim().slice(0, 60) }"
        )
    )


def tab_to(page: Page, selector: str, *, limit: int = 200, back: bool = False) -> None:
    """Press Tab (Shift+Tab with back) until the focused element matches `selector`: proves that
    a keyboard alone reaches it."""
    for _ in range(limit):
        if page.evaluate("s => Boolean(document.activeElement?.matches(s))", selector):
            return
        page.keyboard.press("Shift+Tab" if back else "Tab")
    raise AssertionError(f"{limit} Tabs never reached {selector}; the focus is on {focused(page)}")


AXE_RUN = """async () => {
  const tags = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice']
  const r = await axe.run(document, {runOnly: {type: 'tag', values: tags},
                                     resultTypes: ['violations']})
  return r.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 5).map(n => ({target: n.target.join(' '), summary: n.failureSummary}))
  }))
}"""

OVERFLOW = """(w) => {
  const out = []
  const name = (el) => el.id ? '#' + el.id : el.tagName.toLowerCase() + '.' + el.classList[0]
  for (const el of document.querySelectorAll('body *')) {
    const r = el.getBoundingClientRect()
    if (!r.width || r.right <= w + 1 || getComputedStyle(el).position === 'fixed') continue
    let clipped = false
    for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
      const s = getComputedStyle(p)
      if (s.overflowX !== 'visible' && p.getBoundingClientRect().right <= w + 1) {
        clipped = true
        break
      }
    }
    if (!clipped) out.push(name(el) + ' right=' + Math.round(r.right))
  }
  return {scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth,
          offenders: out.slice(0, 8)}
}"""


def axe(page: Page, context: str) -> list[dict[str, Any]]:
    """Run axe-core (WCAG 2.0-2.2 A/AA rules and best practices) on the page as it is now;
    returns the serious and critical violations."""
    assert AXE.exists(), f"{AXE} is missing: run `make web` (axe-core is a devDependency)"
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.add_script_tag(path=str(AXE))
    result = page.evaluate(AXE_RUN)
    bad = [v for v in result if v["impact"] in ("serious", "critical")]
    for v in bad:
        v["context"] = context
    return list(bad)


def overflow(page: Page, width: int) -> dict[str, Any]:
    """The page's layout width against the device's width, and the elements that stick out (a
    mobile browser widens its layout viewport to the widest element, so innerWidth alone would
    hide the overflow)."""
    info: dict[str, Any] = page.evaluate(OVERFLOW, width)
    return info


def shot(who: Person, name: str, *, full_page: bool = False) -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    who.page.screenshot(path=str(path), full_page=full_page)
    return path


def expect_announced(page: Page, text: str) -> None:
    """The polite live region said `text` (at some point)."""
    page.wait_for_function(
        "t => (document.getElementById('live-announcer')?.textContent || '').includes(t)",
        arg=text,
        timeout=TIMEOUT,
    )
    expect(page.locator("#live-announcer")).to_have_attribute("aria-live", "polite")


def assert_nothing_undone(who: Person) -> None:
    """No edit of this person was compensated (undone by the server) during the session."""
    toasts = who.page.evaluate("() => window.__toasts || []")
    undone = [t for t in toasts if "undone" in t]
    assert not undone, f"{who.name}: {undone}"
