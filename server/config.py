"""Runtime configuration, read from the environment (12-factor) or `planboard serve` flags."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field, fields, replace
from pathlib import Path


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    return int(raw) if raw not in (None, "") else default


def _env_optional_int(name: str) -> int | None:
    raw = os.environ.get(name)
    if raw in (None, "", "auto"):
        return None
    value = int(raw)
    if value < 0:
        raise SystemExit(f"{name} must be 0 or more (or 'auto'), not {raw}")
    return value


def _env_float(name: str, default: float) -> float:
    raw = os.environ.get(name)
    return float(raw) if raw not in (None, "") else default


@dataclass(frozen=True)
class Settings:
    """Everything a running planboard instance needs to know; immutable once the app starts."""

    host: str = "127.0.0.1"
    port: int = 8000
    data_dir: Path = Path("data")
    redis_url: str | None = None
    redis_prefix: str = "planboard:"  # every key and channel; lets deployments share a Redis
    # Replica acknowledgements (WAIT) an append needs before it is shown; None: 1 when the
    # primary has a replica, else 0. See docs/scaling.md, "Failover".
    redis_min_replicas: int | None = None
    redis_wait_timeout_seconds: float = 1.0
    secret: str | None = None
    allowed_origins: tuple[str, ...] = ()
    public_url: str | None = None
    # Limits (hardening); every one is configurable because deployments differ.
    max_message_bytes: int = 1 << 20
    rate_messages_per_s: float = 200.0
    rate_burst_messages: int = 400
    rate_bytes_per_s: float = 2 * (1 << 20)
    judging_burst_seconds: float = 3.0  # judging time one connection may cost at once
    max_connections_per_board: int = 500
    max_connections_per_ip: int = 200
    boards_per_ip_per_hour: int = 60
    max_note_text: int = 2000
    max_notes_per_board: int = 2000
    max_drafts_per_member: int = 100
    max_doc_bytes: int = 16 * (1 << 20)
    max_json_body: int = 64 * 1024
    send_queue_messages: int = 1024
    send_queue_bytes: int = 1 << 20
    socket_send_buffer: int = 256 * 1024
    idle_unload_seconds: float = 30.0
    compact_every_updates: int = 500
    token_ttl_seconds: int = 30 * 24 * 3600
    awareness_timeout_seconds: float = 30.0
    awareness_ids_per_connection: int = 4  # a stock Yjs client uses one
    max_awareness_bytes: int = 8 * 1024
    max_awareness_states: int = 1000
    presence_tick_ms: float = 50.0
    max_loop_lag_seconds: float = 0.5
    # Slow and greedy HTTP clients (server/http/httpguard.py).
    header_timeout_seconds: float = 10.0
    max_header_bytes: int = 32 * 1024
    max_http_connections_per_ip: int = 100
    keep_alive_seconds: float = 5.0
    limit_concurrency: int = 10000  # connections and tasks; over it uvicorn answers 503
    # Webhooks (server/features/webhooks.py): an operator-wide endpoint, the SSRF switch, and
    # the retry timing.
    webhook_url: str | None = None
    webhook_secret: str | None = None
    webhook_allow_private: bool = False
    webhook_retry_base_seconds: float = 1.0  # first retry after about this; doubles, capped
    webhook_retry_cap_seconds: float = 300.0
    webhook_max_age_seconds: float = 24 * 3600.0  # then a delivery is given up ("failed")
    webhook_timeout_seconds: float = 10.0
    webhook_max_response_bytes: int = 64 * 1024
    instance_id: str = field(default_factory=lambda: secrets.token_hex(6))

    @classmethod
    def from_env(cls, **overrides: object) -> Settings:
        """Build settings from PLANBOARD_* variables; explicit overrides (CLI flags) win."""
        origins = os.environ.get("PLANBOARD_ALLOWED_ORIGINS", "")
        base = cls(
            host=os.environ.get("PLANBOARD_HOST", cls.host),
            port=_env_int("PORT", cls.port),
            data_dir=Path(os.environ.get("PLANBOARD_DATA", str(cls.data_dir))),
            redis_url=os.environ.get("REDIS_URL") or None,
            redis_prefix=os.environ.get("PLANBOARD_REDIS_PREFIX") or cls.redis_prefix,
            redis_min_replicas=_env_optional_int("PLANBOARD_REDIS_MIN_REPLICAS"),
            redis_wait_timeout_seconds=_env_float(
                "PLANBOARD_REDIS_WAIT_TIMEOUT", cls.redis_wait_timeout_seconds
            ),
            secret=os.environ.get("PLANBOARD_SECRET") or None,
            allowed_origins=tuple(o.strip() for o in origins.split(",") if o.strip()),
            public_url=os.environ.get("PLANBOARD_PUBLIC_URL") or None,
            max_message_bytes=_env_int("PLANBOARD_MAX_MESSAGE", cls.max_message_bytes),
            rate_messages_per_s=_env_float("PLANBOARD_RATE_MESSAGES", cls.rate_messages_per_s),
            rate_burst_messages=_env_int("PLANBOARD_RATE_BURST", cls.rate_burst_messages),
            rate_bytes_per_s=_env_float("PLANBOARD_RATE_BYTES", cls.rate_bytes_per_s),
            judging_burst_seconds=_env_float("PLANBOARD_JUDGING_BURST", cls.judging_burst_seconds),
            max_connections_per_board=_env_int(
                "PLANBOARD_MAX_CONNECTIONS_PER_BOARD", cls.max_connections_per_board
            ),
            max_connections_per_ip=_env_int(
                "PLANBOARD_MAX_CONNECTIONS_PER_IP", cls.max_connections_per_ip
            ),
            boards_per_ip_per_hour=_env_int(
                "PLANBOARD_BOARDS_PER_IP_PER_HOUR", cls.boards_per_ip_per_hour
            ),
            max_note_text=_env_int("PLANBOARD_MAX_NOTE_TEXT", cls.max_note_text),
            max_notes_per_board=_env_int("PLANBOARD_MAX_NOTES", cls.max_notes_per_board),
            max_drafts_per_member=_env_int("PLANBOARD_MAX_DRAFTS", cls.max_drafts_per_member),
            max_doc_bytes=_env_int("PLANBOARD_MAX_DOC_BYTES", cls.max_doc_bytes),
            send_queue_messages=_env_int("PLANBOARD_SEND_QUEUE", cls.send_queue_messages),
            socket_send_buffer=_env_int("PLANBOARD_SOCKET_SNDBUF", cls.socket_send_buffer),
            idle_unload_seconds=_env_float("PLANBOARD_IDLE_UNLOAD", cls.idle_unload_seconds),
            compact_every_updates=_env_int("PLANBOARD_COMPACT_EVERY", cls.compact_every_updates),
            token_ttl_seconds=_env_int("PLANBOARD_TOKEN_TTL", cls.token_ttl_seconds),
            awareness_timeout_seconds=_env_float(
                "PLANBOARD_AWARENESS_TIMEOUT", cls.awareness_timeout_seconds
            ),
            awareness_ids_per_connection=_env_int(
                "PLANBOARD_AWARENESS_IDS_PER_CONNECTION", cls.awareness_ids_per_connection
            ),
            max_awareness_bytes=_env_int("PLANBOARD_MAX_AWARENESS_BYTES", cls.max_awareness_bytes),
            max_awareness_states=_env_int(
                "PLANBOARD_MAX_AWARENESS_STATES", cls.max_awareness_states
            ),
            presence_tick_ms=_env_float("PLANBOARD_PRESENCE_TICK_MS", cls.presence_tick_ms),
            max_loop_lag_seconds=_env_float("PLANBOARD_MAX_LOOP_LAG", cls.max_loop_lag_seconds),
            header_timeout_seconds=_env_float(
                "PLANBOARD_HEADER_TIMEOUT", cls.header_timeout_seconds
            ),
            max_header_bytes=_env_int("PLANBOARD_MAX_HEADER_BYTES", cls.max_header_bytes),
            max_http_connections_per_ip=_env_int(
                "PLANBOARD_MAX_HTTP_CONNECTIONS_PER_IP", cls.max_http_connections_per_ip
            ),
            keep_alive_seconds=_env_float("PLANBOARD_KEEP_ALIVE", cls.keep_alive_seconds),
            limit_concurrency=_env_int("PLANBOARD_LIMIT_CONCURRENCY", cls.limit_concurrency),
            webhook_url=os.environ.get("PLANBOARD_WEBHOOK_URL") or None,
            webhook_secret=os.environ.get("PLANBOARD_WEBHOOK_SECRET") or None,
            webhook_allow_private=os.environ.get("PLANBOARD_WEBHOOK_ALLOW_PRIVATE", "") == "1",
            webhook_retry_base_seconds=_env_float(
                "PLANBOARD_WEBHOOK_RETRY_BASE", cls.webhook_retry_base_seconds
            ),
            webhook_retry_cap_seconds=_env_float(
                "PLANBOARD_WEBHOOK_RETRY_CAP", cls.webhook_retry_cap_seconds
            ),
            webhook_max_age_seconds=_env_float(
                "PLANBOARD_WEBHOOK_MAX_AGE", cls.webhook_max_age_seconds
            ),
            webhook_timeout_seconds=_env_float(
                "PLANBOARD_WEBHOOK_TIMEOUT", cls.webhook_timeout_seconds
            ),
        )
        known = {f.name for f in fields(cls)}
        clean = {k: v for k, v in overrides.items() if v is not None and k in known}
        if "data_dir" in clean:
            clean["data_dir"] = Path(str(clean["data_dir"]))
        return replace(base, **clean)  # type: ignore[arg-type]

    def resolve_secret(self) -> Settings:
        """Return settings with a token key: generated and kept in the data folder when alone.

        With Redis every instance must share the key, so it must be given explicitly.
        """
        if self.secret:
            return self
        if self.redis_url:
            raise SystemExit(
                "PLANBOARD_SECRET is required with REDIS_URL: every instance must share it."
            )
        self.data_dir.mkdir(parents=True, exist_ok=True)
        key_file = self.data_dir / "secret.key"
        if not key_file.exists():
            key_file.write_text(secrets.token_urlsafe(48))
            key_file.chmod(0o600)
        return replace(self, secret=key_file.read_text().strip())
