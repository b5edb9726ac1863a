"""The append step shared by the standalone writer and the per-shard writers of a cluster.

Positions are consecutive per doc: the script increments the doc's counter and pushes in one
atomic step (see server/store/redis.py). Both scripts take, per update, the doc's (seq, log) keys
and its board's docs index, then one epoch key; ARGV starts with three header values (what the
epoch key is checked against, a fresh token for it, a spare fresh token for docs) followed by
(update, doc id, seen epoch, seen position) per update. They return {epoch, position} per update.

- standalone: the epoch key is the primary's (`epoch`), set by the writer's verification;
  everything is refused ({'epoch', current}) when it is not the one the writer verified.
- cluster: the epoch key is the board's (`{board}:epoch`), so that the script stays in the
  board's slot; it records the replication id of the shard primary the writer verified, and a
  board first written under another replication id (a failover, a migration to another shard)
  gets a fresh shard epoch, which gives each of its docs a fresh epoch too.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from server.store.redis_keys import RedisKeys, board_of

MAX_BATCH_UPDATES = 256
MAX_BATCH_BYTES = 4 << 20

_BODY = """
local n = (#KEYS - 1) / 3
local out = {}
for i = 1, n do
  local seq_key = KEYS[3 * i - 2]
  local a = 3 + 4 * (i - 1)
  local cur = redis.call('HMGET', seq_key, 'seq', 'epoch', 'node')
  local seq = tonumber(cur[1] or '0')
  local epoch = cur[2] or ''
  if (cur[3] or '') ~= node then
    epoch = node
    redis.call('HSET', seq_key, 'epoch', epoch, 'node', node)
  elseif epoch == ARGV[a + 3] and seq < tonumber(ARGV[a + 4]) then
    epoch = ARGV[3]
    redis.call('HSET', seq_key, 'epoch', epoch)
  end
  local pos = redis.call('HINCRBY', seq_key, 'seq', 1)
  if redis.call('RPUSH', KEYS[3 * i - 1], ARGV[a + 1]) == 1 then
    redis.call('ZADD', KEYS[3 * i], 0, ARGV[a + 2])
  end
  out[2 * i - 1] = epoch
  out[2 * i] = pos
end
return out
"""

# A doc whose node epoch is older enters the writer's; a doc whose counter is below what the
# writer has seen in the doc's current epoch went back in time (and nobody noticed yet): it gets
# a fresh epoch.
APPEND = (
    """
local node = redis.call('HGET', KEYS[#KEYS], 'token') or ''
if node ~= ARGV[1] then return {'epoch', node} end
"""
    + _BODY
)

APPEND_SHARD = (
    """
local cur = redis.call('HMGET', KEYS[#KEYS], 'token', 'replid')
local node = cur[1]
if not node or cur[2] ~= ARGV[1] then
  node = ARGV[2]
  redis.call('HSET', KEYS[#KEYS], 'token', node, 'replid', ARGV[1])
end
"""
    + _BODY
)


@dataclass(slots=True)
class Append:
    doc_id: str
    update: bytes
    future: asyncio.Future[tuple[int, int]]  # (epoch, position)


def take_batch(pending: list[Append]) -> list[Append]:
    """The head of the queue, bounded in count and bytes (group commit)."""
    size = 0
    count = 0
    for item in pending:
        if count and (count >= MAX_BATCH_UPDATES or size + len(item.update) > MAX_BATCH_BYTES):
            break
        size += len(item.update)
        count += 1
    return pending[:count]


def append_args(
    keys: RedisKeys,
    batch: list[Append],
    seen: Callable[[str], tuple[int, int]],
    header: tuple[str, str, str],
    epoch_key: str,
) -> tuple[list[str], list[Any]]:
    """KEYS and ARGV of APPEND / APPEND_SHARD for `batch`."""
    names: list[str] = []
    args: list[Any] = list(header)
    for item in batch:
        seq_key, log_key, _ = keys.doc(item.doc_id)
        names += [seq_key, log_key, keys.docs(board_of(item.doc_id))]
        seen_epoch, seen_position = seen(item.doc_id)
        args += [item.update, item.doc_id, str(seen_epoch) if seen_epoch else "", seen_position]
    names.append(epoch_key)
    return names, args
