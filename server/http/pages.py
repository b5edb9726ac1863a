"""The browser client's pages: Jinja2 templates from `web/templates`, assets from `web/static`.

The pages are thin shells: the data lives in the board document and the JSON API, and the
bundle in `web/static/dist` (built by `make web`, never committed) does the work. An installed
wheel carries all of `web/` inside this package (`server/web`, see hatch_build.py). Every page
works under the strict Content-Security-Policy of `server.http.security`: no inline script or
style; what a page needs to start (board id, templates, the server's limits) travels in a JSON
data element that Jinja's `tojson` escapes. A missing bundle never breaks a page: it says how to
build one.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from crdt.templates import TEMPLATES
from server.ids import is_board_id

BUNDLES = ("landing", "join", "board", "summary")
PACKAGED_WEB = Path(__file__).resolve().parent.parent / "web"
CHECKOUT_WEB = Path(__file__).resolve().parent.parent.parent / "web"


def web_dir() -> Path:
    """The templates and static files: inside the installed package (a wheel or sdist install
    puts them there), else the source checkout's `web/` (an editable install, for development).

    Never the current directory: `planboard serve` must work from any folder.
    """
    for candidate in (PACKAGED_WEB, CHECKOUT_WEB):
        if (candidate / "templates").is_dir():
            return candidate
    raise RuntimeError(
        f"planboard's web client is missing (looked in {PACKAGED_WEB} and {CHECKOUT_WEB}): "
        "reinstall the planboard wheel, or run `make web` in a source checkout"
    )


def _field(source: Any, name: str, default: Any = None) -> Any:
    """An attribute of a dataclass-like object or a key of a mapping, whichever it is."""
    if isinstance(source, Mapping):
        return source.get(name, default)
    return getattr(source, name, default)


def template_catalog() -> list[dict[str, Any]]:
    """The board templates as plain data for the landing page (`crdt.templates.TEMPLATES`)."""
    catalog: list[dict[str, Any]] = []
    for template_id, template in TEMPLATES.items():
        agenda: list[dict[str, Any]] = []
        for item in _field(template, "agenda", ()) or ():
            minutes = _field(item, "minutes")
            agenda.append(
                {
                    "title": str(_field(item, "title", "")),
                    "minutes": minutes if isinstance(minutes, int | float) else None,
                    "kind": str(_field(item, "kind", "") or ""),
                }
            )
        catalog.append(
            {
                "id": str(template_id),
                "title": str(_field(template, "title", template_id) or template_id),
                "name": str(_field(template, "name", "") or _field(template, "title", template_id)),
                "objective": str(_field(template, "objective", "") or ""),
                "description": str(_field(template, "description", "") or ""),
                "agenda": agenda,
                "total_minutes": round(sum(i["minutes"] or 0 for i in agenda)),
            }
        )
    # Blank last: the named templates are what a first-time user is looking for.
    catalog.sort(key=lambda t: t["id"] == "blank")
    return catalog


class Pages:
    def __init__(self, web_dir: Path) -> None:
        self.templates = Jinja2Templates(directory=str(web_dir / "templates"))
        self.dist = web_dir / "static" / "dist"
        self.css = web_dir / "static" / "css" / "app.css"

    def _version(self, path: Path) -> str | None:
        try:
            return str(int(path.stat().st_mtime))
        except OSError:
            return None

    def _bundle(self, name: str) -> str | None:
        """The bundle's URL with a cache-busting version, or None when it was not built."""
        version = self._version(self.dist / f"{name}.js")
        return None if version is None else f"/static/dist/{name}.js?v={version}"

    def render(
        self,
        request: Request,
        page: str,
        data: dict[str, Any],
        *,
        title: str,
        status_code: int = 200,
        extra: dict[str, Any] | None = None,
    ) -> Response:
        context = {
            "page": page,
            "title": title,
            "bundle": self._bundle(page),
            "css_version": self._version(self.css) or "0",
            "data": data,
            **(extra or {}),
        }
        response = self.templates.TemplateResponse(
            request, f"{page}.html", context, status_code=status_code
        )
        response.headers["cache-control"] = "no-store"
        return response

    def not_found(self, request: Request, message: str) -> Response:
        context: dict[str, Any] = {
            "page": "error",
            "title": "Board not found",
            "bundle": None,
            "css_version": self._version(self.css) or "0",
            "data": {},
            "message": message,
        }
        return self.templates.TemplateResponse(request, "error.html", context, status_code=404)

    async def _board_title(self, request: Request, board_id: str) -> str | None:
        """The board's title from the store, or None when there is no such board."""
        services = getattr(request.app.state, "services", None)
        if services is None:  # pragma: no cover - the app always has services
            return ""
        info = await services.store.get_board(board_id)
        if info is None:
            return None
        return str(info.title or "")

    async def _board_page(self, request: Request, page: str, heading: str, **more: Any) -> Response:
        board_id = str(request.path_params["board_id"])
        if not is_board_id(board_id):
            return self.not_found(request, "This link does not point to a board.")
        title = await self._board_title(request, board_id)
        if title is None:
            return self.not_found(request, "There is no board at this link.")
        data = {"board_id": board_id, "title": title, **more}
        return self.render(
            request,
            page,
            data,
            title=f"{heading}{title or 'Board'}",
            extra={"board_id": board_id, "board_title": title},
        )

    async def landing(self, request: Request) -> Response:
        return self.render(
            request,
            "landing",
            {"templates": template_catalog()},
            title="planboard: plan together",
        )

    async def board(self, request: Request) -> Response:
        # The editor enforces the server's limits, so they come from its settings, never a copy.
        settings = request.app.state.services.settings
        return await self._board_page(
            request, "board", "", limits={"note_text": settings.max_note_text}
        )

    async def join(self, request: Request) -> Response:
        return await self._board_page(request, "join", "Join ")

    async def summary(self, request: Request) -> Response:
        return await self._board_page(request, "summary", "Summary: ")


def page_routes(web_dir: Path) -> list[BaseRoute]:
    """The page routes and the `/static` mount; `server.app` adds them when this module loads."""
    pages = Pages(web_dir)
    static_dir = web_dir / "static"
    return [
        Route("/", pages.landing, methods=["GET"]),
        Route("/b/{board_id}", pages.board, methods=["GET"]),
        Route("/b/{board_id}/join", pages.join, methods=["GET"]),
        Route("/b/{board_id}/summary", pages.summary, methods=["GET"]),
        Mount("/static", app=StaticFiles(directory=static_dir, check_dir=False), name="static"),
    ]
