"""Playwright driving Debian's Chromium against real planboard processes.

Without Chromium (or without the web bundle) the tests that need the browser FAIL with one
line that says what to install, so that `make test` never passes while the web client went
untested. Only an explicit PLANBOARD_SKIP_BROWSER=1 skips them, with a warning in the summary.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser.helpers import CHROMIUM, SCREENSHOTS, WEB_DIST

SKIP_VARIABLE = "PLANBOARD_SKIP_BROWSER"


def _skip_requested() -> bool:
    return os.environ.get(SKIP_VARIABLE, "").strip().lower() in {"1", "true", "yes"}


def _missing(reason: str) -> None:
    pytest.fail(f"{reason}; or set {SKIP_VARIABLE}=1 to skip the browser tests", pytrace=False)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """A skip on request still says, at the end, that the web client went untested."""
    skipped = [
        report
        for report in terminalreporter.stats.get("skipped", [])
        if SKIP_VARIABLE in str(report.longrepr)
    ]
    if skipped:
        terminalreporter.write_sep(
            "=",
            f"WARNING: {len(skipped)} browser test(s) skipped ({SKIP_VARIABLE}=1): "
            "the web client was not tested",
            yellow=True,
            bold=True,
        )


@pytest.fixture(scope="package")
def browser() -> Iterator[Any]:
    """One Chromium for the browser tests; closed when they are done, because the sync API
    runs an event loop in this thread that async tests after them must not find."""
    if _skip_requested():
        pytest.skip(f"{SKIP_VARIABLE}=1: browser tests skipped on request")
    if not Path(CHROMIUM).exists():
        _missing(f"Chromium is not installed at {CHROMIUM}: apt-get install chromium")
    if not (WEB_DIST / "board.js").exists():
        _missing(f"the web bundle is not built ({WEB_DIST / 'board.js'} is missing): make web")
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
