"""`planboard migrate-keys`: rename a standalone Redis's keys from the old layout to the new one.

The old layout put the hash tag in the middle (`planboard:doc:{<doc>}:log`, `planboard:vote:{b}:…`)
and kept two global indexes that scripts wrote together with a board's keys (`docs`,
`outbox:due`). The new one starts every key of a board with the board's tag (`planboard:{b}:…`,
server/store/redis_keys.py) so that a board is one Redis Cluster slot. Renaming is idempotent:
a key already in the new layout is left alone, so the command may run again after an
interruption; a key whose new name is already taken is reported and left as it is.

Run it with every instance stopped, on the standalone Redis the instances used; to move to a
cluster afterwards, copy the migrated keys over (for example `redis-cli --cluster import`).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from typing import Any

import redis.asyncio as aioredis

from server.store.redis_connect import is_cluster, standalone_client
from server.store.redis_keys import RedisKeys, board_of

log = logging.getLogger("planboard.store.redis")

# Old key kinds whose tag is a board id (the tag of `doc` is a doc id, handled apart).
KINDS = (
    "outbox:lease",
    "deliveries",
    "delivery",
    "outbox",
    "board",
    "vote",
    "audit",
    "est",
    "hooks",
)


@dataclass
class MigrationReport:
    renamed: int = 0
    indexed: int = 0  # entries moved from the old global indexes into per-board ones
    conflicts: list[str] = field(default_factory=list)


def new_name(keys: RedisKeys, key: str) -> str | None:
    """The new name of an old-layout key, or None for a key that needs no renaming."""
    if not key.startswith(keys.prefix):
        return None
    rest = key[len(keys.prefix) :]
    open_at = rest.find(":{")
    close_at = rest.find("}", open_at)
    if rest.startswith("{") or open_at < 0 or close_at < 0:
        return None
    kind, tag, tail = rest[:open_at], rest[open_at + 2 : close_at], rest[close_at + 1 :]
    if kind == "doc":
        return keys.doc_base(tag) + tail
    if kind in KINDS:
        return f"{keys.board_base(board_of(tag))}:{kind}{tail}"
    return None


async def migrate_keys(url: str, prefix: str) -> MigrationReport:
    if await is_cluster(url):
        raise SystemExit(
            "migrate-keys renames keys on the standalone Redis the instances used; "
            "run it there, then copy the data into the cluster"
        )
    keys = RedisKeys(prefix)
    client = standalone_client(url)
    report = MigrationReport()
    try:
        await _split_indexes(client, keys, report)
        async for raw in client.scan_iter(match=f"{prefix}*", count=1000):
            key = raw.decode()
            target = new_name(keys, key)
            if target is None:
                continue
            if await client.renamenx(key, target):
                report.renamed += 1
            else:
                report.conflicts.append(key)
                log.warning("not renaming %s: %s exists already", key, target)
    finally:
        await client.aclose()
    return report


async def _split_indexes(client: aioredis.Redis, keys: RedisKeys, report: MigrationReport) -> None:
    """The old global doc index and webhook due index become per-board ones."""
    old_docs = f"{keys.prefix}docs"
    for raw in await client.zrange(old_docs, 0, -1):
        doc_id = _text(raw)
        await client.zadd(keys.docs(board_of(doc_id)), {doc_id: 0})
        report.indexed += 1
    await client.delete(old_docs)
    old_due = f"{keys.prefix}outbox:due"
    entries: list[Any] = await client.zrange(old_due, 0, -1, withscores=True)
    for raw, score in entries:
        board_id, endpoint_id = json.loads(_text(raw))
        await client.zadd(keys.outbox_due(board_id), {endpoint_id: score})
        await client.sadd(keys.outbox_boards, board_id)
        report.indexed += 1
    await client.delete(old_due)


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
