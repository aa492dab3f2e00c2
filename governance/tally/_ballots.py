"""Helpers shared by the counting methods: seeds, strict ballots and documented tie-breaks.

``strict_orders`` gives the profile's ballots as strict orders in numpy arrays (one padded row per
distinct ranking), built with whole-array operations from ``Profile.arrays()`` and kept on the
profile, so that every transfer-based count starts without a Python pass over the ballots.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import chain
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt

from governance.tally.errors import TallyInputError
from governance.tally.lot import lot_order
from governance.tally.profile import Profile
from governance.tally.result import TieBreak

DEFAULT_SEED = ""
"""The seed used when a count is given none; it is recorded in the result like any other seed."""

N = TypeVar("N", int, float)

IntArray = npt.NDArray[np.int64]
Grid = npt.NDArray[np.signedinteger[Any]]
Weights = npt.NDArray[Any]
"""Integer weights: int64 while every figure of the count fits, else Python integers (dtype object)."""

INT64_SAFE = 2**62
"""Largest magnitude an int64 figure of a count may reach (half of int64's range, for sums of two)."""


def wide(total: int, scale: int = 1) -> bool:
    """Whether a count whose figures reach ``total × scale`` must use Python integers, not int64.

    Decided once, up front, from the total weight of the ballots (a Python integer, exact at any size):
    numpy's int64 arithmetic wraps silently past 2**63, so a count that could come near it works on
    arrays of Python integers (dtype object) instead, exact at any size and slower only there.
    """
    return total * scale >= INT64_SAFE


def as_weights(values: npt.NDArray[Any], exact: bool) -> Weights:
    """``values`` as int64, or as Python integers (dtype object) when ``exact`` (see ``wide``)."""
    return values.astype(object) if exact else values.astype(np.int64)


def resolve_seed(seed: str | None) -> str:
    """The seed a count uses for lots: the one given, else ``DEFAULT_SEED`` (recorded either way)."""
    return DEFAULT_SEED if seed is None else seed


def check_seats(profile: Profile, seats: int | None, method: str) -> int:
    """The seats to fill (the profile's own when ``seats`` is None); refuses a count a method cannot fill."""
    if seats is None:
        if profile.seats is None:
            raise TallyInputError(f"{method} needs the number of seats")
        seats = profile.seats
    if seats < 1:
        raise TallyInputError(f"{method} needs at least one seat to fill, got {seats}")
    if not profile.candidates:
        raise TallyInputError(f"{method} needs at least one candidate")
    return seats


def strict_ballots(profile: Profile, method: str) -> list[tuple[tuple[int, ...], int]]:
    """Each ballot as a strict order of eligible candidates (withdrawn ones removed) with its count.

    Methods that transfer a ballot to *the* next preference need one candidate per rank; a ballot
    that ranks two eligible candidates equally raises ``TallyInputError`` naming the ballot.
    A candidate ranked twice keeps only its first (highest) position.
    """
    out: list[tuple[tuple[int, ...], int]] = []
    withdrawn = profile.withdrawn
    for ranking, count in zip(profile.rankings, profile.counts, strict=True):
        if not withdrawn and all(len(tier) == 1 for tier in ranking):
            fast = tuple(tier[0] for tier in ranking)
            if len(set(fast)) == len(fast):  # the common case: a strict ranking, nothing to drop
                out.append((fast, count))
                continue
        order: list[int] = []
        seen: set[int] = set()
        for tier in ranking:
            live = [c for c in tier if c not in withdrawn and c not in seen]
            if len(live) > 1:
                names = ", ".join(profile.candidates[c] for c in live)
                raise TallyInputError(
                    f"{method} needs strict rankings, but a ballot ranks {names} equally; "
                    "use a Condorcet method (schulze, ranked-pairs, debian) or rank each candidate once"
                )
            for c in live:
                seen.add(c)
                order.append(c)
        out.append((tuple(order), count))
    return out


@dataclass(frozen=True, slots=True)
class StrictOrders:
    """The ballots of a profile as strict orders of eligible candidates, one row per distinct ranking.

    ``grid[i]`` is ranking ``i``'s order (withdrawn candidates removed, a repeated candidate kept at its
    first place) followed by the sentinel ``ncand`` up to the width, which leaves at least one
    sentinel at the end of every row; ``lengths[i]`` is the order's length, ``counts[i]`` its number of
    ballots and ``ranked[i]`` whether the ballot as cast ranked anything at all (withdrawn candidates
    included). Rows follow ``Profile.rankings``.
    """

    grid: Grid
    counts: Weights
    lengths: IntArray
    ranked: npt.NDArray[np.bool_]
    ncand: int


def strict_orders(profile: Profile, method: str) -> StrictOrders:
    """``strict_ballots`` as arrays (``StrictOrders``), computed once per profile and kept on it.

    Raises ``TallyInputError`` exactly as ``strict_ballots`` does for a ballot ranking two eligible
    candidates equally. When the ballots weigh ``wide`` (2**62 or more), the counts are Python
    integers (dtype object) and the orders are built from the rankings themselves: the profile's int64
    arrays cannot hold such counts.
    """
    if wide(profile.total):
        ballots = strict_ballots(profile, method)
        counts = np.array(list(profile.counts), dtype=object)
        ranked = np.fromiter((len(r) > 0 for r in profile.rankings), dtype=np.bool_, count=len(counts))
        return orders_from_lists([order for order, _ in ballots], counts, ranked, len(profile.candidates))
    arrays = profile.arrays()
    cached = arrays.derived.get("strict_orders")
    if isinstance(cached, StrictOrders):
        return cached
    ncand = len(profile.candidates)
    ranked = arrays.tiers > 0
    if arrays.strict:
        entries, lengths = arrays.entries, arrays.tiers
        if profile.withdrawn:
            owner = np.repeat(np.arange(lengths.size, dtype=np.int64), lengths)
            keep = ~np.isin(entries, np.fromiter(profile.withdrawn, dtype=np.int64))
            entries = entries[keep]
            lengths = np.bincount(owner[keep], minlength=lengths.size).astype(np.int64)
        grid = _padded(entries, lengths, ncand)
        if grid.shape[1] > 2:
            ordered = np.sort(grid, axis=1)
            repeats = ((ordered[:, 1:] == ordered[:, :-1]) & (ordered[:, 1:] != ncand)).any(axis=1)
            if repeats.any():
                lengths = lengths.copy()
            for i in np.flatnonzero(repeats).tolist():  # rare: keep each candidate's first place
                order = list(dict.fromkeys(grid[i, : lengths[i]].tolist()))
                grid[i, :] = ncand
                grid[i, : len(order)] = order
                lengths[i] = len(order)
        result = StrictOrders(grid, arrays.counts, lengths, ranked, ncand)
    else:
        ballots = strict_ballots(profile, method)
        result = orders_from_lists([order for order, _ in ballots], arrays.counts, ranked, ncand)
    arrays.derived["strict_orders"] = result
    return result


def orders_from_lists(
    orders: Sequence[Sequence[int]], counts: Weights, ranked: npt.NDArray[np.bool_], ncand: int
) -> StrictOrders:
    """``StrictOrders`` from strict orders given as Python sequences (one per row of ``counts``)."""
    lengths = np.fromiter(map(len, orders), dtype=np.int64, count=len(orders))
    entries = np.fromiter(chain.from_iterable(orders), dtype=np.int64, count=int(lengths.sum()))
    return StrictOrders(_padded(entries, lengths, ncand), counts, lengths, ranked, ncand)


def _padded(entries: IntArray, lengths: IntArray, ncand: int) -> Grid:
    """Rows of ``lengths`` consecutive ``entries``, padded with ``ncand`` (at least one pad per row)."""
    width = int(lengths.max(initial=0)) + 1
    dtype = np.int16 if ncand < np.iinfo(np.int16).max else np.int32
    grid = np.full((lengths.size, width), ncand, dtype=dtype)
    grid[np.arange(width)[None, :] < lengths[:, None]] = entries
    return grid


def weighted_sum(index: npt.NDArray[Any], weights: Weights, size: int) -> Weights:
    """Exact integer ``sum(weights[index == k])`` for each ``k < size`` (a bincount that stays exact).

    Python-integer weights (dtype object) give Python-integer sums. int64 weights are summed in
    float64 while every partial sum stays below 2**52 (exact there), in int64 while below
    ``INT64_SAFE``, and as Python integers beyond: a sum never wraps, whatever the weights.
    """
    if weights.dtype == object:
        exact: Weights = np.zeros(size, dtype=object)
        np.add.at(exact, index, weights)
        return exact
    if index.size == 0:
        return np.zeros(size, dtype=np.int64)
    bound = float(np.abs(weights.astype(np.float64)).sum())  # an estimate, but never near a limit
    if bound < 2**52:  # every partial sum is an integer float64 holds exactly
        return np.bincount(index, weights=weights, minlength=size)[:size].astype(np.int64)
    if bound < INT64_SAFE:
        sums = np.zeros(size, dtype=np.int64)
        np.add.at(sums, index, weights)
        return sums
    return weighted_sum(index, weights.astype(object), size)


def break_tie(
    tied: Sequence[int],
    history: Sequence[Mapping[int, N]],
    *,
    lowest: bool,
    seed: str,
    names: Sequence[str],
    round_number: int,
    purpose: str,
) -> tuple[int, TieBreak]:
    """Choose one of ``tied`` candidates by earlier-round counts, then by lot.

    ``history`` holds the counts of the previous rounds, oldest first. Going back from the most recent
    one, the first round at which the tied candidates' counts differ decides: the candidate with the
    lowest count there (``lowest=True``, for exclusion) or the highest (for election or surplus
    order), as the Scottish rules 49(2) and 51(2) do. Candidates still level at that round stay in
    contention; if they were level at every round, a lot drawn from ``seed`` decides.
    """
    pool = list(tied)
    label = [names[c] for c in tied]
    for counts in reversed(history):
        values = [counts.get(c, 0) for c in pool]
        target = min(values) if lowest else max(values)
        narrowed = [c for c, v in zip(pool, values, strict=True) if v == target]
        if len(narrowed) < len(pool):
            pool = narrowed
            if len(pool) == 1:
                tb = TieBreak(round_number, purpose, label, "earlier round counts", names[pool[0]], None)
                return pool[0], tb
    context = f"round {round_number} {purpose}"
    order = lot_order(seed, context, [names[c] for c in pool])
    chosen = next(c for c in pool if names[c] == order[0])
    return chosen, TieBreak(round_number, purpose, label, "lot", names[chosen], seed)
