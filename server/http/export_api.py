"""`GET /api/boards/{id}/export`: the session's outcomes as Markdown, JSON or CSV.

`POST /api/boards/{id}/export/link` gives a member a short-lived signed URL of one export, so that
a download also works where no bearer header can be sent (a link opened in a new tab, a browser's
download manager). The signature binds board, format, table, round and expiry (HMAC-SHA256 with a
key derived from PLANBOARD_SECRET); it lets nobody do anything but read that export until it
expires.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import time
import unicodedata
from typing import Any
from urllib.parse import urlencode

from pycrdt import Doc
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from crdt import export
from crdt.docload import doc_from_log
from crdt.errors import ApiError
from server.http.httputil import bearer_claims, board_id_of, read_json, services_of
from server.store.base import Store

FORMATS = {
    "md": "text/markdown; charset=utf-8",
    "json": "application/json",
    "csv": "text/csv; charset=utf-8",
}


async def load_doc(store: Store, doc_id: str) -> Doc[Any]:
    """A doc straight from the store (the CLI reads boards with the server stopped)."""
    loaded = await store.load_doc(doc_id)
    return doc_from_log(loaded.snapshot, (update for _, update in loaded.updates))


EXPORT_EVENT_EVERY = 60.0  # the summary page reads the export each time it opens
_last_export_event: dict[tuple[str, str], float] = {}


def _first_export_in_a_while(board_id: str, fmt: str) -> bool:
    """One `session.exported` per board and format a minute, however often it is read."""
    now = time.monotonic()
    if len(_last_export_event) > 10_000:
        _last_export_event.clear()
    key = (board_id, fmt)
    if now - _last_export_event.get(key, -EXPORT_EVENT_EVERY) < EXPORT_EVENT_EVERY:
        return False
    _last_export_event[key] = now
    return True


def render(
    data: dict[str, Any], fmt: str, table: str = "actions", round_no: int | None = None
) -> str:
    if fmt == "md":
        return export.to_markdown(data)
    if fmt == "json":
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    if table == "results":
        return export.results_csv(data, round_no)
    return export.actions_csv(data)


async def export_board(store: Store, board_id: str, doc: Doc[Any]) -> dict[str, Any]:
    audit = await store.read_audit(board_id)
    return export.build_export(
        doc, board_id=board_id, audit=audit, generated_at_ms=time.time() * 1000
    )


LINK_TTL_SECONDS = 120


def _params(source: Any) -> tuple[str, str, int | None]:
    """format, table and round from query parameters or a JSON body; 422 when invalid."""
    fmt = str(source.get("format", "md"))
    if fmt not in FORMATS:
        raise ApiError(422, "invalid", "`format` must be md, json or csv.")
    table = str(source.get("table", "actions"))
    if table not in ("actions", "results"):
        raise ApiError(422, "invalid", "`table` must be actions or results.")
    raw_round = source.get("round")
    round_no = None
    if raw_round is not None:
        raw = str(raw_round)
        if not raw.isdigit() or len(raw) > 6:
            raise ApiError(422, "invalid", "`round` must be a round number.")
        round_no = int(raw)
    return fmt, table, round_no


def _signature(
    secret: str, board_id: str, fmt: str, table: str, round_no: int | None, exp: int
) -> str:
    key = hashlib.sha256(f"planboard-export-link:{secret}".encode()).digest()
    message = f"{board_id}\n{fmt}\n{table}\n{'' if round_no is None else round_no}\n{exp}"
    return hmac.new(key, message.encode(), hashlib.sha256).hexdigest()


def _check_link(
    request: Request, board_id: str, fmt: str, table: str, round_no: int | None
) -> None:
    secret = services_of(request).settings.secret or ""
    raw_exp = request.query_params.get("expires", "")
    if not raw_exp.isdigit() or len(raw_exp) > 12:
        raise ApiError(401, "invalid_link", "This export link is not valid.")
    exp = int(raw_exp)
    expected = _signature(secret, board_id, fmt, table, round_no, exp)
    if not hmac.compare_digest(expected, request.query_params.get("sig", "")):
        raise ApiError(401, "invalid_link", "This export link is not valid.")
    if exp < time.time():
        raise ApiError(401, "link_expired", "This export link has expired: export again.")


def file_name(title: str, fmt: str, table: str) -> str:
    """planboard-<title as ASCII slug>[-table].<fmt>: readable, safe in any header or shell."""
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_title.lower()).strip("-")[:60].strip("-") or "board"
    return f"planboard-{slug}" + (f"-{table}" if fmt == "csv" else "") + f".{fmt}"


async def export_endpoint(request: Request) -> Response:
    services = services_of(request)
    board_id = board_id_of(request)
    fmt, table, round_no = _params(request.query_params)
    if "sig" in request.query_params:
        _check_link(request, board_id, fmt, table, round_no)
    else:
        bearer_claims(request, board_id)
    if await services.store.get_board(board_id) is None:
        raise ApiError(404, "board_not_found", "No such board.")
    async with services.rooms.using(board_id) as room:
        data = await export_board(services.store, board_id, room.doc)
    if services.outbox is not None and _first_export_in_a_while(board_id, fmt):
        await services.outbox.emit(
            board_id, "session.exported", {"format": fmt}, title=data["board"]["title"]
        )
    name = file_name(data["board"]["title"], fmt, table)
    return PlainTextResponse(
        render(data, fmt, table, round_no),
        media_type=FORMATS[fmt],
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


async def export_link_endpoint(request: Request) -> Response:
    """A member's signed URL of one export, valid for LINK_TTL_SECONDS."""
    services = services_of(request)
    board_id = board_id_of(request)
    bearer_claims(request, board_id)
    body = await read_json(request, 4096)
    fmt, table, round_no = _params(body)
    if await services.store.get_board(board_id) is None:
        raise ApiError(404, "board_not_found", "No such board.")
    exp = int(time.time()) + LINK_TTL_SECONDS
    query: dict[str, Any] = {"format": fmt, "table": table}
    if round_no is not None:
        query["round"] = round_no
    query["expires"] = exp
    query["sig"] = _signature(services.settings.secret or "", board_id, fmt, table, round_no, exp)
    url = f"/api/boards/{board_id}/export?{urlencode(query)}"
    return JSONResponse({"url": url, "expires_at": exp * 1000})


def export_routes() -> list[BaseRoute]:
    return [
        Route("/api/boards/{board_id}/export", export_endpoint, methods=["GET"]),
        Route("/api/boards/{board_id}/export/link", export_link_endpoint, methods=["POST"]),
    ]
