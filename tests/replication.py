"""Fixtures for a primary and a replica (real redis-server processes) behind test proxies.

The replication link runs through a proxy the test can black-hole (a lagging replica); `vip`
is the address instances use for "the primary", which a failover repoints.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.multi.support import start_replica, started_redis
from tests.servers import RedisProcess
from tests.tcpproxy import TcpProxy


@pytest.fixture
def primary() -> Iterator[RedisProcess]:
    yield from started_redis()


@pytest.fixture
def replica_link(primary: RedisProcess) -> Iterator[TcpProxy]:
    """The replication link, through a proxy the test can black-hole (a lagging replica)."""
    link = TcpProxy(primary.port).start()
    yield link
    link.close()


@pytest.fixture
def replica(primary: RedisProcess, replica_link: TcpProxy) -> Iterator[RedisProcess]:
    server = start_replica(primary.port, via_port=replica_link.port)
    yield server
    server.cleanup()


@pytest.fixture
def vip(primary: RedisProcess) -> Iterator[TcpProxy]:
    """The address the instances use for "the primary"; a failover repoints it."""
    link = TcpProxy(primary.port).start()
    yield link
    link.close()
