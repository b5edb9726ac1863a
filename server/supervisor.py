"""Background loops that cannot die: each restarts after any exception, with backoff and jitter.

A loop that stops silently is the worst failure a server can have (it keeps answering /readyz
200 while nothing is stored or relayed), so every long-lived task of the store and the backplane
runs under `Loops.run`, and every loop reports whether it is working (`up`/`down`). /readyz
answers 503 while a loop is down; /metrics shows each loop's state and restarts.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

log = logging.getLogger("planboard.loops")


def backoff_delay(attempt: int, base: float = 0.05, cap: float = 2.0) -> float:
    """Exponential backoff with jitter: instances do not hammer a returning Redis all at once."""
    ceiling = min(cap, base * (2 ** min(attempt, 16)))
    return random.uniform(ceiling / 2, ceiling)


class Loops:
    """The health of one component's background loops (one instance per store / backplane)."""

    def __init__(self) -> None:
        self.problems: dict[str, str] = {}  # loop name -> why it is down
        self.restarts: dict[str, int] = {}
        self.known: set[str] = set()

    def up(self, name: str) -> None:
        self.known.add(name)
        self.problems.pop(name, None)

    def down(self, name: str, why: str) -> None:
        self.known.add(name)
        self.problems[name] = why

    def summary(self) -> str:
        return "; ".join(f"{name}: {why}" for name, why in sorted(self.problems.items()))

    def run(self, name: str, body: Callable[[], Awaitable[None]]) -> asyncio.Task[None]:
        """Start `body` as a task that is restarted (after a backoff) whenever it raises.

        A body that returns normally is done (on-demand loops such as the store's writer end
        when their queue is empty); cancellation stops it for good.
        """
        self.known.add(name)
        return asyncio.create_task(self._supervise(name, body), name=f"planboard-{name}")

    async def _supervise(self, name: str, body: Callable[[], Awaitable[None]]) -> None:
        attempt = 0
        while True:
            try:
                await body()
                return
            except asyncio.CancelledError:
                raise
            except BaseException as exc:  # any failure, RuntimeError from uvloop included
                if isinstance(exc, KeyboardInterrupt | SystemExit):
                    raise
                attempt += 1
                self.restarts[name] = self.restarts.get(name, 0) + 1
                self.down(name, f"restarting after {type(exc).__name__}: {exc}")
                log.exception("background loop %s failed; restarting (attempt %d)", name, attempt)
                await asyncio.sleep(backoff_delay(attempt, base=0.1, cap=5.0))


class LoopsCollector(Collector):
    """/metrics: `planboard_loop_up{loop}` (1 or 0) and `planboard_loop_restarts_total{loop}`."""

    def __init__(self, *loops: Loops) -> None:
        self.loops = loops

    def collect(self) -> Iterator[Any]:
        up = GaugeMetricFamily(
            "planboard_loop_up", "Background loop working (1) or not", labels=["loop"]
        )
        restarts = CounterMetricFamily(
            "planboard_loop_restarts", "Background loop restarts after a failure", labels=["loop"]
        )
        for loops in self.loops:
            for name in sorted(loops.known):
                up.add_metric([name], 0.0 if name in loops.problems else 1.0)
                restarts.add_metric([name], float(loops.restarts.get(name, 0)))
        yield up
        yield restarts
