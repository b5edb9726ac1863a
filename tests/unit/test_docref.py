"""Doc identity: the store's doc id strings stay exactly as they were, read back the same."""

from __future__ import annotations

import pytest

from server.realtime.docref import DocRef

BOARD = "AbCdEfGhIjKlMnOpQrSt_-"


def test_a_board_is_its_own_doc_id() -> None:
    ref = DocRef(BOARD)
    assert ref.doc_id == BOARD
    assert not ref.is_drafts and ref.drafts_of is None
    assert ref.board == ref
    assert DocRef.parse(BOARD) == ref


def test_a_members_drafts_keep_the_store_layout() -> None:
    ref = DocRef(BOARD, "p1")
    assert ref.doc_id == f"{BOARD}/drafts/p1"
    assert ref.doc_id.startswith(DocRef.drafts_prefix(BOARD))
    assert ref.is_drafts and ref.drafts_of == "p1"
    assert ref.board == DocRef(BOARD)
    assert DocRef.parse(ref.doc_id) == ref
    assert str(ref) == ref.doc_id


@pytest.mark.parametrize("board_id", ["", "a/b", f"{BOARD}/notes"])
def test_anything_else_is_no_board(board_id: str) -> None:
    with pytest.raises(ValueError):
        DocRef(board_id)
    with pytest.raises(ValueError):
        DocRef.parse(board_id)
