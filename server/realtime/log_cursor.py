"""Where a room stands in its doc's store log: the position it holds, and the gaps before others.

With a relaying backplane, positions are consecutive per doc; an update that arrives beyond a
gap is remembered until the gap is filled (from a later message or from the store). A shared
store that changed history (a failover) starts a new epoch, and positions start over.
"""

from __future__ import annotations


class LogCursor:
    def __init__(self, *, track_gaps: bool) -> None:
        self.position = 0  # every update up to here is in the doc
        self.epoch = 0  # the epoch `position` belongs to (0 without a relaying store)
        self._track_gaps = track_gaps
        self._ahead: set[int] = set()  # positions in the doc beyond a gap

    @property
    def has_gap(self) -> bool:
        return bool(self._ahead)

    def advance_to(self, position: int) -> None:
        """Everything up to `position` is in the doc now."""
        if position > self.position:
            self.position = position
        if self._ahead:
            self._ahead = {ahead for ahead in self._ahead if ahead > self.position}
            while self.position + 1 in self._ahead:
                self.position += 1
                self._ahead.discard(self.position)

    def note(self, position: int) -> bool:
        """The update at `position` is in the doc; True when a gap before it opened (the
        missing updates are to be read from the store)."""
        if not self._track_gaps:
            self.position = max(self.position, position)
        elif position == self.position + 1:
            self.advance_to(position)
        elif position > self.position:
            self._ahead.add(position)
            return True
        return False

    def restart(self, epoch: int, position: int) -> None:
        """The doc holds all of `epoch` up to `position` (just loaded, or the store changed
        epoch and the doc caught up with all of the new one)."""
        self.epoch, self.position, self._ahead = epoch, position, set()
