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
from itertools import chain, islice
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


class Profile:
    """An aggregated, immutable set of ballots over named candidates.

    ``rankings`` and ``counts`` are tuples; a profile read from a file or built from arrays
    (``Profile.from_arrays``) keeps only its arrays and makes the tuples on first use, so a count
    that works on the arrays never creates a Python object per distinct ranking. Two profiles are
    equal when their candidates, rankings, counts, withdrawn candidates, title and seats are.
    """

    __slots__ = ("_arrays", "_counts", "_rankings", "candidates", "seats", "title", "withdrawn")

    candidates: tuple[str, ...]
    withdrawn: frozenset[int]
    title: str
    seats: int | None
    _rankings: tuple[Ranking, ...] | None
    _counts: tuple[int, ...] | None
    _arrays: ProfileArrays | None

    def __init__(
        self,
        candidates: Sequence[str],
        rankings: Sequence[Ranking],
        counts: Sequence[int],
        withdrawn: Iterable[int] = frozenset(),
        title: str = "",
        seats: int | None = None,
    ) -> None:
        _set = object.__setattr__
        _set(self, "candidates", tuple(candidates))
        _set(self, "_rankings", tuple(rankings))
        _set(self, "_counts", tuple(counts))
        _set(self, "withdrawn", frozenset(withdrawn))
        _set(self, "title", title)
        _set(self, "seats", seats)
        _set(self, "_arrays", None)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"Profile is immutable; cannot set {name!r}")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Profile):
            return NotImplemented
        return (
            self.candidates == other.candidates
            and self.withdrawn == other.withdrawn
            and self.title == other.title
            and self.seats == other.seats
            and self.counts == other.counts
            and self.rankings == other.rankings
        )

    def __hash__(self) -> int:
        return hash((self.candidates, self.rankings, self.counts, self.withdrawn, self.title, self.seats))

    def __repr__(self) -> str:
        return (
            f"Profile(candidates={self.candidates!r}, rankings={self.rankings!r}, counts={self.counts!r}, "
            f"withdrawn={self.withdrawn!r}, title={self.title!r}, seats={self.seats!r})"
        )

    @property
    def rankings(self) -> tuple[Ranking, ...]:
        """The distinct rankings, in the order of their first ballot."""
        rankings = self._rankings
        if rankings is None:
            arrays = self._arrays
            assert arrays is not None
            rankings = _rankings_from_arrays(arrays, len(self.candidates))
            object.__setattr__(self, "_rankings", rankings)
        return rankings

    @property
    def counts(self) -> tuple[int, ...]:
        """How many ballots hold each ranking (parallel to ``rankings``)."""
        counts = self._counts
        if counts is None:
            arrays = self._arrays
            assert arrays is not None
            counts = tuple(arrays.counts.tolist())
            object.__setattr__(self, "_counts", counts)
        return counts

    @property
    def distinct(self) -> int:
        """The number of distinct rankings."""
        return len(self._rankings) if self._rankings is not None else self.arrays().counts.size

    @property
    def total(self) -> int:
        """Number of ballots, duplicates included."""
        if self._counts is None:
            return int(self.arrays().counts.sum())
        return sum(self._counts)

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
            arrays.derived["distinct"] = False  # built as given: identical rankings may repeat
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
            arrays.derived["distinct"] = True
        return profile

    @classmethod
    def from_arrays(
        cls,
        candidates: Sequence[str],
        counts: IntArray,
        tiers: IntArray,
        entries: IntArray,
        tier_sizes: IntArray | None = None,
        *,
        withdrawn: Iterable[int] = (),
        title: str = "",
        seats: int | None = None,
    ) -> Profile:
        """Aggregate ballots given as arrays (see ``ProfileArrays``; 0-based candidates) into a profile.

        What ``build`` does for (ranking, count) pairs, without a Python object per ballot: ballots
        with a count of zero or less are dropped, identical rankings merged (first one first). Every
        candidate must be in range and every tier non-empty (``ValueError`` otherwise).
        """
        n = len(candidates)
        if entries.size and (int(entries.min()) < 0 or int(entries.max()) >= n):
            raise ValueError("a ballot names a candidate index outside the candidate list")
        if tier_sizes is not None and tier_sizes.size and int(tier_sizes.min()) < 1:
            raise ValueError("a ranking has an empty tier")
        arrays = _merge_identical(ProfileArrays(counts, tiers, entries, tier_sizes))
        arrays.derived["distinct"] = True
        profile = cls(candidates, (), (), withdrawn=withdrawn, title=title, seats=seats)
        object.__setattr__(profile, "_rankings", None)
        object.__setattr__(profile, "_counts", None)
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


def _rankings_from_arrays(arrays: ProfileArrays, ncand: int) -> tuple[Ranking, ...]:
    """The ranking tuples of ``arrays`` (one-candidate tiers shared, as ``Profile.build`` makes them)."""
    single: list[Tier] = [(i,) for i in range(ncand)]
    flat = arrays.entries.tolist()
    if arrays.tier_sizes is None:
        tiers: list[Tier] = list(map(single.__getitem__, flat))
    else:
        it = iter(flat)
        tiers = [
            single[flat_tier[0]] if len(flat_tier) == 1 else flat_tier
            for flat_tier in (tuple(islice(it, k)) for k in arrays.tier_sizes.tolist())
        ]
    all_tiers = tuple(tiers)
    bounds = np.cumsum(arrays.tiers).tolist()
    return tuple(map(all_tiers.__getitem__, map(slice, [0, *bounds[:-1]], bounds)))


_HASH_MULT = np.uint64(0x9E3779B97F4A7C15)


def _owners(lengths: IntArray) -> IntArray:
    return np.repeat(np.arange(lengths.size, dtype=np.int64), lengths)


_HASH_BLOCK = 1 << 16


def _hash_rows(entries: IntArray, opens: npt.NDArray[np.uint8], lengths: IntArray) -> npt.NDArray[np.uint64]:
    """A 64-bit hash of each row (its entries, where its tiers open, its length); rows are consecutive."""
    starts = np.cumsum(lengths) - lengths
    position = np.arange(entries.size, dtype=np.uint64)
    position -= np.repeat(starts.astype(np.uint64), lengths)
    with np.errstate(over="ignore"):
        word = entries.astype(np.uint64)
        word <<= np.uint64(1)
        word += opens
        word += np.uint64(1)
        word *= _HASH_MULT
        position += np.uint64(1)
        position *= np.uint64(0xBF58476D1CE4E5B9)
        word ^= position
        word *= np.uint64(0x94D049BB133111EB)
        word ^= word >> np.uint64(31)
        total = np.zeros(word.size + 1, dtype=np.uint64)
        if word.size:
            np.cumsum(word, out=total[1:])
        keys: npt.NDArray[np.uint64] = total[starts + lengths] - total[starts]
        keys += lengths.astype(np.uint64) * _HASH_MULT
        return keys


def _merge_identical(arrays: ProfileArrays) -> ProfileArrays:
    """``arrays`` with non-positive counts dropped and identical rankings merged (first one first).

    Rankings are grouped by a 64-bit hash of their candidates and tier boundaries; every group is
    then checked entry by entry, and a collision (never seen in practice) falls back to grouping by
    the exact contents.
    """
    counts, tiers, entries, sizes = arrays.counts, arrays.tiers, arrays.entries, arrays.tier_sizes
    per_ballot = (
        tiers
        if sizes is None
        else np.bincount(_owners(tiers), weights=sizes, minlength=tiers.size).astype(np.int64)
    )
    keep = counts > 0
    if not keep.all():
        entry_keep = np.repeat(keep, per_ballot)
        if sizes is not None:
            sizes = sizes[np.repeat(keep, tiers)]
        counts, tiers, entries, per_ballot = counts[keep], tiers[keep], entries[entry_keep], per_ballot[keep]
    u = counts.size
    starts = np.cumsum(per_ballot) - per_ballot
    opens = np.ones(entries.size, dtype=np.uint8)
    if sizes is not None:
        opens[:] = 0
        opens[np.cumsum(sizes) - sizes] = 1
    keys = np.empty(u, dtype=np.uint64)
    for block in range(0, u, _HASH_BLOCK):  # in blocks of ballots: the temporaries stay small
        stop = min(block + _HASH_BLOCK, u)
        lo = int(starts[block]) if stop > block else 0
        hi = int(starts[stop - 1] + per_ballot[stop - 1]) if stop > block else 0
        keys[block:stop] = _hash_rows(entries[lo:hi], opens[lo:hi], per_ballot[block:stop])
    _, first, group = np.unique(keys, return_index=True, return_inverse=True)
    if sizes is not None and bool((sizes == 1).all()):
        sizes = None
    if first.size == u:
        return ProfileArrays(counts, tiers, entries, sizes)
    rep = first[group]  # the first ballot of each ballot's group
    same = (per_ballot == per_ballot[rep]) & (tiers == tiers[rep])
    if same.all():
        owner = _owners(per_ballot)
        position = np.arange(entries.size, dtype=np.int64) - starts[owner]
        other = starts[rep][owner] + position
        same_entries = entries == entries[other]
        same_opens = opens == opens[other]
        same = np.bincount(owner[~(same_entries & same_opens)], minlength=u) == 0
    if not same.all():  # a hash collision: group by the exact contents instead
        return _merge_exact(counts, tiers, entries, sizes, per_ballot)
    order = np.argsort(first, kind="stable")
    chosen = first[order]
    rank = np.empty_like(order)
    rank[order] = np.arange(order.size, dtype=np.int64)
    merged = np.zeros(chosen.size, dtype=np.int64)
    np.add.at(merged, rank[group], counts)
    is_chosen = np.zeros(u, dtype=np.bool_)
    is_chosen[chosen] = True
    new_sizes = None if sizes is None else sizes[np.repeat(is_chosen, tiers)]
    return ProfileArrays(merged, tiers[chosen], entries[np.repeat(is_chosen, per_ballot)], new_sizes)


def _merge_exact(
    counts: IntArray, tiers: IntArray, entries: IntArray, sizes: IntArray | None, per_ballot: IntArray
) -> ProfileArrays:
    """The slow, exact merge: one key per ballot (only after a hash collision)."""
    flat = entries.tolist()
    size_list = [1] * len(flat) if sizes is None else sizes.tolist()
    it, size_it = iter(flat), iter(size_list)
    merged: dict[tuple[Tier, ...], int] = {}
    for k, c in zip(tiers.tolist(), counts.tolist(), strict=True):
        key = tuple(tuple(islice(it, next(size_it))) for _ in range(k))
        merged[key] = merged.get(key, 0) + c
    keys = list(merged)
    return ProfileArrays.from_rankings(keys, list(merged.values()))
