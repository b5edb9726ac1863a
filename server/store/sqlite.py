"""SQLite store: one WAL file. Every call runs on one dedicated thread, never on the event loop
(server/store/sqlite_thread.py), except appends that cannot wait there
(server/store/sqlite_appender.py).

An append's future resolves only once its update is committed, so nothing is broadcast before
it is stored. Appends that queue on the thread together are committed in one transaction.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from server.store.base import BoardInfo, Delivery, LoadedDoc, VoteResult
from server.store.compaction import fold_updates
from server.store.sqlite_appender import LoopAppender
from server.store.sqlite_thread import SQLiteThread

T = TypeVar("T")
log = logging.getLogger(__name__)

SCHEMA = """
CREATE TABLE IF NOT EXISTS boards (
    id TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    template TEXT NOT NULL,
    created_at REAL NOT NULL,
    last_activity REAL NOT NULL,
    extra TEXT NOT NULL DEFAULT '{}'  -- unused since 0.3 (kept: the file's layout stays)
);
CREATE TABLE IF NOT EXISTS updates (
    pos INTEGER PRIMARY KEY AUTOINCREMENT,
    doc TEXT NOT NULL,
    data BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS updates_by_doc ON updates (doc, pos);
CREATE TABLE IF NOT EXISTS snapshots (
    doc TEXT PRIMARY KEY,
    data BLOB NOT NULL,
    upto INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS ballots (
    board TEXT NOT NULL,
    round INTEGER NOT NULL,
    participant TEXT NOT NULL,
    note TEXT NOT NULL,
    count INTEGER NOT NULL,
    PRIMARY KEY (board, round, participant, note)
);
CREATE TABLE IF NOT EXISTS audit (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    board TEXT NOT NULL,
    entry TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_by_board ON audit (board, id);
CREATE TABLE IF NOT EXISTS clients (
    doc TEXT NOT NULL,
    client INTEGER NOT NULL,
    owner TEXT NOT NULL,
    PRIMARY KEY (doc, client)
);
CREATE TABLE IF NOT EXISTS estimates (
    board TEXT NOT NULL,
    round INTEGER NOT NULL,
    participant TEXT NOT NULL,
    note TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (board, round, participant, note)
);
CREATE TABLE IF NOT EXISTS webhooks (
    board TEXT NOT NULL,
    id TEXT NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (board, id)
);
CREATE TABLE IF NOT EXISTS outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    board TEXT NOT NULL,
    endpoint TEXT NOT NULL,
    event_id TEXT NOT NULL,
    event_type TEXT NOT NULL,
    body BLOB NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    next_at REAL NOT NULL,
    created_at REAL NOT NULL,
    last_status INTEGER,
    last_error TEXT,
    delivered_at REAL,
    leased_until REAL NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS outbox_queue ON outbox (board, endpoint, status, seq);
CREATE INDEX IF NOT EXISTS outbox_due ON outbox (status, next_at);
CREATE TABLE IF NOT EXISTS estimate_rounds_closed (
    board TEXT NOT NULL,
    round INTEGER NOT NULL,
    PRIMARY KEY (board, round)
);
"""


def _checkpoint(db: sqlite3.Connection) -> None:
    """On the store's thread: copy the WAL into the file (passive: it never blocks a writer)."""
    db.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()


def _checkpoint_done(future: asyncio.Future[None]) -> None:
    if not future.cancelled() and future.exception() is not None:
        log.warning("a WAL checkpoint failed: %s", future.exception())


class SQLiteStore:
    """The embedded default store (PLANBOARD_DATA/planboard.sqlite3)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._thread = SQLiteThread(self._connect)
        self._appender = LoopAppender(path)
        # Appends queued on the thread and not yet committed: while there are any, later ones
        # queue behind them, so that positions follow the order of the calls.
        self._queued_appends = 0

    # -- plumbing
    async def _run(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        return await self._thread.call(fn)

    def _connect(self) -> sqlite3.Connection:
        """On the store's thread: open the file and bring its schema up to date."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        db.execute("PRAGMA journal_mode=WAL")
        # NORMAL in WAL mode survives a process kill (kill -9); only an OS crash could lose the
        # last transactions. That is the documented durability level.
        db.execute("PRAGMA synchronous=NORMAL")
        db.execute("PRAGMA busy_timeout=5000")
        db.executescript(SCHEMA)
        # One process owns the file: leases of a previous (killed) process are void.
        db.execute("UPDATE outbox SET leased_until = 0 WHERE leased_until > 0")
        return db

    async def open(self) -> None:
        await self._thread.start()
        self._appender.open()

    async def close(self) -> None:
        self._appender.close()
        await self._thread.stop()

    async def ping(self) -> None:
        await self._run(lambda db: db.execute("SELECT 1").fetchone())

    # -- boards
    async def create_board(self, info: BoardInfo) -> None:
        def work(db: sqlite3.Connection) -> None:
            db.execute(
                "INSERT INTO boards (id, title, template, created_at, last_activity)"
                " VALUES (?, ?, ?, ?, ?)",
                (info.id, info.title, info.template, info.created_at, info.last_activity),
            )

        await self._run(work)

    @staticmethod
    def _board_from_row(row: tuple[Any, ...]) -> BoardInfo:
        return BoardInfo(
            id=row[0],
            title=row[1],
            template=row[2],
            created_at=row[3],
            last_activity=row[4],
        )

    async def get_board(self, board_id: str) -> BoardInfo | None:
        def work(db: sqlite3.Connection) -> BoardInfo | None:
            row = db.execute(
                "SELECT id, title, template, created_at, last_activity FROM boards WHERE id = ?",
                (board_id,),
            ).fetchone()
            return None if row is None else self._board_from_row(row)

        return await self._run(work)

    async def list_boards(self) -> list[BoardInfo]:
        def work(db: sqlite3.Connection) -> list[BoardInfo]:
            rows = db.execute(
                "SELECT id, title, template, created_at, last_activity"
                " FROM boards ORDER BY last_activity DESC"
            ).fetchall()
            return [self._board_from_row(r) for r in rows]

        return await self._run(work)

    async def touch_board(self, board_id: str, at: float) -> None:
        await self._run(
            lambda db: db.execute(
                "UPDATE boards SET last_activity = ? WHERE id = ?", (at, board_id)
            )
        )

    # -- documents
    async def append_update(self, doc_id: str, update: bytes) -> int:
        return await self.append_soon(doc_id, update)

    def append_soon(self, doc_id: str, update: bytes) -> asyncio.Future[int]:
        """The same as `append_update`, as a future: the room's write path needs no task.

        Committed on the loop when nothing makes it wait (then the future is already done),
        else on the store's thread."""
        if not self._queued_appends:
            position = self._appender.append(doc_id, update)
            if position is not None:
                if self._appender.take_checkpoint_due():
                    with contextlib.suppress(RuntimeError):  # closing: the close checkpoints
                        self._thread.call(_checkpoint).add_done_callback(_checkpoint_done)
                done: asyncio.Future[int] = asyncio.get_running_loop().create_future()
                done.set_result(position)
                return done
        queued = self._thread.append(doc_id, update)
        self._queued_appends += 1
        queued.add_done_callback(self._append_committed)
        return queued

    def _append_committed(self, _future: asyncio.Future[int]) -> None:
        self._queued_appends -= 1

    async def flush(self) -> None:
        """Wait until every append made so far is committed (jobs run in queue order)."""
        await self._thread.call(lambda db: None)

    async def load_doc(self, doc_id: str) -> LoadedDoc:
        def work(db: sqlite3.Connection) -> LoadedDoc:
            snap = db.execute(
                "SELECT data, upto FROM snapshots WHERE doc = ?", (doc_id,)
            ).fetchone()
            upto = snap[1] if snap else 0
            rows = db.execute(
                "SELECT pos, data FROM updates WHERE doc = ? AND pos > ? ORDER BY pos",
                (doc_id, upto),
            ).fetchall()
            position = rows[-1][0] if rows else upto
            return LoadedDoc(
                snapshot=snap[0] if snap else None,
                updates=[(int(p), bytes(d)) for p, d in rows],
                position=int(position),
            )

        return await self._run(work)

    async def read_updates_since(self, doc_id: str, position: int) -> list[tuple[int, bytes]]:
        def work(db: sqlite3.Connection) -> list[tuple[int, bytes]]:
            rows = db.execute(
                "SELECT pos, data FROM updates WHERE doc = ? AND pos > ? ORDER BY pos",
                (doc_id, position),
            ).fetchall()
            return [(int(p), bytes(d)) for p, d in rows]

        return await self._run(work)

    async def log_length(self, doc_id: str) -> int:
        def work(db: sqlite3.Connection) -> int:
            row = db.execute("SELECT COUNT(*) FROM updates WHERE doc = ?", (doc_id,)).fetchone()
            return int(row[0])

        return await self._run(work)

    async def compact(self, doc_id: str) -> bool:
        # An append that commits between reading the log and deleting it has a higher position
        # than any row read (positions only grow), so the delete keeps it.
        def work(db: sqlite3.Connection) -> bool:
            snap = db.execute(
                "SELECT data, upto FROM snapshots WHERE doc = ?", (doc_id,)
            ).fetchone()
            upto = snap[1] if snap else 0
            rows = db.execute(
                "SELECT pos, data FROM updates WHERE doc = ? AND pos > ? ORDER BY pos",
                (doc_id, upto),
            ).fetchall()
            if not rows:
                return False
            folded = fold_updates(snap[0] if snap else None, (bytes(r[1]) for r in rows))
            last = rows[-1][0]
            db.execute("BEGIN")
            try:
                db.execute(
                    "INSERT INTO snapshots (doc, data, upto) VALUES (?, ?, ?)"
                    " ON CONFLICT(doc) DO UPDATE SET data = excluded.data, upto = excluded.upto",
                    (doc_id, folded, last),
                )
                db.execute("DELETE FROM updates WHERE doc = ? AND pos <= ?", (doc_id, last))
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
            return True

        await self.flush()
        return await self._run(work)

    async def list_docs(self, prefix: str) -> list[str]:
        def work(db: sqlite3.Connection) -> list[str]:
            like = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            rows = db.execute(
                "SELECT doc FROM updates WHERE doc LIKE ? ESCAPE '\\'"
                " UNION SELECT doc FROM snapshots WHERE doc LIKE ? ESCAPE '\\'",
                (like, like),
            ).fetchall()
            return sorted(r[0] for r in rows)

        return await self._run(work)

    async def delete_doc(self, doc_id: str) -> None:
        def work(db: sqlite3.Connection) -> None:
            db.execute("BEGIN")
            db.execute("DELETE FROM updates WHERE doc = ?", (doc_id,))
            db.execute("DELETE FROM snapshots WHERE doc = ?", (doc_id,))
            db.execute("COMMIT")

        await self.flush()
        await self._run(work)

    async def claim_clients(self, doc_id: str, claims: dict[int, str]) -> dict[int, str]:
        def work(db: sqlite3.Connection) -> dict[int, str]:
            owners: dict[int, str] = {}
            with db:
                for client, owner in claims.items():
                    db.execute(
                        "INSERT OR IGNORE INTO clients (doc, client, owner) VALUES (?, ?, ?)",
                        (doc_id, client, owner),
                    )
                    row = db.execute(
                        "SELECT owner FROM clients WHERE doc = ? AND client = ?", (doc_id, client)
                    ).fetchone()
                    owners[client] = row[0]
            return owners

        return await self._run(work)

    # -- ballots
    async def cast_vote(
        self, board_id: str, round_no: int, participant_id: str, note_id: str, budget: int, cap: int
    ) -> VoteResult:
        def work(db: sqlite3.Connection) -> VoteResult:
            db.execute("BEGIN IMMEDIATE")
            try:
                used = db.execute(
                    "SELECT COALESCE(SUM(count), 0) FROM ballots"
                    " WHERE board = ? AND round = ? AND participant = ?",
                    (board_id, round_no, participant_id),
                ).fetchone()[0]
                row = db.execute(
                    "SELECT count FROM ballots WHERE board = ? AND round = ? AND participant = ?"
                    " AND note = ?",
                    (board_id, round_no, participant_id, note_id),
                ).fetchone()
                on_note = row[0] if row else 0
                if used >= budget:
                    db.execute("ROLLBACK")
                    return VoteResult("budget", used, on_note)
                if on_note >= cap:
                    db.execute("ROLLBACK")
                    return VoteResult("cap", used, on_note)
                db.execute(
                    "INSERT INTO ballots (board, round, participant, note, count)"
                    " VALUES (?, ?, ?, ?, 1) ON CONFLICT (board, round, participant, note)"
                    " DO UPDATE SET count = count + 1",
                    (board_id, round_no, participant_id, note_id),
                )
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
            return VoteResult("ok", used + 1, on_note + 1)

        return await self._run(work)

    async def remove_vote(
        self, board_id: str, round_no: int, participant_id: str, note_id: str
    ) -> bool:
        def work(db: sqlite3.Connection) -> bool:
            db.execute("BEGIN IMMEDIATE")
            cur = db.execute(
                "UPDATE ballots SET count = count - 1 WHERE board = ? AND round = ?"
                " AND participant = ? AND note = ? AND count > 0",
                (board_id, round_no, participant_id, note_id),
            )
            db.execute(
                "DELETE FROM ballots WHERE board = ? AND round = ? AND participant = ?"
                " AND note = ? AND count <= 0",
                (board_id, round_no, participant_id, note_id),
            )
            db.execute("COMMIT")
            return cur.rowcount > 0

        return await self._run(work)

    async def ballots(self, board_id: str, round_no: int, participant_id: str) -> dict[str, int]:
        def work(db: sqlite3.Connection) -> dict[str, int]:
            rows = db.execute(
                "SELECT note, count FROM ballots WHERE board = ? AND round = ?"
                " AND participant = ? AND count > 0",
                (board_id, round_no, participant_id),
            ).fetchall()
            return {r[0]: int(r[1]) for r in rows}

        return await self._run(work)

    async def tally(self, board_id: str, round_no: int) -> dict[str, int]:
        def work(db: sqlite3.Connection) -> dict[str, int]:
            rows = db.execute(
                "SELECT note, SUM(count) FROM ballots WHERE board = ? AND round = ?"
                " GROUP BY note HAVING SUM(count) > 0",
                (board_id, round_no),
            ).fetchall()
            return {r[0]: int(r[1]) for r in rows}

        return await self._run(work)

    async def voters_done(self, board_id: str, round_no: int, budget: int) -> int:
        def work(db: sqlite3.Connection) -> int:
            row = db.execute(
                "SELECT COUNT(*) FROM (SELECT participant FROM ballots WHERE board = ?"
                " AND round = ? GROUP BY participant HAVING SUM(count) >= ?)",
                (board_id, round_no, budget),
            ).fetchone()
            return int(row[0])

        return await self._run(work)

    async def remove_note_votes(self, board_id: str, round_no: int, note_id: str) -> int:
        def work(db: sqlite3.Connection) -> int:
            cur = db.execute(
                "DELETE FROM ballots WHERE board = ? AND round = ? AND note = ?",
                (board_id, round_no, note_id),
            )
            return int(cur.rowcount)

        return await self._run(work)

    async def move_note_votes(
        self, board_id: str, round_no: int, from_note: str, to_note: str
    ) -> int:
        def work(db: sqlite3.Connection) -> int:
            db.execute("BEGIN IMMEDIATE")
            key = (board_id, round_no, from_note)
            (moved,) = db.execute(
                "SELECT COALESCE(SUM(count), 0) FROM ballots"
                " WHERE board = ? AND round = ? AND note = ?",
                key,
            ).fetchone()
            db.execute(
                "INSERT INTO ballots (board, round, participant, note, count)"
                " SELECT board, round, participant, ?, count FROM ballots"
                " WHERE board = ? AND round = ? AND note = ? AND true"
                " ON CONFLICT (board, round, participant, note)"
                " DO UPDATE SET count = count + excluded.count",
                (to_note, *key),
            )
            db.execute("DELETE FROM ballots WHERE board = ? AND round = ? AND note = ?", key)
            db.execute("COMMIT")
            return int(moved)

        return await self._run(work)

    # -- estimation ballots
    async def cast_estimate(
        self, board_id: str, round_no: int, participant_id: str, note_id: str, value: str | None
    ) -> bool:
        def work(db: sqlite3.Connection) -> bool:
            db.execute("BEGIN IMMEDIATE")
            try:
                closed = db.execute(
                    "SELECT 1 FROM estimate_rounds_closed WHERE board = ? AND round = ?",
                    (board_id, round_no),
                ).fetchone()
                if closed:
                    db.execute("ROLLBACK")
                    return False
                key = (board_id, round_no, participant_id, note_id)
                if value is None:
                    db.execute(
                        "DELETE FROM estimates WHERE board = ? AND round = ? AND participant = ?"
                        " AND note = ?",
                        key,
                    )
                else:
                    db.execute(
                        "INSERT INTO estimates (board, round, participant, note, value)"
                        " VALUES (?, ?, ?, ?, ?) ON CONFLICT (board, round, participant, note)"
                        " DO UPDATE SET value = excluded.value",
                        (*key, value),
                    )
                db.execute("COMMIT")
            except BaseException:
                if db.in_transaction:
                    db.execute("ROLLBACK")
                raise
            return True

        return await self._run(work)

    async def close_estimates(self, board_id: str, round_no: int) -> None:
        await self._run(
            lambda db: db.execute(
                "INSERT OR IGNORE INTO estimate_rounds_closed (board, round) VALUES (?, ?)",
                (board_id, round_no),
            )
        )

    async def estimate_ballots(self, board_id: str, round_no: int) -> dict[str, dict[str, str]]:
        def work(db: sqlite3.Connection) -> dict[str, dict[str, str]]:
            rows = db.execute(
                "SELECT participant, note, value FROM estimates WHERE board = ? AND round = ?",
                (board_id, round_no),
            ).fetchall()
            out: dict[str, dict[str, str]] = {}
            for participant, note, value in rows:
                out.setdefault(participant, {})[note] = value
            return out

        return await self._run(work)

    async def my_estimates(
        self, board_id: str, round_no: int, participant_id: str
    ) -> dict[str, str]:
        def work(db: sqlite3.Connection) -> dict[str, str]:
            rows = db.execute(
                "SELECT note, value FROM estimates WHERE board = ? AND round = ?"
                " AND participant = ?",
                (board_id, round_no, participant_id),
            ).fetchall()
            return {r[0]: r[1] for r in rows}

        return await self._run(work)

    # -- webhooks and their outbox
    async def put_webhook(self, board_id: str, hook: dict[str, Any]) -> None:
        await self._run(
            lambda db: db.execute(
                "INSERT INTO webhooks (board, id, data) VALUES (?, ?, ?)"
                " ON CONFLICT (board, id) DO UPDATE SET data = excluded.data",
                (board_id, hook["id"], json.dumps(hook)),
            )
        )

    async def list_webhooks(self, board_id: str) -> list[dict[str, Any]]:
        def work(db: sqlite3.Connection) -> list[dict[str, Any]]:
            rows = db.execute(
                "SELECT data FROM webhooks WHERE board = ? ORDER BY rowid", (board_id,)
            ).fetchall()
            return [json.loads(r[0]) for r in rows]

        return await self._run(work)

    async def delete_webhook(self, board_id: str, webhook_id: str) -> bool:
        def work(db: sqlite3.Connection) -> bool:
            cur = db.execute(
                "DELETE FROM webhooks WHERE board = ? AND id = ?", (board_id, webhook_id)
            )
            db.execute(
                "UPDATE outbox SET status = 'failed', last_error = 'endpoint deleted'"
                " WHERE board = ? AND endpoint = ? AND status = 'pending'",
                (board_id, webhook_id),
            )
            return cur.rowcount > 0

        return await self._run(work)

    async def enqueue_deliveries(self, deliveries: list[Delivery]) -> None:
        def work(db: sqlite3.Connection) -> None:
            db.execute("BEGIN")
            try:
                for d in deliveries:
                    db.execute(
                        "INSERT INTO outbox (id, board, endpoint, event_id, event_type, body,"
                        " status, attempts, next_at, created_at)"
                        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        (
                            d.id,
                            d.board_id,
                            d.endpoint_id,
                            d.event_id,
                            d.event_type,
                            d.body,
                            d.status,
                            d.attempts,
                            d.next_at,
                            d.created_at,
                        ),
                    )
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise

        await self._run(work)

    _DELIVERY_COLUMNS = (
        "id, board, endpoint, event_id, event_type, body, status, attempts, next_at,"
        " created_at, last_status, last_error, delivered_at"
    )

    @staticmethod
    def _delivery(row: tuple[Any, ...]) -> Delivery:
        return Delivery(
            id=row[0],
            board_id=row[1],
            endpoint_id=row[2],
            event_id=row[3],
            event_type=row[4],
            body=bytes(row[5]),
            status=row[6],
            attempts=int(row[7]),
            next_at=float(row[8]),
            created_at=float(row[9]),
            last_status=row[10],
            last_error=row[11],
            delivered_at=row[12],
        )

    async def claim_deliveries(
        self, now: float, lease_seconds: float, limit: int
    ) -> list[Delivery]:
        def work(db: sqlite3.Connection) -> list[Delivery]:
            db.execute("BEGIN IMMEDIATE")
            try:
                rows = db.execute(
                    f"SELECT {self._DELIVERY_COLUMNS} FROM outbox AS o"
                    " WHERE status = 'pending' AND next_at <= ? AND leased_until <= ?"
                    " AND seq = (SELECT MIN(seq) FROM outbox WHERE board = o.board"
                    " AND endpoint = o.endpoint AND status = 'pending')"
                    " ORDER BY next_at LIMIT ?",
                    (now, now, limit),
                ).fetchall()
                for row in rows:
                    db.execute(
                        "UPDATE outbox SET leased_until = ? WHERE id = ?",
                        (now + lease_seconds, row[0]),
                    )
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
            return [self._delivery(r) for r in rows]

        return await self._run(work)

    async def finish_delivery(self, delivery: Delivery) -> None:
        d = delivery
        await self._run(
            lambda db: db.execute(
                "UPDATE outbox SET status = ?, attempts = ?, next_at = ?, last_status = ?,"
                " last_error = ?, delivered_at = ?, leased_until = 0 WHERE id = ?",
                (
                    d.status,
                    d.attempts,
                    d.next_at,
                    d.last_status,
                    d.last_error,
                    d.delivered_at,
                    d.id,
                ),
            )
        )

    async def list_deliveries(self, board_id: str, endpoint_id: str, limit: int) -> list[Delivery]:
        def work(db: sqlite3.Connection) -> list[Delivery]:
            rows = db.execute(
                f"SELECT {self._DELIVERY_COLUMNS} FROM outbox WHERE board = ? AND endpoint = ?"
                " ORDER BY seq DESC LIMIT ?",
                (board_id, endpoint_id, limit),
            ).fetchall()
            return [self._delivery(r) for r in rows]

        return await self._run(work)

    async def redeliver(self, board_id: str, endpoint_id: str, delivery_id: str) -> bool:
        def work(db: sqlite3.Connection) -> bool:
            row = db.execute(
                f"SELECT {self._DELIVERY_COLUMNS} FROM outbox WHERE id = ? AND board = ?"
                " AND endpoint = ?",
                (delivery_id, board_id, endpoint_id),
            ).fetchone()
            if row is None:
                return False
            d = self._delivery(row)
            now = time.time()
            db.execute(
                "INSERT INTO outbox (id, board, endpoint, event_id, event_type, body, status,"
                " attempts, next_at, created_at) VALUES (?, ?, ?, ?, ?, ?, 'pending', 0, ?, ?)",
                (
                    f"{d.id}.r{int(now * 1000)}",
                    board_id,
                    endpoint_id,
                    d.event_id,
                    d.event_type,
                    d.body,
                    now,
                    now,
                ),
            )
            return True

        return await self._run(work)

    # -- audit
    async def append_audit(self, board_id: str, entry: dict[str, Any]) -> None:
        data = json.dumps({"at": time.time(), **entry})
        await self._run(
            lambda db: db.execute(
                "INSERT INTO audit (board, entry) VALUES (?, ?)", (board_id, data)
            )
        )

    async def read_audit(self, board_id: str) -> list[dict[str, Any]]:
        def work(db: sqlite3.Connection) -> list[dict[str, Any]]:
            rows = db.execute(
                "SELECT entry FROM audit WHERE board = ? ORDER BY id", (board_id,)
            ).fetchall()
            return [json.loads(r[0]) for r in rows]

        return await self._run(work)
