"""The Python side of the load generator: starts loadgen.mjs on the other core and drives it.

One JSON command per line; every call has a deadline, so a stuck server or generator ends the
scenario with an error instead of hanging the benchmark.
"""

from __future__ import annotations

import json
import queue
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from servers import BENCH

LOADGEN_CPU = "1"


class GeneratorError(RuntimeError):
    """The generator failed a command, died, or missed a deadline."""


class LoadGen:
    def __init__(self, log_path: Path) -> None:
        self._log = open(log_path, "ab")  # noqa: SIM115 - closed in close()
        self.proc = subprocess.Popen(
            ["taskset", "-c", LOADGEN_CPU, "node", str(BENCH / "loadgen.mjs")],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._log,
            cwd=BENCH,
            text=True,
            bufsize=1,
        )
        self._lines: queue.Queue[str | None] = queue.Queue()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self._lines.put(line)
        self._lines.put(None)

    def call(
        self,
        command: dict[str, Any],
        timeout: float,
        on_event: Callable[[str], None] | None = None,
    ) -> dict[str, Any]:
        """Send one command; return its answer; hand `{"event": ...}` lines to on_event."""
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps(command) + "\n")
        self.proc.stdin.flush()
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise GeneratorError(f"{command['cmd']}: no answer within {timeout:.0f}s")
            try:
                line = self._lines.get(timeout=left)
            except queue.Empty:
                continue
            if line is None:
                raise GeneratorError(f"{command['cmd']}: the generator exited")
            message: dict[str, Any] = json.loads(line)
            if "event" in message:
                if on_event is not None:
                    on_event(message["event"])
                continue
            if not message.get("ok"):
                raise GeneratorError(f"{command['cmd']}: {message.get('error')}")
            return message

    def close(self) -> None:
        try:
            if self.proc.poll() is None and self.proc.stdin is not None:
                self.proc.stdin.write(json.dumps({"cmd": "exit"}) + "\n")
                self.proc.stdin.flush()
            self.proc.wait(10)
        except (OSError, subprocess.TimeoutExpired):
            self.proc.kill()
            self.proc.wait(5)
        finally:
            self._log.close()
