"""Which document a room holds: a board, or one member's private drafts of a board.

"Board or drafts?" decides privacy (only the owner opens drafts) and votes (drafts hold none),
so it is decided once, here, and everything else reads `DocRef.drafts_of`. The store keeps its
doc id strings (`{board}` and `{board}/drafts/{member}`): `doc_id` writes them, `parse` reads them.
"""

from __future__ import annotations

from dataclasses import dataclass

DRAFTS_SEPARATOR = "/drafts/"


@dataclass(frozen=True)
class DocRef:
    board_id: str
    drafts_of: str | None = None  # the member whose private drafts doc this is

    def __post_init__(self) -> None:
        if not self.board_id or "/" in self.board_id:
            raise ValueError(f"not a board id: {self.board_id!r}")

    @classmethod
    def parse(cls, doc_id: str) -> DocRef:
        """The reference a store doc id names (ValueError for anything else)."""
        board_id, separator, member = doc_id.partition(DRAFTS_SEPARATOR)
        return cls(board_id, member if separator else None)

    @property
    def is_drafts(self) -> bool:
        return self.drafts_of is not None

    @property
    def board(self) -> DocRef:
        """The board this doc belongs to (itself for a board)."""
        return DocRef(self.board_id)

    @property
    def doc_id(self) -> str:
        """The store's key for this doc (the storage layout: unchanged)."""
        if self.drafts_of is None:
            return self.board_id
        return f"{self.board_id}{DRAFTS_SEPARATOR}{self.drafts_of}"

    @classmethod
    def drafts_prefix(cls, board_id: str) -> str:
        """The doc id prefix shared by every member's drafts of a board (for listing them)."""
        return f"{board_id}{DRAFTS_SEPARATOR}"

    def __str__(self) -> str:
        return self.doc_id
