"""Redis pub/sub backplane: rooms of one board on different instances hear each other.

One channel per document (`{prefix}{<board>}:ch:<doc id>`, in the board's slot) and one for
instance heartbeats (`{prefix}instances`). Against a Redis Cluster the document channels are
sharded (SPUBLISH/SSUBSCRIBE): a message goes only to the shard that owns the board, and only
heartbeats (O(instances) messages) use a classic channel. A message is binary: one kind byte,
the sender's instance id (length byte then ASCII), then the body:

    U  update     8-byte big-endian epoch, 8-byte big-endian log position (both given by the
                  store), then the Yjs update (`u`, without the epoch, is read as epoch 0)
    a  awareness  the y-protocols awareness payload (without the message type byte)
    q  query      "send me your clients' presence" (sent after subscribing)
    h  heartbeat  (instances channel) every timeout/5 seconds
    b  bye        (instances channel) sent on a clean shutdown: drop my clients' presence now

An instance ignores its own messages. Pub/sub drops messages when a connection breaks; the
reader then reconnects with backoff and jitter, resubscribes and asks every room to read what it
missed from the store (rooms also read it when they see a gap in positions). In a cluster,
redis-py moves a sharded subscription to the slot's new owner by itself (a failover, a
migration); every such re-subscription we did not ask for makes its room read what it missed.
Publishing goes through one queue drained by one task (pipelined), so a room never waits on the
network to publish and never sees an exception from it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from dataclasses import dataclass, field
from itertools import islice
from typing import Any

import redis.asyncio as aioredis
from redis.asyncio.client import PubSub
from redis.asyncio.cluster import ClusterPubSub, RedisCluster
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from server.realtime.backplane import DocHandlers
from server.store.redis import DEFAULT_PREFIX
from server.store.redis_connect import Client, cluster_client, connect, node_client
from server.store.redis_keys import RedisKeys
from server.supervisor import Loops, backoff_delay

log = logging.getLogger("planboard.backplane")

KIND_UPDATE = b"U"
KIND_UPDATE_V1 = b"u"  # without an epoch (instances of earlier versions)
KIND_AWARENESS = b"a"
KIND_QUERY = b"q"
KIND_HEARTBEAT = b"h"
KIND_BYE = b"b"
MAX_OUTBOX = 100_000
PUBLISH_BATCH = 512
# Cluster: each shard's pub/sub connection has a reader task blocked on it (a message is handled
# the moment it arrives); a read gives way this often so that a subscription to that shard, which
# needs the connection, waits at most this long.
SHARD_READ_SECONDS = 0.1
SUBSCRIBED = ("subscribe", "ssubscribe")
UNSUBSCRIBED = ("unsubscribe", "sunsubscribe")


def encode_message(kind: bytes, instance: bytes, body: bytes = b"") -> bytes:
    return kind + bytes((len(instance),)) + instance + body


def decode_message(data: bytes) -> tuple[bytes, str, bytes]:
    """(kind, instance id, body); raises ValueError for anything that is not ours."""
    if len(data) < 2:
        raise ValueError("short message")
    n = data[1]
    if len(data) < 2 + n:
        raise ValueError("truncated instance id")
    return data[0:1], data[2 : 2 + n].decode("ascii"), data[2 + n :]


@dataclass(slots=True)
class _Sub:
    doc_id: str
    handlers: DocHandlers
    confirmed: bool = False  # live once: a later (re)subscription must trigger a resync


@dataclass(slots=True)
class _Expect:
    """One SUBSCRIBE/UNSUBSCRIBE sent on the current connection, awaiting its confirmation."""

    futures: list[asyncio.Future[None]] = field(default_factory=list)
    resync: bool = False


class RedisBackplane:
    """The multi-instance backplane (REDIS_URL); see the module docstring for the protocol."""

    relays = True

    def __init__(
        self,
        url: str,
        *,
        instance_id: str,
        prefix: str | None = None,
        instance_timeout: float = 30.0,
        subscribe_timeout: float = 5.0,
        loops: Loops | None = None,
    ) -> None:
        self.url = url
        self.instance_id = instance_id
        self._iid = instance_id.encode("ascii")
        if not 0 < len(self._iid) < 256:
            raise ValueError("instance id must be 1-255 ASCII characters")
        self.prefix = prefix or DEFAULT_PREFIX
        self.instance_timeout = instance_timeout
        # Silent for 3/5 of the timeout (three heartbeats missed) means dead; checked every
        # heartbeat, so a dead instance's clients are gone at most 4/5 of the timeout after.
        self.heartbeat_interval = max(0.05, instance_timeout / 5)
        self.silence_limit = instance_timeout * 0.6
        self.subscribe_timeout = subscribe_timeout
        self.keys = RedisKeys(self.prefix)
        self._instances_channel = self.keys.instances_channel
        self._client: Client | None = None
        self._sub_client: Client | None = None
        self._docs: dict[bytes, _Sub] = {}
        self._pubsub: PubSub | None = None
        self._live = False
        self._expect: dict[bytes, deque[_Expect]] = {}
        self._waiting: dict[bytes, list[asyncio.Future[None]]] = {}
        self._outbox: deque[tuple[bytes, bytes, bool]] = deque()
        self._publisher: asyncio.Task[None] | None = None
        self._reader: asyncio.Task[None] | None = None
        self._heartbeat: asyncio.Task[None] | None = None
        self._last_seen: dict[str, float] = {}
        self._own_seen = 0.0
        self._reconnect = False
        self._stopping = False
        self.reconnects = 0  # connections after the first (tests and logs)
        self._moves: set[asyncio.Task[None]] = set()  # re-subscriptions after a slot moved
        self._node_clients: dict[str, aioredis.Redis] = {}  # cluster: publishing per shard
        self.loops = loops or Loops()

    def _channel(self, doc_id: str) -> bytes:
        return self.keys.channel(doc_id)

    @property
    def sharded(self) -> bool:
        """Document channels are sharded (cluster mode)."""
        return isinstance(self._client, RedisCluster)

    # -- lifecycle ----------------------------------------------------------------------------
    async def start(self) -> None:
        self._client = await connect(self.url)
        if isinstance(self._client, RedisCluster):
            # Its own client: the pub/sub connections come from the node pools.
            self._sub_client = cluster_client(self.url)
        else:
            # The subscriber does its own reconnecting (and must notice it to resync): redis-py
            # must neither retry nor silently reconnect and resubscribe behind our back.
            self._sub_client = aioredis.Redis.from_url(
                self.url,
                socket_connect_timeout=2.0,
                socket_keepalive=True,
                retry=Retry(NoBackoff(), 0, supported_errors=()),
            )
        self.loops.down("subscriber", "connecting to Redis")
        self._reader = self.loops.run("subscriber", self._run)
        self._heartbeat = self.loops.run("heartbeat", self._beat)

    async def stop(self) -> None:
        """Say goodbye (others drop our clients' presence at once), flush, disconnect."""
        if self._live:
            self._enqueue(self._instances_channel, encode_message(KIND_BYE, self._iid), False)
        publisher = self._publisher
        if publisher is not None and not publisher.done():
            with contextlib.suppress(Exception):
                await asyncio.wait_for(asyncio.shield(publisher), 3.0)
        self._stopping = True
        for task in (self._heartbeat, self._reader, self._publisher):
            if task is not None and not task.done():
                task.cancel()
                with contextlib.suppress(BaseException):
                    await task
        for client in (self._client, self._sub_client, *self._node_clients.values()):
            if client is not None:
                with contextlib.suppress(Exception):
                    await client.aclose()

    async def ping(self) -> None:
        """Not ready while the subscriber is away or a loop fails; a cluster shard failing over
        (`publisher@host:port`) is only reported, by `degraded`: other boards still work."""
        if not self._live:
            raise ConnectionError("pub/sub is not connected (Redis unreachable?)")
        problems = {k: v for k, v in self.loops.problems.items() if "@" not in k}
        if problems:
            raise ConnectionError("; ".join(f"{k}: {v}" for k, v in sorted(problems.items())))

    def degraded(self) -> list[str]:
        return sorted(k for k in self.loops.problems if "@" in k)

    # -- subscriptions ------------------------------------------------------------------------
    async def subscribe(self, doc_id: str, handlers: DocHandlers) -> None:
        channel = self._channel(doc_id)
        sub = _Sub(doc_id, handlers)
        self._docs[channel] = sub
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        pubsub = self._pubsub
        if pubsub is not None:
            self._expect.setdefault(channel, deque()).append(_Expect([future]))
            # If the connection is broken the reader notices, and the next connection
            # subscribes every registered doc and resolves the future.
            with contextlib.suppress(Exception):  # RuntimeError too, under uvloop
                await self._subscribe(pubsub, [channel])
        else:
            self._waiting.setdefault(channel, []).append(future)
        try:
            await asyncio.wait_for(future, self.subscribe_timeout)
        except TimeoutError as exc:
            raise ConnectionError(f"could not subscribe to {doc_id} (Redis unreachable?)") from exc
        sub.confirmed = True
        # Others answer with their clients' presence, so ours see everyone at once.
        self._enqueue(channel, encode_message(KIND_QUERY, self._iid), True)

    async def unsubscribe(self, doc_id: str) -> None:
        channel = self._channel(doc_id)
        if self._docs.pop(channel, None) is None:
            return
        pubsub = self._pubsub
        if pubsub is not None:
            self._expect.setdefault(channel, deque()).append(_Expect())
            with contextlib.suppress(Exception):
                if isinstance(pubsub, ClusterPubSub):
                    await pubsub.sunsubscribe(channel)
                else:
                    await pubsub.unsubscribe(channel)

    # -- publishing ---------------------------------------------------------------------------
    async def publish_update(
        self, doc_id: str, position: int, update: bytes, epoch: int = 0
    ) -> None:
        body = epoch.to_bytes(8, "big") + position.to_bytes(8, "big") + update
        self._enqueue(self._channel(doc_id), encode_message(KIND_UPDATE, self._iid, body), False)

    async def publish_awareness(self, doc_id: str, payload: bytes) -> None:
        message = encode_message(KIND_AWARENESS, self._iid, payload)
        self._enqueue(self._channel(doc_id), message, True)

    def _enqueue(
        self, channel: bytes, message: bytes, droppable: bool, *, offline_ok: bool = False
    ) -> None:
        """Queue for the publisher. Presence is dropped while our subscriber is away (clients
        renew it); updates are kept and retried (they are also recoverable from the store).
        Heartbeats go out whenever Redis takes them, whatever the state of our subscriber."""
        if self._stopping or (droppable and not self._live and not offline_ok):
            return
        if len(self._outbox) >= MAX_OUTBOX:
            log.warning("backplane outbox full: dropping a message (peers gap-fill from store)")
            return
        self._outbox.append((channel, message, droppable))
        if self._publisher is None or self._publisher.done():
            self._publisher = self.loops.run("publisher", self._publish_loop)

    async def _publish_loop(self) -> None:
        attempt = 0
        while self._outbox:
            batch = list(islice(self._outbox, 0, PUBLISH_BATCH))
            client = self._client
            try:
                assert client is not None, "backplane is not started"
                failed, error = await self._send(client, batch)
            except Exception as exc:  # RedisError, OSError, and RuntimeError under uvloop
                failed, error = batch, exc
            rest = list(islice(self._outbox, len(batch), None))
            if error is None:
                self._outbox = deque(rest)
                self.loops.up("publisher")
                attempt = 0
                continue
            attempt += 1
            if attempt == 1 or attempt % 20 == 0:
                log.warning("publishing to Redis failed (%r); retrying", error)
            if len(failed) == len(batch):
                self.loops.down("publisher", f"messages waiting for Redis ({error!r})")
            else:  # some shards took theirs (their loops say which did not)
                self.loops.up("publisher")
            # What went out is done; presence waiting for Redis is dropped (clients renew it).
            self._outbox = deque(item for item in (*failed, *rest) if not item[2])
            if not isinstance(error, RedisError) and isinstance(client, aioredis.Redis):
                with contextlib.suppress(Exception):  # connections in an unknown state
                    await client.connection_pool.disconnect()
            await asyncio.sleep(backoff_delay(attempt))

    async def _send(
        self, client: Client, batch: list[tuple[bytes, bytes, bool]]
    ) -> tuple[list[tuple[bytes, bytes, bool]], BaseException | None]:
        """Publish `batch`; returns what could not go out and why. In a cluster, one pipeline
        per shard, side by side: a shard failing over holds back only its own boards' messages."""
        if not isinstance(client, RedisCluster):
            if len(batch) == 1:
                await client.publish(batch[0][0], batch[0][1])
            else:
                async with client.pipeline(transaction=False) as pipe:
                    for channel, message, _ in batch:
                        pipe.publish(channel, message)
                    await pipe.execute()
            return [], None
        groups: dict[str, list[tuple[bytes, bytes, bool]]] = {}
        for item in batch:
            name = ""  # heartbeats: a classic channel, any node
            if item[0] != self._instances_channel:
                node = client.get_node_from_key(item[0].decode())
                name = node.name if node is not None else ""
            groups.setdefault(name, []).append(item)

        async def send(name: str, items: list[tuple[bytes, bytes, bool]]) -> None:
            if not name:  # heartbeats: keyless, the cluster client picks a node
                for channel, message, _ in items:
                    await client.publish(channel, message)
                return
            # Straight to the shard's primary on a plain connection (the cluster client's own
            # pipeline costs several times more CPU per message); MOVED refreshes the map below.
            async with self._node_client(client, name).pipeline(transaction=False) as pipe:
                for channel, message, _ in items:
                    pipe.spublish(channel, message)
                await pipe.execute()

        outcomes = await asyncio.gather(
            *(send(name, items) for name, items in groups.items()), return_exceptions=True
        )
        if any(isinstance(outcome, BaseException) for outcome in outcomes):
            with contextlib.suppress(Exception):  # a failover or a migration: read the map again
                await client.nodes_manager.initialize()
        failed: list[tuple[bytes, bytes, bool]] = []
        error: BaseException | None = None
        waiting: set[str] = set()
        for (name, items), outcome in zip(groups.items(), outcomes, strict=True):
            if isinstance(outcome, BaseException):
                failed += items
                error = outcome
                loop = f"publisher@{name}" if name else "publisher"
                waiting.add(loop)
                self.loops.down(loop, f"messages waiting for Redis ({outcome!r})")
        for loop in [k for k in self.loops.problems if k.startswith("publisher@")]:
            if loop not in waiting:  # nothing waits for that shard (any more)
                self.loops.up(loop)
        return failed, error

    # -- the subscriber -----------------------------------------------------------------------
    async def _run(self) -> None:
        """Keep one subscriber connection; after every reconnect, rooms read what they missed."""
        attempt = 0
        while not self._stopping:
            assert self._sub_client is not None
            pubsub = self._sub_client.pubsub(ignore_subscribe_messages=False)
            try:
                await self._connect(pubsub)
                attempt = 0
                await self._read(pubsub)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # any failure means: reconnect
                if attempt == 0 or attempt % 20 == 0:
                    log.warning("Redis pub/sub connection lost (%s); reconnecting", exc)
            finally:
                self._disconnected()
                with contextlib.suppress(Exception):
                    await pubsub.aclose()
            if self._stopping:
                return
            attempt += 1
            await asyncio.sleep(backoff_delay(attempt))
            if isinstance(self._sub_client, RedisCluster):
                # A failover or a migration may be why: read the slot map again first.
                with contextlib.suppress(Exception):
                    await self._sub_client.nodes_manager.initialize()

    async def _connect(self, pubsub: PubSub) -> None:
        channels = [self._instances_channel, *self._docs]
        self._expect = {}
        for channel in channels:
            sub = self._docs.get(channel)
            entry = _Expect(
                self._waiting.pop(channel, []), resync=sub is not None and sub.confirmed
            )
            self._expect.setdefault(channel, deque()).append(entry)
        self._reconnect = False
        await self._subscribe(pubsub, channels)
        self._pubsub = pubsub
        late = list(self._waiting)  # registered while we were connecting
        if late:
            for channel in late:
                self._expect.setdefault(channel, deque()).append(
                    _Expect(self._waiting.pop(channel))
                )
            await self._subscribe(pubsub, late)

    async def _subscribe(self, pubsub: PubSub, channels: list[bytes]) -> None:
        """Heartbeats on the classic channel; documents sharded in a cluster."""
        if not isinstance(pubsub, ClusterPubSub):
            await pubsub.subscribe(*channels)
            return
        if self._instances_channel in channels:
            await pubsub.subscribe(self._instances_channel)
        for channel in channels:
            if channel == self._instances_channel:
                continue
            try:
                await pubsub.ssubscribe(channel)
            except (RedisError, OSError):  # its shard is away: only its boards wait
                self._retry_later(channel)

    def _retry_later(self, channel: bytes) -> None:
        task = asyncio.create_task(self._follow_slot(channel))
        self._moves.add(task)
        task.add_done_callback(self._moves.discard)

    def _node_client(self, cluster: RedisCluster, name: str) -> aioredis.Redis:
        """A plain client of one shard primary, for publishing (kept per node)."""
        found = self._node_clients.get(name)
        if found is None:
            host, _, port = name.rpartition(":")
            found = self._node_clients[name] = node_client(
                cluster, host, int(port), socket_timeout=10.0
            )
        return found

    def _disconnected(self) -> None:
        self._live = False
        self.loops.down("subscriber", "pub/sub connection lost; reconnecting")
        self._pubsub = None
        for channel, queue in self._expect.items():
            for entry in queue:
                if entry.futures and channel in self._docs:
                    self._waiting.setdefault(channel, []).extend(entry.futures)
        self._expect = {}

    async def _read(self, pubsub: PubSub) -> None:
        if isinstance(pubsub, ClusterPubSub):
            await self._read_cluster(pubsub)
            return
        while not self._stopping:
            if self._reconnect:
                raise ConnectionError("our own heartbeats stopped arriving")
            message = await pubsub.get_message(timeout=1.0)
            if message is not None:
                await self._handle(message)

    async def _read_cluster(self, pubsub: ClusterPubSub) -> None:
        """Heartbeats here (their failure reconnects everything); one reader per shard."""
        readers: dict[str, asyncio.Task[None]] = {}
        try:
            while not self._stopping:
                if self._reconnect:
                    raise ConnectionError("our own heartbeats stopped arriving")
                message = await pubsub.get_message(timeout=SHARD_READ_SECONDS)
                if message is not None:
                    await self._handle(message)
                shards = pubsub.node_pubsub_mapping
                for name in shards:
                    task = readers.get(name)
                    if task is None or task.done():
                        readers[name] = asyncio.create_task(self._read_shard(pubsub, name))
                for name in [n for n in readers if n not in shards]:
                    readers.pop(name).cancel()
        finally:
            for task in readers.values():
                task.cancel()
            await asyncio.gather(*readers.values(), return_exceptions=True)

    async def _read_shard(self, pubsub: ClusterPubSub, name: str) -> None:
        """Read one shard's sharded messages. When the shard fails (a failover), only its
        boards wait: the slot map is read again and redis-py moves the subscriptions to the
        new owner, whose confirmations make the rooms read what they missed."""
        client = self._sub_client
        assert isinstance(client, RedisCluster)
        attempt = 0
        while not self._stopping and name in pubsub.node_pubsub_mapping:
            node = client.get_node(node_name=name)
            if node is None:
                return
            try:
                message = await pubsub.get_sharded_message(
                    timeout=SHARD_READ_SECONDS, target_node=node
                )
            except (RedisError, OSError):
                attempt += 1
                await asyncio.sleep(backoff_delay(attempt))
                with contextlib.suppress(Exception):
                    await client.nodes_manager.initialize()
                    await pubsub.reinitialize_shard_subscriptions()
                continue
            attempt = 0
            if message is not None:
                await self._handle(message)
            elif (
                pubsub.node_pubsub_mapping.get(name) is None
                or not pubsub.node_pubsub_mapping[name].connection
            ):
                await asyncio.sleep(SHARD_READ_SECONDS)  # nothing to wait on yet

    async def _handle(self, message: dict[str, Any]) -> None:
        kind = message["type"]
        channel: bytes = message["channel"]
        if kind in ("message", "smessage"):
            await self._dispatch(channel, message["data"])
        elif kind in SUBSCRIBED:
            queue = self._expect.get(channel)
            entry = queue.popleft() if queue else None
            if channel == self._instances_channel and not self._live:
                self._became_live()
            if entry is None:
                if kind == "ssubscribe":  # redis-py moved or renewed it: we may have missed some
                    entry = _Expect(resync=True)
                else:
                    return
            for future in entry.futures:
                if not future.done():
                    future.set_result(None)
            sub = self._docs.get(channel)
            # A channel subscribed again after it was live may have missed messages, whatever
            # the bookkeeping of who asked for it says: the room reads the store.
            if sub is not None and (entry.resync or sub.confirmed):
                await self._call(sub, sub.handlers.on_resync())
                self._enqueue(channel, encode_message(KIND_QUERY, self._iid), True)
        elif kind in UNSUBSCRIBED:
            queue = self._expect.get(channel)
            if queue:
                queue.popleft()
            if kind == "sunsubscribe" and channel in self._docs:
                # Still wanted: the server dropped us (the board's slot moved to another shard)
                # or redis-py is moving it; either way make sure it is subscribed where it lives.
                self._retry_later(channel)

    async def _follow_slot(self, channel: bytes) -> None:
        """Subscribe at the slot's (new) owner once it answers; the room then reads what it
        missed. A room still loading waits for this confirmation (and times out: 1013)."""
        attempt = 0
        while channel in self._docs and not self._stopping:
            attempt += 1
            await asyncio.sleep(backoff_delay(attempt))
            pubsub, client = self._pubsub, self._sub_client
            if not isinstance(pubsub, ClusterPubSub) or not isinstance(client, RedisCluster):
                continue  # the subscriber is reconnecting: it subscribes everything itself
            if channel in pubsub.shard_channels:
                return  # the subscriber reconnected meanwhile and subscribed it
            try:
                await client.nodes_manager.initialize()
                if not self._expect.get(channel):
                    self._expect.setdefault(channel, deque()).append(_Expect(resync=True))
                await pubsub.ssubscribe(channel)
                return
            except Exception as exc:
                if attempt == 1 or attempt % 20 == 0:
                    log.warning("cannot subscribe to %r yet (%r); retrying", channel, exc)

    def _became_live(self) -> None:
        now = time.monotonic()
        if self._own_seen:
            self.reconnects += 1
            log.warning("Redis pub/sub connected again; rooms read what they missed")
        self._live = True
        self.loops.up("subscriber")
        self._own_seen = now
        # Nobody could be heard while we were away: everyone gets a full timeout from now.
        for instance in self._last_seen:
            self._last_seen[instance] = now

    async def _dispatch(self, channel: bytes, data: bytes) -> None:
        try:
            kind, instance, body = decode_message(data)
        except ValueError:
            return
        now = time.monotonic()
        if instance == self.instance_id:
            if kind == KIND_HEARTBEAT:
                self._own_seen = now
            return
        if kind == KIND_BYE:
            self._last_seen.pop(instance, None)
            await self._instance_gone(instance)
            return
        self._last_seen[instance] = now
        sub = self._docs.get(channel)
        if sub is None:
            return
        if kind == KIND_UPDATE and len(body) >= 16:
            epoch = int.from_bytes(body[:8], "big")
            position = int.from_bytes(body[8:16], "big")
            await self._call(sub, sub.handlers.on_update(position, body[16:], epoch))
        elif kind == KIND_UPDATE_V1 and len(body) >= 8:
            position = int.from_bytes(body[:8], "big")
            await self._call(sub, sub.handlers.on_update(position, body[8:], 0))
        elif kind == KIND_AWARENESS:
            await self._call(sub, sub.handlers.on_awareness(instance, body))
        elif kind == KIND_QUERY:
            await self._call(sub, sub.handlers.on_awareness_query())

    async def _call(self, sub: _Sub, handler: Any) -> None:
        """A room's failure must not stop the reader (nor other rooms)."""
        try:
            await handler
        except Exception:
            log.exception("handling a backplane message for %s failed", sub.doc_id)

    async def _instance_gone(self, instance: str) -> None:
        log.info("instance %s is gone: dropping its clients' presence", instance)
        for sub in list(self._docs.values()):
            await self._call(sub, sub.handlers.on_instance_gone(instance))

    async def _beat(self) -> None:
        """Heartbeats out; instances that stopped sending them are declared gone."""
        heartbeat = encode_message(KIND_HEARTBEAT, self._iid)
        while not self._stopping:
            self._enqueue(self._instances_channel, heartbeat, True, offline_ok=True)
            await asyncio.sleep(self.heartbeat_interval)
            if not self._live:
                continue
            now = time.monotonic()
            if now - self._own_seen > self.silence_limit:
                # Our subscription is silently dead (half-open connection): start over.
                self._reconnect = True
                continue
            for instance, seen in list(self._last_seen.items()):
                if now - seen > self.silence_limit:
                    del self._last_seen[instance]
                    await self._instance_gone(instance)
