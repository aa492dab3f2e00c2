"""Vectorised ballot papers for transfer-based counts (Scottish STV; shared helpers).

Each distinct ranking is one row: its candidates in order (padded with a sentinel), how many papers
carry it, where those papers stand, which candidate holds them and at what value. All papers of one
ranking follow the same path and carry the same value, so moving a row moves them all at once, and
a count never walks ballot by ballot. Values are integers in a fixed unit (``scale``), so arithmetic
is exact.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


class Papers:
    """The ballot papers of a count, grouped by distinct ranking."""

    def __init__(self, ballots: Sequence[tuple[tuple[int, ...], int]], ncand: int, scale: int) -> None:
        """Set up ``ballots`` ((strict order, count) pairs) over ``ncand`` candidates at value ``scale``."""
        self.ncand = ncand
        self.scale = scale
        width = max((len(order) for order, _ in ballots), default=0) + 1
        rows = len(ballots)
        grid = np.full((rows, width), ncand, dtype=np.int64)
        for i, (order, _) in enumerate(ballots):
            if order:
                grid[i, : len(order)] = order
        self.grid: IntArray = grid
        self.counts: IntArray = np.array([c for _, c in ballots], dtype=np.int64)
        self.pos: IntArray = np.zeros(rows, dtype=np.int64)
        self.owner: IntArray = np.full(rows, -1, dtype=np.int64)
        self.value: IntArray = np.full(rows, scale, dtype=np.int64)
        self.continuing: BoolArray = np.zeros(ncand + 1, dtype=np.bool_)

    def set_continuing(self, candidates: Sequence[int]) -> None:
        """Mark which candidates may still receive papers."""
        self.continuing[:] = False
        self.continuing[list(candidates)] = True

    def place(self, rows: IntArray, *, advance: bool) -> None:
        """Move each of ``rows`` to its next continuing preference (or exhaust it: owner -1).

        With ``advance`` the search starts after the current position (a transfer); without it, at the
        current position (the first count).
        """
        if rows.size == 0:
            return
        pos = self.pos[rows] + (1 if advance else 0)
        cand = self.grid[rows, pos]
        sentinel = self.ncand
        need = (cand != sentinel) & ~self.continuing[cand]
        while need.any():
            pos[need] += 1
            cand[need] = self.grid[rows[need], pos[need]]
            need = (cand != sentinel) & ~self.continuing[cand]
        self.pos[rows] = pos
        self.owner[rows] = np.where(cand == sentinel, -1, cand)

    def held_by(self, candidate: int) -> IntArray:
        """The rows whose papers the candidate holds now."""
        return np.flatnonzero(self.owner == candidate)

    def totals(self) -> list[int]:
        """Each candidate's total value of papers held (exact integers in the count's unit)."""
        held = self.owner >= 0
        weights = self.counts[held] * self.value[held]
        if int(self.counts.sum()) * self.scale < 2**53:
            # Every partial sum is an integer below 2**53, so the float sums are exact.
            sums = np.bincount(self.owner[held], weights=weights.astype(np.float64), minlength=self.ncand)
            return [int(v) for v in sums[: self.ncand]]
        exact = np.zeros(self.ncand, dtype=np.int64)
        np.add.at(exact, self.owner[held], weights)
        return [int(v) for v in exact]

    def exhausted(self) -> int:
        """Total value of papers with no continuing preference left."""
        gone = self.owner < 0
        return int((self.counts[gone] * self.value[gone]).sum())
