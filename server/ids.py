"""Ids in URLs are checked before anything touches the store."""

from __future__ import annotations

import re
import secrets

BOARD_ID = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
PARTICIPANT_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def new_board_id() -> str:
    """128 random bits, URL-safe: the board link is the invitation, so it must not be guessable."""
    return secrets.token_urlsafe(16)


def new_participant_id() -> str:
    return secrets.token_urlsafe(9)


def is_board_id(value: str) -> bool:
    return bool(BOARD_ID.match(value))
