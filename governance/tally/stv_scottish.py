"""Scottish STV: the rules for Scottish local government elections (SSI 2007/42, rules 45-52).

The count follows the Scottish Local Government Elections Order 2007, schedule 1, as droop's
``scotland`` rule does:

* **Quota** (rule 46): ``floor(valid ballots / (seats + 1)) + 1``. A ballot ranking no candidate at
  all is not a valid ballot paper.
* **Election** (rule 47): a candidate whose votes equal or exceed the quota is elected.
* **Surplus transfer** (rules 48-49): the highest surplus is transferred first; *every* paper the
  candidate holds passes to its next continuing preference at value
  ``floor5(surplus × value when received / candidate's total)``, computed to five decimal places with
  any remainder ignored. The candidate keeps exactly the quota. Equal surpluses: the candidate with
  more votes at the most recent preceding stage at which they differed goes first, then lot.
* **Exclusion** (rules 50-51): with no surplus to transfer, the candidate with fewest votes is
  excluded and all its papers pass on at the value they carry. Equal lowest: the one with fewest
  votes at the most recent preceding stage at which they differed, then lot.
* **Last vacancies** (rule 52): when the continuing candidates are no more than the seats left, they
  are all elected and no further transfer is made; the count also stops once every seat is filled
  (surpluses still pending are then not transferred).

Arithmetic is exact: every vote value is an integer number of 1/100000ths. Truncation loses a little
value at each surplus transfer; each round records it as ``loss_by_fractions`` so that, in every
round, candidates' votes + non-transferable votes + loss by fractions = valid ballots exactly.

Lots are drawn from the seed (``governance.tally.lot``), not from droop's candidate order. A group cap
(``GroupCap``) excludes, in a stage of its own, every continuing candidate of a group that has reached
its cap; their papers transfer at their current value and the round and the result say why.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from governance.i18n import N_
from governance.tally._ballots import break_tie, check_seats, resolve_seed, strict_orders
from governance.tally._papers import Papers
from governance.tally.caps import GroupCap
from governance.tally.profile import Profile
from governance.tally.result import Message, Number, Result, Round, TieBreak, exact_decimal

SCALE = 100_000
"""Votes are kept as integers in units of 1/100000 (five decimal places, rule 48(3))."""


def to_decimal(units: int) -> Decimal:
    """A value in 1/100000ths as a Decimal with five places (e.g. 130040863 -> 1300.40863)."""
    return exact_decimal(units, 5)


def droop_quota(valid: int, seats: int) -> int:
    """The quota of rule 46: the integer part of valid/(seats+1), plus one."""
    return valid // (seats + 1) + 1


def stv_scottish(
    profile: Profile, seats: int | None = None, *, seed: str | None = None, caps: GroupCap | None = None
) -> Result:
    """Count ``profile`` by Scottish STV for ``seats`` seats (default: the profile's) and explain each stage.

    Ballots must rank candidates strictly (``TallyInputError`` otherwise).
    """
    seats = check_seats(profile, seats, "stv-scottish")
    return _Count(profile, seats, resolve_seed(seed), caps).run()


class _Count:
    def __init__(self, profile: Profile, seats: int, seed: str, caps: GroupCap | None) -> None:
        self.profile = profile
        self.seats = seats
        self.seed = seed
        self.caps = caps
        self.names = profile.candidates
        orders = strict_orders(profile, "stv-scottish")
        self.invalid = int(orders.counts[~orders.ranked].sum())
        self.valid = int(orders.counts[orders.ranked].sum())
        self.quota = droop_quota(self.valid, seats)
        self.q = self.quota * SCALE
        self.papers = Papers(orders, orders.ranked, SCALE)
        self.hopeful: list[int] = [c for c in range(len(self.names)) if c not in profile.withdrawn]
        self.eligible = list(self.hopeful)
        self.elected: list[int] = []
        self.excluded: list[int] = []
        self.pending: list[int] = []
        self.fixed: dict[int, int] = {}  # elected candidates whose surplus went: they keep the quota
        self.rounds: list[Round] = []
        self.history: list[dict[int, int]] = []
        self.tie_breaks: list[TieBreak] = []
        self.notes: list[str] = []
        self.current: list[int] = []

    # ------------------------------------------------------------------ figures
    def totals(self) -> list[int]:
        totals = self.papers.totals()
        for c, v in self.fixed.items():
            totals[c] = v
        for c in self.excluded:
            totals[c] = 0
        return totals

    def record(self, note: str, transfers_from: list[int] | None) -> Round:
        totals = self.totals()
        exhausted = self.papers.exhausted()
        loss = self.valid * SCALE - sum(totals[c] for c in self.eligible) - exhausted
        transfers: dict[str, Number] = {}
        if transfers_from is not None:
            for c in self.eligible:
                delta = totals[c] - transfers_from[c]
                if delta:
                    transfers[self.names[c]] = to_decimal(delta)
            prev_exhausted = self.rounds[-1].extra["exhausted_units"] if self.rounds else 0
            if exhausted != prev_exhausted:
                transfers["(non-transferable)"] = to_decimal(exhausted - prev_exhausted)
        round_ = Round(
            number=len(self.rounds) + 1,
            counts={self.names[c]: to_decimal(totals[c]) for c in self.eligible},
            quota=Decimal(self.quota),
            exhausted=to_decimal(exhausted),
            transfers=transfers,
            note=note,
            extra={"loss_by_fractions": str(to_decimal(loss)), "exhausted_units": exhausted},
        )
        self.rounds.append(round_)
        self.history.append(dict(enumerate(totals)))
        self.current = totals
        return round_

    # ------------------------------------------------------------------ actions
    def tie(self, tied: list[int], *, lowest: bool, purpose: str) -> int:
        if len(tied) == 1:
            return tied[0]
        chosen, tb = break_tie(
            tied,
            self.history[:-1],
            lowest=lowest,
            seed=self.seed,
            names=self.names,
            round_number=len(self.rounds),
            purpose=purpose,
        )
        self.tie_breaks.append(tb)
        return chosen

    def order_by_votes(self, candidates: Sequence[int]) -> list[int]:
        pool = list(candidates)
        out: list[int] = []
        while pool:
            top = max(self.current[c] for c in pool)
            chosen = self.tie(
                [c for c in pool if self.current[c] == top], lowest=False, purpose="elect order"
            )
            out.append(chosen)
            pool.remove(chosen)
        return out

    def elect_with_quota(self) -> None:
        reached = [c for c in self.hopeful if self.current[c] >= self.q]
        for c in self.order_by_votes(reached):
            if len(self.elected) >= self.seats:
                break
            if self.caps is not None and self.caps.blocked(self.names[c], self.elected_names()):
                continue  # excluded by the cap in the next stage
            self.hopeful.remove(c)
            self.elected.append(c)
            self.rounds[-1].elected.append(self.names[c])
            if self.current[c] > self.q:
                self.pending.append(c)

    def elected_names(self) -> list[str]:
        return [self.names[c] for c in self.elected]

    def transfer_surplus(self, c: int) -> None:
        total = self.current[c]
        surplus = total - self.q
        rows = self.papers.held_by(c)
        self.papers.set_continuing(self.hopeful)
        self.papers.place(rows, advance=True, revalue=(surplus, total))
        self.fixed[c] = self.q

    def exclude(self, losers: list[int]) -> None:
        rows_list = []
        for c in losers:
            self.hopeful.remove(c)
            self.excluded.append(c)
            rows_list.append(self.papers.held_by(c))
        self.papers.set_continuing(self.hopeful)
        for rows in rows_list:
            self.papers.place(rows, advance=True)

    # ------------------------------------------------------------------ the count
    def run(self) -> Result:
        self.papers.set_continuing(self.hopeful)
        self.papers.place(self.papers.held_by(-1), advance=False)
        self.record(
            Message(
                N_("first preferences; quota {quota} = floor({valid}/{divisor}) + 1"),
                quota=self.quota,
                valid=self.valid,
                divisor=self.seats + 1,
            ),
            None,
        )
        while True:
            self.elect_with_quota()
            if len(self.elected) >= self.seats:
                break
            before = list(self.current)
            if self.caps is not None:
                capped = [c for c in self.hopeful if self.caps.blocked(self.names[c], self.elected_names())]
                if capped:
                    self.exclude(capped)
                    who = ", ".join(self.names[c] for c in capped)
                    note = Message(
                        N_("{names} excluded: group cap of {cap} reached; their papers transfer"),
                        names=who,
                        cap=self.caps.cap,
                    )
                    self.notes.append(
                        Message(N_("Stage {number}: {note}"), number=len(self.rounds) + 1, note=note)
                    )
                    r = self.record(note, before)
                    r.excluded = [self.names[c] for c in capped]
                    continue
            if len(self.hopeful) <= self.seats - len(self.elected):
                rest = self.order_by_votes(self.hopeful)
                for c in rest:
                    self.hopeful.remove(c)
                    self.elected.append(c)
                    self.rounds[-1].elected.append(self.names[c])
                if rest:
                    self.rounds[-1].add_note(
                        Message(N_("continuing candidates fill the remaining seats (rule 52)"))
                    )
                break
            if self.pending:
                top = max(self.current[c] - self.q for c in self.pending)
                c = self.tie(
                    [c for c in self.pending if self.current[c] - self.q == top],
                    lowest=False,
                    purpose="surplus order",
                )
                self.pending.remove(c)
                surplus = self.current[c] - self.q
                tv = to_decimal(surplus * SCALE // self.current[c])
                self.transfer_surplus(c)
                self.record(
                    Message(
                        N_(
                            "surplus of {name} ({surplus}) transferred; papers at value × {surplus}/{total} "
                            "(≈ {value})"
                        ),
                        name=self.names[c],
                        surplus=to_decimal(surplus),
                        total=to_decimal(self.current[c]),
                        value=tv,
                    ),
                    before,
                )
                continue
            low = min(self.current[c] for c in self.hopeful)
            loser = self.tie(
                [c for c in self.hopeful if self.current[c] == low], lowest=True, purpose="exclude"
            )
            self.exclude([loser])
            r = self.record(
                Message(
                    N_("{name} excluded with {votes} votes"), name=self.names[loser], votes=to_decimal(low)
                ),
                before,
            )
            r.excluded = [self.names[loser]]
        if len(self.elected) < self.seats:
            self.notes.append(
                Message(
                    N_("only {elected} of {seats} seats could be filled"),
                    elected=len(self.elected),
                    seats=self.seats,
                )
            )
        if self.invalid:
            self.notes.append(
                Message(
                    N_("{n} ballot(s) ranking no candidate are not valid and were not counted"),
                    n=self.invalid,
                )
            )
        for r in self.rounds:
            r.extra.pop("exhausted_units", None)
        params: dict[str, object] = {"quota": self.quota, "valid": self.valid, "precision": 5}
        if self.caps is not None:
            params["caps"] = self.caps.to_json()
        return Result(
            method="stv-scottish",
            seats=self.seats,
            candidates=[self.names[c] for c in self.eligible],
            elected=self.elected_names(),
            rounds=self.rounds,
            tie_breaks=self.tie_breaks,
            params=params,
            seed=self.seed,
            ballots=self.profile.total,
            notes=self.notes,
        )
