"""The input rows a split waits for, by identity: which output row answers which input row. Pure.

Memory: :class:`RowLedger` keeps a 16-byte digest (:func:`~airflow_batch_gemini.output.row_identity.row_identity`)
and a small count per distinct input row, about 100 bytes in CPython (about 20 MB for the service's maximum
of 200,000 rows); rows are never kept.
"""

from __future__ import annotations

import enum


class Claim(enum.Enum):
    """What an output row is to the input: its row, a second answer to it, or no row of it."""

    MATCHED = "matched"
    DUPLICATE = "duplicate"
    UNEXPECTED = "unexpected"


class RowLedger:
    """The input rows, by identity, with how many of each are still waiting for an output row."""

    def __init__(self) -> None:
        self._open: dict[bytes, int] = {}
        self.rows = 0
        self.outstanding = 0

    def expect(self, identity: bytes) -> None:
        """Record one input row."""
        self._open[identity] = self._open.get(identity, 0) + 1
        self.rows += 1
        self.outstanding += 1

    def claim(self, identity: bytes) -> Claim:
        """Match one row against the input rows still open, closing one of them if it matches."""
        left = self._open.get(identity)
        if left is None:
            return Claim.UNEXPECTED
        if left == 0:
            return Claim.DUPLICATE
        self._open[identity] = left - 1
        self.outstanding -= 1
        return Claim.MATCHED
