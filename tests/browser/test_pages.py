"""The pages themselves (no browser needed): strict CSP, no inline code, 404s, no bundle."""

from __future__ import annotations

import asyncio
import re
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
from starlette.applications import Starlette

from server.http.pages import page_routes, template_catalog
from tests.helpers import create_board
from tests.servers import ROOT, PlanboardProcess

WEB = ROOT / "web"


def _assert_csp_clean(html: str) -> None:
    for tag in re.findall(r"<script\b[^>]*>", html, flags=re.I):
        assert "src=" in tag or 'type="application/json"' in tag, tag
    assert not re.search(r"\sstyle\s*=", html, flags=re.I), "inline style attribute"
    assert not re.search(r"<style\b", html, flags=re.I), "inline style element"
    assert not re.search(r"\son[a-z]+\s*=", html, flags=re.I), "inline event handler"


def test_pages_are_served_with_a_strict_csp(live_server: PlanboardProcess) -> None:
    board = create_board(live_server.url, title="<script>alert(1)</script>")
    paths = ["/", f"/b/{board['id']}", f"/b/{board['id']}/join", f"/b/{board['id']}/summary"]
    for path in paths:
        response = httpx.get(live_server.url + path)
        assert response.status_code == 200, path
        assert response.headers["content-type"].startswith("text/html")
        csp = response.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "style-src 'self'" in csp
        _assert_csp_clean(response.text)
        assert "<script>alert(1)</script>" not in response.text
    join_page = httpx.get(f"{live_server.url}/b/{board['id']}/join").text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in join_page


def test_unknown_boards_and_assets(live_server: PlanboardProcess) -> None:
    assert httpx.get(f"{live_server.url}/b/not-a-board").status_code == 404
    missing = httpx.get(f"{live_server.url}/b/AAAAAAAAAAAAAAAAAAAAAA/join")
    assert missing.status_code == 404
    assert "no board" in missing.text
    css = httpx.get(f"{live_server.url}/static/css/app.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    templates = httpx.get(f"{live_server.url}/api/templates").json()["templates"]
    ids = {t["id"] for t in templates}
    assert {"quarterly", "prioritization", "kickoff", "problem-solving", "blank"} <= ids
    assert all(t["agenda"] and t["title"] for t in templates)


def _get_all(app: Starlette, paths: list[str]) -> list[httpx.Response]:
    """GET paths from an ASGI app in-process (in a thread: Playwright's sync API may be
    running an event loop in this one)."""

    async def fetch() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            return [await client.get(path) for path in paths]

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, fetch()).result()


def test_pages_render_without_the_bundle(tmp_path: Path) -> None:
    web = tmp_path / "web"
    shutil.copytree(WEB / "templates", web / "templates")
    shutil.copytree(WEB / "static" / "css", web / "static" / "css")
    app = Starlette(routes=page_routes(web))
    page, css, bundle = _get_all(app, ["/", "/static/css/app.css", "/static/dist/board.js"])
    assert page.status_code == 200
    assert "The browser client is not built yet" in page.text
    assert "make web" in page.text
    assert 'type="module"' not in page.text
    _assert_csp_clean(page.text)
    assert css.status_code == 200
    assert bundle.status_code == 404


def test_template_catalog_matches_the_templates() -> None:
    catalog = {t["id"]: t for t in template_catalog()}
    quarterly = catalog["quarterly"]
    assert quarterly["total_minutes"] == sum(i["minutes"] for i in quarterly["agenda"])
    assert list(catalog)[-1] == "blank"
