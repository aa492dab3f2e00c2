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
    notes: list[str] = []
    if caps is not None:
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
    elected: list[str] = []
    transfers: dict[str, Number] = {}
    number = 0
    while True:
        number += 1
        counts: dict[str, Number] = {names[c]: votes[c] for c in continuing}
        live_total = sum(votes[c] for c in continuing)
        leader = max(continuing, key=lambda c: votes[c])
        round_ = Round(number=number, counts=counts, exhausted=exhausted, transfers=dict(transfers))
        rounds.append(round_)
        if len(continuing) == 1 or 2 * votes[leader] > live_total:
            leaders = [c for c in continuing if votes[c] == votes[leader]]
            if len(leaders) > 1:  # only possible with two candidates level at the end
                leader, tb = break_tie(
                    leaders,
                    history,
                    lowest=False,
                    seed=used_seed,
                    names=names,
                    round_number=number,
                    purpose="elect",
                )
                tie_breaks.append(tb)
            elected.append(names[leader])
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
            break
        low = min(votes[c] for c in continuing)
        lowest = [c for c in continuing if votes[c] == low]
        loser = lowest[0]
        if len(lowest) > 1:
            loser, tb = break_tie(
                lowest,
                history,
                lowest=True,
                seed=used_seed,
                names=names,
                round_number=number,
                purpose="exclude",
            )
            tie_breaks.append(tb)
        history.append(dict(votes))
        round_.excluded = [names[loser]]
        round_.add_note(
            Message(
                N_("no majority; {name} has fewest votes ({votes}) and is excluded"),
                name=names[loser],
                votes=low,
            )
        )
        alive[loser] = False
        continuing.remove(loser)
        moving = np.flatnonzero(top == loser)
        pos[moving], top[moving] = next_continuing(orders.grid, moving, pos[moving] + 1, alive)
        moved = weighted_sum(top[moving], orders.counts[moving], n + 1)
        reached = np.bincount(top[moving], minlength=n + 1) > 0
        gained: dict[int, int] = {}
        for c in sorted(continuing):
            if reached[c]:
                votes[c] += int(moved[c])
                gained[c] = int(moved[c])
        if reached[n]:
            exhausted += int(moved[n])
            gained[-1] = int(moved[n])
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
        elected=elected,
        rounds=rounds,
        tie_breaks=tie_breaks,
        params=params,
        seed=used_seed,
        ballots=profile.total,
        notes=notes,
    )
