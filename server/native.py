"""The guard's hot modules compiled by mypyc, used by `planboard serve` when they match the source.

The guard decodes, orders and judges every client update in Python (`crdt/yupdate.py`,
`crdt/structindex.py`, `crdt/policy.py`, `crdt/protocol.py`). mypyc, mypy's compiler, turns
these same type-checked modules into C extensions that run the guard in about 0.6x the time
(bench/README.md); there is no second implementation to keep in step. `make setup` builds them
into `build/native/` with a manifest of the hashes of every module of crdt/; the server uses
them only when every hash still matches (an edit falls back to Python until the next build),
and never when `PLANBOARD_PURE_PYTHON=1`. Tests that import `crdt` run it as Python; tests that
start a server run what the server runs.

    python -m server.native build     # what `make native` does
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import sys
from pathlib import Path

log = logging.getLogger("planboard.native")

ROOT = Path(__file__).resolve().parent.parent
NATIVE_DIR = ROOT / "build" / "native"
MODULES = ("yupdate", "structindex", "policy", "protocol")  # crdt/<name>.py


def _sources(root: Path) -> dict[str, str]:
    """The sha256 of every module of crdt/: the compiled ones may inline what they import
    from the others (constants, class layouts), so a change anywhere there needs a rebuild."""
    return {
        path.name: hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted((root / "crdt").glob("*.py"))
    }


def _manifest(python_tag: str, root: Path) -> dict[str, object]:
    return {"python": python_tag, "compiled": list(MODULES), "sources": _sources(root)}


def compiled_ready(root: Path = ROOT, native: Path = NATIVE_DIR) -> bool:
    """Whether a build of exactly these sources, for this Python, is in `native`."""
    try:
        recorded = json.loads((native / "manifest.json").read_text())
    except (OSError, ValueError):
        return False
    return bool(recorded == _manifest(sys.implementation.cache_tag, root))


def use_compiled_crdt(root: Path = ROOT, native: Path = NATIVE_DIR) -> bool:
    """Make `import crdt.<module>` find the compiled modules; call before anything imports them.

    All or nothing: compiled and Python modules of the guard must not mix (compiled code checks
    that its arguments are instances of the compiled classes)."""
    if os.environ.get("PLANBOARD_PURE_PYTHON") == "1":
        return False
    if not compiled_ready(root, native):
        if (native / "manifest.json").exists():
            log.warning("build/native does not match crdt/'s sources: `make native` rebuilds it")
        return False
    if any(f"crdt.{name}" in sys.modules for name in MODULES):
        return False  # already imported as Python
    import crdt

    crdt.__path__.insert(0, str(native / "crdt"))
    sys.path.append(str(native))  # mypyc's runtime library, shared by the compiled modules
    return True


def guard_is_compiled() -> bool:
    """Whether the guard that runs in this process is the compiled one."""
    module = sys.modules.get("crdt.policy")
    return module is not None and not str(getattr(module, "__file__", "")).endswith(".py")


def build(root: Path = ROOT, native: Path = NATIVE_DIR) -> None:
    """Compile the modules into `native` (a no-op when it already matches the sources)."""
    if compiled_ready(root, native):
        print("build/native is up to date")
        return
    import shutil
    import subprocess

    work = native.parent / "native-work"
    shutil.rmtree(work, ignore_errors=True)
    shutil.rmtree(native, ignore_errors=True)
    # A copy of the whole package, so that mypy sees what the modules import; only the listed
    # modules are compiled.
    shutil.copytree(root / "crdt", work / "crdt", ignore=shutil.ignore_patterns("__pycache__"))
    script = (
        "import sys\n"
        "from setuptools import setup\n"
        "from mypyc.build import mypycify\n"
        f"setup(name='planboard-native', packages=[], py_modules=[],\n"
        f"      ext_modules=mypycify({[f'crdt/{n}.py' for n in MODULES]!r}, opt_level='3'))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, "build_ext", "--inplace"],
        cwd=work,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        sys.exit(f"mypyc could not compile crdt/:\n{done.stdout[-4000:]}{done.stderr[-4000:]}")
    (native / "crdt").mkdir(parents=True)
    for built in work.glob("*.so"):
        shutil.copy2(built, native / built.name)
    for built in (work / "crdt").glob("*.so"):
        shutil.copy2(built, native / "crdt" / built.name)
    (native / "manifest.json").write_text(
        json.dumps(_manifest(sys.implementation.cache_tag, root), indent=1)
    )
    shutil.rmtree(work, ignore_errors=True)
    print(f"compiled crdt/{{{','.join(MODULES)}}}.py into {native}")


if __name__ == "__main__":
    if sys.argv[1:] != ["build"]:
        sys.exit("usage: python -m server.native build")
    build()
