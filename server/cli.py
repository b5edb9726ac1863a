"""`planboard`: serve the app, list boards, export a board (reading the store directly)."""

from __future__ import annotations

import argparse
import logging
import socket
import sys
from collections.abc import Sequence
from importlib.metadata import PackageNotFoundError, version

import uvicorn

from server.config import Settings


def planboard_version() -> str:
    """The installed distribution's version (pyproject.toml is its one source)."""
    try:
        return version("planboard")
    except PackageNotFoundError:  # pragma: no cover - only when run from an uninstalled tree
        return "unknown"


def _serve(args: argparse.Namespace) -> int:
    from server import native

    compiled = native.use_compiled_crdt()  # before anything imports the guard

    from server.app import create_app
    from server.http.httpguard import uvicorn_limits
    from server.logredact import install_token_filter
    from server.realtime.lean_protocol import LeanWebSocketsProtocol

    settings = Settings.from_env(
        host=args.host,
        port=args.port,
        data_dir=args.data,
        redis_url=args.redis_url,
        secret=args.secret,
        allowed_origins=tuple(args.allowed_origins.split(",")) if args.allowed_origins else None,
        max_message_bytes=args.max_message,
        rate_messages_per_s=args.rate_messages,
        rate_bytes_per_s=args.rate_bytes,
        max_connections_per_board=args.max_connections_per_board,
        idle_unload_seconds=args.idle_unload,
    )
    logging.basicConfig(
        level=getattr(logging, args.log_level.upper()),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    app = create_app(settings)
    logging.getLogger("planboard.native").info(
        "the guard runs %s", "compiled by mypyc" if compiled else "as Python"
    )
    config = uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        # uvloop ("auto" picks it: uvicorn[standard] installs it) and the sans-I/O websockets
        # protocol, named rather than left to "auto": its transport is what the fan-out path
        # of server/realtime/transport.py writes pre-framed messages to (other protocols fall
        # back to ASGI sends, several times the CPU per delivered message). Subclassed to hold
        # less per idle connection: server/realtime/lean_protocol.py.
        ws=LeanWebSocketsProtocol,
        ws_max_size=settings.max_message_bytes * 2,
        # Compression would run once per client per frame: the opposite of "encode once".
        ws_per_message_deflate=False,
        ws_ping_interval=20.0,
        ws_ping_timeout=20.0,
        log_level=args.log_level,
        access_log=args.access_log,
        timeout_graceful_shutdown=10,
        proxy_headers=args.proxy_headers,
        **uvicorn_limits(settings, behind_proxy=args.proxy_headers),
    )
    # After uvicorn.Config, which (re)configures uvicorn's loggers and handlers.
    install_token_filter("uvicorn", "uvicorn.error", "uvicorn.access")
    sock = _listen(settings)
    _AnnouncingServer(config, url=_served_url(settings.host, sock)).run(sockets=[sock])
    return 0


def _served_url(host: str, sock: socket.socket) -> str:
    """The URL a person opens: the bound port (the OS picks one for port 0), IPv6 in brackets."""
    port = sock.getsockname()[1]
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


class _AnnouncingServer(uvicorn.Server):
    """uvicorn's server, saying where it serves once it is ready (store open, socket
    listening), so that a person running `make run` sees where to go."""

    def __init__(self, config: uvicorn.Config, *, url: str) -> None:
        super().__init__(config)
        self.url = url

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=sockets)
        if self.started and not self.should_exit:
            print(f"planboard serving on {self.url}", flush=True)


def _listen(settings: Settings) -> socket.socket:
    """The listening socket, made here so accepted sockets inherit a bounded send buffer.

    Kernel autotuning lets one stalled reader pin megabytes of kernel memory; a fixed buffer
    makes a slow client hit planboard's own bounded queue (and its 1013) instead.
    """
    family = socket.AF_INET6 if ":" in settings.host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if settings.socket_send_buffer > 0:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, settings.socket_send_buffer)
    sock.bind((settings.host, settings.port))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="planboard",
        description="Real-time collaborative whiteboard for planning sessions (Yjs-compatible).",
    )
    parser.add_argument("--version", action="version", version=f"planboard {planboard_version()}")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser(
        "serve",
        help="serve the HTTP API, the WebSocket endpoint and the web client",
        description="Each flag overrides the environment variable named in its help.",
    )
    serve.add_argument("--host", help="interface to bind (PLANBOARD_HOST; default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="TCP port (PORT; default 8000)")
    serve.add_argument("--data", help="SQLite folder (PLANBOARD_DATA; default ./data)")
    serve.add_argument(
        "--redis-url", help="Redis store and pub/sub backplane (REDIS_URL; off by default)"
    )
    serve.add_argument(
        "--secret",
        help="token signing key (PLANBOARD_SECRET; generated in the data folder when alone, "
        "required with Redis)",
    )
    serve.add_argument(
        "--allowed-origins",
        help="comma-separated extra WebSocket origins (PLANBOARD_ALLOWED_ORIGINS; "
        "the server's own origin is always allowed)",
    )
    serve.add_argument(
        "--max-message", type=int, help="largest WebSocket message in bytes (PLANBOARD_MAX_MESSAGE)"
    )
    serve.add_argument(
        "--rate-messages",
        type=float,
        help="messages per second per connection (PLANBOARD_RATE_MESSAGES)",
    )
    serve.add_argument(
        "--rate-bytes", type=float, help="bytes per second per connection (PLANBOARD_RATE_BYTES)"
    )
    serve.add_argument(
        "--max-connections-per-board",
        type=int,
        help="connections per board (PLANBOARD_MAX_CONNECTIONS_PER_BOARD)",
    )
    serve.add_argument(
        "--idle-unload",
        type=float,
        help="seconds an idle board stays loaded (PLANBOARD_IDLE_UNLOAD)",
    )
    serve.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"])
    serve.add_argument("--access-log", action="store_true", help="log every HTTP request")
    serve.add_argument(
        "--proxy-headers",
        action="store_true",
        help="trust X-Forwarded-For from the proxy in front (for per-address limits)",
    )
    serve.set_defaults(func=_serve)
    try:
        from server.cli_store import add_store_commands

        add_store_commands(sub)
    except ImportError:
        pass
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    result: int = args.func(args)
    return result


if __name__ == "__main__":
    sys.exit(main())
