"""Helpers for the Redis tests: a real redis-server (fail in CI, skip elsewhere when missing)."""

from __future__ import annotations

import asyncio
import os
import socket
import time
from collections.abc import Awaitable, Callable, Iterator

import pytest

from tests.servers import PlanboardProcess, RedisProcess, redis_server_binary


def require_redis_server() -> None:
    """In CI a missing Redis is a failure (nothing may skip there); locally it skips."""
    try:
        redis_server_binary()
    except AssertionError:
        if os.environ.get("CI", "").lower() == "true":
            raise
        pytest.skip("no redis-server on PATH (CI=true turns this into a failure)")


def started_redis() -> Iterator[RedisProcess]:
    """A fixture body: a fresh redis-server on a free port with AOF on, removed afterwards."""
    require_redis_server()
    server = RedisProcess().start()
    try:
        yield server
    finally:
        server.cleanup()


def redis_command(port: int, *args: str) -> bytes:
    """One raw RESP command over a plain socket: test-side admin (CLIENT KILL, INFO)."""
    payload = f"*{len(args)}\r\n".encode()
    for arg in args:
        data = arg.encode()
        payload += b"$" + str(len(data)).encode() + b"\r\n" + data + b"\r\n"
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(payload)
        return s.recv(65536)


def ws(server: PlanboardProcess, board_id: str, token: str) -> str:
    return f"{server.ws_url}/ws/{board_id}?token={token}"


async def eventually(
    check: Callable[[], Awaitable[bool]], timeout: float, what: str, interval: float = 0.05
) -> None:
    """Like tests.yclient.wait_for, for conditions that need I/O to check (HTTP, Redis)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if await check():
                return
        except Exception:  # not there yet
            pass
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        await asyncio.sleep(interval)


def start_replica(primary_port: int, *, via_port: int | None = None) -> RedisProcess:
    """A second redis-server replicating the primary (through `via_port`, a proxy, if given)."""
    replica = RedisProcess().start()
    redis_command(replica.port, "REPLICAOF", "127.0.0.1", str(via_port or primary_port))
    wait_until_sync(
        lambda: b"master_link_status:up" in redis_command(replica.port, "INFO", "replication"),
        15,
        "the replica in sync",
    )
    return replica


def kill_redis(server: RedisProcess) -> None:
    """kill -9 of a redis-server: whatever it did not write to its AOF yet is gone."""
    if server.proc is not None:
        server.proc.kill()
        server.proc.wait(10)
        server.proc = None


def wait_until_sync(predicate: Callable[[], object], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.05)
