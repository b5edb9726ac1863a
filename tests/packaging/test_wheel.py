"""The wheel alone serves the whole product: built from a clean clone, run without Node.

As a deployer would: clone the committed tree, build the sdist and the wheel from it (the hook
in hatch_build.py builds the browser bundle with Node), delete the clone, install the wheel
into a new venv, and run `planboard serve` from an empty folder with no Node on PATH. Then the
pages, the bundle they load and one WebSocket sync round trip must all work.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import tarfile
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urljoin

import httpx
import pytest

from tests.boards import add_note, note_texts
from tests.servers import ROOT, free_port, wait_until
from tests.yclient import YClient, wait_for

pytestmark = [pytest.mark.packaging, pytest.mark.timeout(300)]

BUNDLE_SCRIPT = re.compile(r'<script type="module" src="(/static/dist/board\.js\?v=[^"]+)"')
CHUNK_IMPORT = re.compile(r'from"(\./chunks/[^"]+\.js)"')


def _run(command: list[str], *, cwd: Path, env: dict[str, str] | None = None) -> None:
    result = subprocess.run(
        command, cwd=cwd, env=env, capture_output=True, text=True, timeout=240, check=False
    )
    assert result.returncode == 0, (
        f"{' '.join(command)} failed ({result.returncode}):\n"
        f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    )


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """planboard's wheel, built from a clone of the committed tree, the clone then deleted."""
    work = tmp_path_factory.mktemp("build")
    source, dist = work / "clone", work / "dist"
    _run(["git", "clone", "--quiet", "--no-hardlinks", str(ROOT), str(source)], cwd=work)
    _run([sys.executable, "-m", "build", "--outdir", str(dist), str(source)], cwd=work)
    shutil.rmtree(source)
    wheels = list(dist.glob("planboard-*-py3-none-any.whl"))
    assert len(wheels) == 1, list(dist.iterdir())
    assert list(dist.glob("planboard-*.tar.gz")), "no sdist"
    return wheels[0]


def _without_node(venv: Path) -> dict[str, str]:
    """An environment whose PATH holds the venv alone (Node lives in /usr/bin here)."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("PLANBOARD_", "VIRTUAL_ENV", "PYTHON", "REDIS_")) and key != "PORT"
    }
    env["PATH"] = str(venv / "bin")
    assert shutil.which("node", path=env["PATH"]) is None
    assert shutil.which("npm", path=env["PATH"]) is None
    return env


@pytest.fixture(scope="module")
def installed_server(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`planboard serve` from the wheel in a fresh venv, in an empty folder; yields its URL."""
    work = tmp_path_factory.mktemp("install")
    venv, folder = work / "venv", work / "empty-folder"
    _run([sys._base_executable, "-m", "venv", str(venv)], cwd=work)
    env = _without_node(venv)
    _run([str(venv / "bin" / "pip"), "install", "--quiet", str(wheel)], cwd=work, env=env)
    folder.mkdir()
    version = subprocess.run(
        [str(venv / "bin" / "planboard"), "--version"],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert version.stdout.strip() == f"planboard {wheel.name.split('-')[1]}"
    port = free_port()
    stdout, stderr = work / "stdout.txt", work / "stderr.txt"
    with stdout.open("wb") as out, stderr.open("wb") as err:
        proc = subprocess.Popen(
            [str(venv / "bin" / "planboard"), "serve", "--port", str(port)],
            cwd=folder,
            env=env,
            stdout=out,
            stderr=err,
        )
    url = f"http://127.0.0.1:{port}"
    try:

        def announced() -> bool:
            if proc.poll() is not None:
                raise AssertionError(f"planboard exited: {stderr.read_text()[-3000:]}")
            return f"planboard serving on {url}\n" in stdout.read_text()

        wait_until(announced, 30, f"'planboard serving on {url}' (log {stderr})")
        yield url
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
    assert (folder / "data" / "planboard.sqlite3").exists(), "data went elsewhere than ./data"
    assert "Traceback" not in stderr.read_text(), stderr.read_text()[-3000:]


def test_the_wheel_and_sdist_carry_the_web_client(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    for name in (
        "server/web/templates/board.html",
        "server/web/static/css/app.css",
        "server/web/static/dist/board.js",
        "server/py.typed",
        "crdt/py.typed",
    ):
        assert name in names, name
    assert not any(name.startswith(("web/", "tests/", "node_modules")) for name in names)
    (sdist,) = wheel.parent.glob("planboard-*.tar.gz")
    with tarfile.open(sdist) as archive:
        members = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
    for name in ("web/static/dist/board.js", "web/templates/board.html", "hatch_build.py"):
        assert name in members, name
    assert not any("node_modules" in name for name in members)


def test_building_without_node_fails_loudly(tmp_path: Path) -> None:
    source = tmp_path / "clone"
    _run(["git", "clone", "--quiet", str(ROOT), str(source)], cwd=tmp_path)
    env = {**os.environ, "PATH": str(Path(sys.executable).parent)}
    assert shutil.which("node", path=env["PATH"]) is None
    result = subprocess.run(
        [sys.executable, "-m", "build", "--sdist", "--outdir", str(tmp_path / "dist"), "."],
        cwd=source,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert result.returncode != 0
    assert "install Node.js 20+ and npm" in result.stdout + result.stderr, result.stderr[-3000:]
    assert not (tmp_path / "dist").exists() or not list((tmp_path / "dist").iterdir())


def test_an_installed_wheel_serves_every_page_without_node(installed_server: str) -> None:
    url = installed_server
    with httpx.Client(base_url=url, timeout=10) as http:
        landing = http.get("/")
        assert landing.status_code == 200, landing.text[-2000:]
        assert "The browser client is not built yet" not in landing.text

        board = http.post("/api/boards", json={"title": "From the wheel"})
        assert board.status_code == 201, board.text
        board_id = board.json()["id"]

        page = http.get(f"/b/{board_id}")
        assert page.status_code == 200, page.text[-2000:]
        found = BUNDLE_SCRIPT.search(page.text)
        assert found, "the board page references no script bundle"
        bundle_url = found.group(1)
        bundle = http.get(bundle_url)
        assert bundle.status_code == 200
        assert "javascript" in bundle.headers["content-type"]
        assert len(bundle.content) > 20_000
        chunks = CHUNK_IMPORT.findall(bundle.text)
        assert chunks, "the bundle imports no chunks: the check below would prove nothing"
        for chunk in chunks:
            served = http.get(urljoin(bundle_url, chunk))
            assert served.status_code == 200, chunk
            assert "javascript" in served.headers["content-type"]

        assert http.get(f"/b/{board_id}/join").status_code == 200
        summary = http.get(f"/b/{board_id}/summary")
        assert summary.status_code == 200, summary.text[-2000:]
        assert http.get("/static/css/app.css").status_code == 200


async def test_an_installed_wheel_syncs_over_websocket(installed_server: str) -> None:
    board = httpx.post(f"{installed_server}/api/boards", json={"title": "Sync"}).json()
    ws_url = installed_server.replace("http://", "ws://")
    url = f"{ws_url}/ws/{board['id']}?token={board['token']}"
    writer = await YClient(url).connect()
    reader = await YClient(url).connect()
    try:
        note_id = f"n{time.monotonic_ns()}"
        add_note(writer.doc, note_id, board["participant_id"], "from the wheel")
        await wait_for(
            lambda: note_texts(reader.doc).get(note_id) == "from the wheel",
            what="the note to reach the second client",
        )
    finally:
        await writer.close()
        await reader.close()
