"""A TCP proxy for fault tests: it stands for the network (or a virtual IP) between two parts.

It runs its own asyncio loop in a thread, so a test drives it with plain method calls whatever
its own loop is doing. Faults, each healed by `heal()`:

    refuse()        the port stops accepting (ECONNREFUSED) and open connections are reset
    blackhole()     nothing passes either way; connections stay open (TCP keeps the bytes)
    one_way()       client -> server passes, server -> client is held
    delay(s)        every chunk waits `s` seconds more in each direction
    reset()         a burst: every open connection gets a TCP RST (new ones are fine)
    repoint(port)   new connections go to another server (open ones are reset): a moved VIP

Held bytes are not dropped: when the fault heals they flow again, as after a real black hole
that TCP retransmission outlives.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct
import threading
from collections.abc import Coroutine
from typing import Any

from tests.servers import free_port


class _Link:
    def __init__(self, client: asyncio.StreamWriter, server: asyncio.StreamWriter) -> None:
        self.client = client
        self.server = server
        self.tasks: list[asyncio.Task[None]] = []

    def abort(self) -> None:
        for writer in (self.client, self.server):
            sock = writer.get_extra_info("socket")
            if sock is not None:  # SO_LINGER 0: close() sends a RST, not a FIN
                with contextlib.suppress(OSError):
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            writer.transport.abort()
        for task in self.tasks:
            task.cancel()


class TcpProxy:
    def __init__(self, target_port: int, *, port: int | None = None) -> None:
        self.port = port or free_port()
        self.target_port = target_port
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._server: asyncio.Server | None = None
        self._links: set[_Link] = set()
        self._up = asyncio.Event()  # client -> server may flow
        self._down = asyncio.Event()  # server -> client may flow
        self._delay = 0.0
        self.accepted = 0

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    # -- control (from the test's thread) ------------------------------------------------------
    def start(self) -> TcpProxy:
        self._thread.start()
        self._call(self._open())
        self._call(self._set(up=True, down=True))
        return self

    def close(self) -> None:
        self._call(self._shutdown())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)

    def heal(self) -> None:
        self._call(self._heal())

    def refuse(self) -> None:
        self._call(self._refuse())

    def blackhole(self) -> None:
        self._call(self._set(up=False, down=False))

    def one_way(self) -> None:
        self._call(self._set(up=True, down=False))

    def delay(self, seconds: float) -> None:
        self._delay = seconds

    def reset(self) -> None:
        self._call(self._reset())

    def repoint(self, target_port: int) -> None:
        self.target_port = target_port
        self._call(self._reset())

    def connections(self) -> int:
        return len(self._links)

    def _call(self, coro: Coroutine[Any, Any, Any]) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(10)

    # -- the proxy (in its own loop) -----------------------------------------------------------
    async def _open(self) -> None:
        if self._server is None:
            self._server = await asyncio.start_server(
                self._accept, "127.0.0.1", self.port, reuse_address=True
            )

    async def _set(self, *, up: bool, down: bool) -> None:
        for event, on in ((self._up, up), (self._down, down)):
            if on:
                event.set()
            else:
                event.clear()

    async def _heal(self) -> None:
        self._delay = 0.0
        await self._open()
        await self._set(up=True, down=True)

    async def _refuse(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None
        await self._reset()

    async def _reset(self) -> None:
        for link in list(self._links):
            link.abort()
        self._links.clear()

    async def _shutdown(self) -> None:
        await self._refuse()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.accepted += 1
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        except OSError:
            writer.transport.abort()
            return
        link = _Link(writer, up_writer)
        self._links.add(link)
        link.tasks = [
            asyncio.create_task(self._pump(reader, up_writer, self._up, link)),
            asyncio.create_task(self._pump(up_reader, writer, self._down, link)),
        ]

    async def _pump(
        self,
        source: asyncio.StreamReader,
        sink: asyncio.StreamWriter,
        flowing: asyncio.Event,
        link: _Link,
    ) -> None:
        try:
            while True:
                await flowing.wait()  # held: the bytes wait in the kernel's buffers
                data = await source.read(65536)
                if not data:
                    break
                if self._delay:
                    await asyncio.sleep(self._delay)
                await flowing.wait()
                sink.write(data)
                await sink.drain()
        except (OSError, asyncio.CancelledError):
            pass
        finally:
            if link in self._links:
                self._links.discard(link)
                link.abort()
