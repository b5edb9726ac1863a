"""HTTP helpers the tests share: make a board, join it, send a command (no fixtures here)."""

from __future__ import annotations

from typing import Any

import httpx


def create_board(base_url: str, **body: Any) -> dict[str, Any]:
    response = httpx.post(f"{base_url}/api/boards", json={"title": "Test board", **body})
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()
    return data


def join_board(base_url: str, board_id: str, name: str = "Ana", **body: Any) -> dict[str, Any]:
    response = httpx.post(
        f"{base_url}/api/boards/{board_id}/participants", json={"name": name, **body}
    )
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()
    return data


def command(base_url: str, board_id: str, token: str, kind: str, **args: Any) -> httpx.Response:
    return httpx.post(
        f"{base_url}/api/boards/{board_id}/commands",
        json={"type": kind, **args},
        headers={"Authorization": f"Bearer {token}"},
    )
