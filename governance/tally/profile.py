"""The ballot profile every counting method reads: identical ballots aggregated with their count.

A ballot is a *ranking*: a tuple of tiers, best first; each tier is a tuple of candidate indices
(0-based into ``Profile.candidates``). A tier of more than one candidate ranks them equally, which
only some methods accept (Condorcet and Debian do; STV and IRV refuse it). Candidates a ballot does
not mention rank below every candidate it does. An approval ballot is a ranking of a single tier.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

Tier = tuple[int, ...]
Ranking = tuple[Tier, ...]


@dataclass(frozen=True, slots=True)
class Profile:
    """An aggregated, immutable set of ballots over named candidates."""

    candidates: tuple[str, ...]
    rankings: tuple[Ranking, ...]
    counts: tuple[int, ...]
    withdrawn: frozenset[int] = field(default_factory=frozenset)
    title: str = ""
    seats: int | None = None

    @property
    def total(self) -> int:
        """Number of ballots, duplicates included."""
        return sum(self.counts)

    @property
    def has_ties(self) -> bool:
        """Whether any ballot ranks two candidates equally (methods that need strict orders refuse it)."""
        return any(len(tier) > 1 for ranking in self.rankings for tier in ranking)

    def index(self, name: str) -> int:
        """The index of a candidate by its exact name (KeyError if absent)."""
        try:
            return self.candidates.index(name)
        except ValueError:
            raise KeyError(name) from None

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
        tally: Counter[Ranking] = Counter()
        for ranking, count in ballots:
            if count <= 0:
                continue
            key: Ranking = tuple(tuple(tier) for tier in ranking if len(tier) > 0)
            tally[key] += count
        rankings = tuple(tally.keys())
        return cls(
            candidates=tuple(candidates),
            rankings=rankings,
            counts=tuple(tally[r] for r in rankings),
            withdrawn=frozenset(withdrawn),
            title=title,
            seats=seats,
        )

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
