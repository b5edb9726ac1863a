"""Tokens: HS256 JWTs carrying participant id, board, role and name.

A host application that knows PLANBOARD_SECRET may mint its own tokens with the same claims;
that is the documented way to plug planboard into an existing login.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import cast

import jwt

from crdt.schema import ROLES, Role

ALGORITHM = "HS256"


class TokenError(Exception):
    """The token is missing, forged, expired or malformed."""


@dataclass(frozen=True)
class Claims:
    participant_id: str
    board_id: str
    role: Role
    name: str
    expires_at: int


def mint_token(
    secret: str, *, participant_id: str, board_id: str, role: Role, name: str, ttl_seconds: int
) -> str:
    now = int(time.time())
    payload = {
        "sub": participant_id,
        "board": board_id,
        "role": role,
        "name": name,
        "iat": now,
        "exp": now + ttl_seconds,
    }
    return jwt.encode(payload, secret, algorithm=ALGORITHM)


def verify_token(secret: str, token: str) -> Claims:
    """Decode and validate; any problem is a TokenError (401/4401 for the caller)."""
    if not token or len(token) > 4096:
        raise TokenError("missing or oversized token")
    try:
        payload = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            options={"require": ["sub", "board", "role", "exp"]},
        )
    except jwt.ExpiredSignatureError as exc:
        raise TokenError("token expired") from exc
    except jwt.PyJWTError as exc:
        raise TokenError("invalid token") from exc
    role = payload.get("role")
    sub, board, name = payload.get("sub"), payload.get("board"), payload.get("name", "")
    if role not in ROLES or not isinstance(sub, str) or not isinstance(board, str):
        raise TokenError("invalid token claims")
    if not isinstance(name, str):
        name = ""
    return Claims(
        participant_id=sub,
        board_id=board,
        role=cast(Role, role),
        name=name[:80],
        expires_at=int(payload["exp"]),
    )
