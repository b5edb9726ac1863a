"""The guard compiled by mypyc (server/native.py): used only when built from these very sources,
and it passes the guard's own suites."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from server import native

GUARD_SUITES = [
    "tests/unit/test_policy.py",
    "tests/unit/test_policy_property.py",
    "tests/unit/test_guard_fuzz.py",
    "tests/unit/test_guard_findings.py",
    "tests/unit/test_room_core.py",
    "tests/unit/test_protocol.py",
    "tests/unit/test_restored_copies.py",
    "tests/unit/test_permission_table.py",
]


def test_a_missing_or_stale_build_is_not_used(tmp_path: Path) -> None:
    assert not native.compiled_ready(native.ROOT, tmp_path)  # nothing built there
    assert not native.use_compiled_crdt(native.ROOT, tmp_path)
    manifest = json.loads((native.NATIVE_DIR / "manifest.json").read_text())
    manifest["sources"]["permissions.py"] = "0" * 64  # built beside another permissions.py
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    assert not native.compiled_ready(native.ROOT, tmp_path)
    assert not native.use_compiled_crdt(native.ROOT, tmp_path)
    (tmp_path / "manifest.json").write_text(json.dumps({**manifest, "python": "cpython-0"}))
    assert not native.compiled_ready(native.ROOT, tmp_path)


def test_the_compiled_guard_passes_the_guard_suites() -> None:
    assert native.compiled_ready(), "build/native is missing or stale: run `make native`"
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *GUARD_SUITES],
        cwd=native.ROOT,
        env={**os.environ, "PLANBOARD_TEST_COMPILED": "1"},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert " passed" in done.stdout and "failed" not in done.stdout
