"""`GET /api/boards/{id}/export`: the session's outcomes as Markdown, JSON or CSV."""

from __future__ import annotations

import json
import time
from typing import Any

from pycrdt import Doc
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from crdt import export as e
from server.errors import ApiError
from server.httputil import bearer_claims, board_id_of, services_of
from server.store.base import Store

FORMATS = {
    "md": "text/markdown; charset=utf-8",
    "json": "application/json",
    "csv": "text/csv; charset=utf-8",
}


async def load_doc(store: Store, doc_id: str) -> Doc[Any]:
    """A doc straight from the store (the CLI reads boards with the server stopped)."""
    loaded = await store.load_doc(doc_id)
    doc: Doc[Any] = Doc()
    if loaded.snapshot:
        doc.apply_update(loaded.snapshot)
    for _, update in loaded.updates:
        doc.apply_update(update)
    return doc


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
        return e.to_markdown(data)
    if fmt == "json":
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    if table == "results":
        return e.results_csv(data, round_no)
    return e.actions_csv(data)


async def export_board(store: Store, board_id: str, doc: Doc[Any]) -> dict[str, Any]:
    audit = await store.read_audit(board_id)
    return e.build_export(doc, board_id=board_id, audit=audit, generated_at_ms=time.time() * 1000)


async def export_endpoint(request: Request) -> Response:
    services = services_of(request)
    board_id = board_id_of(request)
    bearer_claims(request, board_id)
    fmt = request.query_params.get("format", "md")
    if fmt not in FORMATS:
        raise ApiError(422, "invalid", "`format` must be md, json or csv.")
    table = request.query_params.get("table", "actions")
    if table not in ("actions", "results"):
        raise ApiError(422, "invalid", "`table` must be actions or results.")
    raw_round = request.query_params.get("round")
    round_no = None
    if raw_round is not None:
        if not raw_round.isdigit() or len(raw_round) > 6:
            raise ApiError(422, "invalid", "`round` must be a round number.")
        round_no = int(raw_round)
    if await services.store.get_board(board_id) is None:
        raise ApiError(404, "board_not_found", "No such board.")
    async with services.rooms.using(board_id) as room:
        data = await export_board(services.store, board_id, room.doc)
    if services.outbox is not None and _first_export_in_a_while(board_id, fmt):
        await services.outbox.emit(
            board_id, "session.exported", {"format": fmt}, title=data["board"]["title"]
        )
    name = f"planboard-{board_id}" + (f"-{table}" if fmt == "csv" else "") + f".{fmt}"
    return PlainTextResponse(
        render(data, fmt, table, round_no),
        media_type=FORMATS[fmt],
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def export_routes() -> list[BaseRoute]:
    return [Route("/api/boards/{board_id}/export", export_endpoint, methods=["GET"])]
