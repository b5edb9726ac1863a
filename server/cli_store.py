"""`planboard export` and `planboard boards`: read the store directly, server running or not."""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from server.config import Settings
from server.store.base import Store
from server.store.build import SQLITE_FILE, build_store


def _open_store(args: argparse.Namespace) -> Store:
    settings = Settings.from_env(data_dir=args.data, redis_url=args.redis_url)
    path = settings.data_dir / SQLITE_FILE
    if not settings.redis_url and not path.exists():
        raise SystemExit(f"no planboard data at {path} (set --data or PLANBOARD_DATA)")
    return build_store(settings)


async def _export(args: argparse.Namespace) -> str | None:
    from server.http.export_api import export_board, load_doc, render

    store = _open_store(args)
    await store.open()
    try:
        if await store.get_board(args.board_id) is None:
            return None
        doc = await load_doc(store, args.board_id)
        data = await export_board(store, args.board_id, doc)
    finally:
        await store.close()
    return render(data, args.format, args.table, args.round)


def _run_export(args: argparse.Namespace) -> int:
    text = asyncio.run(_export(args))
    if text is None:
        print(f"no such board: {args.board_id}", file=sys.stderr)
        return 1
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


async def _boards(args: argparse.Namespace) -> int:
    store = _open_store(args)
    await store.open()
    try:
        boards = await store.list_boards()
    finally:
        await store.close()
    for info in boards:
        when = datetime.fromtimestamp(info.last_activity, tz=UTC).strftime("%Y-%m-%d %H:%M")
        print(f"{info.id}\t{when}\t{info.title}")
    return 0


def add_store_commands(sub: Any) -> None:
    export = sub.add_parser("export", help="export a board's outcomes (reads the store directly)")
    export.add_argument("board_id")
    export.add_argument("--format", choices=["md", "json", "csv"], default="md")
    export.add_argument("--table", choices=["actions", "results"], default="actions")
    export.add_argument("--round", type=int, help="with --table results: only this round")
    export.add_argument("--out", help="write to this file instead of standard output")
    export.add_argument("--data", help="SQLite folder (PLANBOARD_DATA; default ./data)")
    export.add_argument("--redis-url", help="read a Redis store instead (REDIS_URL)")
    export.set_defaults(func=_run_export)
    boards = sub.add_parser("boards", help="list stored boards: id, last activity, title")
    boards.add_argument("--data", help="SQLite folder (PLANBOARD_DATA; default ./data)")
    boards.add_argument("--redis-url", help="read a Redis store instead (REDIS_URL)")
    boards.set_defaults(func=lambda args: asyncio.run(_boards(args)))
    migrate = sub.add_parser(
        "migrate-keys",
        help="rename a standalone Redis's keys to the per-board layout (idempotent; stop the "
        "instances first)",
    )
    migrate.add_argument("--redis-url", help="the Redis to migrate (REDIS_URL)")
    migrate.add_argument("--prefix", help="key prefix (PLANBOARD_REDIS_PREFIX; planboard:)")
    migrate.set_defaults(func=_run_migrate)


def _run_migrate(args: argparse.Namespace) -> int:
    from server.store.redis_migrate import migrate_keys

    settings = Settings.from_env(redis_url=args.redis_url, redis_prefix=args.prefix)
    if not settings.redis_url:
        raise SystemExit("migrate-keys needs --redis-url or REDIS_URL")
    report = asyncio.run(migrate_keys(settings.redis_url, settings.redis_prefix))
    print(
        f"renamed {report.renamed} key(s), moved {report.indexed} index entr(ies) to their "
        f"boards, {len(report.conflicts)} conflict(s)"
    )
    for key in report.conflicts:
        print(f"left as it is (new name taken): {key}", file=sys.stderr)
    return 1 if report.conflicts else 0
