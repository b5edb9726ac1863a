"""Connecting to Redis: one server, or a Redis Cluster told apart at start (`INFO cluster`).

`REDIS_URL` names one server, or any node(s) of a cluster: several seeds may be given, comma-
separated (`redis://a:7000,b:7001` or `redis://a:7000,redis://b:7001`); the first that answers
says whether cluster mode is on. Cluster mode uses redis-py's asyncio cluster client, which
follows MOVED and ASK and refreshes the slot map by itself.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any
from urllib.parse import urlsplit

import redis.asyncio as aioredis
from redis.asyncio.cluster import ClusterNode, RedisCluster
from redis.asyncio.connection import parse_url
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialWithJitterBackoff

log = logging.getLogger("planboard.store.redis")

Client = aioredis.Redis | RedisCluster

DETECT_SECONDS = 3.0


def seed_urls(url: str) -> list[str]:
    """Each seed as a full URL; a bare `host:port` borrows the first seed's scheme and auth."""
    parts = [p.strip() for p in url.split(",") if p.strip()]
    first = urlsplit(parts[0])
    auth = first.netloc.rpartition("@")[0]
    out = [parts[0]]
    for part in parts[1:]:
        if "://" in part:
            out.append(part)
        else:
            host = part.split("/")[0]
            out.append(f"{first.scheme}://{auth + '@' if auth else ''}{host}")
    return out


def _client_options() -> dict[str, Any]:
    """Short own retries: the callers (writer, loops) decide how long to keep trying."""
    return {
        "socket_connect_timeout": 2.0,
        "socket_timeout": 10.0,
        "socket_keepalive": True,
        "health_check_interval": 15,
    }


def standalone_client(url: str) -> aioredis.Redis:
    client: aioredis.Redis = aioredis.Redis.from_url(
        url, retry=Retry(ExponentialWithJitterBackoff(cap=0.25, base=0.02), 1), **_client_options()
    )
    return client


def cluster_client(url: str, **overrides: Any) -> RedisCluster:
    """The cluster client; it discovers every node from the seeds (CLUSTER SLOTS)."""
    seeds = seed_urls(url)
    params = parse_url(seeds[0])
    options: dict[str, Any] = {
        **_client_options(),
        "username": params.get("username"),
        "password": params.get("password"),
        "ssl": urlsplit(seeds[0]).scheme == "rediss",
        # A shard without a primary must not stop the client from serving the other shards.
        "require_full_coverage": False,
        # A failover takes a few seconds: redirections and reconnects are retried a few times.
        "retry": Retry(ExponentialWithJitterBackoff(cap=0.5, base=0.05), 3),
        **overrides,
    }
    nodes = []
    for seed in seeds:
        where = parse_url(seed)
        nodes.append(ClusterNode(where.get("host", "127.0.0.1"), int(where.get("port", 6379))))
    return RedisCluster(startup_nodes=nodes, **options)


def node_client(cluster: RedisCluster, host: str, port: int, **overrides: Any) -> aioredis.Redis:
    """One connection to one cluster node (a shard's writer: WAIT counts its own writes)."""
    kwargs = cluster.connection_kwargs
    pool = aioredis.BlockingConnectionPool(
        max_connections=1,
        host=host,
        port=port,
        username=kwargs.get("username"),
        password=kwargs.get("password"),
        connection_class=kwargs.get("connection_class", aioredis.Connection),
        socket_connect_timeout=2.0,
        socket_keepalive=True,
        **overrides,
    )
    return aioredis.Redis(connection_pool=pool)


async def is_cluster(url: str) -> bool:
    """Ask the seeds (`INFO cluster`); unreachable ones are skipped. With none reachable, several
    seeds mean a cluster and one means a standalone server (the store keeps retrying)."""
    seeds = seed_urls(url)
    for seed in seeds:
        probe = aioredis.Redis.from_url(seed, socket_connect_timeout=1.0, socket_timeout=2.0)
        try:
            info = await asyncio.wait_for(probe.info("cluster"), DETECT_SECONDS)
            return int(info.get("cluster_enabled", 0) or 0) == 1
        except Exception as exc:
            log.warning("Redis seed %s did not answer INFO cluster (%s)", seed, exc)
        finally:
            await probe.aclose()
    return len(seeds) > 1


async def connect(url: str) -> Client:
    """The client for `url`: a cluster client in cluster mode, a plain one otherwise."""
    if await is_cluster(url):
        return cluster_client(url)
    return standalone_client(url)
