"""Keeping bearer tokens out of log files.

uvicorn logs each WebSocket handshake with its path and query at level info, and (with
`--access-log`) every HTTP request line; a `?token=…` there is a 30-day credential in a log
file. `planboard serve` installs this filter on every handler, so whatever logger a record
comes from, the token's value is replaced before it is written.
"""

from __future__ import annotations

import logging
import re
from typing import Any

_TOKEN = re.compile(r"((?:^|[?&;\s])(?:access_)?token=)[^&\s\"';]+", re.IGNORECASE)
REDACTED = "[redacted]"


def redact(text: str) -> str:
    return _TOKEN.sub(rf"\g<1>{REDACTED}", text)


def _clean(value: Any) -> Any:
    return redact(value) if isinstance(value, str) else value


class TokenRedactingFilter(logging.Filter):
    """Rewrites the message and its string arguments; never drops a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(_clean(a) for a in record.args)
        elif isinstance(record.args, dict):
            record.args = {k: _clean(v) for k, v in record.args.items()}
        return True


def install_token_filter(*logger_names: str) -> None:
    """Add the filter to every handler of the root logger and of the named loggers."""
    token_filter = TokenRedactingFilter()
    for name in ("", *logger_names):
        for handler in logging.getLogger(name or None).handlers:
            if not any(isinstance(f, TokenRedactingFilter) for f in handler.filters):
                handler.addFilter(token_filter)
