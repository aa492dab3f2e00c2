"""The ballot profile every counting method reads: identical ballots aggregated with their count.

A ballot is a *ranking*: a tuple of tiers, best first; each tier is a tuple of candidate indices
(0-based into ``Profile.candidates``). A tier of more than one candidate ranks them equally, which
only some methods accept (Condorcet and Debian do; STV and IRV refuse it). Candidates a ballot does
not mention rank below every candidate it does. An approval ballot is a ranking of a single tier.

Besides the tuples, a profile keeps its rankings as flat numpy arrays (``Profile.arrays()``), built
once (by ``Profile.build`` while it aggregates, otherwise on first use) and shared by every count on
the profile, so that a count over a million ballots never walks them in Python.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import chain
from typing import Any

import numpy as np
import numpy.typing as npt

Tier = tuple[int, ...]
Ranking = tuple[Tier, ...]

IntArray = npt.NDArray[np.int64]


class ProfileArrays:
    """A profile's rankings as flat arrays, in the order of ``Profile.rankings``.

    ``counts[i]`` is the count of ranking ``i`` and ``tiers[i]`` its number of tiers. ``entries``
    holds the candidates of every tier of every ranking, ranking after ranking, best tier first;
    ``tier_sizes`` holds how many candidates each tier has, or is ``None`` when every tier has exactly
    one (a profile of strict rankings, where ``entries`` has one candidate per tier). ``derived`` is a
    cache for arrays the counting methods compute from these (e.g. a padded grid of strict orders).
    """

    __slots__ = ("counts", "derived", "entries", "tier_sizes", "tiers")

    def __init__(
        self, counts: IntArray, tiers: IntArray, entries: IntArray, tier_sizes: IntArray | None
    ) -> None:
        self.counts = counts
        self.tiers = tiers
        self.entries = entries
        self.tier_sizes = tier_sizes
        self.derived: dict[str, Any] = {}

    @property
    def strict(self) -> bool:
        """Whether every tier of every ranking names exactly one candidate."""
        return self.tier_sizes is None

    @classmethod
    def from_rankings(cls, rankings: Sequence[Ranking], counts: Sequence[int]) -> ProfileArrays:
        """Flatten nested ranking tuples (the nested tuples are walked at C speed, not per ballot)."""
        u = len(rankings)
        tiers = np.fromiter(map(len, rankings), dtype=np.int64, count=u)
        flat_tiers = list(chain.from_iterable(rankings))
        sizes = np.fromiter(map(len, flat_tiers), dtype=np.int64, count=len(flat_tiers))
        entries = np.fromiter(chain.from_iterable(flat_tiers), dtype=np.int64, count=int(sizes.sum()))
        strict = bool((sizes == 1).all())
        return cls(_counts_array(counts), tiers, entries, None if strict else sizes)


def _counts_array(counts: Sequence[int]) -> IntArray:
    return np.fromiter(counts, dtype=np.int64, count=len(counts))


@dataclass(frozen=True, slots=True)
class Profile:
    """An aggregated, immutable set of ballots over named candidates."""

    candidates: tuple[str, ...]
    rankings: tuple[Ranking, ...]
    counts: tuple[int, ...]
    withdrawn: frozenset[int] = field(default_factory=frozenset)
    title: str = ""
    seats: int | None = None
    _arrays: ProfileArrays | None = field(default=None, init=False, repr=False, compare=False, hash=False)

    @property
    def total(self) -> int:
        """Number of ballots, duplicates included."""
        return sum(self.counts)

    @property
    def has_ties(self) -> bool:
        """Whether any ballot ranks two candidates equally (methods that need strict orders refuse it)."""
        sizes = self.arrays().tier_sizes
        return sizes is not None and bool((sizes > 1).any())

    def index(self, name: str) -> int:
        """The index of a candidate by its exact name (KeyError if absent)."""
        try:
            return self.candidates.index(name)
        except ValueError:
            raise KeyError(name) from None

    def arrays(self) -> ProfileArrays:
        """The rankings as flat numpy arrays (``ProfileArrays``), built on first use and kept."""
        arrays = self._arrays
        if arrays is None:
            arrays = ProfileArrays.from_rankings(self.rankings, self.counts)
            object.__setattr__(self, "_arrays", arrays)
        return arrays

    @classmethod
    def build(
        cls,
        candidates: Sequence[str],
        ballots: Iterable[tuple[Sequence[Sequence[int]], int]],
        *,
        withdrawn: Iterable[int] = (),
        title: str = "",
        seats: int | None = None,
    ) -> Profile:
        """Aggregate (ranking, count) pairs into a profile, merging identical rankings.

        Empty tiers are dropped; a ballot that ranks nothing still counts (as exhausted/blank).
        """
        # A ranking whose tiers each name one candidate is keyed by its flat tuple of candidates
        # (cheap to make, and flattened to arrays at C speed); any other by its tuple of tiers. The
        # two kinds of key never collide: a tiered key has a tier of two or more candidates.
        tally: dict[tuple[Any, ...], int] = {}
        tiered: set[tuple[Any, ...]] = set()
        get = tally.get
        for ranking, count in ballots:
            if count <= 0:
                continue
            flat = tuple(chain.from_iterable(ranking))
            if len(flat) != len(ranking) or 0 in map(len, ranking):
                tiers = tuple(tuple(tier) for tier in ranking if len(tier) > 0)
                if len(tiers) != len(flat):
                    tiered.add(tiers)
                    tally[tiers] = get(tiers, 0) + count
                    continue
            tally[flat] = get(flat, 0) + count
        keys = list(tally)
        single: dict[int, Tier] = {i: (i,) for i in range(len(candidates))}  # shared one-candidate tiers
        lookup = single.__getitem__
        rankings: list[Ranking] = []
        plain = not tiered  # every key a flat tuple of in-range candidate indices
        for key in keys:
            if key in tiered:
                rankings.append(key)
                continue
            try:
                rankings.append(tuple(map(lookup, key)))
            except (KeyError, TypeError):  # an index outside the candidate list: keep it as given
                rankings.append(tuple((c,) for c in key))
                plain = False
        counts = tuple(tally.values())
        profile = cls(
            candidates=tuple(candidates),
            rankings=tuple(rankings),
            counts=counts,
            withdrawn=frozenset(withdrawn),
            title=title,
            seats=seats,
        )
        if plain:
            u = len(keys)
            lengths = np.fromiter(map(len, keys), dtype=np.int64, count=u)
            entries = np.fromiter(chain.from_iterable(keys), dtype=np.int64, count=int(lengths.sum()))
            arrays = ProfileArrays(_counts_array(counts), lengths, entries, None)
            object.__setattr__(profile, "_arrays", arrays)
        return profile

    @classmethod
    def from_names(
        cls,
        candidates: Sequence[str],
        ballots: Iterable[Sequence[str | Sequence[str]]],
        *,
        title: str = "",
    ) -> Profile:
        """Build a profile from ballots written with candidate names (a nested list is a tie)."""
        position: Mapping[str, int] = {name: i for i, name in enumerate(candidates)}
        converted: list[tuple[list[list[int]], int]] = []
        for ballot in ballots:
            tiers: list[list[int]] = []
            for entry in ballot:
                names = [entry] if isinstance(entry, str) else list(entry)
                tiers.append([position[n] for n in names])
            converted.append((tiers, 1))
        return cls.build(candidates, converted, title=title)
