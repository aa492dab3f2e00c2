"""Instant-runoff voting (IRV, the alternative vote): one seat, one exclusion per round.

Rule followed: each ballot counts for its highest-ranked continuing candidate. A candidate holding
more than half of the ballots still in play (not exhausted) is elected; otherwise the candidate with
fewest votes is excluded and its ballots pass to their next continuing preference. A tie for last
place is broken by the counts at the most recent earlier round at which the tied candidates differed
(fewest there is excluded), then by a lot drawn from the seed. When one candidate is left it is
elected.

Ballots must rank candidates strictly. US ranked-choice data marks over-votes (two candidates at the
same rank) as ties; ``overvote="exhaust"`` makes such a ballot exhausted when it reaches the over-vote,
as US rules do, and ``overvote="skip"`` passes over the over-voted rank; the default ``"reject"``
raises ``TallyInputError``.

The count works on the aggregated profile held as numpy arrays (``_ballots.strict_orders``): each
distinct ranking is one row with a pointer to the continuing candidate it counts for, and an
exclusion advances, in one vectorised step, only the rows that pointed at the excluded candidate;
nothing walks ballot by ballot.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np

from governance.i18n import N_
from governance.tally._ballots import (
    StrictOrders,
    break_tie,
    check_seats,
    orders_from_lists,
    resolve_seed,
    strict_orders,
    weighted_sum,
)
from governance.tally._papers import next_continuing
from governance.tally.caps import GroupCap
from governance.tally.errors import TallyInputError
from governance.tally.profile import Profile
from governance.tally.result import Message, Number, Result, Round, TieBreak

Overvote = Literal["reject", "exhaust", "skip"]


def _orders(profile: Profile, overvote: Overvote) -> StrictOrders:
    if overvote == "reject":
        return strict_orders(profile, "irv")
    if overvote not in ("exhaust", "skip"):
        raise TallyInputError(f"overvote must be reject, exhaust or skip, got {overvote!r}")
    if profile.arrays().strict:  # no over-votes at all: every rule gives the strict orders
        return strict_orders(profile, "irv")
    out: list[list[int]] = []
    for ranking in profile.rankings:
        order: list[int] = []
        for tier in ranking:
            live = [c for c in tier if c not in profile.withdrawn and c not in order]
            if len(live) > 1:
                if overvote == "exhaust":
                    break  # the ballot is exhausted when it reaches the over-vote
                continue
            order.extend(live)
        out.append(order)
    arrays = profile.arrays()
    return orders_from_lists(out, arrays.counts, arrays.tiers > 0, len(profile.candidates))


def _exclude_capped(names: Sequence[str], continuing: list[int], caps: GroupCap) -> list[str]:
    """Take out of ``continuing`` (in place) the candidates whose group already holds its cap; the notes."""
    notes: list[str] = []
    for c in list(continuing):
        if caps.blocked(names[c], []):
            continuing.remove(c)
            notes.append(
                Message(
                    N_("{name} excluded before the count: group {group} already holds its cap of {cap}"),
                    name=names[c],
                    group=repr(caps.group_of(names[c])),
                    cap=caps.cap,
                )
            )
    return notes


def _elect_leader(
    round_: Round,
    continuing: list[int],
    votes: dict[int, int],
    history: list[dict[int, int]],
    seed: str,
    names: Sequence[str],
) -> tuple[str, list[TieBreak]]:
    """The round's winner (the last one left or the one over half), noted on ``round_``; its tie break."""
    leader = max(continuing, key=lambda c: votes[c])
    live_total = sum(votes[c] for c in continuing)
    tie_breaks: list[TieBreak] = []
    leaders = [c for c in continuing if votes[c] == votes[leader]]
    if len(leaders) > 1:  # only possible with two candidates level at the end
        leader, tb = break_tie(
            leaders,
            history,
            lowest=False,
            seed=seed,
            names=names,
            round_number=round_.number,
            purpose="elect",
        )
        tie_breaks.append(tb)
    round_.elected = [names[leader]]
    if len(continuing) == 1:
        round_.add_note(Message(N_("{name} is the last candidate left"), name=names[leader]))
    else:
        round_.add_note(
            Message(
                N_("{name} has {votes} of {total} continuing votes, more than half"),
                name=names[leader],
                votes=votes[leader],
                total=live_total,
            )
        )
    return names[leader], tie_breaks


def _exclude_lowest(
    round_: Round,
    continuing: list[int],
    votes: dict[int, int],
    history: list[dict[int, int]],
    seed: str,
    names: Sequence[str],
) -> tuple[int, list[TieBreak]]:
    """The candidate with fewest votes (ties by earlier rounds, then lot), noted on ``round_``."""
    low = min(votes[c] for c in continuing)
    lowest = [c for c in continuing if votes[c] == low]
    loser = lowest[0]
    tie_breaks: list[TieBreak] = []
    if len(lowest) > 1:
        loser, tb = break_tie(
            lowest,
            history,
            lowest=True,
            seed=seed,
            names=names,
            round_number=round_.number,
            purpose="exclude",
        )
        tie_breaks.append(tb)
    round_.excluded = [names[loser]]
    round_.add_note(
        Message(
            N_("no majority; {name} has fewest votes ({votes}) and is excluded"),
            name=names[loser],
            votes=low,
        )
    )
    return loser, tie_breaks


def _transfer(
    orders: StrictOrders,
    top: np.ndarray,
    pos: np.ndarray,
    alive: np.ndarray,
    loser: int,
    continuing: list[int],
) -> dict[int, int]:
    """Move the rows counting for ``loser`` to their next continuing candidate (``top`` and ``pos`` in
    place); the votes each candidate gained, ``-1`` for those exhausted."""
    n = alive.size - 1
    moving = np.flatnonzero(top == loser)
    pos[moving], top[moving] = next_continuing(orders.grid, moving, pos[moving] + 1, alive)
    moved = weighted_sum(top[moving], orders.counts[moving], n + 1)
    reached = np.bincount(top[moving], minlength=n + 1) > 0
    gained: dict[int, int] = {}
    for c in sorted(continuing):
        if reached[c]:
            gained[c] = int(moved[c])
    if reached[n]:
        gained[-1] = int(moved[n])
    return gained


def irv(
    profile: Profile,
    seats: int = 1,
    *,
    seed: str | None = None,
    caps: GroupCap | None = None,
    overvote: Overvote = "reject",
) -> Result:
    """Count an instant-runoff election and return the winner with every round.

    ``seats`` must be 1 (use an STV method for several seats). Candidates whose group is already at
    its cap (through ``caps.held``) are excluded before the first round and the result says so.
    """
    check_seats(profile, seats, "irv")
    if seats != 1:
        raise TallyInputError("irv elects one candidate; use stv-scottish or stv-meek for several seats")
    used_seed = resolve_seed(seed)
    names = profile.candidates
    orders = _orders(profile, overvote)
    continuing = [c for c in range(len(names)) if c not in profile.withdrawn]
    notes = _exclude_capped(names, continuing, caps) if caps is not None else []
    if not continuing:
        raise TallyInputError("irv has no eligible candidate to count")
    # Each distinct ranking is one row; top[i] is the continuing candidate row i counts for (the
    # sentinel n once it is exhausted) and pos[i] where that candidate stands in the row.
    n = len(names)
    alive = np.zeros(n + 1, dtype=np.bool_)
    alive[continuing] = True
    rows = np.arange(orders.counts.size, dtype=np.int64)
    pos, top = next_continuing(orders.grid, rows, np.zeros(rows.size, dtype=np.int64), alive)
    first = weighted_sum(top, orders.counts, n + 1)
    votes: dict[int, int] = {c: int(first[c]) for c in continuing}
    exhausted = int(first[n])

    rounds: list[Round] = []
    history: list[dict[int, int]] = []
    tie_breaks: list[TieBreak] = []
    transfers: dict[str, Number] = {}
    while True:
        counts: dict[str, Number] = {names[c]: votes[c] for c in continuing}
        round_ = Round(number=len(rounds) + 1, counts=counts, exhausted=exhausted, transfers=transfers)
        rounds.append(round_)
        leader = max(continuing, key=lambda c: votes[c])
        if len(continuing) == 1 or 2 * votes[leader] > sum(votes[c] for c in continuing):
            winner, ties = _elect_leader(round_, continuing, votes, history, used_seed, names)
            tie_breaks += ties
            break
        loser, ties = _exclude_lowest(round_, continuing, votes, history, used_seed, names)
        tie_breaks += ties
        history.append(dict(votes))
        alive[loser] = False
        continuing.remove(loser)
        gained = _transfer(orders, top, pos, alive, loser, continuing)
        for c, moved in gained.items():
            if c >= 0:
                votes[c] += moved
        exhausted += gained.get(-1, 0)
        del votes[loser]
        transfers = {names[c]: v for c, v in sorted(gained.items()) if c >= 0}
        if -1 in gained:
            transfers["(exhausted)"] = gained[-1]

    params: dict[str, object] = {"overvote": overvote}
    if caps is not None:
        params["caps"] = caps.to_json()
    return Result(
        method="irv",
        seats=1,
        candidates=[names[c] for c in range(len(names)) if c not in profile.withdrawn],
        elected=[winner],
        rounds=rounds,
        tie_breaks=tie_breaks,
        params=params,
        seed=used_seed,
        ballots=profile.total,
        notes=notes,
    )
