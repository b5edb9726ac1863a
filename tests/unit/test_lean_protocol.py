"""server/realtime/lean_protocol.py: its queue and flag keep asyncio.Queue's and asyncio.Event's
rules where uvicorn relies on them (order, a cancelled getter, waking every waiter)."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
import uvicorn
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from uvicorn.server import ServerState

from server.realtime.lean_protocol import (
    TURN_SECONDS,
    Flag,
    LeanWebSocketsProtocol,
    ReceiveQueue,
)


async def test_items_come_out_in_order_and_a_waiting_getter_gets_the_next() -> None:
    queue: ReceiveQueue[int] = ReceiveQueue()
    queue.put_nowait(1)
    queue.put_nowait(2)
    assert [await queue.get(), await queue.get()] == [1, 2]
    assert queue.empty()
    waiting = asyncio.ensure_future(queue.get())
    await asyncio.sleep(0)
    assert not waiting.done()
    queue.put_nowait(3)
    assert await waiting == 3
    assert queue.empty() and queue.qsize() == 0


async def test_a_getter_cancelled_after_its_wakeup_hands_the_item_to_the_next() -> None:
    queue: ReceiveQueue[str] = ReceiveQueue()
    first = asyncio.ensure_future(queue.get())
    second = asyncio.ensure_future(queue.get())
    await asyncio.sleep(0)
    queue.put_nowait("x")  # wakes `first`...
    first.cancel()  # ...which is cancelled before it runs
    assert await second == "x"
    with pytest.raises(asyncio.CancelledError):
        await first
    assert queue.empty()


async def test_a_consumer_with_a_backlog_lets_the_others_run_between_turns() -> None:
    """Judging and appending complete without suspending, so a connection with a backlog would
    hold the event loop until it is through (a 20,000-update burst: seconds, in which nobody
    else is served and new connections are refused as "overloaded"). After a turn of
    TURN_SECONDS the consumer yields once."""
    order: list[str] = []

    async def consume(name: str, queue: ReceiveQueue[int], count: int) -> None:
        for _ in range(count):
            await queue.get()
            end = time.perf_counter() + TURN_SECONDS / 2  # the work of one message
            while time.perf_counter() < end:
                pass
            order.append(name)

    busy: ReceiveQueue[int] = ReceiveQueue()
    for i in range(40):
        busy.put_nowait(i)
    other: ReceiveQueue[int] = ReceiveQueue()
    other.put_nowait(0)
    await asyncio.gather(consume("busy", busy, 40), consume("other", other, 1))
    assert order.index("other") < 10, order  # not after the whole backlog


async def test_get_nowait_on_an_empty_queue_raises_like_asyncio() -> None:
    with pytest.raises(asyncio.QueueEmpty):
        ReceiveQueue[int]().get_nowait()


async def test_the_flag_wakes_every_waiter_and_a_set_flag_does_not_wait() -> None:
    flag = Flag()
    waiters = [asyncio.ensure_future(flag.wait()) for _ in range(3)]
    await asyncio.sleep(0)
    assert not any(w.done() for w in waiters)
    flag.set()
    assert await asyncio.gather(*waiters) == [True, True, True]
    assert flag.is_set() and await flag.wait()
    flag.clear()
    assert not flag.is_set()
    cancelled = asyncio.ensure_future(flag.wait())
    await asyncio.sleep(0)
    cancelled.cancel()
    with pytest.raises(asyncio.CancelledError):
        await cancelled
    flag.set()  # no waiter left behind to wake
    assert flag.is_set()


async def test_the_protocol_keeps_its_attributes_in_slots_and_uses_the_lean_parts() -> None:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        pass

    config = uvicorn.Config(app, ws=LeanWebSocketsProtocol)
    config.load()
    proto = LeanWebSocketsProtocol(
        config=config, server_state=ServerState(), app_state={}, _loop=asyncio.get_running_loop()
    )
    assert isinstance(proto, WebSocketsSansIOProtocol)
    assert isinstance(proto.queue, ReceiveQueue)
    assert isinstance(proto.writable, Flag) and proto.writable.is_set()
    assert not vars(proto), f"new uvicorn attributes, add them to _ATTRIBUTES: {vars(proto)}"
