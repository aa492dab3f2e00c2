"""Plurality (first past the post, single seat or multi-seat block) and approval (top-k) counts.

Plurality: each ballot gives one vote to its highest-ranked eligible candidate; the ``seats``
candidates with most votes win (block voting when ``seats`` > 1 on single-mark ballots).

Approval: every candidate in a ballot's *first tier* counts as approved; this is how an approval
ballot is written in a ``Profile`` (a ranking of a single tier) and in PrefLib ``.toi`` files
(``1: {1,3,4}``). Later tiers are ignored. The ``seats`` most-approved candidates win.

Both go down the order of votes: a candidate whose group already holds its cap (``GroupCap``) is
passed over and the next one taken; the result's notes say who was skipped. Candidates with equal
votes are ordered by a lot drawn from the seed (``governance.tally.lot``); a tie-break is recorded
whenever the lot decides who is elected or passed over.

Both read the profile's arrays (``Profile.arrays()``; plurality when the rankings are strict): each
ballot's first eligible candidate, or its first tier, is found and counted with whole-array
operations, not ballot by ballot. Ballots weighing 2**62 or more in all (``_ballots.wide``, decided
up front) are counted ballot by ballot in Python integers instead, exact at any size.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from governance.i18n import N_
from governance.tally._ballots import check_seats, resolve_seed, weighted_sum, wide
from governance.tally.caps import GroupCap
from governance.tally.errors import TallyInputError
from governance.tally.lot import lot_order
from governance.tally.profile import Profile
from governance.tally.result import Message, Number, Result, Round, TieBreak


def plurality(
    profile: Profile, seats: int = 1, *, seed: str | None = None, caps: GroupCap | None = None
) -> Result:
    """Count first preferences and elect the ``seats`` candidates with most of them.

    A ballot whose highest eligible tier ranks several candidates equally is ambiguous for
    plurality and raises ``TallyInputError``; a ballot naming no eligible candidate is blank.
    """
    check_seats(profile, seats, "plurality")
    exact = wide(profile.total)  # int64 arrays could not hold these counts: Python integers instead
    fast = _first_choices(profile) if not exact and profile.arrays().strict else None
    if fast is not None:
        votes, blank = fast
    else:
        votes = [0] * len(profile.candidates)
        blank = 0
        for ranking, count in zip(profile.rankings, profile.counts, strict=True):
            top = _first_eligible_tier(ranking, profile.withdrawn)
            if not top:
                blank += count
                continue
            if len(top) > 1:
                names = ", ".join(profile.candidates[c] for c in top)
                raise TallyInputError(
                    f"plurality needs one first choice per ballot, but a ballot marks {names} equally; "
                    "use approval to count every mark"
                )
            votes[top[0]] += count
    return _elect_top(profile, "plurality", votes, blank, seats, seed, caps, "first preferences")


def approval(
    profile: Profile, seats: int = 1, *, seed: str | None = None, caps: GroupCap | None = None
) -> Result:
    """Count approvals (every candidate in a ballot's first tier) and elect the ``seats`` most approved.

    Withdrawn candidates are ignored; the first tier is the ballot's first tier as written (a ballot
    whose first tier names only withdrawn candidates approves nobody).
    """
    check_seats(profile, seats, "approval")
    fast = None if wide(profile.total) else _approvals(profile)
    if fast is not None:
        votes, blank = fast
    else:
        votes = [0] * len(profile.candidates)
        blank = 0
        for ranking, count in zip(profile.rankings, profile.counts, strict=True):
            approved = {c for c in ranking[0] if c not in profile.withdrawn} if ranking else set()
            if not approved:
                blank += count
            for c in approved:
                votes[c] += count
    return _elect_top(profile, "approval", votes, blank, seats, seed, caps, "approvals")


def _approvals(profile: Profile) -> tuple[list[int], int] | None:
    """Approvals and blank ballots from the profile's arrays (None: an index outside the candidates)."""
    arrays = profile.arrays()
    n = len(profile.candidates)
    ranked = np.flatnonzero(arrays.tiers > 0)
    first_tier = (np.cumsum(arrays.tiers) - arrays.tiers)[ranked]
    sizes = arrays.tier_sizes
    if sizes is None:  # one candidate per tier
        owner, cands = ranked, arrays.entries[first_tier]
    else:
        size = sizes[first_tier]
        owner = np.repeat(ranked, size)
        within = np.arange(owner.size) - np.repeat(np.cumsum(size) - size, size)
        cands = arrays.entries[np.repeat((np.cumsum(sizes) - sizes)[first_tier], size) + within]
    if cands.size and (int(cands.min()) < 0 or int(cands.max()) >= n):
        return None
    if profile.withdrawn:
        keep = ~np.isin(cands, np.fromiter(profile.withdrawn, dtype=np.int64))
        owner, cands = owner[keep], cands[keep]
    if sizes is not None:  # a candidate named twice in one tier is approved once
        owner, cands = np.divmod(np.unique(owner * n + cands), n)
    votes = weighted_sum(cands, arrays.counts[owner], n)
    approving = np.zeros(arrays.counts.size, dtype=np.bool_)
    approving[owner] = True
    return [int(v) for v in votes], int(arrays.counts[~approving].sum())


def _first_choices(profile: Profile) -> tuple[list[int], int] | None:
    """First preferences and blank ballots of a profile of strict rankings, from its arrays.

    None when a ballot names an index outside the candidate list (the caller's loop reports it).
    """
    arrays = profile.arrays()
    if profile.withdrawn:
        owner = np.repeat(np.arange(arrays.tiers.size, dtype=np.int64), arrays.tiers)
        keep = ~np.isin(arrays.entries, np.fromiter(profile.withdrawn, dtype=np.int64))
        owner, entries = owner[keep], arrays.entries[keep]
        # owner is sorted, so each ballot's first eligible candidate is where its owner first appears.
        first = np.flatnonzero(np.diff(owner, prepend=-1) != 0)
        rows = owner[first]
        tops = entries[first]
    else:
        rows = np.flatnonzero(arrays.tiers > 0)
        tops = arrays.entries[(np.cumsum(arrays.tiers) - arrays.tiers)[rows]]
    if tops.size and (int(tops.min()) < 0 or int(tops.max()) >= len(profile.candidates)):
        return None
    votes = weighted_sum(tops, arrays.counts[rows], len(profile.candidates))
    blank = int(arrays.counts.sum()) - int(arrays.counts[rows].sum())
    return [int(v) for v in votes], blank


def _first_eligible_tier(ranking: Sequence[Sequence[int]], withdrawn: frozenset[int]) -> list[int]:
    for tier in ranking:
        live = [c for c in tier if c not in withdrawn]
        if live:
            return live
    return []


# The sentences of a count by most first preferences (plurality) or most approvals (approval).
_PASSED_OVER = {
    "first preferences": N_(
        "{name} ({votes} first preferences) passed over: group {group} already holds its cap of {cap}"
    ),
    "approvals": N_("{name} ({votes} approvals) passed over: group {group} already holds its cap of {cap}"),
}
_BY_MOST = {
    "first preferences": N_("{seats} seat(s) by most first preferences"),
    "approvals": N_("{seats} seat(s) by most approvals"),
}


def _elect_top(
    profile: Profile,
    method: str,
    votes: list[int],
    blank: int,
    seats: int,
    seed: str | None,
    caps: GroupCap | None,
    what: str,
) -> Result:
    """Order eligible candidates by votes (lot among equals) and take the top ``seats`` within caps."""
    used_seed = resolve_seed(seed)
    names = profile.candidates
    eligible = [c for c in range(len(names)) if c not in profile.withdrawn]
    by_votes: dict[int, list[int]] = {}
    for c in eligible:
        by_votes.setdefault(votes[c], []).append(c)
    order: list[list[int]] = []  # groups of equal votes, best first, each group in lot order
    for v in sorted(by_votes, reverse=True):
        group = by_votes[v]
        if len(group) > 1:
            drawn = lot_order(used_seed, f"{method} order at {v} {what}", [names[c] for c in group])
            position = {n: i for i, n in enumerate(drawn)}
            group = sorted(group, key=lambda c: position[names[c]])
        order.append(group)

    elected: list[str] = []
    skipped: list[str] = []
    notes: list[str] = []
    tie_breaks: list[TieBreak] = []
    for group in order:
        taken_here: list[str] = []
        passed_here: list[str] = []
        for c in group:
            if len(elected) >= seats:
                passed_here.append(names[c])
                continue
            if caps is not None and caps.blocked(names[c], elected):
                skipped.append(names[c])
                notes.append(
                    Message(
                        _PASSED_OVER[what],
                        name=names[c],
                        votes=votes[c],
                        group=repr(caps.group_of(names[c])),
                        cap=caps.cap,
                    )
                )
                continue
            elected.append(names[c])
            taken_here.append(names[c])
        if len(group) > 1 and taken_here and passed_here:
            tie_breaks.append(
                TieBreak(1, "elect", [names[c] for c in group], "lot", ", ".join(taken_here), used_seed)
            )
    if len(elected) < seats:
        notes.append(
            Message(N_("only {elected} of {seats} seats could be filled"), elected=len(elected), seats=seats)
        )
    counts: dict[str, Number] = {names[c]: votes[c] for c in eligible}
    round_ = Round(
        number=1,
        counts=counts,
        exhausted=blank,
        elected=list(elected),
        excluded=skipped,
        note=Message(_BY_MOST[what], seats=seats),
    )
    params: dict[str, object] = {}
    if caps is not None:
        params["caps"] = caps.to_json()
    return Result(
        method=method,
        seats=seats,
        candidates=[names[c] for c in eligible],
        elected=elected,
        rounds=[round_],
        ranking=[[names[c] for c in group] for group in order],
        tie_breaks=tie_breaks,
        params=params,
        seed=used_seed,
        ballots=profile.total,
        notes=notes,
    )
