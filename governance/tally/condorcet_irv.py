"""Condorcet-IRV as CIVS counts it (the completion rule the CNCF TOC elections name).

Source: CIVS, "Condorcet completion in CIVS", section *Condorcet-IRV* (civs.cs.cornell.edu/rp.html;
the rule "originally proposed by Thomas Hill of England's Electoral Reform Society"), and CIVS's code
for it (``cgi-bin/runoff.pm``, ``rank_candidates``), which this module follows step by step:

* **One rank at a time.** Among the choices not yet ranked, if one beats every other strictly
  (``d[a, b] > d[b, a]`` for every other ``b`` considered) it takes the rank: the Condorcet winner.
* **Otherwise the weakest is set aside.** Each choice's *top count* is the number of ballots on which
  it is ranked highest among the choices still considered: a ballot ranking several of them equally
  at its best rank gives each of them one (not a fraction), and a ballot that ranks none of them gives
  nobody anything (CIVS's "No opinion"). The choice with the smallest top count is set aside for this
  rank and the search for a Condorcet winner starts again among the rest. CIVS picks at random among
  choices tied for the smallest top count; here the deterministic lot of ``governance.tally.lot``
  picks, and the draw is recorded as a ``TieBreak``.
* **A tied rank.** When every choice still considered has the same top count, they all share the rank.
* **The next rank** starts again from every choice not yet ranked (those set aside come back).
  CIVS repeats this to rank every choice; the ``seats`` winners are the first ``seats`` of that ranking,
  as CIVS marks them (CIVS defines no separate multi-seat rule: "Number of winning choices" takes the
  top of the ranking, which is how the CNCF TOC elections fill several seats). Going down the ranking a
  candidate whose group is at its cap (``GroupCap``) is passed over, and a tied rank reached while seats
  remain is put in order by lot (``condorcet.fill_seats``, as Schulze and Ranked Pairs do).

The pairwise matrix is ``condorcet.pairwise``. By default a ballot expresses no preference between a
candidate it ranks and one it leaves out (``unranked="abstain"``), which is what CIVS's "No opinion"
means; ``unranked="bottom"`` counts unranked candidates below the ranked ones instead.

Each step is a round of the result: the top counts of the choices considered, who took the rank or
who was set aside, and why. Every count is an exact integer.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from governance.i18n import N_
from governance.tally._ballots import check_seats, resolve_seed, wide
from governance.tally.caps import GroupCap
from governance.tally.condorcet import IntMatrix, Unranked, fill_seats, pairwise, positions
from governance.tally.errors import TallyInputError
from governance.tally.lot import lot_order
from governance.tally.profile import Profile
from governance.tally.result import Message, Number, Result, Round, TieBreak, withdrawn_note


class _TopCounter:
    """Top counts of any set of candidates, from the ballots' positions (one row per distinct ballot)."""

    def __init__(self, profile: Profile) -> None:
        try:
            self.pos = positions(profile)
        except ValueError as exc:
            raise TallyInputError(str(exc)) from None
        self.unranked = len(profile.candidates) + 1
        counts = np.array(profile.counts, dtype=object if wide(profile.total) else np.int64)
        self.weights: npt.NDArray[Any] = counts

    def counts(self, considered: Sequence[int]) -> dict[int, int]:
        """How many ballots rank each of ``considered`` highest among ``considered`` (ties: one each)."""
        if self.pos.shape[0] == 0:
            return dict.fromkeys(considered, 0)
        sub = self.pos[:, list(considered)]
        best = sub.min(axis=1)
        top = (sub == best[:, None]) & (sub != self.unranked)
        totals = (top * self.weights[:, None]).sum(axis=0)
        return {c: int(t) for c, t in zip(considered, totals.tolist(), strict=True)}


def _condorcet_winner(d: IntMatrix, considered: Sequence[int]) -> int | None:
    """The choice that beats every other considered one strictly, if any (CIVS: ``m[j][k] > m[k][j]``)."""
    for a in considered:
        if all(d[a, b] > d[b, a] for b in considered if b != a):
            return a
    return None


def condorcet_irv(
    profile: Profile,
    seats: int,
    *,
    seed: str | None = None,
    caps: GroupCap | None = None,
    unranked: Unranked = "abstain",
) -> Result:
    """Rank every candidate by CIVS's Condorcet-IRV and elect the first ``seats`` (caps respected).

    ``unranked``: how a ballot compares a candidate it ranks with one it leaves out ("abstain", CIVS's
    "No opinion", the default; or "bottom"). A tie for the smallest top count is broken by lot from
    ``seed`` and recorded, as is the order of a tied rank reached while seats remain.
    """
    check_seats(profile, seats, "condorcet-irv")
    names = profile.candidates
    remaining = [c for c in range(len(names)) if c not in profile.withdrawn]
    if not remaining:
        raise TallyInputError("there is no candidate to count")
    d = pairwise(profile, unranked=unranked)
    counter = _TopCounter(profile)
    used_seed = resolve_seed(seed)
    rounds: list[Round] = []
    tie_breaks: list[TieBreak] = []
    ranking: list[list[int]] = []
    while remaining:
        rank = len(ranking) + 1
        considered = list(remaining)
        while True:
            tops = counter.counts(considered)
            shown: dict[str, Number] = {names[c]: tops[c] for c in considered}
            extra: dict[str, Any] = {"rank": rank, "considered": [names[c] for c in considered]}
            cw = _condorcet_winner(d, considered)
            if cw is not None:
                ranking.append([cw])
                extra["ranked"] = [names[cw]]
                if len(considered) == 1:
                    note = Message(
                        N_("rank {rank}: {name} is the only choice left"), rank=rank, name=names[cw]
                    )
                else:
                    note = Message(
                        N_("rank {rank}: {name} beats every other choice considered (Condorcet winner)"),
                        rank=rank,
                        name=names[cw],
                    )
                rounds.append(Round(len(rounds) + 1, shown, note=note, extra=extra))
                break
            worst = min(tops.values())
            lowest = [c for c in considered if tops[c] == worst]
            if len(lowest) == len(considered):
                ranking.append(list(considered))
                extra["ranked"] = [names[c] for c in considered]
                note = Message(
                    N_(
                        "rank {rank}: no Condorcet winner; equal top counts ({votes}): {names} share the rank"
                    ),
                    rank=rank,
                    votes=worst,
                    names=", ".join(names[c] for c in considered),
                )
                rounds.append(Round(len(rounds) + 1, shown, note=note, extra=extra))
                break
            dropped = _set_aside(lowest, names, rank, worst, len(rounds) + 1, used_seed, tie_breaks)
            note = Message(
                N_("rank {rank}: no Condorcet winner; {name}, fewest top counts ({votes}), is set aside"),
                rank=rank,
                name=names[dropped],
                votes=worst,
            )
            rounds.append(Round(len(rounds) + 1, shown, excluded=[names[dropped]], note=note, extra=extra))
            considered.remove(dropped)
        taken = set(ranking[-1])
        remaining = [c for c in remaining if c not in taken]
    return _result(profile, seats, caps, unranked, used_seed, d, ranking, rounds, tie_breaks)


def _set_aside(
    lowest: list[int],
    names: Sequence[str],
    rank: int,
    worst: int,
    round_number: int,
    seed: str,
    tie_breaks: list[TieBreak],
) -> int:
    """The one choice set aside among those with the smallest top count (by lot when several)."""
    if len(lowest) == 1:
        return lowest[0]
    between = [names[c] for c in lowest]
    chosen = lot_order(seed, f"condorcet-irv rank {rank} set aside at {worst} top count", between)[0]
    tie_breaks.append(TieBreak(round_number, "exclude", between, "lot", chosen, seed))
    return lowest[between.index(chosen)]


def _result(
    profile: Profile,
    seats: int,
    caps: GroupCap | None,
    unranked: Unranked,
    seed: str,
    d: IntMatrix,
    ranking: list[list[int]],
    rounds: list[Round],
    tie_breaks: list[TieBreak],
) -> Result:
    """Fill the seats going down the ranking and assemble the result."""
    names = profile.candidates
    tiers = [[names[c] for c in tier] for tier in ranking]
    elected, passed, notes = fill_seats(tiers, seats, caps, seed, tie_breaks)
    for r in rounds:  # mark, in the round that ranked them, who was elected and who passed over
        ranked = r.extra.get("ranked", [])
        r.elected = [n for n in ranked if n in elected]
        r.excluded = r.excluded + [n for n in ranked if n in passed]
    if rounds:
        rounds[0].extra["candidates"] = list(names)
        rounds[0].extra["pairwise"] = [[int(v) for v in row] for row in d.tolist()]
    if len(elected) < seats:
        notes.append(
            Message(N_("only {elected} of {seats} seats could be filled"), elected=len(elected), seats=seats)
        )
    if profile.withdrawn:
        notes.append(withdrawn_note([names[i] for i in sorted(profile.withdrawn)]))
    params: dict[str, Any] = {"unranked": unranked}
    if caps is not None:
        params["caps"] = caps.to_json()
    return Result(
        method="condorcet-irv",
        seats=seats,
        candidates=[names[c] for c in range(len(names)) if c not in profile.withdrawn],
        elected=elected,
        rounds=rounds,
        ranking=tiers,
        tie_breaks=tie_breaks,
        params=params,
        seed=seed,
        ballots=profile.total,
        notes=notes,
    )
