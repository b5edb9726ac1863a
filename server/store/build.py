"""Which store a configuration means: one place for the server and the command line."""

from __future__ import annotations

from server.config import Settings
from server.store.base import Store
from server.store.sqlite import SQLiteStore

SQLITE_FILE = "planboard.sqlite3"


def build_store(settings: Settings) -> Store:
    """A Redis store (standalone or Cluster) with REDIS_URL, else the SQLite file in the data
    folder."""
    if settings.redis_url:
        from server.store.redis import RedisStore  # redis-py loads only where it is used

        return RedisStore(
            settings.redis_url,
            prefix=settings.redis_prefix,
            min_replicas=settings.redis_min_replicas,
            wait_timeout=settings.redis_wait_timeout_seconds,
        )
    return SQLiteStore(settings.data_dir / SQLITE_FILE)
