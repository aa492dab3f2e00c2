"""Vectorised ballot papers for transfer-based counts (IRV, Scottish STV; shared helpers).

Each distinct ranking is one row: its candidates in order (padded with a sentinel), how many papers
carry it, where those papers stand, which candidate holds them and at what value. All papers of one
ranking follow the same path and carry the same value, so moving a row moves them all at once, and
a count never walks ballot by ballot. Values are integers in a fixed unit (``scale``), so arithmetic
is exact: the largest figure a count makes is a paper's value times a surplus (at most
``ballots × scale²``), so when that could pass int64's range (``_ballots.wide``) the counts, values and
sums are Python integers (dtype object) from the start, and nothing ever wraps.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from governance.tally._ballots import Grid, StrictOrders, Weights, as_weights, weighted_sum, wide

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


def next_continuing(
    grid: Grid, rows: IntArray, pos: IntArray, continuing: BoolArray
) -> tuple[IntArray, IntArray]:
    """Where each of ``rows`` finds its first continuing candidate at or after ``pos``, and who it is.

    ``continuing`` has one entry per candidate plus a last, False one for the sentinel that pads every
    row; a row with no continuing candidate left stops at its first sentinel and gets the sentinel.
    """
    pos = pos.copy()
    cand = grid[rows, pos].astype(np.int64)
    sentinel = continuing.size - 1
    need = np.flatnonzero((cand != sentinel) & ~continuing[cand])
    while need.size:
        pos[need] += 1
        cand[need] = grid[rows[need], pos[need]]
        still = (cand[need] != sentinel) & ~continuing[cand[need]]
        need = need[still]
    return pos, cand


class Papers:
    """The ballot papers of a count, grouped by distinct ranking."""

    def __init__(self, orders: StrictOrders, keep: BoolArray, scale: int) -> None:
        """Set up the rows of ``orders`` selected by ``keep`` (a mask over them) at value ``scale``."""
        self.ncand = orders.ncand
        self.scale = scale
        self.grid: Grid = orders.grid[keep]
        counts = orders.counts[keep]
        self.exact = wide(int(counts.sum()), scale * scale)
        self.counts: Weights = as_weights(counts, self.exact)
        rows = self.counts.size
        self.pos: IntArray = np.zeros(rows, dtype=np.int64)
        self.owner: IntArray = np.full(rows, -1, dtype=np.int64)
        self.value: Weights = as_weights(np.full(rows, scale, dtype=np.int64), self.exact)
        self.continuing: BoolArray = np.zeros(self.ncand + 1, dtype=np.bool_)
        # sums[c]: total value held by candidate c; sums[ncand]: by nobody (exhausted, or not yet placed).
        self.sums: Weights = as_weights(np.zeros(self.ncand + 1, dtype=np.int64), self.exact)
        self.sums[self.ncand] = int((self.counts * self.value).sum())

    def set_continuing(self, candidates: Sequence[int]) -> None:
        """Mark which candidates may still receive papers."""
        self.continuing[:] = False
        self.continuing[list(candidates)] = True

    def place(self, rows: IntArray, *, advance: bool, revalue: tuple[int, int] | None = None) -> None:
        """Move each of ``rows`` to its next continuing preference (or exhaust it: owner -1).

        With ``advance`` the search starts after the current position (a transfer); without it, at the
        current position (the first count). With ``revalue=(num, den)`` the papers first take the value
        ``value × num // den`` (a surplus transfer, truncated to the count's unit).
        """
        if rows.size == 0:
            return
        self.sums -= self._held_value(rows)
        if revalue is not None:
            num, den = revalue
            self.value[rows] = self.value[rows] * num // den
        pos, cand = next_continuing(self.grid, rows, self.pos[rows] + (1 if advance else 0), self.continuing)
        self.pos[rows] = pos
        self.owner[rows] = np.where(cand == self.ncand, -1, cand)
        self.sums += self._held_value(rows)

    def _held_value(self, rows: IntArray) -> Weights:
        """The value ``rows`` give each holder (the last entry: nobody)."""
        holder = np.where(self.owner[rows] < 0, self.ncand, self.owner[rows])
        return weighted_sum(holder, self.counts[rows] * self.value[rows], self.ncand + 1)

    def held_by(self, candidate: int) -> IntArray:
        """The rows whose papers the candidate holds now."""
        return np.flatnonzero(self.owner == candidate)

    def totals(self) -> list[int]:
        """Each candidate's total value of papers held (exact integers in the count's unit)."""
        return [int(v) for v in self.sums[: self.ncand]]

    def exhausted(self) -> int:
        """Total value of papers with no continuing preference left."""
        return int(self.sums[self.ncand])
