"""Cumulative voting, as the OpenInfra Foundation elects its individual directors.

Rule: the OpenInfra (formerly OpenStack) Foundation bylaws, section 3.9(a), let Individual Members
"vote for Individual Directors on a cumulative basis": each voter has as many votes as there are seats
(``votes``, by default ``seats``; eight for eight seats, as the foundation has run it) and spreads them
over the candidates, up to all of them on one candidate; a ballot may cast fewer. The ``seats``
candidates with the most votes are elected. The same bylaws' section 4.17 (Director Diversity: "No more
than two directors shall be Affiliated") is a ``GroupCap`` with ``cap=2``.

A ballot is a score ballot (``ScoreProfile``) whose scores are the votes it gives each candidate. A
ballot casting more than ``votes`` in all is refused with ``TallyInputError`` naming it (its line in
the file and what it gives): the count stops rather than guess what the voter meant.

Going down the order of votes, a candidate whose group is at its cap (``GroupCap``) is passed over
and the next one taken; candidates with equal votes are ordered by the seeded lot
(``governance.tally.lot``), and a draw is recorded whenever it decides who is elected. All counts
are exact integers.
"""

from __future__ import annotations

from typing import Any

from governance.i18n import N_
from governance.tally._ballots import resolve_seed
from governance.tally.caps import GroupCap
from governance.tally.errors import TallyInputError
from governance.tally.lot import lot_order
from governance.tally.result import Message, Number, Result, Round, TieBreak, withdrawn_note
from governance.tally.scores import ScoreProfile


def check_votes(scores: ScoreProfile, votes: int) -> None:
    """Refuse the first ballot that casts more than ``votes`` votes in all, naming it."""
    for i, ballot in enumerate(scores.ballots):
        cast = sum(ballot)
        if cast > votes:
            raise TallyInputError(
                f"cumulative voting gives each voter {votes} votes, but {scores.describe(i)} casts {cast}"
            )


def cumulative(
    scores: ScoreProfile,
    seats: int,
    *,
    seed: str | None = None,
    caps: GroupCap | None = None,
    votes: int | None = None,
) -> Result:
    """Elect the ``seats`` candidates with the most votes, each voter holding ``votes`` (default: seats).

    Refuses a ballot over its votes; equal totals are ordered by lot from ``seed``; capped groups are
    passed over.
    """
    if seats < 1:
        raise TallyInputError(f"cumulative needs at least one seat to fill, got {seats}")
    allowed = seats if votes is None else votes
    if allowed < 1:
        raise TallyInputError(f"cumulative voting needs at least one vote per voter, got {allowed}")
    check_votes(scores, allowed)
    names = scores.candidates
    eligible = [c for c in range(len(names)) if c not in scores.withdrawn]
    if not eligible:
        raise TallyInputError("cumulative needs at least one candidate")
    totals = [0] * len(names)
    blank = 0
    for ballot, count in zip(scores.ballots, scores.counts, strict=True):
        given = [(c, ballot[c]) for c in eligible if ballot[c]]
        if not given:
            blank += count
        for c, v in given:
            totals[c] += v * count
    used_seed = resolve_seed(seed)
    by_votes: dict[int, list[int]] = {}
    for c in eligible:
        by_votes.setdefault(totals[c], []).append(c)
    order: list[list[int]] = []
    for v in sorted(by_votes, reverse=True):
        group = by_votes[v]
        if len(group) > 1:
            position = {
                n: i
                for i, n in enumerate(
                    lot_order(used_seed, f"cumulative order at {v} votes", [names[c] for c in group])
                )
            }
            group = sorted(group, key=lambda c: position[names[c]])
        order.append(group)
    elected: list[str] = []
    passed: list[str] = []
    notes: list[str] = []
    ties: list[TieBreak] = []
    for group in order:
        taken: list[str] = []
        left: list[str] = []  # not elected: no seat left, or the group's cap reached (the lot decided)
        for c in group:
            if len(elected) >= seats:
                left.append(names[c])
            elif caps is not None and caps.blocked(names[c], elected):
                passed.append(names[c])
                left.append(names[c])
                notes.append(
                    Message(
                        N_(
                            "{name} ({votes} votes) passed over: group {group} already holds its cap of {cap}"
                        ),
                        name=names[c],
                        votes=totals[c],
                        group=repr(caps.group_of(names[c])),
                        cap=caps.cap,
                    )
                )
            else:
                elected.append(names[c])
                taken.append(names[c])
        if taken and left:
            ties.append(TieBreak(1, "elect", [names[c] for c in group], "lot", ", ".join(taken), used_seed))
    if len(elected) < seats:
        notes.append(
            Message(N_("only {elected} of {seats} seats could be filled"), elected=len(elected), seats=seats)
        )
    if scores.withdrawn:
        notes.append(withdrawn_note([names[i] for i in sorted(scores.withdrawn)]))
    counts: dict[str, Number] = {names[c]: totals[c] for c in eligible}
    params: dict[str, Any] = {"votes": allowed}
    if caps is not None:
        params["caps"] = caps.to_json()
    return Result(
        method="cumulative",
        seats=seats,
        candidates=[names[c] for c in eligible],
        elected=elected,
        rounds=[
            Round(
                1,
                counts,
                exhausted=blank,
                elected=list(elected),
                excluded=passed,
                note=Message(
                    N_("{seats} seat(s) by most votes, {votes} per voter"), seats=seats, votes=allowed
                ),
            )
        ],
        ranking=[[names[c] for c in group] for group in order],
        tie_breaks=ties,
        params=params,
        seed=used_seed,
        ballots=scores.total,
        notes=notes,
    )
