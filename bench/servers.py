"""The servers under test as real processes on 127.0.0.1, each pinned to the server core.

Every server gets the same treatment: a fresh process per scenario (so memory figures start
from a clean baseline), `taskset -c 0`, readiness by polling, SIGTERM at the end. psutil reads
its CPU time (all threads: planboard's SQLite writer thread counts) and its RSS.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jwt
import psutil

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
VENV_BIN = Path(sys.executable).parent
SERVER_CPU = "0"
NODE_SERVER = BENCH / "node_modules" / "@y" / "websocket-server" / "src" / "server.js"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


@dataclass(frozen=True)
class Sample:
    """One reading of a server process: CPU seconds so far and resident memory."""

    cpu_s: float
    rss: int
    at: float


@dataclass
class RoomAccess:
    """How clients reach one room: a path and the query string (token) of each client."""

    path: str
    reader_queries: list[str]
    writer_queries: list[str]
    writer_authors: list[str]
    seed_query: str = ""
    seed_author: str = "bench-seed"

    def url(self, port: int, query: str) -> str:
        return f"ws://127.0.0.1:{port}{self.path}{query}"

    def reader_urls(self, port: int) -> list[str]:
        return [self.url(port, q) for q in self.reader_queries]

    def writer_urls(self, port: int) -> list[str]:
        return [self.url(port, q) for q in self.writer_queries]

    def seed_url(self, port: int) -> str:
        return self.url(port, self.seed_query)


@dataclass
class Server:
    """A server process pinned to one core; subclasses say how to start it and reach rooms."""

    workdir: Path
    name: str = "server"
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None
    env_extra: dict[str, str] = field(default_factory=dict)

    def command(self) -> list[str]:
        raise NotImplementedError

    def env(self) -> dict[str, str]:
        return {**os.environ, **self.env_extra}

    def ready(self) -> bool:
        return _port_open(self.port)

    def start(self, timeout: float = 30.0) -> Server:
        self.workdir.mkdir(parents=True, exist_ok=True)
        log = open(self.log_path, "ab")  # noqa: SIM115 - the child owns it until it exits
        self.proc = subprocess.Popen(
            ["taskset", "-c", SERVER_CPU, *self.command()],
            env=self.env(),
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=self.workdir,
        )
        log.close()
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited at start: {self.log_tail()}")
            with contextlib.suppress(Exception):
                if self.ready():
                    return self
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"{self.name} not ready after {timeout}s: {self.log_tail()}")
            time.sleep(0.05)

    @property
    def log_path(self) -> Path:
        slug = self.name.replace("@", "").replace("/", "-")
        return self.workdir / f"{slug}-{self.port}.log"

    def log_tail(self, size: int = 2000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-size:]
        except OSError:
            return ""

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def sample(self) -> Sample:
        """CPU from the scheduler's nanosecond counters of every thread (clock ticks, 10 ms,
        are too coarse for a 5 s window at a few percent); psutil's times if unreadable."""
        proc = psutil.Process(self.pid)
        rss = proc.memory_info().rss
        cpu_ns = 0
        try:
            for task in Path(f"/proc/{self.pid}/task").iterdir():
                with contextlib.suppress(OSError, ValueError):
                    cpu_ns += int((task / "schedstat").read_text().split()[0])
        except OSError:
            cpu_ns = 0
        if cpu_ns:
            return Sample(cpu_ns / 1e9, rss, time.monotonic())
        times = proc.cpu_times()
        return Sample(times.user + times.system, rss, time.monotonic())

    def stop(self, timeout: float = 15.0) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.proc = None

    def room(self, writers: int, readers: int) -> RoomAccess:
        """A fresh room: the peers take any name in the path and need no token."""
        name = f"/bench-{secrets.token_hex(6)}"
        return RoomAccess(name, [""], [""] * max(writers, 1), [f"w{i}" for i in range(writers)])


@dataclass
class PycrdtServer(Server):
    """pycrdt-websocket under uvicorn with uvicorn's defaults (uvloop, websockets-sansio)."""

    name: str = "pycrdt-websocket"

    def command(self) -> list[str]:
        return [
            str(VENV_BIN / "python"),
            "-m",
            "uvicorn",
            "--app-dir",
            str(BENCH / "peers"),
            "pycrdt_ws_app:app",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--log-level",
            "warning",
        ]


@dataclass
class NodeServer(Server):
    """The reference server @y/websocket-server 0.1.1, as its `y-websocket-server` bin runs."""

    name: str = "@y/websocket-server"

    def command(self) -> list[str]:
        return ["node", str(NODE_SERVER)]

    def env(self) -> dict[str, str]:
        return {**super().env(), "HOST": "127.0.0.1", "PORT": str(self.port)}


# Limits that protect a public server from one address; the bench is one address on purpose.
PLANBOARD_BENCH_ENV = {
    "PLANBOARD_MAX_CONNECTIONS_PER_IP": "100000",
    "PLANBOARD_MAX_HTTP_CONNECTIONS_PER_IP": "0",  # join storms come from one address
    "PLANBOARD_MAX_CONNECTIONS_PER_BOARD": "5000",
    "PLANBOARD_BOARDS_PER_IP_PER_HOUR": "100000",
    "PLANBOARD_MAX_NOTES": "10000",
}


def _http_json(url: str, body: dict[str, Any], token: str | None = None) -> dict[str, Any]:
    headers = {"content-type": "application/json"}
    if token:
        headers["authorization"] = f"Bearer {token}"
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers=headers, method="POST"
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        result: dict[str, Any] = json.loads(response.read())
        return result


@dataclass
class PlanboardServer(Server):
    """`planboard serve`: embedded SQLite by default, Redis store and backplane with redis_url."""

    name: str = "planboard"
    secret: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    redis_url: str | None = None

    def command(self) -> list[str]:
        return [str(VENV_BIN / "planboard"), "serve", "--log-level", "warning"]

    def env(self) -> dict[str, str]:
        env = {
            **os.environ,
            **PLANBOARD_BENCH_ENV,
            "PLANBOARD_DATA": str(self.workdir / "data"),
            "PORT": str(self.port),
            "PLANBOARD_HOST": "127.0.0.1",
            "PLANBOARD_SECRET": self.secret,
            **self.env_extra,
        }
        env.pop("REDIS_URL", None)
        if self.redis_url:
            env["REDIS_URL"] = self.redis_url
        return env

    def ready(self) -> bool:
        url = f"http://127.0.0.1:{self.port}/readyz"
        with urllib.request.urlopen(url, timeout=1) as response:
            return bool(response.status == 200)

    def room(self, writers: int, readers: int) -> RoomAccess:
        """A board made through the API; writers join through it (the guard reads the roster).

        Readers never write, so their tokens are minted with the shared key as a host
        application would (no roster entry needed to read).
        """

        base = f"http://127.0.0.1:{self.port}"
        board = _http_json(f"{base}/api/boards", {"title": "bench", "name": "facilitator"})
        board_id = board["id"]
        writer_queries: list[str] = []
        authors: list[str] = []
        for i in range(writers):
            joined = _http_json(
                f"{base}/api/boards/{board_id}/participants", {"name": f"writer {i}"}
            )
            writer_queries.append(f"?token={joined['token']}")
            authors.append(joined["participant_id"])
        exp = int(time.time()) + 24 * 3600
        reader_queries = [
            "?token="
            + jwt.encode(
                {
                    "sub": f"reader-{i}",
                    "board": board_id,
                    "role": "participant",
                    "name": f"reader {i}",
                    "exp": exp,
                },
                self.secret,
                algorithm="HS256",
            )
            for i in range(max(readers, 1))
        ]
        return RoomAccess(
            f"/ws/{board_id}",
            reader_queries,
            writer_queries,
            authors,
            seed_query=f"?token={board['token']}",
            seed_author=board["participant_id"],
        )


def redis_available() -> str | None:
    """None when planboard's Redis store and backplane exist and redis-server is on PATH."""
    missing = [
        p
        for p in ("server/store/redis.py", "server/realtime/redis_backplane.py")
        if not (ROOT / p).exists()
    ]
    if missing:
        return "not available: " + ", ".join(missing) + " not in this tree yet"
    if not (shutil.which("redis-server") or shutil.which("valkey-server")):
        return "not available: no redis-server on PATH"
    return None


@dataclass
class RedisServer(Server):
    """A private redis-server on a free port, AOF on (as the README asks of production)."""

    name: str = "redis"

    def command(self) -> list[str]:
        binary = shutil.which("redis-server") or shutil.which("valkey-server") or "redis-server"
        return [
            binary,
            "--port",
            str(self.port),
            "--bind",
            "127.0.0.1",
            "--dir",
            str(self.workdir),
            "--appendonly",
            "yes",
            "--appendfsync",
            "everysec",
            "--save",
            "",
        ]

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"


PEERS: dict[str, type[Server]] = {
    "planboard": PlanboardServer,
    "pycrdt-websocket": PycrdtServer,
    "y-websocket-server": NodeServer,
}
