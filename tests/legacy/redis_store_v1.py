"""FROZEN COPY of server/store/redis.py before issue 18 (the old key layout), for tests only.

tests/unit/test_redis_migrate.py fills a real Redis through it, exactly as an instance of the
previous release did, and checks that `planboard migrate-keys` brings that data to the current
layout. Never change it: it stands for data that exists in deployments.

Redis store: the SQLite store's layout in Redis keys, shared by every instance (REDIS_URL).

Keys, under a prefix (default `planboard:`); `{id}` is a Redis hash tag, so one doc's keys share a
slot:

    doc:{id}:seq      hash   seq = the last position given to an update of the doc (never reused)
    doc:{id}:log      list   the updates after the snapshot, oldest first
    doc:{id}:snap     string the compacted snapshot (one Yjs update)
    doc:{id}:compact  string compaction lock (SET NX PX): one compactor per doc at a time
    doc:{id}:clients  hash   Yjs client id -> the member that first wrote with it (HSETNX)
    docs              zset   every doc id (score 0: lexicographic range = prefix search)
    board:{id}        hash   board metadata; boards: zset board id -> last activity
    vote:{b}:{r}:p:{participant}  hash note -> dots;  vote:{b}:{r}:used  hash participant -> dots
    vote:{b}:{r}:tally            hash note -> dots (all participants)
    audit:{id}        list   JSON entries
    est:{b}:{r}       hash   JSON [participant, note] -> card (estimation ballots)
    est:{b}:{r}:closed string set when the round closes: later ballots are refused
    hooks:{b}         hash   webhook id -> JSON endpoint
    delivery:{b}:{id} string JSON delivery (outbox entry)
    outbox:{b}:{e}    list   undelivered delivery ids of one endpoint, oldest first (the queue)
    deliveries:{b}:{e} list  every delivery id of the endpoint (the log, last 1000)
    outbox:lease:{b}:{e} string the instance delivering that queue's head (SET NX PX)
    outbox:due        zset   "board endpoint" (JSON) -> when the queue's head is due

Positions are consecutive per doc: the append script increments `seq` and pushes in one atomic
step, so the log always holds exactly the positions `seq - LLEN + 1 .. seq`, and the snapshot
covers everything up to `seq - LLEN`. Nothing else is stored about positions, so the two cannot
drift apart; compaction trims the head of the list and the snapshot position follows by itself.

Appends go through one writer task (group commit: one script call for everything queued) that
retries with backoff until Redis takes them: an accepted edit is never dropped because Redis is
briefly away; its caller simply waits (see docs/scaling.md, "Failure behaviour").
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import secrets
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialWithJitterBackoff, NoBackoff
from redis.exceptions import RedisError

from server.store.base import BoardInfo, Delivery, LoadedDoc, VoteResult
from server.store.compaction import fold_updates
from server.store.replication import NodeEpoch, ReplicaPolicy, new_token, parse_replication
from server.supervisor import Loops, backoff_delay

log = logging.getLogger("planboard.store.redis")

DEFAULT_PREFIX = "planboard:"
MAX_BATCH_UPDATES = 256
MAX_BATCH_BYTES = 4 << 20
COMPACT_LOCK_MS = 60_000
CLOSE_GRACE_SECONDS = 5.0  # at shutdown, how long queued updates may wait for Redis

# KEYS: (seq, log) for each update, the docs index, the epoch hash. ARGV: the node epoch the writer
# verified, a spare fresh token, then (update, doc id, seen epoch, seen position) per update.
# Refuses everything ({'epoch', current}) when the node's epoch is not the writer's. A doc whose
# node epoch is older enters the writer's; a doc whose counter is below what the writer has seen in
# the doc's current epoch went back in time (and nobody noticed yet): it gets a fresh epoch.
# Returns {epoch, position} per update, in order.
APPEND = """
local n = (#KEYS - 2) / 2
local docs = KEYS[#KEYS - 1]
local node = redis.call('HGET', KEYS[#KEYS], 'token') or ''
if node ~= ARGV[1] then return {'epoch', node} end
local out = {}
for i = 1, n do
  local seq_key = KEYS[2 * i - 1]
  local a = 2 + 4 * (i - 1)
  local cur = redis.call('HMGET', seq_key, 'seq', 'epoch', 'node')
  local seq = tonumber(cur[1] or '0')
  local epoch = cur[2] or ''
  if (cur[3] or '') ~= node then
    epoch = node
    redis.call('HSET', seq_key, 'epoch', epoch, 'node', node)
  elseif epoch == ARGV[a + 3] and seq < tonumber(ARGV[a + 4]) then
    epoch = ARGV[2]
    redis.call('HSET', seq_key, 'epoch', epoch)
  end
  local pos = redis.call('HINCRBY', seq_key, 'seq', 1)
  if redis.call('RPUSH', KEYS[2 * i], ARGV[a + 1]) == 1 then
    redis.call('ZADD', docs, 0, ARGV[a + 2])
  end
  out[2 * i - 1] = epoch
  out[2 * i] = pos
end
return out
"""

# KEYS: seq, log, snap. ARGV: the reader's epoch for the doc, its position, a spare fresh token.
# Returns {epoch, seq, snapshot or false, log entries after the position}. A reader of another
# epoch gets everything (snapshot and the whole log). A position beyond the counter in the same
# epoch means the doc went back in time (a failover to a lagging replica, a restart that lost the
# last writes): the doc gets a fresh epoch, and the reader everything. With a position older than
# the snapshot, the snapshot comes back too (it covers the trimmed part of the log); applying it
# again is harmless because updates are idempotent.
READ_SINCE = """
local cur = redis.call('HMGET', KEYS[1], 'seq', 'epoch')
local seq = tonumber(cur[1] or '0')
local epoch = cur[2] or ''
local p = tonumber(ARGV[2])
if epoch == ARGV[1] and p > seq then
  epoch = ARGV[3]
  redis.call('HSET', KEYS[1], 'epoch', epoch)
end
if epoch ~= ARGV[1] then p = -1 end
local len = redis.call('LLEN', KEYS[2])
local base = seq - len
if p >= seq then return {epoch, seq, false, {}} end
if p < base then
  return {epoch, seq, redis.call('GET', KEYS[3]), redis.call('LRANGE', KEYS[2], 0, -1)}
end
return {epoch, seq, false, redis.call('LRANGE', KEYS[2], p - base, -1)}
"""

# KEYS: seq, log, snap. ARGV: the snapshot position the fold started from, how many log entries
# it folded, the folded snapshot. Commits only if nobody compacted meanwhile; appends made since
# the read are at the tail of the list and survive the trim.
COMPACT_COMMIT = """
local seq = tonumber(redis.call('HGET', KEYS[1], 'seq') or '0')
local len = redis.call('LLEN', KEYS[2])
local n = tonumber(ARGV[2])
if seq - len ~= tonumber(ARGV[1]) or n > len then return 0 end
redis.call('LTRIM', KEYS[2], n, -1)
redis.call('SET', KEYS[3], ARGV[3])
return 1
"""

RELEASE_LOCK = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""

# KEYS: seq, log, snap, docs. ARGV: doc id. Positions are never reused: seq stays.
DELETE_DOC = """
redis.call('DEL', KEYS[2], KEYS[3])
redis.call('ZREM', KEYS[4], ARGV[1])
return 1
"""

# KEYS: board hash, boards index. ARGV: id, title, template, created_at, last_activity, extra.
CREATE_BOARD = """
if redis.call('EXISTS', KEYS[1]) == 1 then return redis.error_reply('board exists') end
redis.call('HSET', KEYS[1], 'id', ARGV[1], 'title', ARGV[2], 'template', ARGV[3],
  'created_at', ARGV[4], 'last_activity', ARGV[5], 'extra', ARGV[6])
redis.call('ZADD', KEYS[2], ARGV[5], ARGV[1])
return 1
"""

TOUCH_BOARD = """
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], 'last_activity', ARGV[2])
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[1])
return 1
"""

# KEYS: participant's ballots, used per participant, tally. ARGV: participant, note, budget, cap.
# One atomic step: the budget and the cap hold however many instances vote at once.
CAST_VOTE = """
local used = tonumber(redis.call('HGET', KEYS[2], ARGV[1]) or '0')
local on = tonumber(redis.call('HGET', KEYS[1], ARGV[2]) or '0')
if used >= tonumber(ARGV[3]) then return {'budget', used, on} end
if on >= tonumber(ARGV[4]) then return {'cap', used, on} end
redis.call('HINCRBY', KEYS[1], ARGV[2], 1)
redis.call('HINCRBY', KEYS[2], ARGV[1], 1)
redis.call('HINCRBY', KEYS[3], ARGV[2], 1)
return {'ok', used + 1, on + 1}
"""

REMOVE_VOTE = """
local on = tonumber(redis.call('HGET', KEYS[1], ARGV[2]) or '0')
if on <= 0 then return 0 end
local function down(key, field)
  if redis.call('HINCRBY', key, field, -1) <= 0 then redis.call('HDEL', key, field) end
end
down(KEYS[1], ARGV[2])
down(KEYS[2], ARGV[1])
down(KEYS[3], ARGV[2])
return 1
"""

# KEYS: used, tally. ARGV: the key prefix of participants' ballots, note. Returns how many
# participants had dots on the note (like the SQLite store's deleted rows). The participants'
# keys are derived in the script, which is fine on a single Redis (not Redis Cluster).
REMOVE_NOTE_VOTES = """
local removed = 0
for _, p in ipairs(redis.call('HKEYS', KEYS[1])) do
  local key = ARGV[1] .. p
  local c = tonumber(redis.call('HGET', key, ARGV[2]) or '0')
  if c > 0 then
    redis.call('HDEL', key, ARGV[2])
    if redis.call('HINCRBY', KEYS[1], p, -c) <= 0 then redis.call('HDEL', KEYS[1], p) end
    removed = removed + 1
  end
end
redis.call('HDEL', KEYS[2], ARGV[2])
return removed
"""

MOVE_NOTE_VOTES = """
local moved = 0
for _, p in ipairs(redis.call('HKEYS', KEYS[1])) do
  local key = ARGV[1] .. p
  local c = tonumber(redis.call('HGET', key, ARGV[2]) or '0')
  if c > 0 then
    redis.call('HDEL', key, ARGV[2])
    redis.call('HINCRBY', key, ARGV[3], c)
    moved = moved + c
  end
end
local t = tonumber(redis.call('HGET', KEYS[2], ARGV[2]) or '0')
redis.call('HDEL', KEYS[2], ARGV[2])
if t > 0 then redis.call('HINCRBY', KEYS[2], ARGV[3], t) end
return moved
"""

# KEYS: the round's ballots, its closed marker. ARGV: field, card ("" clears). One atomic step:
# one card per member per note, and none once the round is closed, whatever the instance.
CAST_ESTIMATE = """
if redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
if ARGV[2] == '' then redis.call('HDEL', KEYS[1], ARGV[1])
else redis.call('HSET', KEYS[1], ARGV[1], ARGV[2]) end
return 1
"""


# KEYS: the queue, the due index. ARGV: the queue's member in the index. Removes the queue
# from the index only if it is still empty (an enqueue may have raced the claim).
DROP_EMPTY_QUEUE = """
if redis.call('LLEN', KEYS[1]) == 0 then redis.call('ZREM', KEYS[2], ARGV[1]) return 1 end
return 0
"""

# KEYS: delivery, queue, due index, lease. ARGV: delivery JSON, id, member, finished (1/0),
# next due time. A finished head leaves the queue; the next head is due at once.
FINISH_DELIVERY = """
redis.call('SET', KEYS[1], ARGV[1])
if ARGV[4] == '1' then
  if redis.call('LINDEX', KEYS[2], 0) == ARGV[2] then redis.call('LPOP', KEYS[2]) end
  if redis.call('LLEN', KEYS[2]) > 0 then redis.call('ZADD', KEYS[3], 0, ARGV[3])
  else redis.call('ZREM', KEYS[3], ARGV[3]) end
else
  redis.call('ZADD', KEYS[3], ARGV[5], ARGV[3])
end
redis.call('DEL', KEYS[4])
return 1
"""


def redis_client(url: str) -> aioredis.Redis:
    """A client whose own retries are short: the callers decide how long to keep trying."""
    client: aioredis.Redis = aioredis.Redis.from_url(
        url,
        socket_connect_timeout=2.0,
        socket_timeout=10.0,
        socket_keepalive=True,
        health_check_interval=15,
        retry=Retry(ExponentialWithJitterBackoff(cap=0.25, base=0.02), 1),
    )
    return client


@dataclass(slots=True)
class _Append:
    doc_id: str
    update: bytes
    future: asyncio.Future[tuple[int, int]]  # (epoch, position)


def _epoch(raw: Any) -> int:
    """An epoch token as an int (0: none yet)."""
    text = _text(raw) if raw else ""
    return int(text) if text else 0


def _token(epoch: int) -> str:
    return str(epoch) if epoch else ""


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


class RedisStore:
    """The shared store of a multi-instance deployment (see the module docstring for the keys)."""

    def __init__(
        self,
        url: str,
        *,
        prefix: str | None = None,
        loops: Loops | None = None,
        min_replicas: int | None = None,
        wait_timeout: float = 1.0,
        watch_interval: float = 1.0,
    ) -> None:
        self.url = url
        self.prefix = (
            prefix if prefix is not None else os.environ.get("PLANBOARD_REDIS_PREFIX")
        ) or DEFAULT_PREFIX
        self._client: aioredis.Redis | None = None
        self._writer_client: aioredis.Redis | None = None
        self._pending: list[_Append] = []
        self._writer: asyncio.Task[None] | None = None
        self._watch: asyncio.Task[None] | None = None
        self._scripts: dict[str, Any] = {}
        self._closing = False
        self.loops = loops or Loops()
        self.replicas = ReplicaPolicy(min_replicas, wait_timeout)
        self.epoch = NodeEpoch(f"{self.prefix}epoch")
        self.watch_interval = watch_interval
        self._verified = False  # the writer's connection has checked the primary's epoch
        # Per doc, the highest (epoch, position) this instance has seen: a counter found below
        # it means the store went back in time.
        self._seen: dict[str, tuple[int, int]] = {}
        self.on_wait: Callable[[float], None] | None = None  # WAIT durations (metrics)

    # -- plumbing
    @property
    def client(self) -> aioredis.Redis:
        assert self._client is not None, "store is not open"
        return self._client

    def _doc_keys(self, doc_id: str) -> tuple[str, str, str]:
        base = f"{self.prefix}doc:{{{doc_id}}}"
        return f"{base}:seq", f"{base}:log", f"{base}:snap"

    def _vote_keys(self, board_id: str, round_no: int) -> tuple[str, str, str]:
        base = f"{self.prefix}vote:{{{board_id}}}:{round_no}"
        return f"{base}:p:", f"{base}:used", f"{base}:tally"

    async def _script(
        self,
        source: str,
        keys: Sequence[str],
        args: Sequence[Any],
        client: aioredis.Redis | None = None,
    ) -> Any:
        """EVALSHA with a fallback to loading the script (after a Redis restart, for example)."""
        script = self._scripts.get(source)
        if script is None:
            script = self._scripts[source] = self.client.register_script(source)
        return await script(keys=list(keys), args=list(args), client=client)

    def _saw(self, doc_id: str, epoch: int, position: int) -> None:
        seen = self._seen.get(doc_id)
        if seen is None or seen[0] != epoch or seen[1] < position:
            self._seen[doc_id] = (epoch, position)

    def watch_epoch(self, listener: Callable[[int], None]) -> Callable[[], None]:
        """Call `listener(new epoch)` whenever the primary's epoch changes; returns `unwatch`."""

        def call(token: str) -> None:
            listener(_epoch(token))

        self.epoch.listeners.append(call)
        return lambda: self.epoch.listeners.remove(call)

    async def open(self) -> None:
        self._client = redis_client(self.url)
        # The writer has a connection of its own: WAIT counts the replicas that have this
        # connection's writes, and a reconnect (perhaps to a promoted replica) must be noticed
        # so that the new primary's epoch is checked before anything is appended to it.
        self._writer_client = aioredis.Redis.from_url(
            self.url,
            single_connection_client=True,
            socket_connect_timeout=2.0,
            socket_timeout=10.0 + self.replicas.timeout,
            socket_keepalive=True,
            retry=Retry(NoBackoff(), 0),
        )
        self._scripts.clear()
        try:
            await asyncio.wait_for(self._check_primary(self._client), 3.0)
        except Exception as exc:  # keep running; readiness reports it
            log.warning("Redis at %s is not reachable yet (%s); will keep trying", self.url, exc)
        self._watch = self.loops.run("store-watch", self._watch_loop)

    async def _check_primary(self, client: aioredis.Redis) -> None:
        """The primary's epoch (a failover changes it) and how many replicas it has."""

        async def script(source: str, keys: Sequence[str], args: Sequence[Any]) -> Any:
            return await self._script(source, keys, args, client=client)

        _, replicas = await self.epoch.verify(client, script)
        self.replicas.observe(replicas)

    async def _watch_loop(self) -> None:
        """Every `watch_interval`: has the primary changed (epoch), how many replicas has it."""
        attempt = 0
        while not self._closing:
            try:
                await asyncio.wait_for(self._check_primary(self.client), 5.0)
            except Exception as exc:
                attempt += 1
                self.loops.down("store-watch", f"cannot check the Redis primary ({exc!r})")
                await asyncio.sleep(backoff_delay(attempt))
                continue
            attempt = 0
            self.loops.up("store-watch")
            await asyncio.sleep(self.watch_interval)

    async def close(self) -> None:
        """Store what is queued (waiting a bounded time for Redis), then drop the connections."""
        self._closing = True
        if self._watch is not None:
            self._watch.cancel()
            with contextlib.suppress(BaseException):
                await self._watch
        writer = self._writer
        if writer is not None and not writer.done():
            try:
                await asyncio.wait_for(asyncio.shield(writer), CLOSE_GRACE_SECONDS)
            except TimeoutError:
                writer.cancel()
                lost = len(self._pending)
                log.error("Redis unreachable at shutdown: %d queued updates not stored", lost)
                for item in self._pending:
                    if not item.future.done():
                        item.future.set_exception(ConnectionError("store closed"))
                self._pending.clear()
        for client in (self._client, self._writer_client):
            if client is not None:
                with contextlib.suppress(Exception):
                    await client.aclose()
        self._client = self._writer_client = None

    @property
    def available(self) -> bool:
        """False while a background loop is failing (appends waiting for Redis, for example)."""
        return not self.loops.problems

    async def ping(self) -> None:
        await asyncio.wait_for(self.client.ping(), 2.0)
        if self.loops.problems:
            raise ConnectionError(self.loops.summary())

    # -- boards
    async def create_board(self, info: BoardInfo) -> None:
        await self._script(
            CREATE_BOARD,
            [f"{self.prefix}board:{{{info.id}}}", f"{self.prefix}boards"],
            [
                info.id,
                info.title,
                info.template,
                repr(info.created_at),
                repr(info.last_activity),
                "{}",  # the old layout's extra field (BoardInfo has none now)
            ],
        )

    @staticmethod
    def _board(raw: dict[Any, Any]) -> BoardInfo | None:
        if not raw or b"id" not in raw:
            return None
        return BoardInfo(
            id=raw[b"id"].decode(),
            title=raw.get(b"title", b"").decode(),
            template=raw.get(b"template", b"").decode(),
            created_at=float(raw.get(b"created_at", b"0")),
            last_activity=float(raw.get(b"last_activity", b"0")),
        )

    async def get_board(self, board_id: str) -> BoardInfo | None:
        raw = await self.client.hgetall(f"{self.prefix}board:{{{board_id}}}")
        return self._board(raw)

    async def list_boards(self) -> list[BoardInfo]:
        ids = await self.client.zrevrange(f"{self.prefix}boards", 0, -1)
        out: list[BoardInfo] = []
        for start in range(0, len(ids), 500):
            async with self.client.pipeline(transaction=False) as pipe:
                for board_id in ids[start : start + 500]:
                    pipe.hgetall(f"{self.prefix}board:{{{_text(board_id)}}}")
                rows = await pipe.execute()
            out.extend(info for info in map(self._board, rows) if info is not None)
        return out

    async def touch_board(self, board_id: str, at: float) -> None:
        await self._script(
            TOUCH_BOARD,
            [f"{self.prefix}board:{{{board_id}}}", f"{self.prefix}boards"],
            [board_id, repr(at)],
        )

    # -- documents
    async def append_update(self, doc_id: str, update: bytes) -> int:
        """Queue for the writer; resolves once Redis has it (retrying while Redis is away)."""
        _, position = await self.append_stamped(doc_id, update)
        return position

    async def append_stamped(self, doc_id: str, update: bytes) -> tuple[int, int]:
        """Like `append_update`, with the epoch the position belongs to: (epoch, position).

        Resolves once the update is stored and acknowledged by the replicas the policy asks for,
        so that a failover cannot take back anything shown after it.
        """
        if self._closing and (self._writer is None or self._writer.done()):
            raise ConnectionError("store closed")
        future: asyncio.Future[tuple[int, int]] = asyncio.get_running_loop().create_future()
        self._pending.append(_Append(doc_id, update, future))
        if self._writer is None or self._writer.done():
            self._writer = self.loops.run("store-writer", self._write_loop)
        return await future

    def _take_batch(self) -> list[_Append]:
        size = 0
        count = 0
        for item in self._pending:
            if count and (count >= MAX_BATCH_UPDATES or size + len(item.update) > MAX_BATCH_BYTES):
                break
            size += len(item.update)
            count += 1
        return self._pending[:count]

    async def _write_loop(self) -> None:
        """Group commit: everything queued goes in one script call; failures retry in order.

        Before the first append on a (re)connection the primary's epoch is checked; after each
        append the writer WAITs for the replicas; only then are the callers told.
        """
        attempt = 0
        while self._pending:
            batch = self._take_batch()
            try:
                conn = self._writer_client
                assert conn is not None, "store is not open"
                if not self._verified:
                    await self._check_primary(conn)
                    self._verified = True
                result = await self._script(APPEND, *self._append_args(batch), client=conn)
                if _text(result[0]) == "epoch":  # another instance started a new epoch
                    self._verified = False
                    continue
                await self._wait_for_replicas(conn)
            except Exception as exc:  # RedisError, OSError, and RuntimeError under uvloop
                # A script cut mid-way may have stored part of the batch, and an update not yet
                # acknowledged by a replica may vanish in a failover: storing it again only
                # duplicates idempotent updates under new positions.
                self._verified = False
                attempt += 1
                if attempt == 1 or attempt % 20 == 0:
                    log.warning(
                        "appending %d update(s) to Redis failed (%r); retrying", len(batch), exc
                    )
                self.loops.down("store-writer", f"appends waiting for Redis ({exc!r})")
                await self._drop_connections(exc)
                await asyncio.sleep(backoff_delay(attempt))
                continue
            if attempt:
                log.warning("Redis is back: %d queued update(s) stored", len(batch))
            self.loops.up("store-writer")
            attempt = 0
            del self._pending[: len(batch)]
            for i, item in enumerate(batch):
                stamp = (_epoch(result[2 * i]), int(result[2 * i + 1]))
                self._saw(item.doc_id, *stamp)
                if not item.future.done():  # a cancelled caller: stored all the same
                    item.future.set_result(stamp)

    def _append_args(self, batch: list[_Append]) -> tuple[list[str], list[Any]]:
        keys: list[str] = []
        args: list[Any] = [self.epoch.token, new_token()]
        for item in batch:
            seq_key, log_key, _ = self._doc_keys(item.doc_id)
            keys += [seq_key, log_key]
            seen_epoch, seen_position = self._seen.get(item.doc_id, (0, 0))
            args += [item.update, item.doc_id, _token(seen_epoch), seen_position]
        keys += [f"{self.prefix}docs", self.epoch.key]
        return keys, args

    async def _wait_for_replicas(self, conn: aioredis.Redis) -> None:
        """WAIT until the policy's number of replicas have this connection's writes.

        Short of them after the timeout, the writer behaves as in an outage: it reports not
        ready and waits again (on the same connection, so the same writes count), re-reading
        how many replicas the primary has; a broken connection raises and the batch is retried.
        """
        required = self.replicas.required()
        if not required:
            return
        timeout_ms = max(1, int(self.replicas.timeout * 1000))
        started = time.perf_counter()
        acked = int(await conn.wait(required, timeout_ms))
        short = 0
        while acked < required:
            short += 1
            if short == 1 or short % 20 == 0:
                log.warning("%d of %d replica(s) acknowledged an append; waiting", acked, required)
            self.loops.down("store-writer", f"waiting for {required} replica(s), {acked} acked")
            _, replicas, _ = parse_replication(await conn.info("replication"))
            self.replicas.observe(replicas)
            required = self.replicas.required()
            if not required:
                break
            await asyncio.sleep(backoff_delay(short))
            acked = int(await conn.wait(required, timeout_ms))
        if self.on_wait is not None:
            self.on_wait(time.perf_counter() - started)

    async def _drop_connections(self, exc: BaseException) -> None:
        """After an error redis-py does not know (a RuntimeError from a closed uvloop transport),
        its pooled connections may be unusable: start from fresh ones."""
        if isinstance(exc, RedisError) or self._client is None:
            return
        with contextlib.suppress(Exception):
            await self._client.connection_pool.disconnect()

    async def flush(self) -> None:
        """Wait until every append made so far is stored."""
        while self._writer is not None and not self._writer.done():
            await asyncio.shield(self._writer)

    async def load_doc(self, doc_id: str) -> LoadedDoc:
        raw_epoch, seq, snapshot, raw = await self._script(
            READ_SINCE, self._doc_keys(doc_id), ["-", -1, ""]
        )
        epoch, seq = _epoch(raw_epoch), int(seq)
        first = seq - len(raw) + 1
        self._saw(doc_id, epoch, seq)
        return LoadedDoc(
            snapshot=bytes(snapshot) if snapshot else None,
            updates=[(first + i, bytes(u)) for i, u in enumerate(raw)],
            position=seq,
            epoch=epoch,
        )

    async def read_updates_since(self, doc_id: str, position: int) -> list[tuple[int, bytes]]:
        """Updates after `position`; the snapshot first (at its position) if it covers some."""
        known = self._seen.get(doc_id, (0, 0))[0]
        _, _, entries = await self.read_stamped(doc_id, known, position)
        return entries

    async def read_stamped(
        self, doc_id: str, epoch: int, position: int
    ) -> tuple[int, int, list[tuple[int, bytes]]]:
        """(the doc's epoch, its counter, the updates after `position` of `epoch`).

        With another epoch than the reader's (or a doc that went back in time, which gets a new
        epoch here) the reader gets everything: the snapshot (if any) labelled with its position,
        then the whole log.
        """
        raw_epoch, seq, snapshot, raw = await self._script(
            READ_SINCE, self._doc_keys(doc_id), [_token(epoch), position, new_token()]
        )
        doc_epoch, seq = _epoch(raw_epoch), int(seq)
        base = seq - len(raw)
        out: list[tuple[int, bytes]] = []
        if snapshot:
            out.append((base, bytes(snapshot)))
        out.extend((base + 1 + i, bytes(u)) for i, u in enumerate(raw))
        self._saw(doc_id, doc_epoch, seq)
        return doc_epoch, seq, out

    async def log_length(self, doc_id: str) -> int:
        return int(await self.client.llen(self._doc_keys(doc_id)[1]))

    async def compact(self, doc_id: str) -> bool:
        """Fold the log into the snapshot; one compactor per doc, no update lost to a race.

        A lock (SET NX PX) keeps other instances from doing the same work at the same time; the
        commit script checks that the snapshot position is still the one the fold started from
        and trims only the entries that were folded, so appends made meanwhile stay in the log.
        """
        keys = self._doc_keys(doc_id)
        lock_key = f"{self.prefix}doc:{{{doc_id}}}:compact"
        token = secrets.token_hex(8)
        if not await self.client.set(lock_key, token, nx=True, px=COMPACT_LOCK_MS):
            return False
        try:
            _, seq, snapshot, entries = await self._script(READ_SINCE, keys, ["", -1, ""])
            if not entries:
                return False
            base = int(seq) - len(entries)
            updates = [bytes(u) for u in entries]
            folded = await asyncio.to_thread(
                fold_updates, bytes(snapshot) if snapshot else None, updates
            )
            done = await self._script(COMPACT_COMMIT, keys, [base, len(updates), folded])
            return bool(done)
        finally:
            with contextlib.suppress(RedisError, OSError):
                await self._script(RELEASE_LOCK, [lock_key], [token])

    async def list_docs(self, prefix: str) -> list[str]:
        start = b"[" + prefix.encode()
        docs = await self.client.zrangebylex(f"{self.prefix}docs", start, start + b"\xff")
        return sorted(_text(d) for d in docs)

    async def delete_doc(self, doc_id: str) -> None:
        await self.flush()
        await self._script(DELETE_DOC, [*self._doc_keys(doc_id), f"{self.prefix}docs"], [doc_id])

    async def claim_clients(self, doc_id: str, claims: dict[int, str]) -> dict[int, str]:
        key = f"{self.prefix}doc:{{{doc_id}}}:clients"
        async with self.client.pipeline(transaction=True) as pipe:
            for client, owner in claims.items():
                pipe.hsetnx(key, str(client), owner)
            pipe.hmget(key, [str(c) for c in claims])
            replies = await pipe.execute()
        owners = replies[-1]
        return {c: _text(o) for c, o in zip(claims, owners, strict=True) if o is not None}

    # -- ballots
    async def cast_vote(
        self, board_id: str, round_no: int, participant_id: str, note_id: str, budget: int, cap: int
    ) -> VoteResult:
        prefix, used_key, tally_key = self._vote_keys(board_id, round_no)
        status, used, on_note = await self._script(
            CAST_VOTE,
            [prefix + participant_id, used_key, tally_key],
            [participant_id, note_id, budget, cap],
        )
        kind = _text(status)
        assert kind in ("ok", "budget", "cap")
        return VoteResult(kind, int(used), int(on_note))  # type: ignore[arg-type]

    async def remove_vote(
        self, board_id: str, round_no: int, participant_id: str, note_id: str
    ) -> bool:
        prefix, used_key, tally_key = self._vote_keys(board_id, round_no)
        removed = await self._script(
            REMOVE_VOTE, [prefix + participant_id, used_key, tally_key], [participant_id, note_id]
        )
        return bool(removed)

    async def ballots(self, board_id: str, round_no: int, participant_id: str) -> dict[str, int]:
        prefix, _, _ = self._vote_keys(board_id, round_no)
        raw = await self.client.hgetall(prefix + participant_id)
        return {_text(k): int(v) for k, v in raw.items() if int(v) > 0}

    async def tally(self, board_id: str, round_no: int) -> dict[str, int]:
        _, _, tally_key = self._vote_keys(board_id, round_no)
        raw = await self.client.hgetall(tally_key)
        return {_text(k): int(v) for k, v in raw.items() if int(v) > 0}

    async def voters_done(self, board_id: str, round_no: int, budget: int) -> int:
        _, used_key, _ = self._vote_keys(board_id, round_no)
        values = await self.client.hvals(used_key)
        return sum(1 for v in values if int(v) >= budget)

    async def remove_note_votes(self, board_id: str, round_no: int, note_id: str) -> int:
        prefix, used_key, tally_key = self._vote_keys(board_id, round_no)
        removed = await self._script(REMOVE_NOTE_VOTES, [used_key, tally_key], [prefix, note_id])
        return int(removed)

    async def move_note_votes(
        self, board_id: str, round_no: int, from_note: str, to_note: str
    ) -> int:
        prefix, used_key, tally_key = self._vote_keys(board_id, round_no)
        moved = await self._script(
            MOVE_NOTE_VOTES, [used_key, tally_key], [prefix, from_note, to_note]
        )
        return int(moved)

    # -- estimation ballots: the field is the JSON pair [participant, note] (any ids, no clash)
    def _estimate_key(self, board_id: str, round_no: int) -> str:
        return f"{self.prefix}est:{{{board_id}}}:{round_no}"

    async def cast_estimate(
        self, board_id: str, round_no: int, participant_id: str, note_id: str, value: str | None
    ) -> bool:
        key = self._estimate_key(board_id, round_no)
        done = await self._script(
            CAST_ESTIMATE,
            [key, key + ":closed"],
            [json.dumps([participant_id, note_id]), value or ""],
        )
        return bool(done)

    async def close_estimates(self, board_id: str, round_no: int) -> None:
        await self.client.set(self._estimate_key(board_id, round_no) + ":closed", "1")

    async def estimate_ballots(self, board_id: str, round_no: int) -> dict[str, dict[str, str]]:
        raw = await self.client.hgetall(self._estimate_key(board_id, round_no))
        out: dict[str, dict[str, str]] = {}
        for field_name, value in raw.items():
            participant, note = json.loads(field_name)
            out.setdefault(participant, {})[note] = _text(value)
        return out

    async def my_estimates(
        self, board_id: str, round_no: int, participant_id: str
    ) -> dict[str, str]:
        return (await self.estimate_ballots(board_id, round_no)).get(participant_id, {})

    # -- webhooks and their outbox
    def _hooks_key(self, board_id: str) -> str:
        return f"{self.prefix}hooks:{{{board_id}}}"

    def _queue_keys(self, board_id: str, endpoint_id: str) -> tuple[str, str, str, str]:
        """queue, log, lease, and the queue's member in the due index."""
        tail = f"{{{board_id}}}:{endpoint_id}"
        return (
            f"{self.prefix}outbox:{tail}",
            f"{self.prefix}deliveries:{tail}",
            f"{self.prefix}outbox:lease:{tail}",
            json.dumps([board_id, endpoint_id]),
        )

    def _delivery_key(self, board_id: str, delivery_id: str) -> str:
        return f"{self.prefix}delivery:{{{board_id}}}:{delivery_id}"

    @staticmethod
    def _delivery_json(d: Delivery) -> str:
        data = {**d.__dict__, "body": d.body.decode()}
        return json.dumps(data)

    @staticmethod
    def _delivery_from(raw: Any) -> Delivery:
        data = json.loads(raw)
        data["body"] = data["body"].encode()
        return Delivery(**data)

    async def put_webhook(self, board_id: str, hook: dict[str, Any]) -> None:
        await self.client.hset(self._hooks_key(board_id), hook["id"], json.dumps(hook))

    async def list_webhooks(self, board_id: str) -> list[dict[str, Any]]:
        raw = await self.client.hgetall(self._hooks_key(board_id))
        hooks = [json.loads(v) for v in raw.values()]
        return sorted(hooks, key=lambda h: (h.get("created_at", 0), h["id"]))

    async def delete_webhook(self, board_id: str, webhook_id: str) -> bool:
        removed = await self.client.hdel(self._hooks_key(board_id), webhook_id)
        queue, _, _, member = self._queue_keys(board_id, webhook_id)
        async with self.client.pipeline(transaction=True) as pipe:
            pipe.delete(queue)
            pipe.zrem(f"{self.prefix}outbox:due", member)
            await pipe.execute()
        return bool(removed)

    async def enqueue_deliveries(self, deliveries: list[Delivery]) -> None:
        due = f"{self.prefix}outbox:due"
        async with self.client.pipeline(transaction=True) as pipe:
            for d in deliveries:
                queue, log_key, _, member = self._queue_keys(d.board_id, d.endpoint_id)
                pipe.set(self._delivery_key(d.board_id, d.id), self._delivery_json(d))
                pipe.rpush(queue, d.id)
                pipe.rpush(log_key, d.id)
                pipe.ltrim(log_key, -1000, -1)
                pipe.zadd(due, {member: d.next_at}, nx=True)
            await pipe.execute()

    async def claim_deliveries(
        self, now: float, lease_seconds: float, limit: int
    ) -> list[Delivery]:
        due = f"{self.prefix}outbox:due"
        members = await self.client.zrangebyscore(due, "-inf", now, start=0, num=limit)
        out: list[Delivery] = []
        for member in members:
            board_id, endpoint_id = json.loads(_text(member))
            queue, _, lease, _ = self._queue_keys(board_id, endpoint_id)
            if not await self.client.set(lease, "1", nx=True, px=int(lease_seconds * 1000)):
                continue  # another instance is delivering this queue's head
            head = await self.client.lindex(queue, 0)
            raw = (
                None
                if head is None
                else await self.client.get(self._delivery_key(board_id, _text(head)))
            )
            if raw is None:
                await self._script(DROP_EMPTY_QUEUE, [queue, due], [_text(member)])
                await self.client.delete(lease)
                continue
            delivery = self._delivery_from(raw)
            if delivery.next_at > now:  # the index said due; the entry says later: wait
                await self.client.zadd(due, {_text(member): delivery.next_at})
                await self.client.delete(lease)
                continue
            out.append(delivery)
        return out

    async def finish_delivery(self, delivery: Delivery) -> None:
        queue, _, lease, member = self._queue_keys(delivery.board_id, delivery.endpoint_id)
        finished = "1" if delivery.status != "pending" else "0"
        await self._script(
            FINISH_DELIVERY,
            [
                self._delivery_key(delivery.board_id, delivery.id),
                queue,
                f"{self.prefix}outbox:due",
                lease,
            ],
            [self._delivery_json(delivery), delivery.id, member, finished, delivery.next_at],
        )

    async def list_deliveries(self, board_id: str, endpoint_id: str, limit: int) -> list[Delivery]:
        _, log_key, _, _ = self._queue_keys(board_id, endpoint_id)
        ids = await self.client.lrange(log_key, -limit, -1)
        if not ids:
            return []
        raws = await self.client.mget([self._delivery_key(board_id, _text(i)) for i in ids])
        return [self._delivery_from(r) for r in reversed(raws) if r is not None]

    async def redeliver(self, board_id: str, endpoint_id: str, delivery_id: str) -> bool:
        raw = await self.client.get(self._delivery_key(board_id, delivery_id))
        if raw is None:
            return False
        old = self._delivery_from(raw)
        if old.endpoint_id != endpoint_id:
            return False
        now = time.time()
        copy = Delivery(
            id=f"{old.id}.r{int(now * 1000)}",
            board_id=board_id,
            endpoint_id=endpoint_id,
            event_id=old.event_id,
            event_type=old.event_type,
            body=old.body,
            status="pending",
            attempts=0,
            next_at=now,
            created_at=now,
        )
        await self.enqueue_deliveries([copy])
        return True

    # -- audit
    async def append_audit(self, board_id: str, entry: dict[str, Any]) -> None:
        data = json.dumps({"at": time.time(), **entry})
        await self.client.rpush(f"{self.prefix}audit:{{{board_id}}}", data)

    async def read_audit(self, board_id: str) -> list[dict[str, Any]]:
        rows = await self.client.lrange(f"{self.prefix}audit:{{{board_id}}}", 0, -1)
        return [json.loads(r) for r in rows]
