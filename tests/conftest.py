"""Shared fixtures: real planboard processes, real Redis, HTTP helpers."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.servers import PlanboardProcess, RedisProcess


@pytest.fixture
def server_factory(tmp_path: Path) -> Iterator[Any]:
    """Start any number of planboard processes; all are stopped at the end of the test."""
    started: list[PlanboardProcess] = []

    def make(
        env: dict[str, str] | None = None,
        data_dir: Path | None = None,
        args: list[str] | None = None,
    ) -> PlanboardProcess:
        server = PlanboardProcess(data_dir or tmp_path / f"data{len(started)}", env=env, args=args)
        started.append(server)
        return server.start()

    yield make
    for server in started:
        server.stop()


@pytest.fixture
def live_server(server_factory: Any) -> PlanboardProcess:
    server: PlanboardProcess = server_factory()
    return server


@pytest.fixture
def redis_server() -> Iterator[RedisProcess]:
    server = RedisProcess().start()
    yield server
    server.cleanup()


def create_board(base_url: str, **body: Any) -> dict[str, Any]:
    response = httpx.post(f"{base_url}/api/boards", json={"title": "Test board", **body})
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()
    return data


def join_board(base_url: str, board_id: str, name: str = "Ana", **body: Any) -> dict[str, Any]:
    response = httpx.post(
        f"{base_url}/api/boards/{board_id}/participants", json={"name": name, **body}
    )
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()
    return data


def command(base_url: str, board_id: str, token: str, kind: str, **args: Any) -> httpx.Response:
    return httpx.post(
        f"{base_url}/api/boards/{board_id}/commands",
        json={"type": kind, **args},
        headers={"Authorization": f"Bearer {token}"},
    )
