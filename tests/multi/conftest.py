"""Fixtures for multi-instance tests: one real redis-server and several real planboard processes."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from tests.cluster import RedisClusterProcess
from tests.multi.support import started_redis
from tests.servers import PlanboardProcess, RedisProcess

# Short enough for tests, long enough for a loaded CI machine not to declare a live instance dead.
INSTANCE_TIMEOUT = "3"

StartInstances = Callable[..., list[PlanboardProcess]]


@pytest.fixture
def redis_proc() -> Iterator[RedisProcess]:
    yield from started_redis()


@pytest.fixture
def instances(redis_proc: RedisProcess, tmp_path: Path) -> Iterator[StartInstances]:
    """`instances(n, **env)` starts n planboard processes sharing Redis and one token key."""
    secret = secrets.token_urlsafe(32)
    started: list[PlanboardProcess] = []

    def start(count: int, **env: str) -> list[PlanboardProcess]:
        base = {
            "REDIS_URL": redis_proc.url,
            "PLANBOARD_SECRET": secret,
            "PLANBOARD_AWARENESS_TIMEOUT": INSTANCE_TIMEOUT,
            "PLANBOARD_RATE_MESSAGES": "100000",
            "PLANBOARD_RATE_BURST": "100000",
            **env,
        }
        fresh = [
            PlanboardProcess(tmp_path / f"instance{len(started) + i}", env=base)
            for i in range(count)
        ]
        started.extend(fresh)
        with ThreadPoolExecutor(count) as pool:  # start them side by side: the suite stays short
            list(pool.map(lambda p: p.start(30.0), fresh))
        return fresh

    yield start
    with ThreadPoolExecutor(max(1, len(started))) as pool:
        list(pool.map(lambda p: p.stop(), started))


def ready(server: PlanboardProcess) -> int:
    """The /readyz status code (0 when the process does not answer)."""
    try:
        return httpx.get(f"{server.url}/readyz", timeout=3).status_code
    except httpx.HTTPError:
        return 0


@pytest.fixture(scope="module")
def redis_cluster() -> Iterator[RedisClusterProcess]:
    """A real Redis Cluster (3 primaries, 1 replica each), once per test module."""
    cluster = RedisClusterProcess().start()
    try:
        yield cluster
    finally:
        cluster.cleanup()


@pytest.fixture
def cluster_instances(
    redis_cluster: RedisClusterProcess, tmp_path: Path
) -> Iterator[list[PlanboardProcess]]:
    """Three planboard processes, each given a different node of the cluster as REDIS_URL
    (two primaries and a replica: any node will do)."""
    secret = secrets.token_urlsafe(32)
    servers = [
        PlanboardProcess(
            tmp_path / f"instance{i}",
            env={
                "REDIS_URL": redis_cluster.url(node),
                "PLANBOARD_SECRET": secret,
                "PLANBOARD_AWARENESS_TIMEOUT": INSTANCE_TIMEOUT,
                "PLANBOARD_RATE_MESSAGES": "100000",
                "PLANBOARD_RATE_BURST": "100000",
                "PLANBOARD_BOARDS_PER_IP_PER_HOUR": "1000",
            },
        )
        for i, node in enumerate((0, 1, 3))
    ]
    with ThreadPoolExecutor(len(servers)) as pool:
        list(pool.map(lambda p: p.start(30.0), servers))
    yield servers
    with ThreadPoolExecutor(len(servers)) as pool:
        list(pool.map(lambda p: p.stop(), servers))
