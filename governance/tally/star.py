"""STAR voting (Score Then Automatic Runoff), single seat and Multi-winner Bloc STAR.

Sources: starvoting.org, "STAR Voting" and "Ties" (the Official Tiebreaker Protocol), the same protocol
as BetterVoting's documentation states it (docs.bettervoting.com/help/ties.html), and starvoting.org's
"Multi-winner Bloc STAR" (the Python Steering Council's method under PEP 13).

* **Scoring round.** Every ballot scores every candidate from 0 to 5 (a blank is 0); each candidate's
  scores are summed and the two highest totals are the finalists.
* **Automatic runoff.** Each ballot is one vote for the finalist it scored higher; a ballot scoring
  them equally is "no preference" (shown as exhausted). The finalist preferred on more ballots wins.
* **Ties in the scoring round** (which candidates become finalists), in order:
  1. *head-to-head preference*: the candidate scored higher by more voters. Between two candidates
     that is the majority-preferred one; among more, the tied candidates are compared head to head and
     those who lost the most match-ups are eliminated, then again among those left (their match-ups
     with the eliminated no longer count), as long as it separates them;
  2. *most five-star ratings* (ballots giving the top score);
  3. *lot*: the seeded draw of ``governance.tally.lot`` (where the protocol says "randomly").
* **Ties in the runoff**: 1. the *higher total score*; 2. the *most five-star ratings*; 3. *lot*.
* **Bloc STAR** (``seats`` > 1): the seats are filled one at a time, each by a STAR count among the
  candidates not yet elected, on the same ballots. A candidate whose group is at its cap (``GroupCap``)
  takes no further part, and the result's notes say so.

Every tie that decides who goes through or who wins is recorded as a ``TieBreak`` naming the rule
that settled it. Each seat gives two rounds: the scoring round (totals) and the runoff (preferences).
All counts are exact integers.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from governance.i18n import N_
from governance.tally._ballots import resolve_seed, wide
from governance.tally.caps import GroupCap
from governance.tally.errors import TallyInputError
from governance.tally.lot import lot_order
from governance.tally.result import Message, Result, Round, TieBreak, withdrawn_note
from governance.tally.scores import ScoreProfile, check_range

STAR_MAX = 5
"""The top of STAR's scale: ballots score each candidate 0 to 5 stars."""

_ROWS = 4096


class _Tables:
    """What STAR reads off the ballots: totals, five-star counts and head-to-head preferences."""

    def __init__(self, scores: ScoreProfile, top: int) -> None:
        n = len(scores.candidates)
        self.ballots = scores.total
        grid = np.array(scores.ballots, dtype=np.int64).reshape(len(scores.ballots), n)
        weights: npt.NDArray[Any] = np.array(
            scores.counts, dtype=object if wide(scores.total, top) else np.int64
        )
        column = weights[:, None]
        self.totals = [int(v) for v in (grid * column).sum(axis=0).tolist()] if n else []
        self.fives = [int(v) for v in ((grid == top) * column).sum(axis=0).tolist()] if n else []
        prefer = np.zeros((n, n), dtype=weights.dtype)
        for start in range(0, grid.shape[0], _ROWS):
            block = grid[start : start + _ROWS]
            above = block[:, :, None] > block[:, None, :]
            prefer = prefer + (above * weights[start : start + _ROWS, None, None]).sum(axis=0)
        self.prefer = [[int(v) for v in row] for row in prefer.tolist()]

    def losses(self, group: Sequence[int]) -> dict[int, int]:
        """How many head-to-head match-ups each of ``group`` loses against the others of ``group``."""
        return {c: sum(1 for d in group if self.prefer[d][c] > self.prefer[c][d]) for c in group}


def star(
    scores: ScoreProfile,
    seats: int = 1,
    *,
    seed: str | None = None,
    caps: GroupCap | None = None,
) -> Result:
    """Count score ballots by STAR (Bloc STAR for several seats) with the Official Tiebreaker Protocol.

    A ballot scoring a candidate above 5 is refused with ``TallyInputError`` naming it; ``seed`` feeds
    the lot a tie falls to after the protocol's other steps, and every tie is recorded.
    """
    if seats < 1:
        raise TallyInputError(f"star needs at least one seat to fill, got {seats}")
    check_range(scores, "STAR", STAR_MAX)
    names = scores.candidates
    eligible = [c for c in range(len(names)) if c not in scores.withdrawn]
    if not eligible:
        raise TallyInputError("star needs at least one candidate")
    tables = _Tables(scores, STAR_MAX)
    used_seed = resolve_seed(seed)
    elected: list[int] = []
    passed: list[int] = []
    rounds: list[Round] = []
    ties: list[TieBreak] = []
    notes: list[str] = []
    for seat in range(1, seats + 1):
        chosen = [names[c] for c in elected]
        for c in eligible:
            if c not in elected and c not in passed and caps is not None and caps.blocked(names[c], chosen):
                passed.append(c)
                notes.append(_capped(caps, names[c]))
        running = [c for c in eligible if c not in elected and c not in passed]
        if not running:
            break
        winner = _seat(tables, names, running, seat, rounds, ties, used_seed)
        elected.append(winner)
    if len(elected) < seats:
        notes.append(
            Message(N_("only {elected} of {seats} seats could be filled"), elected=len(elected), seats=seats)
        )
    if scores.withdrawn:
        notes.append(withdrawn_note([names[i] for i in sorted(scores.withdrawn)]))
    params: dict[str, Any] = {"max_score": STAR_MAX}
    if caps is not None:
        params["caps"] = caps.to_json()
    return Result(
        method="star",
        seats=seats,
        candidates=[names[c] for c in eligible],
        elected=[names[c] for c in elected],
        rounds=rounds,
        tie_breaks=ties,
        params=params,
        seed=used_seed,
        ballots=scores.total,
        notes=notes,
    )


def _capped(caps: GroupCap, name: str) -> Message:
    return Message(
        N_("{name} passed over: group {group} is at its cap of {cap}"),
        name=name,
        group=repr(caps.group_of(name)),
        cap=caps.cap,
    )


def _seat(
    tables: _Tables,
    names: Sequence[str],
    running: list[int],
    seat: int,
    rounds: list[Round],
    ties: list[TieBreak],
    seed: str,
) -> int:
    """One STAR count among ``running`` for seat ``seat``: the scoring round, then the runoff."""
    totals = {names[c]: tables.totals[c] for c in running}
    if len(running) == 1:
        only = running[0]
        note = Message(N_("seat {seat}: {name} is the only candidate left"), seat=seat, name=names[only])
        rounds.append(Round(len(rounds) + 1, dict(totals), elected=[names[only]], note=note))
        return only
    scoring_round = len(rounds) + 1
    finalists = _finalists(tables, names, running, seat, scoring_round, ties, seed)
    a, b = finalists
    rounds.append(
        Round(
            scoring_round,
            dict(totals),
            note=Message(
                N_("seat {seat}: scoring round; finalists {first} and {second}"),
                seat=seat,
                first=names[a],
                second=names[b],
            ),
            extra={"five_star": {names[c]: tables.fives[c] for c in running}},
        )
    )
    pa, pb = tables.prefer[a][b], tables.prefer[b][a]
    runoff_round = len(rounds) + 1
    winner = _runoff(tables, names, a, b, runoff_round, ties, seed)
    equal = _no_preference(tables, a, b)
    rounds.append(
        Round(
            runoff_round,
            {names[a]: pa, names[b]: pb},
            exhausted=equal,
            elected=[names[winner]],
            note=(
                Message(
                    N_("seat {seat}: automatic runoff; {name} is preferred on more ballots"),
                    seat=seat,
                    name=names[winner],
                )
                if pa != pb
                else Message(
                    N_("seat {seat}: automatic runoff tied at {votes} each; {name} wins the tie-break"),
                    seat=seat,
                    votes=pa,
                    name=names[winner],
                )
            ),
        )
    )
    return winner


def _no_preference(tables: _Tables, a: int, b: int) -> int:
    """Ballots scoring the two finalists equally (total ballots less those preferring either)."""
    return tables.ballots - tables.prefer[a][b] - tables.prefer[b][a]


def _finalists(
    tables: _Tables,
    names: Sequence[str],
    running: list[int],
    seat: int,
    round_number: int,
    ties: list[TieBreak],
    seed: str,
) -> tuple[int, int]:
    """The two candidates with the highest totals, ties settled by the Official Tiebreaker Protocol."""
    by_total: dict[int, list[int]] = {}
    for c in running:
        by_total.setdefault(tables.totals[c], []).append(c)
    chosen: list[int] = []
    for total in sorted(by_total, reverse=True):
        group = by_total[total]
        room = 2 - len(chosen)
        if len(group) <= room:
            chosen.extend(group)
        else:
            context = f"star seat {seat} finalists at {total}"
            picked, rule = _pick(tables, names, group, room, context, seed)
            chosen.extend(picked)
            ties.append(
                TieBreak(
                    round_number,
                    "choose the finalists",
                    [names[c] for c in group],
                    rule,
                    ", ".join(names[c] for c in picked),
                    seed if rule == "lot" else None,
                )
            )
        if len(chosen) == 2:
            break
    return chosen[0], chosen[1]


def _pick(
    tables: _Tables, names: Sequence[str], group: list[int], k: int, context: str, seed: str
) -> tuple[list[int], str]:
    """``k`` of the tied ``group`` and the rule that decided: head-to-head, five-star ratings, lot."""
    chosen, tied, need = _head_to_head(tables, group, k)
    if need == 0:
        return chosen, "head-to-head preference"
    for five in sorted({tables.fives[c] for c in tied}, reverse=True):
        level = [c for c in tied if tables.fives[c] == five]
        if len(level) <= need:
            chosen, need = chosen + level, need - len(level)
        else:
            tied = level
            break
    if need == 0:
        return chosen, "most five-star ratings"
    drawn = lot_order(seed, context, [names[c] for c in tied])[:need]
    return chosen + [c for c in tied if names[c] in drawn], "lot"


def _head_to_head(tables: _Tables, group: list[int], k: int) -> tuple[list[int], list[int], int]:
    """Step 1 of the protocol: the tied candidates compared head to head, those who lost the most
    match-ups eliminated, again among those left, until ``k`` are known or no one loses more than the
    rest. Returns (chosen, still tied, how many of those still to choose)."""
    chosen: list[int] = []
    tied = list(group)
    while len(tied) > k:
        losses = tables.losses(tied)
        worst = max(losses.values())
        keep = [c for c in tied if losses[c] < worst]
        if not keep:  # everyone lost as many match-ups: head to head cannot separate them
            return chosen, tied, k
        if len(keep) >= k:
            tied = keep
        else:  # the better ones all go through; the rest are chosen among those who lost the most
            chosen, k, tied = chosen + keep, k - len(keep), [c for c in tied if losses[c] == worst]
    return chosen + tied, [], 0


def _runoff(
    tables: _Tables,
    names: Sequence[str],
    a: int,
    b: int,
    round_number: int,
    ties: list[TieBreak],
    seed: str,
) -> int:
    """The runoff between finalists ``a`` and ``b``: more ballots preferring, then the protocol's steps."""
    pa, pb = tables.prefer[a][b], tables.prefer[b][a]
    if pa != pb:
        return a if pa > pb else b
    between = [names[a], names[b]]
    if tables.totals[a] != tables.totals[b]:
        winner, rule = (a if tables.totals[a] > tables.totals[b] else b), "higher total score"
    elif tables.fives[a] != tables.fives[b]:
        winner, rule = (a if tables.fives[a] > tables.fives[b] else b), "most five-star ratings"
    else:
        drawn = lot_order(seed, f"star runoff {names[a]} v {names[b]} at {pa}", between)[0]
        winner, rule = (a if drawn == names[a] else b), "lot"
    ties.append(
        TieBreak(
            round_number, "decide the runoff", between, rule, names[winner], seed if rule == "lot" else None
        )
    )
    return winner
