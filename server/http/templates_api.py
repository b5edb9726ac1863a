"""The template catalogue as JSON, for the landing page and third-party clients."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from crdt.templates import TEMPLATES


async def list_templates(request: Request) -> Response:
    return JSONResponse(
        {"default": "blank", "templates": [t.to_json() for t in TEMPLATES.values()]},
        headers={"Cache-Control": "public, max-age=300"},
    )


def template_routes() -> list[BaseRoute]:
    return [Route("/api/templates", list_templates, methods=["GET"])]
