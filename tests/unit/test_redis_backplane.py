"""RedisBackplane against a real redis-server: relay, own messages, presence, reconnects."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field

import pytest
import redis.asyncio as aioredis

from server.realtime.backplane import DocHandlers
from server.realtime.redis_backplane import RedisBackplane, decode_message, encode_message
from tests.multi.support import eventually, started_redis
from tests.servers import RedisProcess
from tests.yclient import wait_for

pytestmark = pytest.mark.redis


@dataclass
class Recorder:
    """Everything a room would be told."""

    updates: list[tuple[int, bytes]] = field(default_factory=list)
    awareness: list[tuple[str, bytes]] = field(default_factory=list)
    resyncs: int = 0
    gone: list[str] = field(default_factory=list)
    queries: int = 0

    def handlers(self) -> DocHandlers:
        async def on_update(position: int, update: bytes, epoch: int) -> None:
            self.updates.append((position, update))

        async def on_awareness(instance: str, payload: bytes) -> None:
            self.awareness.append((instance, payload))

        async def on_resync() -> None:
            self.resyncs += 1

        async def on_gone(instance: str) -> None:
            self.gone.append(instance)

        async def on_query() -> None:
            self.queries += 1

        return DocHandlers(on_update, on_awareness, on_resync, on_gone, on_query)


@pytest.fixture
def redis_proc() -> Iterator[RedisProcess]:
    yield from started_redis()


@pytest.fixture
async def pair(redis_proc: RedisProcess) -> AsyncIterator[tuple[RedisBackplane, RedisBackplane]]:
    a = RedisBackplane(redis_proc.url, instance_id="A", prefix="t:", instance_timeout=1.0)
    b = RedisBackplane(redis_proc.url, instance_id="B", prefix="t:", instance_timeout=1.0)
    await a.start()
    await b.start()
    await wait_for(lambda: a._live and b._live, 10, "both subscribed")
    yield a, b
    await a.stop()
    await b.stop()


def test_message_format_round_trips() -> None:
    message = encode_message(b"u", b"inst-1", (7).to_bytes(8, "big") + b"\x01\x02")
    assert decode_message(message) == (b"u", "inst-1", b"\x00" * 7 + b"\x07\x01\x02")
    with pytest.raises(ValueError):
        decode_message(b"u\x09abc")


async def test_updates_and_awareness_reach_the_other_instance_only(
    pair: tuple[RedisBackplane, RedisBackplane],
) -> None:
    a, b = pair
    ra, rb = Recorder(), Recorder()
    await a.subscribe("doc", ra.handlers())
    await b.subscribe("doc", rb.handlers())
    await wait_for(lambda: ra.queries == 1, 5, "b's subscription asked a for presence")
    await a.publish_update("doc", 1, b"one")
    await a.publish_update("doc", 2, b"two")
    await a.publish_awareness("doc", b"presence")
    await wait_for(lambda: len(rb.awareness) == 1, 5, "b got a's messages")
    assert rb.updates == [(1, b"one"), (2, b"two")]
    assert rb.awareness == [("A", b"presence")]
    assert ra.updates == [] and ra.awareness == []  # its own are ignored
    await b.unsubscribe("doc")
    await a.publish_update("doc", 3, b"three")
    await b.subscribe("other", Recorder().handlers())  # a round trip after a's publish
    assert rb.updates == [(1, b"one"), (2, b"two")]


async def test_presence_expires_with_a_silent_instance_and_at_once_on_bye(
    redis_proc: RedisProcess, pair: tuple[RedisBackplane, RedisBackplane]
) -> None:
    a, _ = pair
    ra = Recorder()
    await a.subscribe("doc", ra.handlers())
    crashed = RedisBackplane(redis_proc.url, instance_id="C", prefix="t:", instance_timeout=1.0)
    await crashed.start()
    await wait_for(lambda: "C" in a._last_seen, 5, "a heard C's heartbeat")
    # C dies without a word: its tasks stop, nothing more is published.
    for task in (crashed._heartbeat, crashed._reader, crashed._publisher):
        if task is not None:
            task.cancel()
    await wait_for(lambda: ra.gone == ["C"], 1.0, "C declared gone within the timeout")
    assert ra.resyncs == 0
    await crashed.stop()  # only closes its connections now: it says no bye when not live
    # A clean stop says bye: gone long before the (now long) timeout.
    slow = [
        RedisBackplane(redis_proc.url, instance_id=name, prefix="t:", instance_timeout=30.0)
        for name in ("D", "E")
    ]
    for backplane in slow:
        await backplane.start()
    rd = Recorder()
    await slow[0].subscribe("doc", rd.handlers())
    await wait_for(lambda: "E" in slow[0]._last_seen, 10, "D heard E")
    await slow[1].stop()
    await wait_for(lambda: rd.gone == ["E"], 5, "E gone at once")
    await slow[0].stop()


async def test_reconnect_after_client_kill_resyncs_and_relays_again(
    redis_proc: RedisProcess, pair: tuple[RedisBackplane, RedisBackplane]
) -> None:
    a, b = pair
    ra, rb = Recorder(), Recorder()
    await a.subscribe("doc", ra.handlers())
    await b.subscribe("doc", rb.handlers())
    admin = aioredis.Redis.from_url(redis_proc.url)
    try:
        await admin.execute_command("CLIENT", "KILL", "TYPE", "pubsub")
    finally:
        await admin.aclose()
    await wait_for(lambda: ra.resyncs == 1 and rb.resyncs == 1, 10, "both resynced")
    assert a.reconnects == 1 and b.reconnects == 1
    await a.ping()
    await a.publish_update("doc", 5, b"after")
    await wait_for(lambda: rb.updates == [(5, b"after")], 5, "relay works again")


async def test_not_ready_while_redis_is_down(redis_proc: RedisProcess) -> None:
    a = RedisBackplane(redis_proc.url, instance_id="A", prefix="t:", instance_timeout=1.0)
    await a.start()
    try:
        await wait_for(lambda: a._live, 10, "subscribed")
        ra = Recorder()
        await a.subscribe("doc", ra.handlers())
        await asyncio.get_running_loop().run_in_executor(None, redis_proc.stop)
        await wait_for(lambda: not a._live, 10, "noticed Redis is gone")
        with pytest.raises(ConnectionError):
            await a.ping()
        await a.publish_update("doc", 1, b"kept")  # queued, not raised
        await asyncio.get_running_loop().run_in_executor(None, redis_proc.start)
        await wait_for(lambda: ra.resyncs == 1, 15, "reconnected and resynced")
        await wait_for(lambda: not a._outbox, 10, "the queued update went out")

        async def ready_again() -> bool:
            await a.ping()  # raises until every loop is back
            return True

        await eventually(ready_again, 10, "ready again")
    finally:
        await a.stop()
