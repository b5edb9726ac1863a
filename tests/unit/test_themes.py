"""The theme suggester (crdt.themes) on the labelled fixture and on awkward boards."""

from __future__ import annotations

from sklearn.metrics import adjusted_rand_score

from crdt.themes import LexicalEmbedder, NoteInput, Suggestion, suggest
from tests.themes_fixture import EXACT_DUPLICATES, NEAR_DUPLICATES, labels, note_inputs


def ari(result: Suggestion) -> float:
    """Adjusted Rand index against the labels; each ungrouped note is its own cluster."""
    truth = labels()
    predicted = {n: f"theme{i}" for i, t in enumerate(result.themes) for n in t.note_ids}
    predicted.update({n: f"alone-{n}" for n in result.ungrouped})
    ids = sorted(truth)
    return float(adjusted_rand_score([truth[i] for i in ids], [predicted[i] for i in ids]))


def test_fixture_is_big_enough() -> None:
    assert len(note_inputs()) >= 80
    assert 6 <= len(set(labels().values())) <= 8


def test_builtin_backend_finds_the_themes() -> None:
    result = suggest(note_inputs())
    score = ari(result)
    print(f"builtin ARI {score:.3f}")
    assert result.backend == "builtin"
    assert score >= 0.5
    every = [n for t in result.themes for n in t.note_ids] + result.ungrouped
    assert sorted(every) == sorted(labels())  # each note exactly once


def test_builtin_backend_finds_every_exact_duplicate() -> None:
    result = suggest(note_inputs())
    found = [set(d.note_ids) for d in result.duplicates]
    for pair in EXACT_DUPLICATES:
        assert any(pair <= s for s in found), pair
        assert any(pair <= set(d.note_ids) and d.score == 1.0 for d in result.duplicates)
    for pair in NEAR_DUPLICATES:
        assert any(pair <= s for s in found), pair
    assert all(0.0 < d.score <= 1.0 for d in result.duplicates)


def test_titles_are_short_and_characteristic() -> None:
    result = suggest(note_inputs())
    titles = " ".join(t.title for t in result.themes).lower()
    for word in ("onboarding", "pricing", "mobile", "team"):
        assert word in titles
    assert all(0 < len(t.title) <= 60 for t in result.themes)


def test_deterministic_whatever_the_order() -> None:
    notes = note_inputs()
    first = suggest(notes).to_dict()
    assert suggest(notes).to_dict() == first
    assert suggest(list(reversed(notes))).to_dict() == first


def test_empty_and_one_note_boards() -> None:
    assert suggest([]).to_dict() == {
        "backend": "builtin",
        "themes": [],
        "ungrouped": [],
        "duplicates": [],
    }
    one = suggest([NoteInput("a", "Ship the beta")])
    assert one.themes == [] and one.ungrouped == ["a"] and one.duplicates == []


def test_awkward_notes_do_not_crash() -> None:
    long_text = "Reduce the dashboard load time for enterprise accounts. " * 200
    notes = [
        NoteInput("blank", ""),
        NoteInput("spaces", "   "),
        NoteInput("emoji1", "🎉🎉🎉"),
        NoteInput("emoji2", "🎉🎉🎉"),
        NoteInput("emoji3", "🚀"),
        NoteInput("url1", "https://example.com/roadmap/q3"),
        NoteInput("url2", "https://example.com/roadmap/q3"),
        NoteInput("url3", "http://docs.internal.test/api?x=1"),
        NoteInput("de", "Die Ladezeit des Dashboards verkürzen"),
        NoteInput("fr", "Réduire le temps de chargement du tableau de bord"),
        NoteInput("es", "Reducir el tiempo de carga del panel"),
        NoteInput("ja", "ダッシュボードの読み込みを速くする"),
        NoteInput("long", long_text),
        NoteInput("dash", "Dashboard load time is too slow"),
    ]
    result = suggest(notes)
    every = [n for t in result.themes for n in t.note_ids] + result.ungrouped
    assert sorted(every) == sorted(n.id for n in notes)
    assert "blank" in result.ungrouped and "spaces" in result.ungrouped
    found = [set(d.note_ids) for d in result.duplicates]
    assert any({"url1", "url2"} <= s for s in found)
    assert any({"emoji1", "emoji2"} <= s for s in found)
    assert not any("blank" in s for s in found)
    assert suggest(notes).to_dict() == result.to_dict()


def test_only_emoji_board() -> None:
    result = suggest([NoteInput("a", "🎉"), NoteInput("b", "👍"), NoteInput("c", "")])
    every = [n for t in result.themes for n in t.note_ids] + result.ungrouped
    assert sorted(every) == ["a", "b", "c"]


def test_lexical_embedder_rows_are_unit_or_zero() -> None:
    vectors = LexicalEmbedder().embed(["Ship it", "", "Ship it now", "Test it"])
    norms = [round(float((row**2).sum()), 6) for row in vectors]
    assert norms[1] == 0.0
    assert all(n == 1.0 for i, n in enumerate(norms) if i != 1)
