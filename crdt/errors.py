"""The one error a request can end in: an HTTP status, a code and a message for people.

Raised by the pure board changes (crdt/) and by the HTTP layer alike, so that a command's
refusal reaches the client unchanged, as `{"error": {"code", "message"}}` (server/http/errors.py).
"""

from __future__ import annotations


class ApiError(Exception):
    """A request the input or the board's state forbids; carries its status and error code."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
