"""Condorcet counts: the pairwise matrix, Schulze (winner and full ranking) and Ranked Pairs.

Rules followed
--------------
* **Pairwise matrix.** ``d[a, b]`` is the number of ballots that rank ``a`` strictly above ``b``.
  Candidates a ballot leaves out rank equal to one another and below every candidate it ranks;
  candidates in the same tier rank equally (neither is preferred). Option ``unranked="abstain"``
  instead leaves a ballot out of every pair involving a candidate it does not rank, which is what
  CIVS and Elekto mean by "No opinion" (the Kubernetes steering elections are counted that way).
* **Schulze** (M. Schulze, "A new monotonic, clone-independent, reversal symmetric, and
  Condorcet-consistent single-winner election method", *Social Choice and Welfare* 36 (2011) 267-303,
  and the 2018 revision "The Schulze Method of Voting", arXiv:1804.02973). The strength of the link
  ``a -> b`` is measured by *winning votes*: ``d[a, b]`` when ``d[a, b] > d[b, a]``, else no link.
  ``p[a, b]`` is the strength of the strongest (widest) path from ``a`` to ``b``, computed with the
  Floyd-Warshall recurrence. ``a`` is ranked above ``b`` iff ``p[a, b] > p[b, a]``; this relation is a
  strict partial order (2011, section 4.1), so the ranking is its layering: the first tier holds the
  candidates nobody beats (the Schulze winners), the next tier those nobody left beats, and so on.
* **Ranked Pairs** (T. N. Tideman, "Independence of clones as a criterion for voting rules",
  *Social Choice and Welfare* 4 (1987) 185-206), with *margins*: every pair whose margin
  ``d[a, b] - d[b, a]`` is positive is taken in order of decreasing margin and locked in unless it
  would close a cycle with pairs already locked. Pairs of equal margin are ordered (1) by the larger
  number of winning votes ``d[a, b]`` (the pair more voters support goes first), then (2) by a
  tie-break ranking of the candidates drawn by lot from the seed, as Tideman proposes: the pair whose
  winner comes earlier in that ranking goes first, and for the same winner, the pair whose loser comes
  later. A lot is recorded only when it could change the outcome (a pair of that group was not locked).
  The ranking is the layering of the locked graph (sources first).

Filling seats (both methods): going down the ranking, the first ``seats`` candidates are elected,
passing over a candidate whose group is at its cap (``GroupCap.blocked``). Candidates sharing a tier
that is reached while seats remain are put in order by lot (``governance.tally.lot``) and each draw is
recorded as a ``TieBreak``. Without a seed, the engine's default seed (the empty string, as for every
method) is used and reported with the result, so the count stays repeatable.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import chain
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from governance.i18n import N_
from governance.tally._ballots import INT64_SAFE, resolve_seed
from governance.tally.caps import GroupCap
from governance.tally.errors import TallyInputError
from governance.tally.lot import lot_order
from governance.tally.profile import Profile
from governance.tally.result import Message, Number, Result, Round, TieBreak, withdrawn_note

IntMatrix = npt.NDArray[np.int64]
Unranked = Literal["bottom", "abstain"]

_CHUNK_ROWS = 16384


def positions(profile: Profile) -> npt.NDArray[np.int16]:
    """The tier of every candidate on every distinct ballot, shape (ballots, candidates).

    Tier 0 is the ballot's first choice; a candidate the ballot leaves out gets the tier after the
    ballot's last, shared by all left-out candidates (so they rank equally, below every ranked one).
    Built without a Python loop per ballot: the nested tuples are flattened at C speed and the
    positions scattered with numpy.
    """
    n = len(profile.candidates)
    u = profile.distinct
    if n >= np.iinfo(np.int16).max:
        raise ValueError("too many candidates for the pairwise count")
    unranked = np.int16(n + 1)
    pos = np.full((u, n), unranked, dtype=np.int16)
    if u == 0:
        return pos
    ranking_lens, tier_lens, cands = _flat(profile)
    n_tiers = tier_lens.size
    if cands.size == 0:
        return pos
    if cands.min() < 0 or cands.max() >= n:
        raise ValueError("a ballot names a candidate index outside the candidate list")
    tier_row = np.repeat(np.arange(u, dtype=np.int64), ranking_lens)
    starts = np.cumsum(ranking_lens) - ranking_lens
    tier_index = np.arange(n_tiers, dtype=np.int64) - np.repeat(starts, ranking_lens)
    entry_tier = np.repeat(np.arange(n_tiers, dtype=np.int64), tier_lens)
    rows = tier_row[entry_tier]
    # If a candidate is written twice on one ballot, its best (first) place counts: write the
    # entries in reverse so the earliest assignment lands last.
    pos[rows[::-1], cands[::-1]] = tier_index[entry_tier][::-1].astype(np.int16)
    return pos


def _flat(profile: Profile) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Tiers per distinct ranking, candidates per tier, and every candidate named, as flat arrays.

    Read from the profile's arrays (a profile read from a file has nothing else: no Python object per
    ranking is made); a profile whose counts int64 cannot hold is flattened from its tuples instead.
    """
    if sum(profile.counts) < INT64_SAFE:
        arrays = profile.arrays()
        sizes = arrays.tier_sizes
        if sizes is None:
            sizes = np.ones(arrays.entries.size, dtype=np.int64)
        return arrays.tiers, sizes, arrays.entries
    rankings = profile.rankings
    ranking_lens = np.fromiter(map(len, rankings), dtype=np.int64, count=len(rankings))
    tiers = list(chain.from_iterable(rankings))
    tier_lens = np.fromiter(map(len, tiers), dtype=np.int64, count=len(tiers))
    cands = np.fromiter(chain.from_iterable(tiers), dtype=np.int64, count=int(tier_lens.sum()))
    return ranking_lens, tier_lens, cands


def pairwise_from_positions(
    pos: npt.NDArray[np.int16], counts: Sequence[int], *, unranked: Unranked = "bottom"
) -> IntMatrix:
    """The pairwise matrix from a positions array (see ``positions``) and the ballot counts.

    With ``unranked="abstain"`` a ballot counts for a pair only if it ranks both candidates.
    Works in blocks of rows so that memory stays bounded whatever the number of distinct ballots;
    each block is one vectorised comparison and one matrix-vector product, exact at any total
    (``_limbs``).
    """
    u, n = pos.shape

    def weighted(weights: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        total = np.zeros(n * n, dtype=np.float64)
        for start in range(0, u, _CHUNK_ROWS):
            block = pos[start : start + _CHUNK_ROWS]
            above3 = block[:, :, None] < block[:, None, :]
            if unranked == "abstain":
                above3 &= block[:, None, :] != n + 1
            above = above3.reshape(block.shape[0], n * n)
            total += weights[start : start + _CHUNK_ROWS] @ above
        return total.reshape(n, n)

    return _combine([weighted(w) for w in _limbs(counts)], n)


_LIMB = 24
"""Bits per limb of a count when the total is too large for float64 to sum exactly."""


def _limbs(counts: Sequence[int]) -> list[npt.NDArray[np.float64]]:
    """The counts as float64 weights, split into base-2**24 digits (lowest first) when they must be.

    A float64 sum of integers is exact below 2**52, so a total below that is one set of weights. A
    larger total (decided up front from the exact Python sum) is split into digits: each digit's
    matrix is at most 2**24 × distinct ballots, exact for up to 2**28 distinct ballots, and
    ``_combine`` puts the digits back together in Python integers. No pairwise figure ever rounds.
    """
    if sum(counts) < 2**52:
        return [np.fromiter(counts, dtype=np.float64, count=len(counts))]
    rest = np.array(list(counts), dtype=object)
    if len(counts) >= 2**28:
        raise TallyInputError(
            f"{len(counts)} distinct ballots weighing {sum(counts)} in all are more than the pairwise "
            "count can sum exactly"
        )
    digits: list[npt.NDArray[np.float64]] = []
    mask = (1 << _LIMB) - 1
    while rest.any():
        digits.append((rest & mask).astype(np.float64))
        rest = rest >> _LIMB
    return digits


def _combine(parts: list[npt.NDArray[np.float64]], n: int) -> IntMatrix:
    """The matrix from its digit matrices (``_limbs``): int64 when it fits, else Python integers."""
    if len(parts) == 1:
        return np.rint(parts[0]).astype(np.int64).reshape(n, n)
    exact = np.zeros((n, n), dtype=object)
    for k, part in enumerate(parts):
        exact = exact + (np.rint(part).reshape(n, n).astype(np.int64).astype(object) << (_LIMB * k))
    if int(exact.max(initial=0)) < INT64_SAFE:
        return exact.astype(np.int64)
    return exact


def pairwise(profile: Profile, *, unranked: Unranked = "bottom") -> IntMatrix:
    """The pairwise matrix ``d``: ``d[a, b]`` ballots rank candidate ``a`` strictly above ``b``.

    Pure function of the profile; used by Schulze, Ranked Pairs and the Debian count. Equal ranks
    count for neither side. Candidates a ballot leaves unranked rank below all it ranks
    (``unranked="bottom"``, the usual rule and Debian's), or, with ``unranked="abstain"``, the
    ballot expresses no preference on any pair involving them: CIVS's and Elekto's "No opinion".

    The work follows what ballots actually rank: pairs of ranked candidates are counted slot by
    slot over the distinct ballots (weighted ``bincount``), and "ranked over unranked" is one
    matrix product of ranked-indicator matrices; truncated ballots therefore cost little.
    """
    if unranked not in ("bottom", "abstain"):
        raise TallyInputError(f"unranked must be 'bottom' or 'abstain', got {unranked!r}")
    n = len(profile.candidates)
    u = profile.distinct
    counts = profile.counts
    if u == 0 or n == 0:
        return np.zeros((n, n), dtype=np.int64)
    ranking_lens, tier_lens, cands = _flat(profile)
    n_tiers = tier_lens.size
    if cands.size and (cands.min() < 0 or cands.max() >= n):
        raise TallyInputError("a ballot names a candidate index outside the candidate list")
    ix: type[np.signedinteger[Any]] = np.int32 if max(u, cands.size) < 2**31 else np.int64  # half the memory
    tier_row = np.repeat(np.arange(u, dtype=ix), ranking_lens)
    tier_start = np.cumsum(ranking_lens) - ranking_lens
    tier_index = np.arange(n_tiers, dtype=ix) - np.repeat(tier_start, ranking_lens).astype(ix)
    del tier_start
    if bool((tier_lens == 1).all()):  # one candidate per tier: entries are tiers
        rows, levels_of = tier_row, tier_index
    else:
        entry_tier = np.repeat(np.arange(n_tiers, dtype=ix), tier_lens)
        rows, levels_of = tier_row[entry_tier], tier_index[entry_tier]
        del entry_tier
    del tier_row, tier_index
    ranked = np.zeros((u, n), dtype=np.bool_)
    ranked[rows, cands] = True
    if int(np.count_nonzero(ranked)) != cands.size:  # a candidate named twice: the general path copes
        return pairwise_from_positions(positions(profile), counts, unranked=unranked)
    # Ranked pairs, slot by slot, ballots ordered longest first so each slot is a prefix of rows.
    entries = np.bincount(rows, minlength=u)
    order = np.argsort(-entries, kind="stable")
    new_row = np.empty(u, dtype=ix)
    new_row[order] = np.arange(u, dtype=ix)
    width = int(entries.max())
    entry_start = (np.cumsum(entries) - entries).astype(ix)
    slot = np.arange(cands.size, dtype=ix) - entry_start[rows]
    del entry_start
    small = np.int16 if n < np.iinfo(np.int16).max else np.int64
    slots = np.full((u, width), -1, dtype=small)
    levels = np.zeros((u, width), dtype=small)
    target = new_row[rows]
    del rows, new_row
    slots[target, slot] = cands
    levels[target, slot] = levels_of
    del target, slot, levels_of
    sorted_entries = entries[order]

    def weighted(weights: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        total = np.zeros(n * n, dtype=np.float64)
        if unranked == "bottom":
            for start in range(0, u, 4 * _CHUNK_ROWS):
                block = ranked[start : start + 4 * _CHUNK_ROWS]
                w = weights[start : start + 4 * _CHUNK_ROWS, None]
                total += ((block * w).T @ (~block).astype(np.float64)).reshape(n * n)
        sorted_weights = weights[order]
        for i in range(width - 1):
            k = int(np.searchsorted(-sorted_entries, -(i + 2), side="right"))  # rows with > i+1 entries
            if k == 0:
                break
            for lo in range(0, k, 4 * _CHUNK_ROWS):  # in blocks of rows: memory stays bounded
                hi = min(k, lo + 4 * _CHUNK_ROWS)
                first = slots[lo:hi, i : i + 1]
                later = slots[lo:hi, i + 1 :]
                above = (later >= 0) & (levels[lo:hi, i : i + 1] < levels[lo:hi, i + 1 :])
                keys = (first.astype(np.int64) * n + later)[above]
                w = np.broadcast_to(sorted_weights[lo:hi, None], later.shape)[above]
                total += np.bincount(keys, weights=w, minlength=n * n)
        return total

    return _combine([weighted(w) for w in _limbs(counts)], n)


def strongest_paths(strength: IntMatrix) -> IntMatrix:
    """Widest-path strengths ``p[a, b]`` from direct link strengths (0 = no link), Floyd-Warshall."""
    p = strength.copy()
    n = p.shape[0]
    for k in range(n):
        np.maximum(p, np.minimum(p[:, k : k + 1], p[k : k + 1, :]), out=p)
    np.fill_diagonal(p, 0)
    return p


def layers(beats: npt.NDArray[np.bool_], active: Sequence[int]) -> list[list[int]]:
    """Tiers of a strict partial order: first those no active candidate beats, then the next layer.

    ``beats[a, b]`` says ``a`` is ranked above ``b``. Raises if the relation has a cycle.
    """
    remaining = list(active)
    tiers: list[list[int]] = []
    while remaining:
        top = [a for a in remaining if not any(beats[b, a] for b in remaining if b != a)]
        if not top:
            raise ValueError("the relation has a cycle; it cannot be layered")
        tiers.append(top)
        taken = set(top)
        remaining = [a for a in remaining if a not in taken]
    return tiers


def fill_seats(
    tiers: list[list[str]],
    seats: int,
    caps: GroupCap | None,
    seed: str,
    tie_breaks: list[TieBreak],
) -> tuple[list[str], list[str], list[str]]:
    """Go down the ranking electing ``seats`` candidates; return (elected, passed over, notes)."""
    elected: list[str] = []
    passed: list[str] = []
    notes: list[str] = []
    for number, tier in enumerate(tiers, start=1):
        if len(elected) >= seats:
            break
        order = list(tier)
        if len(tier) > 1:
            order = lot_order(seed, f"rank tier {number}", tier)
            for i in range(len(order) - 1):
                tie_breaks.append(
                    TieBreak(
                        round=1,
                        purpose="order within a tied tier of the ranking",
                        between=order[i:],
                        rule="lot",
                        chosen=order[i],
                        seed=seed,
                    )
                )
        for name in order:
            if len(elected) >= seats:
                break
            if caps is not None and caps.blocked(name, elected):
                passed.append(name)
                notes.append(
                    Message(
                        N_("{name} passed over: group {group} is at its cap of {cap}"),
                        name=name,
                        group=repr(caps.group_of(name)),
                        cap=caps.cap,
                    )
                )
                continue
            elected.append(name)
    return elected, passed, notes


def _check(profile: Profile, seats: int) -> list[int]:
    if seats < 1:
        raise TallyInputError(f"this count needs at least one seat to fill, got {seats}")
    active = [i for i in range(len(profile.candidates)) if i not in profile.withdrawn]
    if not active:
        raise TallyInputError("there is no candidate to count")
    return active


def _matrix_json(matrix: IntMatrix) -> list[list[int]]:
    return [[int(v) for v in row] for row in matrix.tolist()]


def schulze(
    profile: Profile,
    seats: int,
    *,
    seed: str | None = None,
    caps: GroupCap | None = None,
    unranked: Unranked = "bottom",
) -> Result:
    """Count by the Schulze method (winning votes); return the full ranking and the ``seats`` elected.

    The ranking lists tiers of candidates (a tier of several means the method ranks them equally);
    ``elected`` goes down it, passing over capped groups and ordering tied tiers by lot from ``seed``.
    The single round holds the pairwise matrix and the strongest-path matrix in ``extra``.
    """
    active = _check(profile, seats)
    names = profile.candidates
    d = pairwise(profile, unranked=unranked)
    sub = np.ix_(active, active)
    link = np.where(d > d.T, d, 0)
    p_active = strongest_paths(link[sub])
    n = len(names)
    p = np.zeros((n, n), dtype=d.dtype)
    p[sub] = p_active
    beats = p > p.T
    tier_idx = layers(beats, active)
    ranking = [[names[i] for i in tier] for tier in tier_idx]
    seed_text = resolve_seed(seed)
    tie_breaks: list[TieBreak] = []
    elected, passed, notes = fill_seats(ranking, seats, caps, seed_text, tie_breaks)
    wins: dict[str, Number] = {names[a]: int(sum(1 for b in active if d[a, b] > d[b, a])) for a in active}
    rnd = Round(
        number=1,
        counts=wins,
        elected=list(elected),
        excluded=passed,
        note=Message(N_("counts = pairwise victories; ranking by strongest paths (winning votes)")),
        extra={"candidates": list(names), "pairwise": _matrix_json(d), "strongest_paths": _matrix_json(p)},
    )
    params: dict[str, Any] = {"strength": "winning votes", "unranked": unranked}
    if caps is not None:
        params["caps"] = caps.to_json()
    if profile.withdrawn:
        notes.append(withdrawn_note([names[i] for i in sorted(profile.withdrawn)]))
    return Result(
        method="schulze",
        seats=seats,
        candidates=list(names),
        elected=elected,
        rounds=[rnd],
        ranking=ranking,
        tie_breaks=tie_breaks,
        params=params,
        seed=seed_text,
        ballots=profile.total,
        notes=notes,
    )


def _reaches(graph: list[set[int]], start: int, goal: int) -> bool:
    stack = [start]
    seen = {start}
    while stack:
        node = stack.pop()
        if node == goal:
            return True
        for nxt in graph[node]:
            if nxt not in seen:
                seen.add(nxt)
                stack.append(nxt)
    return False


def ranked_pairs(
    profile: Profile,
    seats: int,
    *,
    seed: str | None = None,
    caps: GroupCap | None = None,
    unranked: Unranked = "bottom",
) -> Result:
    """Count by Ranked Pairs (Tideman 1987, margins); return the ranking and the ``seats`` elected.

    Pairs are locked in order of decreasing margin, skipping any that would close a cycle. Pairs of
    equal margin go by larger winning votes, then by a lot-drawn tie-break ranking of candidates
    (recorded only when it could matter). The round's ``extra`` lists each pair as locked or skipped.
    """
    active = _check(profile, seats)
    names = profile.candidates
    d = pairwise(profile, unranked=unranked)
    seed_text = resolve_seed(seed)
    tie_breaks: list[TieBreak] = []
    pairs = [(a, b) for a in active for b in active if a != b and d[a, b] > d[b, a]]

    def strength(pair: tuple[int, int]) -> tuple[int, int]:
        a, b = pair
        return int(d[a, b] - d[b, a]), int(d[a, b])

    pairs.sort(key=lambda pr: (-strength(pr)[0], -strength(pr)[1], pr))
    groups: list[list[tuple[int, int]]] = []
    for pair in pairs:
        if groups and strength(groups[-1][0]) == strength(pair):
            groups[-1].append(pair)
        else:
            groups.append([pair])

    graph: list[set[int]] = [set() for _ in names]
    log: list[dict[str, Any]] = []
    tbrc: dict[int, int] | None = None
    for group in groups:
        if len(group) > 1:
            # Try the group in any order first: if every pair locks, the order cannot matter.
            trial = [set(s) for s in graph]
            all_lock = True
            for a, b in group:
                if _reaches(trial, b, a):
                    all_lock = False
                    break
                trial[a].add(b)
            if not all_lock:
                if tbrc is None:
                    order = lot_order(seed_text, "ranked pairs tie-break ranking", [names[i] for i in active])
                    tbrc = {names.index(nm): k for k, nm in enumerate(order)}
                rank = tbrc
                group = sorted(group, key=lambda pr: (rank[pr[0]], -rank[pr[1]]))
                label = [f"{names[a]}>{names[b]}" for a, b in group]
                tie_breaks.append(
                    TieBreak(
                        round=1,
                        purpose=f"order pairs of equal margin {strength(group[0])[0]}",
                        between=label,
                        rule="winning votes, then lot (tie-break ranking of candidates)",
                        chosen=label[0],
                        seed=seed_text,
                    )
                )
        for a, b in group:
            margin, votes = strength((a, b))
            locked = not _reaches(graph, b, a)
            if locked:
                graph[a].add(b)
            log.append({"pair": [names[a], names[b]], "margin": margin, "votes": votes, "locked": locked})

    n = len(names)
    beats = np.zeros((n, n), dtype=np.bool_)
    for a in active:
        for b in graph[a]:
            beats[a, b] = True
    tier_idx = layers(beats, active)
    ranking = [[names[i] for i in tier] for tier in tier_idx]
    elected, passed, notes = fill_seats(ranking, seats, caps, seed_text, tie_breaks)
    wins: dict[str, Number] = {names[a]: int(sum(1 for b in active if d[a, b] > d[b, a])) for a in active}
    rnd = Round(
        number=1,
        counts=wins,
        elected=list(elected),
        excluded=passed,
        note=Message(N_("counts = pairwise victories; pairs locked by decreasing margin")),
        extra={"candidates": list(names), "pairwise": _matrix_json(d), "pairs": log},
    )
    params: dict[str, Any] = {
        "strength": "margins",
        "equal margins": "winning votes, then lot",
        "unranked": unranked,
    }
    if caps is not None:
        params["caps"] = caps.to_json()
    if profile.withdrawn:
        notes.append(withdrawn_note([names[i] for i in sorted(profile.withdrawn)]))
    return Result(
        method="ranked-pairs",
        seats=seats,
        candidates=list(names),
        elected=elected,
        rounds=[rnd],
        ranking=ranking,
        tie_breaks=tie_breaks,
        params=params,
        seed=seed_text,
        ballots=profile.total,
        notes=notes,
    )
