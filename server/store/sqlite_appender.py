"""Appends on the event loop itself, where nothing can make them wait.

On one core, handing each append to the store's thread and its result back costs more than
the append: two thread switches and a GIL hand-over each way, about 100 µs of CPU per update
under S2's load against 25-50 µs for the INSERT and its commit (bench/README.md). In WAL mode
with `synchronous=NORMAL` a commit writes the new pages to the WAL in the page cache and syncs
nothing, so the loop can do it itself, as long as it never waits:

- no lock waits: the connection's busy timeout is 0; when the store's thread holds the write
  lock (a vote, a compaction), the append goes to that thread instead, behind the lock;
- no fsync: this connection never checkpoints (that is what syncs in WAL mode); it asks the
  store's thread to, every `checkpoint_every` appends, and a passive checkpoint never blocks
  a writer;
- a slow disk: an append that took longer than `slow_s` sends the next ones to the thread
  for `backoff_s`, so a stalled disk stalls the thread, not every connection.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from pathlib import Path

log = logging.getLogger(__name__)

_INSERT = "INSERT INTO updates (doc, data) VALUES (?, ?)"


class LoopAppender:
    """A second connection to the store's file, owned by the event loop's thread: appends only."""

    def __init__(
        self,
        path: Path,
        *,
        checkpoint_every: int = 500,
        slow_s: float = 0.005,
        backoff_s: float = 5.0,
    ) -> None:
        self.path = path
        self.checkpoint_every = checkpoint_every
        self.slow_s = slow_s
        self.backoff_s = backoff_s
        self._db: sqlite3.Connection | None = None
        self._resume_at = 0.0
        self._since_checkpoint = 0
        self.appended = 0  # appends done here (the rest went to the store's thread)

    def open(self) -> None:
        """Open after the store's thread has made the file (WAL mode is a property of the file)."""
        db = sqlite3.connect(self.path, timeout=0, isolation_level=None)
        db.execute("PRAGMA synchronous=NORMAL")  # per connection: the store's own setting
        db.execute("PRAGMA wal_autocheckpoint=0")  # checkpoints sync: the thread runs them
        self._db = db

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    def append(self, doc_id: str, update: bytes) -> int | None:
        """Commit one update and return its position; None when it must go to the thread."""
        db = self._db
        if db is None or (self._resume_at and time.monotonic() < self._resume_at):
            return None
        started = time.perf_counter()
        try:
            cur = db.execute(_INSERT, (doc_id, update))
        except sqlite3.Error as exc:
            # Busy or locked: the thread holds the write lock, and queues behind it. Anything
            # else (a full disk, a closed file): the thread's own append reports it.
            code = getattr(exc, "sqlite_errorcode", 0) & 0xFF  # the primary code of an extended one
            if code not in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
                log.warning("append on the loop failed (%s); the store's thread takes it", exc)
                self._resume_at = time.monotonic() + self.backoff_s
            return None
        took = time.perf_counter() - started
        if took > self.slow_s:
            log.info("an append took %.1f ms: appends go to the store's thread a while", took * 1e3)
            self._resume_at = time.monotonic() + self.backoff_s
        else:
            self._resume_at = 0.0
        self.appended += 1
        self._since_checkpoint += 1
        return int(cur.lastrowid or 0)

    def take_checkpoint_due(self) -> bool:
        """Whether enough has been appended here since the last checkpoint was asked for."""
        if self._since_checkpoint < self.checkpoint_every:
            return False
        self._since_checkpoint = 0
        return True
