"""Playwright driving Debian's Chromium against real planboard processes.

Without /usr/bin/chromium (or without the web bundle) these tests skip on a developer's machine
and FAIL in CI (CI=true), so that a missing browser never passes silently.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser.helpers import CHROMIUM, SCREENSHOTS, WEB_DIST


def _missing(reason: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{reason} (CI=true: browser tests must run)")
    pytest.skip(reason)


@pytest.fixture(scope="package")
def browser() -> Iterator[Any]:
    """One Chromium for the browser tests; closed when they are done, because the sync API
    runs an event loop in this thread that async tests after them must not find."""
    if not Path(CHROMIUM).exists():
        _missing(f"{CHROMIUM} is not installed (apt-get install chromium)")
    if not (WEB_DIST / "board.js").exists():
        _missing("the web bundle is not built (make web)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover - playwright is in the test extras
        _missing("the playwright package is not installed")
        raise
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--disable-gpu", "--no-sandbox"]
        )
        yield chromium
        chromium.close()
