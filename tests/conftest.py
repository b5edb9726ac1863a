"""Shared fixtures: real planboard processes and real Redis (helpers live in tests/helpers.py)."""

from __future__ import annotations

import os

if os.environ.get("PLANBOARD_TEST_COMPILED") == "1":  # tests/unit/test_native.py asks for it
    from server.native import use_compiled_crdt

    if not use_compiled_crdt():
        raise RuntimeError("build/native is missing or stale: run `make native`")
    import crdt.policy

    assert crdt.policy.__file__ is not None and not crdt.policy.__file__.endswith(".py")

from collections.abc import Iterator
from pathlib import Path
from typing import Any

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
