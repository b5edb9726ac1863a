"""A missing Chromium fails the browser tests with one clear line, unless skipped on request.

Each case runs pytest on one browser test in a subprocess, with PLANBOARD_CHROMIUM pointing at
a binary that does not exist (the fixture stops before it would start a browser).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.servers import ROOT

BROWSER_TEST = "tests/browser/test_xss.py::test_user_text_never_runs"


def _pytest_without_chromium(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {
        key: value for key, value in os.environ.items() if key != "PLANBOARD_SKIP_BROWSER"
    }
    environment.update(PLANBOARD_CHROMIUM=str(tmp_path / "no-such-chromium"), **env)
    return subprocess.run(
        [sys.executable, "-m", "pytest", BROWSER_TEST, "-p", "no:cacheprovider", "--color=no"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=90,
    )


def test_browser_tests_fail_when_chromium_is_missing(tmp_path: Path) -> None:
    result = _pytest_without_chromium(tmp_path)
    assert result.returncode != 0, result.stdout
    line = (
        f"Chromium is not installed at {tmp_path / 'no-such-chromium'}: apt-get install "
        "chromium; or set PLANBOARD_SKIP_BROWSER=1 to skip the browser tests"
    )
    assert line in result.stdout.splitlines(), result.stdout
    assert "1 error" in result.stdout
    assert "skipped" not in result.stdout


def test_skipping_on_request_warns_in_the_summary(tmp_path: Path) -> None:
    result = _pytest_without_chromium(tmp_path, PLANBOARD_SKIP_BROWSER="1")
    assert result.returncode == 0, result.stdout
    assert "1 skipped" in result.stdout
    warning = "WARNING: 1 browser test(s) skipped (PLANBOARD_SKIP_BROWSER=1): the web client was"
    assert f"{warning} not tested" in result.stdout, result.stdout
