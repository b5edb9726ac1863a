"""A board that three members write to steadily, one on each instance, watched from every
instance: the set-up of the failover and slot-migration tests, which then check that every note
written before, during and after the fault reaches everyone."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

from tests.boards import add_note, note_texts
from tests.helpers import create_board, join_board
from tests.multi.support import ws
from tests.servers import PlanboardProcess
from tests.yclient import YClient, wait_for


class BusyBoard:
    """Writers name each note `w<writer>-<phase>-<n>`; set `phase` as the fault goes on."""

    def __init__(
        self,
        servers: list[PlanboardProcess],
        board: dict[str, Any],
        people: list[dict[str, Any]],
        writers: list[YClient],
        observers: list[YClient],
    ) -> None:
        self.servers = servers
        self.board = board
        self.bid: str = board["id"]
        self.people = people
        self.writers = writers
        self.observers = observers
        self.written: set[str] = set()
        self.phase = "before"

    @classmethod
    async def open(cls, servers: list[PlanboardProcess]) -> BusyBoard:
        board = create_board(servers[0].url)
        bid = board["id"]
        people = [join_board(s.url, bid, f"W{i}") for i, s in enumerate(servers)]
        writers = [
            await YClient(ws(s, bid, person["token"])).connect()
            for s, person in zip(servers, people, strict=True)
        ]
        observers = [await YClient(ws(s, bid, board["token"])).connect() for s in servers]
        return cls(servers, board, people, writers, observers)

    async def _write(self, index: int) -> None:
        author = self.people[index]["participant_id"]
        for i in range(10_000):
            note = f"w{index}-{self.phase}-{i}"
            add_note(self.writers[index].doc, note, author, note)
            self.written.add(note)
            await asyncio.sleep(0.02)  # pacing: a steady stream, not a synchronisation

    @contextlib.asynccontextmanager
    async def writing(self) -> AsyncIterator[None]:
        """Every writer writes for as long as the block lasts; traffic flows when it starts."""
        streams = [asyncio.create_task(self._write(i)) for i in range(len(self.writers))]
        try:
            await wait_for(
                lambda: all(len(note_texts(o.doc)) >= 30 for o in self.observers),
                20,
                "traffic flowing",
            )
            yield
        finally:
            for task in streams:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    def seen(self, clients: tuple[YClient, ...] | None = None) -> set[str]:
        """The notes the observers (or the clients given) hold now."""
        return set().union(*(set(note_texts(c.doc)) for c in clients or self.observers))

    async def flowing_after(self, timeout: float, what: str) -> None:
        """Notes of the phase `after` reach every observer."""
        await wait_for(
            lambda: all(any("-after-" in n for n in note_texts(o.doc)) for o in self.observers),
            timeout,
            what,
        )

    async def everyone_has_every_note(self) -> None:
        for observer in self.observers:
            await wait_for(
                lambda o=observer: set(note_texts(o.doc)) >= self.written,
                30,
                "every note at every observer",
                state=lambda o=observer: (
                    f"missing {sorted(self.written - set(note_texts(o.doc)))[:10]}"
                ),
            )
