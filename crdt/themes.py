"""Suggested themes and likely duplicates for a board's notes: pure computation, no I/O.

The facilitator's slowest step after a silent brainstorm is clustering by hand. This module
proposes themes (clusters with short titles), the notes that fit nowhere, and likely duplicate
sets. Vectors come from an `Embedder`: the built-in lexical one (TF-IDF over word and character
n-grams, fitted on the board's own notes) or one the server wires to a local model or a
configured endpoint. Clustering is agglomerative with a distance threshold, so the number of
themes is not needed in advance. The same notes always give the same answer.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
from scipy.sparse import csr_matrix, hstack
from sklearn.cluster import AgglomerativeClustering
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, TfidfVectorizer
from sklearn.preprocessing import normalize

MIN_DIMS = 12  # small boards keep enough dimensions for their themes to stay apart
MAX_CHARS = 1000  # a very long note is judged by its beginning: keeps the cost bounded
TITLE_WORDS = 3

# Words that say nothing about a theme, beyond English's stop words: planning filler, URL parts,
# and the most common function words of a few other languages boards are written in.
_EXTRA_STOP = frozenset(
    [
        "need",
        "needs",
        "want",
        "wants",
        "make",
        "makes",
        "let",
        "lets",
        "get",
        "gets",
        "use",
        "using",
        "used",
        "better",
        "new",
        "way",
        "ways",
        "http",
        "https",
        "www",
        "com",
        "org",
        "net",
        "io",
        "html",
        "php",
        "der",
        "die",
        "das",
        "und",
        "ist",
        "nicht",
        "mit",
        "den",
        "ein",
        "eine",
        "zu",
        "von",
        "für",
        "auf",
        "le",
        "la",
        "les",
        "et",
        "est",
        "pas",
        "des",
        "une",
        "un",
        "pour",
        "dans",
        "du",
        "que",
        "qui",
        "el",
        "los",
        "las",
        "y",
        "es",
        "no",
        "del",
        "una",
        "por",
        "con",
        "para",
        "que",
        "se",
    ]
)
STOP_WORDS = frozenset(ENGLISH_STOP_WORDS) | _EXTRA_STOP
_WORD = r"(?u)\b[^\W\d_][^\W_]+\b"  # two or more letters/digits, starting with a letter


@dataclass(frozen=True)
class NoteInput:
    id: str
    text: str
    author: str = ""
    x: float = 0.0
    y: float = 0.0
    group: str | None = None


@dataclass(frozen=True)
class Theme:
    title: str
    note_ids: list[str]


@dataclass(frozen=True)
class Duplicate:
    note_ids: list[str]
    score: float


@dataclass(frozen=True)
class Suggestion:
    backend: str
    themes: list[Theme] = field(default_factory=list)
    ungrouped: list[str] = field(default_factory=list)
    duplicates: list[Duplicate] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "backend": self.backend,
            "themes": [{"title": t.title, "note_ids": t.note_ids} for t in self.themes],
            "ungrouped": self.ungrouped,
            "duplicates": [{"note_ids": d.note_ids, "score": d.score} for d in self.duplicates],
        }


class Embedder(Protocol):
    """Turns texts into vectors, one row per text, in order. `name` is shown in the UI."""

    name: str
    theme_threshold: float  # cosine distance under which notes join a theme
    duplicate_threshold: float  # cosine similarity from which two notes are likely duplicates

    def embed(self, texts: Sequence[str]) -> np.ndarray[Any, Any]: ...


def clean(text: str) -> str:
    """What the features see: NFKC, lower case, URLs reduced to their host, bounded length."""
    text = unicodedata.normalize("NFKC", text)[:MAX_CHARS].lower()
    text = re.sub(r"https?://(?:www\.)?([^/\s]+)\S*", r"\1", text)
    return " ".join(text.split())


def _dedupe_key(text: str) -> str:
    """Exact duplicates ignore case, spacing and punctuation."""
    return " ".join(re.findall(r"\w+", clean(text)))


class LexicalEmbedder:
    """Built in: TF-IDF over words (and word pairs) and character 3-5-grams, fitted per board.

    Character n-grams catch inflections and typos ("onboard", "onboarding") that short notes
    are full of; words keep the topic. No model, no network, always available.
    """

    name = "builtin"
    theme_threshold = 0.9
    duplicate_threshold = 0.8

    def features(self, texts: Sequence[str]) -> Any:
        """Raw TF-IDF rows (sparse, L2-normalised): what near-duplicate detection compares."""
        docs = [clean(t) for t in texts]
        parts = []
        for vectorizer in (_word_vectorizer(ngrams=(1, 2)), _char_vectorizer()):
            try:
                parts.append(vectorizer.fit_transform(docs))
            except ValueError:  # no feature at all (only emoji, say): this view adds nothing
                continue
        if not parts:
            return csr_matrix((len(docs), 1))
        return normalize(hstack(parts).tocsr())

    def embed(self, texts: Sequence[str]) -> np.ndarray[Any, Any]:
        """TF-IDF reduced by LSA to about a quarter as many dimensions as notes.

        Short notes share few exact terms; the reduction lets "tests" and "CI pipeline" meet
        through the notes that use both. A fixed seed keeps it deterministic.
        """
        matrix = self.features(texts)
        rows, cols = matrix.shape
        dims = min(rows - 1, cols - 1, max(MIN_DIMS, rows // 4))
        if dims < 2:
            return np.asarray(matrix.toarray())
        reduced = _lsa(matrix, dims)
        dense: np.ndarray[Any, Any] = normalize(reduced)
        # Notes with no feature stay all-zero (they fit nowhere).
        dense[np.asarray(matrix.getnnz(axis=1)) == 0] = 0.0
        return dense


def _lsa(matrix: Any, dims: int) -> np.ndarray[Any, Any]:
    """Rows projected on the top `dims` singular directions, via the small n-by-n Gram matrix.

    Boards have hundreds of notes but thousands of n-gram features: the Gram matrix's
    eigendecomposition is exact, fast and deterministic (no random start).
    """
    gram = np.asarray((matrix @ matrix.T).toarray(), dtype=np.float64)
    values, vectors = np.linalg.eigh(gram)
    top = np.argsort(-values, kind="stable")[:dims]
    scaled: np.ndarray[Any, Any] = vectors[:, top] * np.sqrt(np.clip(values[top], 0.0, None))
    return scaled


def _word_vectorizer(ngrams: tuple[int, int] = (1, 1)) -> TfidfVectorizer:
    return TfidfVectorizer(
        token_pattern=_WORD,
        stop_words=sorted(STOP_WORDS),
        ngram_range=ngrams,
        sublinear_tf=True,
        lowercase=False,
    )


def _char_vectorizer() -> TfidfVectorizer:
    return TfidfVectorizer(
        analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True, lowercase=False, min_df=1
    )


def suggest(notes: Sequence[NoteInput], embedder: Embedder | None = None) -> Suggestion:
    """Themes (two notes or more), ungrouped notes and duplicate sets, deterministically."""
    embedder = embedder or LexicalEmbedder()
    ordered = sorted(notes, key=lambda n: n.id)
    if not ordered:
        return Suggestion(embedder.name)
    texts = [n.text for n in ordered]
    ids = [n.id for n in ordered]
    vectors = normalize(np.asarray(embedder.embed(texts), dtype=np.float64))
    empty = [not np.any(row) for row in vectors]
    labels = _cluster(vectors, empty, embedder.theme_threshold)
    themes, ungrouped = _themes(ids, texts, labels)
    # Near duplicates: close in surface form (raw TF-IDF), or, with a semantic back end, in
    # meaning. The reduced lexical vectors are not used here: LSA brings mere neighbours close.
    lexical = LexicalEmbedder()
    raw = lexical.features(texts)
    similarity = np.asarray((raw @ raw.T).toarray())
    if not isinstance(embedder, LexicalEmbedder):
        semantic = vectors @ vectors.T
        similarity = np.maximum(
            similarity, np.where(semantic >= embedder.duplicate_threshold, semantic, 0.0)
        )
    blank = [not row for row in raw.getnnz(axis=1)]
    duplicates = _duplicates(ids, texts, similarity, blank, lexical.duplicate_threshold)
    return Suggestion(embedder.name, themes, ungrouped, duplicates)


def _cluster(vectors: np.ndarray[Any, Any], empty: list[bool], threshold: float) -> list[int]:
    """A cluster label per note; -1 for notes with nothing to compare (blank, emoji only)."""
    usable = [i for i, e in enumerate(empty) if not e]
    labels = [-1] * len(empty)
    if len(usable) < 2:
        return labels
    model = AgglomerativeClustering(
        n_clusters=None, distance_threshold=threshold, metric="cosine", linkage="average"
    )
    found = model.fit_predict(vectors[usable])
    for index, label in zip(usable, found, strict=True):
        labels[index] = int(label)
    return labels


def _themes(ids: list[str], texts: list[str], labels: list[int]) -> tuple[list[Theme], list[str]]:
    members: dict[int, list[int]] = {}
    for index, label in enumerate(labels):
        members.setdefault(label, []).append(index)
    clusters = [m for label, m in members.items() if label >= 0 and len(m) >= 2]
    in_theme = {i for m in clusters for i in m}
    ungrouped = [ids[i] for i in range(len(ids)) if i not in in_theme]
    # Biggest first, then by first note id: a stable order for the preview.
    clusters.sort(key=lambda m: (-len(m), ids[m[0]]))
    titles = _titles(texts, clusters)
    themes = [Theme(title, [ids[i] for i in m]) for title, m in zip(titles, clusters, strict=True)]
    return themes, ungrouped


def _titles(texts: list[str], clusters: list[list[int]]) -> list[str]:
    """Each theme's most characteristic words: frequent in it, rare elsewhere (class TF-IDF)."""
    if not clusters:
        return []
    docs = [" ".join(clean(texts[i]) for i in m) for m in clusters]
    rest = " ".join(clean(t) for t in texts)
    try:
        vectorizer = _word_vectorizer()
        vectorizer.fit([*docs, rest])
        weights = vectorizer.transform(docs).toarray()
    except ValueError:
        return [f"Theme {n + 1}" for n in range(len(clusters))]
    vocab = vectorizer.get_feature_names_out()
    counts = [_doc_freq(vocab, [texts[i] for i in m]) for m in clusters]
    titles = []
    for n, (row, freq) in enumerate(zip(weights, counts, strict=True)):
        # Weight by how many of the theme's notes use the word: a title should speak for most.
        score = row * freq
        best = sorted(
            (i for i in range(len(vocab)) if score[i] > 0), key=lambda i: (-score[i], vocab[i])
        )
        words = [str(vocab[i]) for i in best[:TITLE_WORDS]]
        titles.append(" · ".join(w.capitalize() for w in words) if words else f"Theme {n + 1}")
    return titles


def _doc_freq(vocab: Any, texts: list[str]) -> np.ndarray[Any, Any]:
    index = {w: i for i, w in enumerate(vocab)}
    freq = np.zeros(len(vocab))
    for text in texts:
        for word in set(re.findall(_WORD, clean(text))):
            if word in index:
                freq[index[word]] += 1
    return freq


def _duplicates(
    ids: list[str],
    texts: list[str],
    similarity: np.ndarray[Any, Any],
    empty: list[bool],
    threshold: float,
) -> list[Duplicate]:
    """Sets of notes that say the same: equal text after normalising, or very close vectors."""
    parent = list(range(len(ids)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    keys = [_dedupe_key(t) for t in texts]
    for i in range(len(ids)):
        for j in range(i + 1, len(ids)):
            same = bool(keys[i]) and keys[i] == keys[j]
            close = not (empty[i] or empty[j]) and similarity[i, j] >= threshold
            if same or close:
                parent[find(j)] = find(i)
    sets: dict[int, list[int]] = {}
    for i in range(len(ids)):
        sets.setdefault(find(i), []).append(i)
    out = []
    for members in sets.values():
        if len(members) < 2:
            continue
        pairs = [
            1.0 if keys[a] == keys[b] else float(similarity[a, b])
            for x, a in enumerate(members)
            for b in members[x + 1 :]
        ]
        out.append(Duplicate([ids[i] for i in members], round(min(1.0, max(pairs)), 3)))
    out.sort(key=lambda d: (-d.score, d.note_ids[0]))
    return out
