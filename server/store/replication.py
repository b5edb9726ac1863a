"""What the Redis store does about asynchronous replication, for one primary.

Redis replicates asynchronously: a primary that dies can take acknowledged writes with it, and a
promoted replica hands out positions that the old primary had already given to other updates.
Two defences, written for one primary so that Redis Cluster support can hold one of each per
shard:

- `ReplicaPolicy`: after an append, WAIT for `PLANBOARD_REDIS_MIN_REPLICAS` replicas before the
  update may be shown to anyone (default: 1 when `INFO replication` shows a replica, else 0).
- `NodeEpoch`: a random token, agreed by every instance through one key on the primary, that
  changes when the primary's replication id changes (a failover, a restart) or when a store is
  caught going back in time. Every position is stamped with an epoch (see server/store/redis.py):
  within one epoch a position names one update, so a reused number never passes for a known one.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from typing import Any

log = logging.getLogger("planboard.store.redis")

# KEYS: the epoch hash. ARGV: the token the caller saw ('' for none), a new token, the primary's
# replication id. Compare-and-set: of several instances that notice the same change at once, one
# sets the new epoch and the others adopt it. Returns the epoch in force afterwards.
EPOCH_CAS = """
local cur = redis.call('HGET', KEYS[1], 'token') or ''
if cur ~= ARGV[1] then return cur end
redis.call('HSET', KEYS[1], 'token', ARGV[2], 'replid', ARGV[3])
return ARGV[2]
"""


def new_token() -> str:
    """A fresh epoch: 63 random bits (never 0, which means "no epoch yet")."""
    return str(secrets.randbits(63) | 1)


def parse_replication(info: dict[str, Any]) -> tuple[str, int, str]:
    """(replication id, connected replicas, role) from `INFO replication`."""
    replid = str(info.get("master_replid", ""))
    replicas = int(info.get("connected_slaves", 0) or 0)
    role = str(info.get("role", "master"))
    return replid, replicas, role


class ReplicaPolicy:
    """How many replica acknowledgements an append waits for, and for how long at a time."""

    def __init__(self, configured: int | None, timeout: float) -> None:
        self.configured = configured  # None: follow INFO replication
        self.timeout = timeout
        self.connected = 0  # replicas the primary had at the last look

    def required(self) -> int:
        if self.configured is not None:
            return self.configured
        return 1 if self.connected > 0 else 0

    def observe(self, connected_replicas: int) -> None:
        if self.configured is None and (connected_replicas > 0) != (self.connected > 0):
            log.warning(
                "the Redis primary has %d replica(s) now: appends wait for %d",
                connected_replicas,
                1 if connected_replicas else 0,
            )
        self.connected = connected_replicas


class NodeEpoch:
    """The epoch of one primary, as this instance knows it; listeners hear every change."""

    def __init__(self, key: str) -> None:
        self.key = key
        self.token = ""  # "" until the first verification
        self.replid = ""
        self.changes = 0
        self.listeners: list[Callable[[str], None]] = []

    def adopt(self, token: str, replid: str) -> None:
        previous, self.token, self.replid = self.token, token, replid
        if previous and token != previous:
            self.changes += 1
            log.warning("Redis epoch changed (%s -> %s): rooms heal from memory", previous, token)
            for listener in list(self.listeners):
                listener(token)

    async def verify(self, client: Any, script: Callable[..., Any]) -> tuple[str, int]:
        """Check the primary behind `client`; returns (epoch, connected replicas).

        A replication id other than the one the epoch was made under means another history
        (a promoted replica, a restarted server): a new epoch, set by compare-and-set.
        """
        replid, replicas, role = parse_replication(await client.info("replication"))
        if role != "master":
            raise ConnectionError(f"connected to a Redis {role}, not a primary")
        raw_token, raw_replid = await client.hmget(self.key, ["token", "replid"])
        token = raw_token.decode() if raw_token else ""
        made_under = raw_replid.decode() if raw_replid else ""
        if not token or made_under != replid:
            token = await self.advance(token, replid, script)
        else:
            self.adopt(token, replid)
        return token, replicas

    async def advance(self, seen: str, replid: str, script: Callable[..., Any]) -> str:
        """Start a new epoch unless someone already moved on from `seen`; adopt the result."""
        result = await script(EPOCH_CAS, [self.key], [seen, new_token(), replid])
        token = result.decode() if isinstance(result, bytes) else str(result)
        self.adopt(token, replid)
        return token
