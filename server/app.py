"""The Starlette app factory: tests build apps with their own settings; `planboard serve` too."""

from __future__ import annotations

import contextlib
import dataclasses
import gc
import logging
from collections.abc import AsyncIterator
from typing import Any

from pycrdt import Doc
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.routing import BaseRoute, Match, Route, WebSocketRoute
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket

from crdt.drafts import is_drafting
from crdt.errors import ApiError
from crdt.permissions import DRAFTS_RULES
from crdt.policy import BoardGuard, DocLimits, DraftsContext
from server.config import Settings
from server.features.activity import Activity
from server.features.base import Feature, command_table
from server.features.drafts import Drafts
from server.features.estimation import Estimation
from server.features.events import Outbox, OutcomeWatch
from server.features.outcome_commands import OutcomeCommands
from server.features.suggest_api import Suggestions
from server.features.voting import VoteCleanup
from server.features.webhooks import UnsafeTarget, check_url_shape
from server.http import api
from server.http.commands_api import Facilitation, command_routes
from server.http.errors import api_error_handler, http_error_handler, unexpected_error_handler
from server.http.export_api import export_routes
from server.http.mcp_server import PATH as MCP_PATH
from server.http.mcp_server import McpEndpoint
from server.http.pages import page_routes, web_dir
from server.http.security import SecurityHeadersMiddleware
from server.http.templates_api import template_routes
from server.http.webhooks_api import webhook_routes
from server.metrics import Metrics
from server.realtime.backplane import Backplane, LocalBackplane
from server.realtime.docref import DocRef
from server.realtime.presence import PresenceLimits
from server.realtime.room_core import UpdateGuard
from server.realtime.rooms import RoomManager
from server.realtime.transport import capture_raw_send
from server.realtime.ws import drafts_endpoint, websocket_endpoint
from server.services import LoadMonitor, RateWindow, Services
from server.store.build import build_store
from server.supervisor import Loops, LoopsCollector

log = logging.getLogger("planboard")


def _build_backplane(settings: Settings) -> Backplane:
    if settings.redis_url:
        from server.realtime.redis_backplane import RedisBackplane  # redis-py only with Redis

        backplane: Backplane = RedisBackplane(
            settings.redis_url,
            instance_id=settings.instance_id,
            prefix=settings.redis_prefix,
            instance_timeout=settings.awareness_timeout_seconds,
        )
        return backplane
    return LocalBackplane()


def build_services(settings: Settings) -> Services:
    metrics = Metrics()
    store = build_store(settings)
    backplane = _build_backplane(settings)
    # Every background loop's state and restarts in /metrics (readiness asks the loops too).
    found = [getattr(part, "loops", None) for part in (store, backplane)]
    loops = [x for x in found if isinstance(x, Loops)]
    if loops:
        metrics.registry.register(LoopsCollector(*loops))
    if hasattr(store, "on_wait"):  # the cost of waiting for replicas, per append batch
        store.on_wait = metrics.store_latency.labels("wait").observe
    limits = DocLimits(
        max_note_text=settings.max_note_text,
        max_notes=settings.max_notes_per_board,
        max_doc_bytes=settings.max_doc_bytes,
    )

    drafts_limits = dataclasses.replace(limits, max_notes=settings.max_drafts_per_member)

    def guard_factory(ref: DocRef, doc: Doc[Any]) -> UpdateGuard:
        if ref.drafts_of is None:
            return BoardGuard(doc, limits)

        def drafting() -> bool:  # the drafts socket keeps its board loaded (server/realtime/ws.py)
            board = rooms.rooms.get(ref.board.doc_id)
            return board is not None and is_drafting(board.doc)

        context = DraftsContext(ref.drafts_of, drafting)
        return BoardGuard(doc, drafts_limits, table=DRAFTS_RULES, context=context)

    outbox = Outbox(settings, store)
    features: list[Feature] = [
        Facilitation(),
        VoteCleanup(store),
        Estimation(),
        Drafts(settings.max_drafts_per_member),
        Suggestions(),
        OutcomeCommands(),
        OutcomeWatch(outbox),
        Activity(store),
    ]
    rooms = RoomManager(
        store=store,
        backplane=backplane,
        metrics=metrics,
        guard_factory=guard_factory,
        features=features,
        presence_limits=PresenceLimits(
            ids_per_connection=settings.awareness_ids_per_connection,
            max_state_bytes=settings.max_awareness_bytes,
            max_states=settings.max_awareness_states,
            timeout_seconds=settings.awareness_timeout_seconds,
            tick_seconds=settings.presence_tick_ms / 1000,
        ),
        idle_unload_seconds=settings.idle_unload_seconds,
        compact_every=settings.compact_every_updates,
    )
    return Services(
        settings=settings,
        store=store,
        backplane=backplane,
        metrics=metrics,
        rooms=rooms,
        monitor=LoadMonitor(metrics, settings.max_loop_lag_seconds),
        board_creation=RateWindow(settings.boards_per_ip_per_hour, 3600.0),
        commands=command_table(features),
        outbox=outbox,
    )


class PlanboardApp(Starlette):
    """Starlette, with WebSocket routes reached straight from the app: no middleware layers.

    Each layer (server errors, security headers, exceptions, router, route, session) keeps a
    coroutine frame, and some a closure or a WebSocket object, alive for as long as its
    connection lasts: about 4.5 KiB per idle connection (bench S4). None has anything to do
    for these endpoints: the two middlewares act on HTTP only but for the raw send (captured
    here too), the endpoints raise none of the exceptions Starlette handles for WebSockets,
    and whatever else escapes reaches uvicorn either way. The router keeps the same routes.
    """

    def __init__(self, *, websocket_routes: list[WebSocketRoute], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.websocket_routes = websocket_routes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            for route in self.websocket_routes:
                match, child_scope = route.matches(scope)
                if match is Match.FULL:
                    scope["app"] = self
                    scope["route"] = route
                    scope.update(child_scope)
                    capture_raw_send(scope, send)
                    await route.endpoint(WebSocket(scope, receive, send))
                    return
        await super().__call__(scope, receive, send)


def _routes() -> list[BaseRoute]:
    routes: list[BaseRoute] = [
        Route("/healthz", api.healthz),
        Route("/readyz", api.readyz),
        Route("/metrics", api.metrics),
        Route("/api/boards", api.create_board, methods=["POST"]),
        Route("/api/boards/{board_id}", api.get_board, methods=["GET"]),
        Route("/api/boards/{board_id}/participants", api.join_board, methods=["POST"]),
        WebSocketRoute("/ws/{board_id}", websocket_endpoint),
        WebSocketRoute("/ws/{board_id}/drafts", drafts_endpoint),
    ]
    routes.extend(template_routes())
    routes.extend(command_routes())
    routes.extend(export_routes())
    routes.extend(webhook_routes())
    routes.extend(page_routes(web_dir()))
    return routes


def create_app(settings: Settings) -> Starlette:
    settings = settings.resolve_secret()
    if settings.webhook_url:
        if not settings.webhook_secret:
            raise SystemExit("PLANBOARD_WEBHOOK_SECRET is required with PLANBOARD_WEBHOOK_URL.")
        try:
            check_url_shape(settings.webhook_url)
        except UnsafeTarget as exc:
            raise SystemExit(f"PLANBOARD_WEBHOOK_URL: {exc}") from exc
    services = build_services(settings)
    mcp = McpEndpoint(services)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await services.store.open()
        await services.backplane.start()
        services.monitor.start()
        if services.outbox is not None:
            services.outbox.start()
        # What exists now (modules, routes, settings) lives as long as the process: full
        # collections need not walk it again and again.
        gc.collect()
        gc.freeze()
        log.info("planboard instance %s ready", settings.instance_id)
        try:
            async with mcp.running():
                yield
        finally:
            services.shutting_down = True
            await services.rooms.close()
            if services.outbox is not None:
                await services.outbox.stop()
            await services.monitor.stop()
            await services.backplane.stop()
            await services.store.close()
            log.info("planboard instance %s stopped; store flushed", settings.instance_id)

    handlers: dict[Any, Any] = {
        ApiError: api_error_handler,
        HTTPException: http_error_handler,
        Exception: unexpected_error_handler,
    }
    routes = [*_routes(), Route(MCP_PATH, endpoint=mcp)]
    app = PlanboardApp(
        websocket_routes=[r for r in routes if isinstance(r, WebSocketRoute)],
        routes=routes,
        middleware=[Middleware(SecurityHeadersMiddleware, public_url=settings.public_url)],
        exception_handlers=handlers,
        lifespan=lifespan,
    )
    app.state.services = services
    return app
