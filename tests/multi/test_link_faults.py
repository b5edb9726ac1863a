"""An instance's link to Redis failing: resets, refusals, black holes, one-way links, latency.

Instances reach Redis through a TCP proxy (tests/tcpproxy.py) that stands for the network. While
the link is broken the instance keeps its clients and every edit and answers /readyz 503; when it
heals everything converges: nothing any client saw is lost and every instance agrees.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import httpx
import pytest

from tests.boards import add_note, note_texts
from tests.helpers import create_board, join_board
from tests.multi.conftest import StartInstances, ready
from tests.multi.support import ws
from tests.servers import PlanboardProcess, RedisProcess, wait_until
from tests.tcpproxy import TcpProxy
from tests.yclient import YClient, wait_for

pytestmark = pytest.mark.redis


@pytest.fixture
def proxy(redis_proc: RedisProcess) -> Iterator[TcpProxy]:
    link = TcpProxy(redis_proc.port).start()
    yield link
    link.close()


def loop_up(server: PlanboardProcess, loop: str) -> float | None:
    """planboard_loop_up{loop=...} from /metrics (None when the loop is not listed)."""
    text = httpx.get(f"{server.url}/metrics", timeout=3).text
    for line in text.splitlines():
        if line.startswith(f'planboard_loop_up{{loop="{loop}"}}'):
            return float(line.rsplit(" ", 1)[1])
    return None


async def in_thread(fn: object) -> None:
    await asyncio.get_running_loop().run_in_executor(None, fn)  # type: ignore[arg-type]


async def test_a_burst_of_resets_does_not_stall_the_board(
    instances: StartInstances, redis_proc: RedisProcess, proxy: TcpProxy
) -> None:
    """Finding 4: resets on the Redis link (a RuntimeError under uvloop) killed the store's
    writer for good. Every loop must come back: edits stored, new clients synced, ready again."""
    (cut,) = instances(1, REDIS_URL=proxy.url)
    (direct,) = instances(1)
    board = create_board(direct.url)
    bid = board["id"]
    ana = join_board(direct.url, bid, "Ana")
    writer = await YClient(ws(cut, bid, ana["token"])).connect()
    observer = await YClient(ws(direct, bid, board["token"])).connect()
    written: list[str] = []

    async def write(count: int, prefix: str) -> None:
        for i in range(count):
            add_note(writer.doc, f"{prefix}{i}", ana["participant_id"], f"{prefix} {i}")
            written.append(f"{prefix}{i}")
            await asyncio.sleep(0.005)  # pacing: a steady stream, not a synchronisation

    stream = asyncio.create_task(write(200, "r"))
    await wait_for(lambda: len(note_texts(observer.doc)) >= 20, 15, "traffic flowing")
    for _ in range(3):  # three bursts of 0.3 s of resets
        end = asyncio.get_running_loop().time() + 0.3
        while asyncio.get_running_loop().time() < end:
            await in_thread(proxy.reset)
            await asyncio.sleep(0.01)
    await stream
    await in_thread(lambda: wait_until(lambda: ready(cut) == 200, 20, "ready again"))
    await wait_for(
        lambda: set(note_texts(observer.doc)) >= set(written), 20, "every edit delivered"
    )
    # The board keeps working on that instance: new edits, new clients.
    await write(5, "after")
    fresh = await YClient(ws(cut, bid, board["token"])).connect()
    await wait_for(lambda: set(note_texts(fresh.doc)) >= set(written), 20, "fresh client synced")
    await wait_for(lambda: set(note_texts(observer.doc)) >= set(written), 20, "after delivered")
    assert loop_up(cut, "store-writer") == 1.0
    assert loop_up(cut, "subscriber") == 1.0
    for client in (writer, observer, fresh):
        await client.close()


async def test_a_refused_link_shows_in_readyz_and_metrics_and_heals(
    instances: StartInstances, proxy: TcpProxy
) -> None:
    (cut,) = instances(1, REDIS_URL=proxy.url)
    (direct,) = instances(1)
    board = create_board(direct.url)
    bid = board["id"]
    writer = await YClient(ws(cut, bid, board["token"])).connect()
    observer = await YClient(ws(direct, bid, board["token"])).connect()
    await in_thread(proxy.refuse)
    await in_thread(lambda: wait_until(lambda: ready(cut) == 503, 10, "not ready while cut"))
    assert ready(direct) == 200
    add_note(writer.doc, "cut", board["participant_id"], "written while cut")
    await in_thread(
        lambda: wait_until(lambda: loop_up(cut, "store-writer") == 0.0, 10, "writer down")
    )
    assert loop_up(cut, "subscriber") == 0.0
    assert not writer.closed.is_set()
    await in_thread(proxy.heal)
    await in_thread(lambda: wait_until(lambda: ready(cut) == 200, 20, "ready after heal"))
    await wait_for(lambda: "cut" in note_texts(observer.doc), 20, "the edit crossed")
    for client in (writer, observer):
        await client.close()


PARTITIONS = {
    "refused": (TcpProxy.refuse, 503),
    "black-holed": (TcpProxy.blackhole, 503),
    "one-way": (TcpProxy.one_way, 503),
    "+200 ms": (lambda link: link.delay(0.2), 200),
}


async def test_partitions_of_one_instance_from_redis_each_heal(
    instances: StartInstances, proxy: TcpProxy
) -> None:
    """Each partition in turn: the cut instance keeps its clients and every edit, /readyz tells
    the truth during the fault, and after the heal every observer has every note."""
    (cut,) = instances(1, REDIS_URL=proxy.url)
    (direct,) = instances(1)
    board = create_board(direct.url)
    bid = board["id"]
    ana = join_board(cut.url, bid, "Ana")
    bob = join_board(direct.url, bid, "Bob")
    writer_cut = await YClient(ws(cut, bid, ana["token"])).connect()
    writer_direct = await YClient(ws(direct, bid, bob["token"])).connect()
    observers = [await YClient(ws(s, bid, board["token"])).connect() for s in (cut, direct)]
    written: set[str] = set()
    for name, (fault, during) in PARTITIONS.items():
        await in_thread(lambda f=fault: f(proxy))
        what = f"/readyz {during} during the {name} partition"
        await in_thread(lambda d=during, w=what: wait_until(lambda: ready(cut) == d, 15, w))
        assert ready(direct) == 200, name
        for i in range(5):
            for writer, person, tag in ((writer_cut, ana, "c"), (writer_direct, bob, "d")):
                note = f"{name}-{tag}{i}"
                add_note(writer.doc, note, person["participant_id"], note)
                written.add(note)
        if during == 503:  # nothing crosses a broken link, and nobody is disconnected
            assert not any(n.startswith(f"{name}-c") for n in note_texts(observers[1].doc))
        assert not any(c.closed.is_set() for c in (writer_cut, writer_direct, *observers))
        await in_thread(proxy.heal)
        what = f"/readyz 200 after the {name} partition healed"
        await in_thread(lambda w=what: wait_until(lambda: ready(cut) == 200, 30, w))
        for observer in observers:
            await wait_for(
                lambda o=observer: set(note_texts(o.doc)) >= written,
                30,
                f"every note after the {name} partition",
                state=lambda o=observer: f"missing {sorted(written - set(note_texts(o.doc)))}",
            )
    views = []
    for server in (cut, direct):
        fresh = await YClient(ws(server, bid, board["token"])).connect()
        views.append(set(note_texts(fresh.doc)))
        await fresh.close()
    assert views[0] == views[1] and views[0] >= written
    for client in (writer_cut, writer_direct, *observers):
        await client.close()
