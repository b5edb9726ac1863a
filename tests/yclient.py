"""A real y-websocket client for tests: a pycrdt Doc synced over a real WebSocket.

It speaks the protocol like the yjs provider does (step1 on connect, answers step1 with step2,
sends every local transaction as an update, relays awareness), and records everything it
receives so tests can decode and inspect the raw traffic.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Callable
from typing import Any

import websockets
from pycrdt import Doc, TransactionEvent

from crdt import protocol


async def wait_for(
    predicate: Callable[[], Any],
    timeout: float = 10.0,
    what: str = "",
    state: Callable[[], str] | None = None,
) -> Any:
    """Poll a condition until it holds; fail with a message at the deadline (no bare sleeps)."""
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    while True:
        try:
            value = predicate()
        except (KeyError, IndexError, TypeError, AttributeError) as exc:  # not there yet
            value, last_error = None, exc
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(
                f"timed out after {timeout}s waiting for {what or predicate}"
                + (f" (last error: {last_error!r})" if last_error else "")
                + (f"; {state()}" if state else "")
            )
        await asyncio.sleep(0.02)


class YClient:
    def __init__(self, url: str, *, doc: Doc | None = None, origin: str | None = None) -> None:
        self.url = url
        self.doc: Doc = doc or Doc()
        self.origin = origin
        self.received: list[bytes] = []
        self.synced = asyncio.Event()
        self.closed = asyncio.Event()
        self.close_code: int | None = None
        self.close_reason: str = ""
        self.awareness: dict[int, dict[str, Any] | None] = {}
        self.awareness_clock = 0
        self._ws: Any = None
        self._task: asyncio.Task[None] | None = None
        self._applying_remote = False
        self._sub = self.doc.observe(self._on_local)
        self.auto_send = True

    def _on_local(self, event: TransactionEvent) -> None:
        if self._applying_remote or not self.auto_send or self._ws is None:
            return
        update = event.update
        if update != protocol.EMPTY_UPDATE:
            asyncio.get_running_loop().create_task(self._safe_send(protocol.encode_update(update)))

    async def _safe_send(self, frame: bytes) -> None:
        with contextlib.suppress(Exception):
            await self._ws.send(frame)

    async def connect(self, *, wait_synced: bool = True, timeout: float = 10.0) -> YClient:
        headers = {"Origin": self.origin} if self.origin else None
        self._ws = await websockets.connect(
            self.url, max_size=None, additional_headers=headers, open_timeout=timeout
        )
        self.synced.clear()
        self.closed.clear()
        self.close_code = None
        self._task = asyncio.create_task(self._read_loop())
        with contextlib.suppress(websockets.ConnectionClosed):
            await self._ws.send(protocol.encode_sync_step1(self.doc.get_state()))
        if wait_synced:
            await asyncio.wait_for(self._wait_synced_or_closed(), timeout)
        return self

    async def _wait_synced_or_closed(self) -> None:
        _done, pending = await asyncio.wait(
            [asyncio.create_task(self.synced.wait()), asyncio.create_task(self.closed.wait())],
            return_when=asyncio.FIRST_COMPLETED,
        )
        for task in pending:
            task.cancel()

    async def _read_loop(self) -> None:
        ws = self._ws
        try:
            async for frame in ws:
                if isinstance(frame, str):
                    raise AssertionError("the server sent a text frame")
                self.received.append(frame)
                await self._handle(frame)
        except websockets.ConnectionClosed:
            pass
        finally:
            if ws is not None:
                rcvd = getattr(ws.protocol, "close_rcvd", None)
                if rcvd is not None:
                    self.close_code, self.close_reason = rcvd.code, rcvd.reason
                else:
                    self.close_code = ws.close_code
            self.closed.set()

    async def _handle(self, frame: bytes) -> None:
        message = protocol.parse_message(frame)
        if isinstance(message, protocol.SyncStep1):
            await self._ws.send(
                protocol.encode_sync_step2(self.doc.get_update(message.state_vector))
            )
        elif isinstance(message, protocol.SyncStep2 | protocol.SyncUpdate):
            self._applying_remote = True
            try:
                self.doc.apply_update(message.update)
            finally:
                self._applying_remote = False
            if isinstance(message, protocol.SyncStep2):
                self.synced.set()
        elif isinstance(message, protocol.AwarenessUpdate):
            for entry in message.entries:
                self.awareness[entry.client_id] = json.loads(entry.state)

    async def send_raw(self, frame: bytes) -> None:
        await self._ws.send(frame)

    async def set_awareness(self, state: dict[str, Any] | None) -> None:
        self.awareness_clock += 1
        entry = protocol.AwarenessEntry(
            self.doc.client_id, self.awareness_clock, json.dumps(state, separators=(",", ":"))
        )
        await self._ws.send(protocol.encode_awareness([entry]))

    def updates_received(self) -> list[bytes]:
        """Every document update in the raw traffic (step2 and update messages), decoded."""
        out = []
        for frame in self.received:
            message = protocol.parse_message(frame)
            if isinstance(message, protocol.SyncStep2 | protocol.SyncUpdate):
                out.append(message.update)
        return out

    async def wait_closed(self, timeout: float = 10.0) -> int | None:
        await asyncio.wait_for(self.closed.wait(), timeout)
        return self.close_code

    async def close(self) -> None:
        if self._ws is not None:
            with contextlib.suppress(Exception):
                await self._ws.close()
        if self._task is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._task, 5)
        self._ws = None

    def drop(self) -> None:
        """Lose the connection abruptly (the client stays able to reconnect with its doc)."""
        if self._ws is not None:
            self._ws.transport.abort()
        self._ws = None
