"""Hatch build hook: put the web client (templates, static files, built bundle) into the package.

Why: an installed planboard must serve every page with no source tree and no Node. So the
wheel carries `web/templates` and `web/static` (with the bundle that esbuild builds here, at
build time, never committed) inside the `server` package, as `server/web/...`, where
`server.http.pages.web_dir` finds them. The sdist carries the built bundle too, so that a wheel
built from it (pip installing an sdist) needs no Node either.

Editable installs are left alone: they serve the checkout's own `web/` (`make web` builds it).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

NO_NODE = (
    "planboard's wheel includes the browser bundle, which esbuild builds with Node: "
    "install Node.js 20+ and npm (for example `apt-get install nodejs npm`), then build again"
)


class WebBundleHook(BuildHookInterface):
    PLUGIN_NAME = "planboard-web"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if self.target_name == "wheel" and version == "editable":
            return
        web = Path(self.root) / "web"
        bundle = web / "static" / "dist" / "board.js"
        # An unpacked sdist (it has PKG-INFO) already holds the bundle it was built with.
        if not ((Path(self.root) / "PKG-INFO").is_file() and bundle.is_file()):
            self._build_bundle(web)
        if not bundle.is_file():
            raise RuntimeError(f"the web build did not produce {bundle}")
        force_include = build_data.setdefault("force_include", {})
        if self.target_name == "wheel":
            force_include[str(web / "templates")] = "server/web/templates"
            force_include[str(web / "static")] = "server/web/static"
        elif self.target_name == "sdist":
            # Ignored by git (so hatch would leave it out), yet what the sdist must carry.
            force_include[str(web / "static" / "dist")] = "web/static/dist"

    def _build_bundle(self, web: Path) -> None:
        npm = shutil.which("npm")
        if npm is None or shutil.which("node") is None:
            raise RuntimeError(NO_NODE)
        if not (web / "node_modules" / ".bin" / "esbuild").exists():
            self.app.display_info("planboard: npm ci (web/)")
            _run([npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"], web)
        self.app.display_info("planboard: building the browser bundle (npm run build)")
        _run([npm, "run", "--silent", "build"], web)


def _run(command: list[str], cwd: Path) -> None:
    try:
        subprocess.run(command, cwd=cwd, check=True)
    except subprocess.CalledProcessError as exc:
        raise RuntimeError(
            f"`{' '.join(command[1:])}` failed in {cwd} (exit {exc.returncode})"
        ) from exc
