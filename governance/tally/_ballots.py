"""Helpers shared by the counting methods: seeds, strict ballots and documented tie-breaks."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TypeVar

from governance.tally.errors import TallyInputError
from governance.tally.lot import lot_order
from governance.tally.profile import Profile
from governance.tally.result import TieBreak

DEFAULT_SEED = ""
"""The seed used when a count is given none; it is recorded in the result like any other seed."""

N = TypeVar("N", int, float)


def resolve_seed(seed: str | None) -> str:
    """The seed a count uses for lots: the one given, else ``DEFAULT_SEED`` (recorded either way)."""
    return DEFAULT_SEED if seed is None else seed


def check_seats(profile: Profile, seats: int, method: str) -> None:
    """Refuse a seat count a method cannot fill meaningfully (fewer than one seat)."""
    if seats < 1:
        raise TallyInputError(f"{method} needs at least one seat to fill, got {seats}")
    if not profile.candidates:
        raise TallyInputError(f"{method} needs at least one candidate")


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
