"""The back end choice, the local model's quality, and no network unless configured."""

from __future__ import annotations

import contextlib
import os
import socket
import sys
from collections.abc import Iterator
from typing import Any

import pytest

from crdt.themes import LexicalEmbedder, suggest
from server.features.embeddings import EndpointEmbedder, ModelEmbedder, choose_embedder
from server.features.suggest_api import compute
from tests.themes_fixture import EXACT_DUPLICATES, note_inputs
from tests.unit.test_themes import ari

_connections: list[Any] = []
_recording = False


def _audit(event: str, args: tuple[Any, ...]) -> None:
    if _recording and event in ("socket.connect", "socket.getaddrinfo", "socket.sendto"):
        _connections.append((event, args))


sys.addaudithook(_audit)


@pytest.fixture
def no_endpoint(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Any]]:
    """Every outgoing connection attempt of the test (Python's socket audit events)."""
    global _recording
    for name in ("PLANBOARD_EMBEDDINGS_URL", "PLANBOARD_SUGGEST_BACKEND"):
        monkeypatch.delenv(name, raising=False)
    _connections.clear()
    _recording = True
    yield _connections
    _recording = False


def _need_model() -> None:
    """The model tests run wherever the [ml] extra is installed; CI installs it, so fail there."""
    if not ModelEmbedder.available():
        if os.environ.get("CI"):
            pytest.fail("CI must install planboard[ml] (make setup-ml)")
        pytest.skip("planboard[ml] is not installed")


def test_the_audit_hook_sees_a_real_connection(no_endpoint: list[Any]) -> None:
    with socket.socket() as s:  # nothing listens on port 9 here: the attempt is what counts
        s.settimeout(0.5)
        with contextlib.suppress(OSError):
            s.connect(("127.0.0.1", 9))
    assert any(event == "socket.connect" for event, _ in no_endpoint)


def test_builtin_makes_no_connection(no_endpoint: list[Any], monkeypatch: Any) -> None:
    monkeypatch.setenv("PLANBOARD_SUGGEST_BACKEND", "builtin")
    answer = compute(note_inputs())
    assert answer["backend"] == "builtin"
    assert no_endpoint == []


def test_auto_without_endpoint_makes_no_connection(no_endpoint: list[Any]) -> None:
    answer = compute(note_inputs()[:20])
    assert answer["backend"] in ("builtin", "minilm")
    assert "fallback" not in answer
    assert no_endpoint == []


def test_choice_follows_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PLANBOARD_EMBEDDINGS_URL", "http://127.0.0.1:1/v1/embeddings")
    monkeypatch.delenv("PLANBOARD_SUGGEST_BACKEND", raising=False)
    assert isinstance(choose_embedder(), EndpointEmbedder)
    monkeypatch.setenv("PLANBOARD_SUGGEST_BACKEND", "builtin")
    assert isinstance(choose_embedder(), LexicalEmbedder)
    monkeypatch.delenv("PLANBOARD_EMBEDDINGS_URL")
    monkeypatch.setenv("PLANBOARD_SUGGEST_BACKEND", "auto")
    expected = ModelEmbedder if ModelEmbedder.available() else LexicalEmbedder
    assert isinstance(choose_embedder(), expected)


def test_model_backend_finds_the_themes(no_endpoint: list[Any]) -> None:
    _need_model()
    result = suggest(note_inputs(), ModelEmbedder())
    score = ari(result)
    print(f"model ARI {score:.3f}")
    assert result.backend == "minilm"
    assert score >= 0.7
    found = [set(d.note_ids) for d in result.duplicates]
    for pair in EXACT_DUPLICATES:
        assert any(pair <= s for s in found)
    assert suggest(list(reversed(note_inputs())), ModelEmbedder()).to_dict() == result.to_dict()
    assert no_endpoint == []  # the model loads from site-packages, never from the hub
