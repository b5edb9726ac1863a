"""Cluster mode: one writer per shard primary, each on its own connection, each with its WAIT.

An update is appended by the writer of the primary that owns its board's slot, on that writer's
one connection, and WAIT follows on the same connection: the acknowledgement counts exactly that
shard's replicas and this connection's writes. Each shard has its own queue, replica policy
(`auto`: 1 while that primary shows a replica) and health, so a shard that is failing over holds
up only its own boards' appends: they wait, are kept, and its loop reports the outage.

A MOVED (the slot has a new owner: a failover, a finished migration) or a lost connection
refreshes the slot map and hands the shard's queue to the slots' current owners; ASK and
TRYAGAIN (a slot in the middle of a migration) retry after a short backoff until it is over.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from typing import Any

import redis.asyncio as aioredis
from redis.asyncio.cluster import RedisCluster
from redis.exceptions import (
    AskError,
    ClusterDownError,
    MovedError,
    NoScriptError,
    ReadOnlyError,
    TryAgainError,
)

from server.store.redis_append import APPEND_SHARD, Append, append_args, take_batch
from server.store.redis_connect import node_client
from server.store.redis_keys import RedisKeys, board_of
from server.store.replication import ReplicaPolicy, new_token, parse_replication
from server.supervisor import Loops, backoff_delay

log = logging.getLogger("planboard.store.redis")

# Errors of one board's script that mean "this slot is not (only) here": route again.
REROUTE = (MovedError, AskError, TryAgainError, ClusterDownError, ReadOnlyError)


class _Shard:
    """One primary: its writer connection, queue, replica policy and verified history."""

    def __init__(self, name: str, client: aioredis.Redis, replicas: ReplicaPolicy) -> None:
        self.name = name
        self.client = client
        self.replicas = replicas
        self.pending: list[Append] = []
        self.task: asyncio.Task[None] | None = None
        self.replid = ""  # the replication id verified on this connection ("" = verify first)

    @property
    def loop(self) -> str:
        return f"store-writer@{self.name}"


class ShardWriters:
    """The per-shard writers of a cluster-mode store (see the module docstring)."""

    def __init__(
        self,
        cluster: RedisCluster,
        keys: RedisKeys,
        *,
        loops: Loops,
        min_replicas: int | None,
        wait_timeout: float,
        seen: Callable[[str], tuple[int, int]],
        saw: Callable[[str, int, int], None],
    ) -> None:
        self.cluster = cluster
        self.keys = keys
        self.loops = loops
        self.min_replicas = min_replicas
        self.wait_timeout = wait_timeout
        self._seen = seen
        self._saw = saw
        self.shards: dict[str, _Shard] = {}
        self._script = cluster.register_script(APPEND_SHARD)
        self.on_wait: Callable[[float], None] | None = None

    # -- routing
    def _shard(self, host: str, port: int) -> _Shard:
        name = f"{host}:{port}"
        shard = self.shards.get(name)
        if shard is None:
            client = node_client(self.cluster, host, port, socket_timeout=10.0 + self.wait_timeout)
            shard = _Shard(name, client, ReplicaPolicy(self.min_replicas, self.wait_timeout))
            self.shards[name] = shard
        return shard

    async def _route(self, doc_id: str) -> _Shard:
        """The shard owning the doc's slot, refreshing the slot map while it is unknown."""
        attempt = 0
        while True:
            try:
                if self.cluster.nodes_manager.slots_cache:
                    node = self.cluster.get_node_from_key(self.keys.doc(doc_id)[0])
                    if node is not None:
                        return self._shard(node.host, int(node.port))
                await self.cluster.initialize()
                await self.cluster.nodes_manager.initialize()
            except Exception as exc:
                attempt += 1
                self.loops.down("store-router", f"cannot read the cluster's slot map ({exc!r})")
                await asyncio.sleep(backoff_delay(attempt))
                continue
            self.loops.up("store-router")

    async def submit(self, item: Append) -> None:
        shard = await self._route(item.doc_id)
        shard.pending.append(item)
        self._kick(shard)

    def _kick(self, shard: _Shard) -> None:
        if shard.task is None or shard.task.done():
            shard.task = self.loops.run(shard.loop, lambda: self._write_loop(shard))

    async def _reroute(self, items: list[Append]) -> None:
        """Refresh the slot map and queue `items` at the current owners of their slots."""
        with contextlib.suppress(Exception):
            await self.cluster.nodes_manager.initialize()
        for item in items:
            await self.submit(item)

    # -- writing
    async def _write_loop(self, shard: _Shard) -> None:
        attempt = 0
        while shard.pending:
            batch = take_batch(shard.pending)
            try:
                stamps, moved = await self._append(shard, batch)
            except Exception as exc:  # the shard is away (a failover?): retry, maybe elsewhere
                shard.replid = ""
                attempt += 1
                if attempt == 1 or attempt % 20 == 0:
                    log.warning("appending to shard %s failed (%r); retrying", shard.name, exc)
                self.loops.down(shard.loop, f"appends waiting for Redis ({exc!r})")
                with contextlib.suppress(Exception):
                    await shard.client.connection_pool.disconnect()
                await asyncio.sleep(backoff_delay(attempt))
                # Queued updates whose slot moved (a replica took over) go to the new owner.
                with contextlib.suppress(Exception):
                    await self.cluster.nodes_manager.initialize()
                await self._hand_over(shard)
                continue
            attempt = 0
            self.loops.up(shard.loop)
            del shard.pending[: len(batch)]
            for item in batch:
                stamp = stamps.get(id(item))
                if stamp is None:
                    continue
                self._saw(item.doc_id, *stamp)
                if not item.future.done():  # a cancelled caller: stored all the same
                    item.future.set_result(stamp)
            if moved:
                if any(isinstance(e, AskError | TryAgainError) for e in moved.values()):
                    await asyncio.sleep(backoff_delay(1))  # a migration is under way
                await self._reroute([item for item in batch if id(item) in moved])
        self.loops.up(shard.loop)  # nothing waits for this shard (any more: handed over)

    async def _hand_over(self, shard: _Shard) -> None:
        """Queued items of slots this shard no longer owns move to their owner's queue."""
        keep: list[Append] = []
        away: list[Append] = []
        for item in shard.pending:
            node = None
            with contextlib.suppress(Exception):
                node = self.cluster.get_node_from_key(self.keys.doc(item.doc_id)[0])
            if node is None or f"{node.host}:{node.port}" == shard.name:
                keep.append(item)
            else:
                away.append(item)
        shard.pending = keep
        for item in away:
            await self.submit(item)

    async def _append(
        self, shard: _Shard, batch: list[Append]
    ) -> tuple[dict[int, tuple[int, int]], dict[int, Exception]]:
        """One pipeline of per-board scripts, then WAIT on the same connection.

        Returns the stamps of the stored items and, for the others, why they go again (a
        redirection, or a primary that did not know the script yet).
        """
        if not shard.replid:
            replid, replicas, role = parse_replication(await shard.client.info("replication"))
            if role != "master":
                raise ConnectionError(f"{shard.name} is a {role} now, not a primary")
            shard.replicas.observe(replicas)
            shard.replid = replid
        groups: dict[str, list[Append]] = {}
        for item in batch:
            groups.setdefault(board_of(item.doc_id), []).append(item)
        async with shard.client.pipeline(transaction=False) as pipe:
            for board, items in groups.items():
                keys, args = append_args(
                    self.keys,
                    items,
                    self._seen,
                    (shard.replid, new_token(), new_token()),
                    self.keys.shard_epoch(board),
                )
                # EVALSHA alone: a script object in a pipeline would ask SCRIPT EXISTS every time.
                pipe.evalsha(self._script.sha, len(keys), *keys, *args)
            results = await pipe.execute(raise_on_error=False)
        stamps: dict[int, tuple[int, int]] = {}
        moved: dict[int, Exception] = {}
        for items, result in zip(groups.values(), results, strict=True):
            if isinstance(result, NoScriptError):  # a new or restarted primary: load, go again
                await shard.client.script_load(APPEND_SHARD)
            if isinstance(result, (*REROUTE, NoScriptError)):
                moved.update((id(item), result) for item in items)
                continue
            if isinstance(result, Exception):
                raise result
            for i, item in enumerate(items):
                raw_epoch = result[2 * i]
                epoch = int(raw_epoch.decode() if isinstance(raw_epoch, bytes) else raw_epoch)
                stamps[id(item)] = (epoch, int(result[2 * i + 1]))
        if stamps:
            await self._wait_for_replicas(shard)
        return stamps, moved

    async def _wait_for_replicas(self, shard: _Shard) -> None:
        """WAIT on the shard's connection; short of replicas, report the outage and wait again."""
        required = shard.replicas.required()
        if not required:
            return
        timeout_ms = max(1, int(shard.replicas.timeout * 1000))
        started = time.perf_counter()
        acked = int(await shard.client.wait(required, timeout_ms))
        short = 0
        while acked < required:
            short += 1
            if short == 1 or short % 20 == 0:
                log.warning(
                    "%s: %d of %d replica(s) acknowledged; waiting", shard.name, acked, required
                )
            self.loops.down(shard.loop, f"waiting for {required} replica(s), {acked} acked")
            _, replicas, role = parse_replication(await shard.client.info("replication"))
            if role != "master":
                raise ConnectionError(f"{shard.name} is a {role} now, not a primary")
            shard.replicas.observe(replicas)
            required = shard.replicas.required()
            if not required:
                break
            await asyncio.sleep(backoff_delay(short))
            acked = int(await shard.client.wait(required, timeout_ms))
        if self.on_wait is not None:
            self.on_wait(time.perf_counter() - started)

    # -- health
    async def watch(self) -> None:
        """Read every primary's replicas (the `auto` policy) and notice a changed history."""
        primaries = self.cluster.get_primaries()
        answered = 0
        for node in primaries:
            try:
                info: dict[str, Any] = await self.cluster.info("replication", target_nodes=node)
            except Exception:  # a primary failing over: its writer reports it, not the watch
                continue
            answered += 1
            replid, replicas, _ = parse_replication(info)
            shard = self.shards.get(node.name)
            if shard is None:
                continue
            shard.replicas.observe(replicas)
            if shard.replid and shard.replid != replid:
                shard.replid = ""
        if primaries and not answered:
            raise ConnectionError("no primary of the cluster answers")

    async def ping(self) -> None:
        """The cluster answers if any primary does (one failing over is reported per shard)."""
        error: Exception = ConnectionError("the cluster has no known primary")
        failing = set(self.failing())
        nodes = sorted(
            self.cluster.get_primaries(), key=lambda n: f"store-writer@{n.name}" in failing
        )
        for node in nodes:
            try:
                await self.cluster.ping(target_nodes=node)
                return
            except Exception as exc:
                error = exc
        raise error

    def failing(self) -> list[str]:
        return [s.loop for s in self.shards.values() if s.loop in self.loops.problems]

    @property
    def busy(self) -> bool:
        return any(s.task is not None and not s.task.done() for s in self.shards.values())

    async def flush(self) -> None:
        for shard in list(self.shards.values()):
            while shard.task is not None and not shard.task.done():
                await asyncio.shield(shard.task)

    def fail_pending(self, exc: BaseException) -> int:
        lost = 0
        for shard in self.shards.values():
            if shard.task is not None:
                shard.task.cancel()
            for item in shard.pending:
                lost += 1
                if not item.future.done():
                    item.future.set_exception(exc)
            shard.pending.clear()
        return lost

    async def close(self) -> None:
        for shard in self.shards.values():
            with contextlib.suppress(Exception):
                await shard.client.aclose()
