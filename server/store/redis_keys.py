"""Where everything lives in Redis: one hash tag per board, so a board is one cluster slot.

Every key and channel of a board starts with `{prefix}{<board id>}:`; Redis Cluster hashes only
the part in braces, so a board's log, snapshot, counter, ballots, metadata, audit, webhook
outbox and its members' drafts docs share one slot, and every Lua script or MULTI about a board
touches that slot alone. The few global keys (the board index, the boards with webhook work due,
the standalone epoch) are never used in the same command as a board's keys.

A doc id is the board id or `<board>/drafts/<member>`; both map into the board's tag.
"""

from __future__ import annotations


def board_of(doc_id: str) -> str:
    """The board a doc belongs to (its hash tag)."""
    return doc_id.partition("/drafts/")[0]


class RedisKeys:
    """Key and channel names under one prefix (PLANBOARD_REDIS_PREFIX)."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix

    def board_base(self, board_id: str) -> str:
        return f"{self.prefix}{{{board_id}}}"

    # -- documents: `…:doc:` for the board doc, `…:drafts:<member>:` for a member's drafts
    def doc_base(self, doc_id: str) -> str:
        board, _, owner = doc_id.partition("/drafts/")
        base = self.board_base(board)
        return f"{base}:drafts:{owner}" if owner else f"{base}:doc"

    def doc(self, doc_id: str) -> tuple[str, str, str]:
        """seq (counter hash), log (list), snap (string)."""
        base = self.doc_base(doc_id)
        return f"{base}:seq", f"{base}:log", f"{base}:snap"

    def compact_lock(self, doc_id: str) -> str:
        return f"{self.doc_base(doc_id)}:compact"

    def clients(self, doc_id: str) -> str:
        return f"{self.doc_base(doc_id)}:clients"

    def docs(self, board_id: str) -> str:
        """zset (score 0) of the board's doc ids that have a log: the board doc, drafts docs."""
        return f"{self.board_base(board_id)}:docs"

    def shard_epoch(self, board_id: str) -> str:
        """Cluster mode: the epoch of the shard history the board last saw (token, replid)."""
        return f"{self.board_base(board_id)}:epoch"

    # -- global keys (never in a script with a board's keys)
    @property
    def node_epoch(self) -> str:
        """Standalone: the primary's epoch (see server/store/replication.py)."""
        return f"{self.prefix}epoch"

    @property
    def boards(self) -> str:
        """zset board id -> last activity (listing boards; written in its own command)."""
        return f"{self.prefix}boards"

    @property
    def outbox_boards(self) -> str:
        """set of boards whose webhook outbox may have work due (written in its own command)."""
        return f"{self.prefix}outbox:boards"

    @property
    def instances_channel(self) -> bytes:
        """Heartbeats: the one classic pub/sub channel (one message per instance per beat)."""
        return f"{self.prefix}instances".encode()

    # -- a board's metadata, ballots, audit
    def board(self, board_id: str) -> str:
        return f"{self.board_base(board_id)}:board"

    def votes(self, board_id: str, round_no: int) -> tuple[str, str, str]:
        """prefix of a participant's ballots hash, used per participant, tally."""
        base = f"{self.board_base(board_id)}:vote:{round_no}"
        return f"{base}:p:", f"{base}:used", f"{base}:tally"

    def estimates(self, board_id: str, round_no: int) -> tuple[str, str]:
        """ballots hash, closed marker."""
        base = f"{self.board_base(board_id)}:est:{round_no}"
        return base, f"{base}:closed"

    def audit(self, board_id: str) -> str:
        return f"{self.board_base(board_id)}:audit"

    # -- webhooks and the board's outbox
    def hooks(self, board_id: str) -> str:
        return f"{self.board_base(board_id)}:hooks"

    def delivery(self, board_id: str, delivery_id: str) -> str:
        return f"{self.board_base(board_id)}:delivery:{delivery_id}"

    def queue(self, board_id: str, endpoint_id: str) -> tuple[str, str, str]:
        """queue (undelivered ids), log (every id, last 1000), lease."""
        base = self.board_base(board_id)
        return (
            f"{base}:outbox:{endpoint_id}",
            f"{base}:deliveries:{endpoint_id}",
            f"{base}:outbox:lease:{endpoint_id}",
        )

    def outbox_due(self, board_id: str) -> str:
        """zset endpoint id -> when the head of that endpoint's queue is due."""
        return f"{self.board_base(board_id)}:outbox:due"

    # -- pub/sub
    def channel(self, doc_id: str) -> bytes:
        """A doc's channel, in its board's slot (sharded pub/sub in a cluster)."""
        return f"{self.board_base(board_of(doc_id))}:ch:{doc_id}".encode()
