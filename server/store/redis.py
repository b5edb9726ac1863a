"""Redis store: the SQLite store's layout in Redis keys, shared by every instance (REDIS_URL).

The keys are named in server/store/redis_keys.py: every key of a board carries the board's hash
tag (`planboard:{<board>}:…`), so one board is one slot of a Redis Cluster and every script here
touches one slot. Per doc (`…:doc:` for the board, `…:drafts:<member>:` for a member's drafts):

    seq      hash   seq = the last position given to an update of the doc (never reused)
    log      list   the updates after the snapshot, oldest first
    snap     string the compacted snapshot (one Yjs update)
    compact  string compaction lock (SET NX PX): one compactor per doc at a time
    clients  hash   Yjs client id -> the member that first wrote with it (HSETNX)

Per board: `docs` (zset of its doc ids), `board` (metadata), `vote:…`, `est:…`, `audit`,
`hooks`, `delivery:…`, `outbox:…`, `deliveries:…`, `outbox:due` (zset endpoint -> due time).
Global, and never in a command with a board's keys: `boards` (zset board -> last activity),
`outbox:boards` (set of boards with webhook work due), `epoch` (standalone only).

Positions are consecutive per doc: the append script increments `seq` and pushes in one atomic
step, so the log always holds exactly the positions `seq - LLEN + 1 .. seq`, and the snapshot
covers everything up to `seq - LLEN`. Nothing else is stored about positions, so the two cannot
drift apart; compaction trims the head of the list and the snapshot position follows by itself.

Appends go through a writer task (group commit: one script call for everything queued; in a
cluster one writer per shard, server/store/redis_shards.py) that retries with backoff until
Redis takes them: an accepted edit is never dropped because Redis is briefly away; its caller
simply waits (see docs/scaling.md, "Failure behaviour").
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
import time
from collections.abc import Callable, Sequence
from typing import Any

import redis.asyncio as aioredis
from redis.asyncio.cluster import RedisCluster
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from server.store.base import BoardInfo, Delivery, LoadedDoc, VoteResult
from server.store.compaction import fold_updates
from server.store.redis_append import APPEND, Append, append_args, take_batch
from server.store.redis_connect import Client, connect
from server.store.redis_keys import RedisKeys, board_of
from server.store.redis_shards import ShardWriters
from server.store.replication import NodeEpoch, ReplicaPolicy, new_token, parse_replication
from server.supervisor import Loops, backoff_delay

log = logging.getLogger("planboard.store.redis")

DEFAULT_PREFIX = "planboard:"
COMPACT_LOCK_MS = 60_000
CLOSE_GRACE_SECONDS = 5.0  # at shutdown, how long queued updates may wait for Redis

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

# KEYS: seq, log, snap, the board's docs index. ARGV: doc id. Positions are never reused: seq
# stays.
DELETE_DOC = """
redis.call('DEL', KEYS[2], KEYS[3])
redis.call('ZREM', KEYS[4], ARGV[1])
return 1
"""

# KEYS: board hash. ARGV: id, title, template, created_at, last_activity. The board index
# (a global key, another slot) is written afterwards, in a command of its own.
CREATE_BOARD = """
if redis.call('EXISTS', KEYS[1]) == 1 then return redis.error_reply('board exists') end
redis.call('HSET', KEYS[1], 'id', ARGV[1], 'title', ARGV[2], 'template', ARGV[3],
  'created_at', ARGV[4], 'last_activity', ARGV[5])
return 1
"""

TOUCH_BOARD = """
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], 'last_activity', ARGV[1])
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
# keys are derived in the script; they carry the board's hash tag, so they are in its slot.
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


# KEYS: the queue, the board's due index. ARGV: the endpoint (the queue's member in the index).
# Removes the queue from the index only if it is still empty (an enqueue may have raced the claim).
DROP_EMPTY_QUEUE = """
if redis.call('LLEN', KEYS[1]) == 0 then redis.call('ZREM', KEYS[2], ARGV[1]) return 1 end
return 0
"""

# KEYS: delivery, queue, the board's due index, lease. ARGV: delivery JSON, id, endpoint, finished,
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


def _epoch(raw: Any) -> int:
    """An epoch token as an int (0: none yet)."""
    text = _text(raw) if raw else ""
    return int(text) if text else 0


def _token(epoch: int) -> str:
    return str(epoch) if epoch else ""


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


class RedisStore:
    """The shared store of a multi-instance deployment (see the module docstring for the keys).

    `REDIS_URL` may name one server or any node(s) of a Redis Cluster (told apart at `open`);
    in a cluster the appends go through one writer per shard (server/store/redis_shards.py).
    """

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
        self.prefix = prefix or DEFAULT_PREFIX
        self.keys = RedisKeys(self.prefix)
        self._client: Client | None = None
        self._writer_client: aioredis.Redis | None = None
        self.shards: ShardWriters | None = None  # cluster mode
        self._pending: list[Append] = []
        self._writer: asyncio.Task[None] | None = None
        self._watch: asyncio.Task[None] | None = None
        self._scripts: dict[str, Any] = {}
        self._closing = False
        self.loops = loops or Loops()
        self.min_replicas = min_replicas
        self.replicas = ReplicaPolicy(min_replicas, wait_timeout)
        self.epoch = NodeEpoch(self.keys.node_epoch)
        self.watch_interval = watch_interval
        self._verified = False  # the writer's connection has checked the primary's epoch
        # Per doc, the highest (epoch, position) this instance has seen: a counter found below
        # it means the store went back in time.
        self._seen: dict[str, tuple[int, int]] = {}
        self._on_wait: Callable[[float], None] | None = None  # WAIT durations (metrics)

    # -- plumbing
    @property
    def client(self) -> Client:
        assert self._client is not None, "store is not open"
        return self._client

    @property
    def on_wait(self) -> Callable[[float], None] | None:
        return self._on_wait

    @on_wait.setter
    def on_wait(self, listener: Callable[[float], None] | None) -> None:
        self._on_wait = listener
        if self.shards is not None:
            self.shards.on_wait = listener

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

    def _seen_of(self, doc_id: str) -> tuple[int, int]:
        return self._seen.get(doc_id, (0, 0))

    def watch_epoch(self, listener: Callable[[int], None]) -> Callable[[], None]:
        """Call `listener(new epoch)` whenever the primary's epoch changes; returns `unwatch`.

        Standalone only: in a cluster a shard's new history shows per board (the append or read
        returns another epoch) and the backplane's resubscription makes the rooms resync.
        """

        def call(token: str) -> None:
            listener(_epoch(token))

        self.epoch.listeners.append(call)
        return lambda: self.epoch.listeners.remove(call)

    async def open(self) -> None:
        self._client = await connect(self.url)
        self._scripts.clear()
        if isinstance(self._client, RedisCluster):
            self.shards = ShardWriters(
                self._client,
                self.keys,
                loops=self.loops,
                min_replicas=self.min_replicas,
                wait_timeout=self.replicas.timeout,
                seen=self._seen_of,
                saw=self._saw,
            )
            self.shards.on_wait = self._on_wait
            try:
                await asyncio.wait_for(self._client.initialize(), 5.0)
            except Exception as exc:  # keep running; readiness reports it
                log.warning("Redis Cluster at %s not reachable yet (%s)", self.url, exc)
            self._watch = self.loops.run("store-watch", self._watch_loop)
            return
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
        try:
            await asyncio.wait_for(self._check_primary(self._client), 3.0)
        except Exception as exc:  # keep running; readiness reports it
            log.warning("Redis at %s is not reachable yet (%s); will keep trying", self.url, exc)
        self._watch = self.loops.run("store-watch", self._watch_loop)

    async def _check_primary(self, client: Client) -> None:
        """The primary's epoch (a failover changes it) and how many replicas it has."""
        if self.shards is not None:
            await self.shards.watch()
            return

        async def script(source: str, keys: Sequence[str], args: Sequence[Any]) -> Any:
            assert isinstance(client, aioredis.Redis)
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
        try:
            await asyncio.wait_for(self.flush(), CLOSE_GRACE_SECONDS)
        except TimeoutError:
            lost = self._fail_pending(ConnectionError("store closed"))
            log.error("Redis unreachable at shutdown: %d queued updates not stored", lost)
        if self.shards is not None:
            await self.shards.close()
        for client in (self._client, self._writer_client):
            if client is not None:
                with contextlib.suppress(Exception):
                    await client.aclose()
        self._client = self._writer_client = None

    def _fail_pending(self, exc: BaseException) -> int:
        lost = len(self._pending)
        if self._writer is not None:
            self._writer.cancel()
        for item in self._pending:
            if not item.future.done():
                item.future.set_exception(exc)
        self._pending.clear()
        if self.shards is not None:
            lost += self.shards.fail_pending(exc)
        return lost

    @property
    def available(self) -> bool:
        """False while a background loop is failing (appends waiting for Redis, for example)."""
        return not self.loops.problems

    async def ping(self) -> None:
        """Ready unless Redis is unreachable or a loop is failing. In a cluster, a failing shard
        (`store-writer@host:port`: a failover under way) affects only its boards: `degraded`
        reports it, and the instance stays ready while any primary answers."""
        await asyncio.wait_for(
            self.client.ping() if self.shards is None else self.shards.ping(), 2.0
        )
        problems = {k: v for k, v in self.loops.problems.items() if "@" not in k}
        if problems:
            raise ConnectionError("; ".join(f"{k}: {v}" for k, v in sorted(problems.items())))

    def degraded(self) -> list[str]:
        """Shards whose appends are waiting (cluster mode: `store-writer@host:port`)."""
        return sorted(k for k in self.loops.problems if "@" in k)

    # -- boards
    async def create_board(self, info: BoardInfo) -> None:
        await self._script(
            CREATE_BOARD,
            [self.keys.board(info.id)],
            [
                info.id,
                info.title,
                info.template,
                repr(info.created_at),
                repr(info.last_activity),
            ],
        )
        await self.client.zadd(self.keys.boards, {info.id: info.last_activity})

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
        raw = await self.client.hgetall(self.keys.board(board_id))
        return self._board(raw)

    async def list_boards(self) -> list[BoardInfo]:
        ids = await self.client.zrevrange(self.keys.boards, 0, -1)
        out: list[BoardInfo] = []
        for start in range(0, len(ids), 500):
            async with self.client.pipeline(transaction=False) as pipe:
                for board_id in ids[start : start + 500]:
                    pipe.hgetall(self.keys.board(_text(board_id)))
                rows = await pipe.execute()
            out.extend(info for info in map(self._board, rows) if info is not None)
        return out

    async def touch_board(self, board_id: str, at: float) -> None:
        if await self._script(TOUCH_BOARD, [self.keys.board(board_id)], [repr(at)]):
            await self.client.zadd(self.keys.boards, {board_id: at})

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
        if self._closing and not self._writing:
            raise ConnectionError("store closed")
        future: asyncio.Future[tuple[int, int]] = asyncio.get_running_loop().create_future()
        item = Append(doc_id, update, future)
        if self.shards is not None:
            await self.shards.submit(item)
            return await future
        self._pending.append(item)
        if self._writer is None or self._writer.done():
            self._writer = self.loops.run("store-writer", self._write_loop)
        return await future

    @property
    def _writing(self) -> bool:
        if self.shards is not None:
            return self.shards.busy
        return self._writer is not None and not self._writer.done()

    async def _write_loop(self) -> None:
        """Group commit: everything queued goes in one script call; failures retry in order.

        Before the first append on a (re)connection the primary's epoch is checked; after each
        append the writer WAITs for the replicas; only then are the callers told.
        """
        attempt = 0
        while self._pending:
            batch = take_batch(self._pending)
            try:
                conn = self._writer_client
                assert conn is not None, "store is not open"
                if not self._verified:
                    await self._check_primary(conn)
                    self._verified = True
                keys, args = append_args(
                    self.keys,
                    batch,
                    self._seen_of,
                    (self.epoch.token, "", new_token()),
                    self.keys.node_epoch,
                )
                result = await self._script(APPEND, keys, args, client=conn)
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
        if isinstance(exc, RedisError) or not isinstance(self._client, aioredis.Redis):
            return
        with contextlib.suppress(Exception):
            await self._client.connection_pool.disconnect()

    async def flush(self) -> None:
        """Wait until every append made so far is stored."""
        while self._writer is not None and not self._writer.done():
            await asyncio.shield(self._writer)
        if self.shards is not None:
            await self.shards.flush()

    async def load_doc(self, doc_id: str) -> LoadedDoc:
        raw_epoch, seq, snapshot, raw = await self._script(
            READ_SINCE, self.keys.doc(doc_id), ["-", -1, ""]
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
            READ_SINCE, self.keys.doc(doc_id), [_token(epoch), position, new_token()]
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
        return int(await self.client.llen(self.keys.doc(doc_id)[1]))

    async def compact(self, doc_id: str) -> bool:
        """Fold the log into the snapshot; one compactor per doc, no update lost to a race.

        A lock (SET NX PX) keeps other instances from doing the same work at the same time; the
        commit script checks that the snapshot position is still the one the fold started from
        and trims only the entries that were folded, so appends made meanwhile stay in the log.
        """
        keys = self.keys.doc(doc_id)
        lock_key = self.keys.compact_lock(doc_id)
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
        """Doc ids starting with `prefix`, which names a board (its drafts: `<board>/drafts/`)."""
        start = b"[" + prefix.encode()
        docs = await self.client.zrangebylex(
            self.keys.docs(board_of(prefix)), start, start + b"\xff"
        )
        return sorted(_text(d) for d in docs)

    async def delete_doc(self, doc_id: str) -> None:
        await self.flush()
        docs = self.keys.docs(board_of(doc_id))
        await self._script(DELETE_DOC, [*self.keys.doc(doc_id), docs], [doc_id])

    async def claim_clients(self, doc_id: str, claims: dict[int, str]) -> dict[int, str]:
        key = self.keys.clients(doc_id)
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
        prefix, used_key, tally_key = self.keys.votes(board_id, round_no)
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
        prefix, used_key, tally_key = self.keys.votes(board_id, round_no)
        removed = await self._script(
            REMOVE_VOTE, [prefix + participant_id, used_key, tally_key], [participant_id, note_id]
        )
        return bool(removed)

    async def ballots(self, board_id: str, round_no: int, participant_id: str) -> dict[str, int]:
        prefix, _, _ = self.keys.votes(board_id, round_no)
        raw = await self.client.hgetall(prefix + participant_id)
        return {_text(k): int(v) for k, v in raw.items() if int(v) > 0}

    async def tally(self, board_id: str, round_no: int) -> dict[str, int]:
        _, _, tally_key = self.keys.votes(board_id, round_no)
        raw = await self.client.hgetall(tally_key)
        return {_text(k): int(v) for k, v in raw.items() if int(v) > 0}

    async def voters_done(self, board_id: str, round_no: int, budget: int) -> int:
        _, used_key, _ = self.keys.votes(board_id, round_no)
        values = await self.client.hvals(used_key)
        return sum(1 for v in values if int(v) >= budget)

    async def remove_note_votes(self, board_id: str, round_no: int, note_id: str) -> int:
        prefix, used_key, tally_key = self.keys.votes(board_id, round_no)
        removed = await self._script(REMOVE_NOTE_VOTES, [used_key, tally_key], [prefix, note_id])
        return int(removed)

    async def move_note_votes(
        self, board_id: str, round_no: int, from_note: str, to_note: str
    ) -> int:
        prefix, used_key, tally_key = self.keys.votes(board_id, round_no)
        moved = await self._script(
            MOVE_NOTE_VOTES, [used_key, tally_key], [prefix, from_note, to_note]
        )
        return int(moved)

    # -- estimation ballots: the field is the JSON pair [participant, note] (any ids, no clash)
    async def cast_estimate(
        self, board_id: str, round_no: int, participant_id: str, note_id: str, value: str | None
    ) -> bool:
        done = await self._script(
            CAST_ESTIMATE,
            self.keys.estimates(board_id, round_no),
            [json.dumps([participant_id, note_id]), value or ""],
        )
        return bool(done)

    async def close_estimates(self, board_id: str, round_no: int) -> None:
        await self.client.set(self.keys.estimates(board_id, round_no)[1], "1")

    async def estimate_ballots(self, board_id: str, round_no: int) -> dict[str, dict[str, str]]:
        raw = await self.client.hgetall(self.keys.estimates(board_id, round_no)[0])
        out: dict[str, dict[str, str]] = {}
        for field_name, value in raw.items():
            participant, note = json.loads(field_name)
            out.setdefault(participant, {})[note] = _text(value)
        return out

    async def my_estimates(
        self, board_id: str, round_no: int, participant_id: str
    ) -> dict[str, str]:
        return (await self.estimate_ballots(board_id, round_no)).get(participant_id, {})

    # -- webhooks and their outbox: per board a due index (endpoint -> when its queue's head is
    # due); the global set of boards with work due is written in commands of its own
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
        await self.client.hset(self.keys.hooks(board_id), hook["id"], json.dumps(hook))

    async def list_webhooks(self, board_id: str) -> list[dict[str, Any]]:
        raw = await self.client.hgetall(self.keys.hooks(board_id))
        hooks = [json.loads(v) for v in raw.values()]
        return sorted(hooks, key=lambda h: (h.get("created_at", 0), h["id"]))

    async def delete_webhook(self, board_id: str, webhook_id: str) -> bool:
        removed = await self.client.hdel(self.keys.hooks(board_id), webhook_id)
        queue, _, _ = self.keys.queue(board_id, webhook_id)
        async with self.client.pipeline(transaction=True) as pipe:
            pipe.delete(queue)
            pipe.zrem(self.keys.outbox_due(board_id), webhook_id)
            await pipe.execute()
        return bool(removed)

    async def enqueue_deliveries(self, deliveries: list[Delivery]) -> None:
        by_board: dict[str, list[Delivery]] = {}
        for d in deliveries:
            by_board.setdefault(d.board_id, []).append(d)
        for board_id, items in by_board.items():
            async with self.client.pipeline(transaction=True) as pipe:
                for d in items:
                    queue, log_key, _ = self.keys.queue(board_id, d.endpoint_id)
                    pipe.set(self.keys.delivery(board_id, d.id), self._delivery_json(d))
                    pipe.rpush(queue, d.id)
                    pipe.rpush(log_key, d.id)
                    pipe.ltrim(log_key, -1000, -1)
                    pipe.zadd(self.keys.outbox_due(board_id), {d.endpoint_id: d.next_at}, nx=True)
                await pipe.execute()
            await self.client.sadd(self.keys.outbox_boards, board_id)

    async def claim_deliveries(
        self, now: float, lease_seconds: float, limit: int
    ) -> list[Delivery]:
        boards = [_text(b) for b in await self.client.smembers(self.keys.outbox_boards)]
        out: list[Delivery] = []
        for board_id in sorted(boards):
            if len(out) >= limit:
                break
            due = self.keys.outbox_due(board_id)
            endpoints = await self.client.zrangebyscore(
                due, "-inf", now, start=0, num=limit - len(out)
            )
            if not endpoints and not await self.client.zcard(due):
                # Nothing queued: leave the set, unless an enqueue raced this check.
                await self.client.srem(self.keys.outbox_boards, board_id)
                if await self.client.zcard(due):
                    await self.client.sadd(self.keys.outbox_boards, board_id)
                continue
            for raw_endpoint in endpoints:
                delivery = await self._claim_head(board_id, _text(raw_endpoint), now, lease_seconds)
                if delivery is not None:
                    out.append(delivery)
        return out

    async def _claim_head(
        self, board_id: str, endpoint_id: str, now: float, lease_seconds: float
    ) -> Delivery | None:
        """The head of one endpoint's queue, leased to this instance, if it is due."""
        queue, _, lease = self.keys.queue(board_id, endpoint_id)
        due = self.keys.outbox_due(board_id)
        if not await self.client.set(lease, "1", nx=True, px=int(lease_seconds * 1000)):
            return None  # another instance is delivering this queue's head
        head = await self.client.lindex(queue, 0)
        raw = (
            None
            if head is None
            else await self.client.get(self.keys.delivery(board_id, _text(head)))
        )
        if raw is None:
            await self._script(DROP_EMPTY_QUEUE, [queue, due], [endpoint_id])
            await self.client.delete(lease)
            return None
        delivery = self._delivery_from(raw)
        if delivery.next_at > now:  # the index said due; the entry says later: wait
            await self.client.zadd(due, {endpoint_id: delivery.next_at})
            await self.client.delete(lease)
            return None
        return delivery

    async def finish_delivery(self, delivery: Delivery) -> None:
        board_id, endpoint_id = delivery.board_id, delivery.endpoint_id
        queue, _, lease = self.keys.queue(board_id, endpoint_id)
        finished = "1" if delivery.status != "pending" else "0"
        await self._script(
            FINISH_DELIVERY,
            [
                self.keys.delivery(board_id, delivery.id),
                queue,
                self.keys.outbox_due(board_id),
                lease,
            ],
            [self._delivery_json(delivery), delivery.id, endpoint_id, finished, delivery.next_at],
        )

    async def list_deliveries(self, board_id: str, endpoint_id: str, limit: int) -> list[Delivery]:
        _, log_key, _ = self.keys.queue(board_id, endpoint_id)
        ids = await self.client.lrange(log_key, -limit, -1)
        if not ids:
            return []
        raws = await self.client.mget([self.keys.delivery(board_id, _text(i)) for i in ids])
        return [self._delivery_from(r) for r in reversed(raws) if r is not None]

    async def redeliver(self, board_id: str, endpoint_id: str, delivery_id: str) -> bool:
        raw = await self.client.get(self.keys.delivery(board_id, delivery_id))
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
        await self.client.rpush(self.keys.audit(board_id), data)

    async def read_audit(self, board_id: str) -> list[dict[str, Any]]:
        rows = await self.client.lrange(self.keys.audit(board_id), 0, -1)
        return [json.loads(r) for r in rows]
