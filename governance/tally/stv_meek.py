"""Meek STV, as droop's ``meek`` rule and OpenSTV's MeekSTV count it (Hill, Wichmann & Woodall, 1987).

Every continuing or elected candidate has a *keep factor* (1 for hopeful candidates, 0 once
excluded). A ballot passes down its ranking: at each candidate it leaves ``weight × keep factor`` and
carries ``weight × (1 − keep factor)`` on. Each round iterates:

1. distribute every ballot over the current keep factors (excluded candidates are skipped);
2. the quota is recomputed from the votes still held by candidates (exhausted value no longer
   counts): ``quota = votes / (seats + 1)``, truncated, plus the smallest unit;
3. hopeful candidates with ``votes >= quota`` are elected (ending the round);
4. otherwise, stop when the total surplus of the elected is at most omega (``10**-6``), or stops
   decreasing (a stable state), or when a batch of "sure losers" can be excluded (their combined
   votes plus the surplus stay below the next candidate, droop's safe batch defeat);
5. else each elected candidate's keep factor becomes ``kf × quota / votes`` (each step rounded up)
   and the iteration repeats.

With no election, the lowest hopeful candidate is excluded (keep factor 0). Candidates within the
total surplus of the lowest are treated as tied with it, as in droop; among them the one with fewest
votes goes, then the fewest at the most recent earlier round where they differed, then a lot from the
seed. When the hopeful candidates are no more than the seats left, they are all elected.

**Precision.** Fixed-point decimal with 9 places, as droop's ``meek`` with ``arithmetic=fixed``
(precision 9, omega 1/10^6): values are integers in units of 10^-9; keep and carry are each truncated
(OpenSTV's rounding), and the keep-factor update rounds up. Ballots are distributed as whole arrays of
distinct rankings (numpy), never ballot by ballot. Group caps exclude a capped group's hopeful
candidates as soon as the group is full; the round and the result say so.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

import numpy as np
import numpy.typing as npt

from governance.tally._ballots import break_tie, check_seats, resolve_seed, strict_ballots
from governance.tally.caps import GroupCap
from governance.tally.errors import TallyInputError
from governance.tally.profile import Profile
from governance.tally.result import Number, Result, Round, TieBreak

PRECISION = 9
SCALE = 10**PRECISION
OMEGA = 10 ** (PRECISION - 6)  # 1/10^6 in units of 10^-9
MAX_ITERATIONS = 10_000

IntArray = npt.NDArray[np.int64]


def to_decimal(units: int) -> Decimal:
    """A value in 10^-9 units as a Decimal with nine places."""
    return Decimal(units).scaleb(-PRECISION)


def stv_meek(
    profile: Profile, seats: int | None = None, *, seed: str | None = None, caps: GroupCap | None = None
) -> Result:
    """Count ``profile`` by Meek STV for ``seats`` seats (default: the profile's), round by round.

    Ballots must rank candidates strictly (``TallyInputError`` otherwise).
    """
    if seats is None:
        if profile.seats is None:
            raise TallyInputError("stv-meek needs the number of seats")
        seats = profile.seats
    check_seats(profile, seats, "stv-meek")
    return _Meek(profile, seats, resolve_seed(seed), caps).run()


class _Meek:
    def __init__(self, profile: Profile, seats: int, seed: str, caps: GroupCap | None) -> None:
        self.profile = profile
        self.seats = seats
        self.seed = seed
        self.caps = caps
        self.names = profile.candidates
        n = len(self.names)
        ballots = [b for b in strict_ballots(profile, "stv-meek") if b[0]]
        self.valid = sum(count for _, count in ballots)
        width = max((len(order) for order, _ in ballots), default=0)
        grid = np.full((len(ballots), max(width, 1)), n, dtype=np.int64)
        for i, (order, _) in enumerate(ballots):
            grid[i, : len(order)] = order
        self.grid: IntArray = grid
        self.mult: IntArray = np.array([c for _, c in ballots], dtype=np.int64)
        self.kf: IntArray = np.zeros(n + 1, dtype=np.int64)  # index n: sentinel "no candidate"
        self.eligible = [c for c in range(n) if c not in profile.withdrawn]
        self.hopeful = list(self.eligible)
        self.kf[self.hopeful] = SCALE
        self.elected: list[int] = []
        self.excluded: list[int] = []
        self.votes: list[int] = [0] * n
        self.quota = 0
        self.surplus = 0
        self.rounds: list[Round] = []
        self.history: list[dict[int, int]] = []
        self.tie_breaks: list[TieBreak] = []
        self.notes: list[str] = []
        self.iterations = 0

    # -------------------------------------------------------------- arithmetic
    def distribute(self) -> None:
        n = len(self.names)
        totals = np.zeros(n + 1, dtype=np.float64)
        rows = np.arange(self.grid.shape[0])
        weight = np.full(rows.size, SCALE, dtype=np.int64)
        for p in range(self.grid.shape[1]):
            if rows.size == 0:
                break
            cand = self.grid[rows, p]
            k = self.kf[cand]
            keep = weight * k // SCALE
            # Every partial sum is an integer below 2**53 (at most ballots × 10^9), so float sums are exact.
            totals += np.bincount(cand, weights=(keep * self.mult[rows]).astype(np.float64), minlength=n + 1)
            weight = weight * (SCALE - k) // SCALE
            alive = (weight > 0) & (cand != n)
            rows, weight = rows[alive], weight[alive]
        self.votes = [int(v) for v in totals[:n]]
        for c in self.excluded:
            self.votes[c] = 0
        held = sum(self.votes[c] for c in self.hopeful + self.elected)
        self.quota = held // (self.seats + 1) + 1

    def sure_losers(self) -> list[int]:
        """droop's safe batch: the largest set of lowest candidates that cannot catch the next one."""
        order = sorted(self.hopeful, key=lambda c: self.votes[c])
        groups: list[list[int]] = []
        base = 0
        for c in order:
            if groups and base + self.surplus >= self.votes[c]:
                groups[-1].append(c)
            else:
                groups.append([c])
                base = self.votes[c]
        max_defeat = len(self.hopeful) - (self.seats - len(self.elected))
        total, count, best = 0, 0, -1
        for g in range(len(groups) - 1):
            count += len(groups[g])
            if count > max_defeat:
                break
            total += sum(self.votes[c] for c in groups[g])
            if total + self.surplus < self.votes[groups[g + 1][0]]:
                best = g
        return [c for g in groups[: best + 1] for c in g]

    def iterate(self) -> tuple[str, list[int]]:
        last = self.valid * SCALE + 1
        while True:
            self.iterations += 1
            self.distribute()
            winners = [c for c in self.hopeful if self.votes[c] >= self.quota]
            if winners:
                return "elected", winners
            self.surplus = sum(max(self.votes[c] - self.quota, 0) for c in self.elected)
            if self.surplus <= OMEGA:
                return "omega", []
            if self.surplus >= last or self.iterations > MAX_ITERATIONS:
                return "stable", []
            batch = self.sure_losers()
            if batch:
                return "batch", batch
            last = self.surplus
            for c in self.elected:
                up = -((-int(self.kf[c]) * self.quota) // SCALE)
                self.kf[c] = -((-up * SCALE) // self.votes[c]) if self.votes[c] > 0 else self.kf[c]

    # -------------------------------------------------------------- bookkeeping
    def record(self, note: str) -> Round:
        held = sum(self.votes[c] for c in self.eligible)
        r = Round(
            number=len(self.rounds) + 1,
            counts={self.names[c]: to_decimal(self.votes[c]) for c in self.eligible},
            quota=to_decimal(self.quota),
            exhausted=to_decimal(self.valid * SCALE - held),
            note=note,
            extra={
                "keep_factors": {self.names[c]: str(to_decimal(int(self.kf[c]))) for c in self.elected},
                "surplus": str(to_decimal(self.surplus)),
                "iterations": self.iterations,
            },
        )
        self.rounds.append(r)
        self.history.append(dict(enumerate(self.votes)))
        return r

    def tie(self, tied: Sequence[int], *, lowest: bool, purpose: str) -> int:
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

    def exclude(self, losers: Sequence[int]) -> None:
        for c in losers:
            self.hopeful.remove(c)
            self.excluded.append(c)
            self.kf[c] = 0

    def elected_names(self) -> list[str]:
        return [self.names[c] for c in self.elected]

    def apply_caps(self, round_: Round) -> None:
        if self.caps is None:
            return
        capped = [c for c in self.hopeful if self.caps.blocked(self.names[c], self.elected_names())]
        if capped:
            self.exclude(capped)
            who = ", ".join(self.names[c] for c in capped)
            note = f"{who} excluded: group cap of {self.caps.cap} reached; their votes transfer"
            round_.excluded.extend(self.names[c] for c in capped)
            round_.note += "; " + note
            self.notes.append(f"Round {round_.number}: {note}")

    def complete(self) -> bool:
        left = self.seats - len(self.elected)
        return left <= 0 or len(self.hopeful) <= left

    # -------------------------------------------------------------- the count
    def run(self) -> Result:
        first = [0] * len(self.names)
        for order, count in zip(self.grid[:, 0].tolist(), self.mult.tolist(), strict=True):
            if order < len(self.names):
                first[order] += count
        self.votes = [v * SCALE for v in first]
        self.quota = (self.valid * SCALE) // (self.seats + 1) + 1
        self.record("first preferences")
        if self.caps is not None:
            self.apply_caps(self.rounds[-1])
        while not self.complete():
            self.iterations = 0
            status, chosen = self.iterate()
            if status == "elected":
                r = self.record(f"iterated {self.iterations} time(s); quota reached")
                for c in sorted(chosen, key=lambda c: -self.votes[c]):
                    if len(self.elected) >= self.seats:
                        break
                    if self.caps is not None and self.caps.blocked(self.names[c], self.elected_names()):
                        continue
                    self.hopeful.remove(c)
                    self.elected.append(c)
                    r.elected.append(self.names[c])
                self.apply_caps(r)
                continue
            if status == "batch":
                r = self.record(f"iterated {self.iterations} time(s); sure losers excluded")
                self.exclude(chosen)
                r.excluded = [self.names[c] for c in chosen]
                continue
            low = min(self.votes[c] for c in self.hopeful)
            near = [c for c in self.hopeful if self.votes[c] <= low + self.surplus]
            lowest = [c for c in near if self.votes[c] == low]
            loser = self.tie(lowest, lowest=True, purpose="exclude")
            why = "surplus below omega" if status == "omega" else "surplus stable"
            r = self.record(f"iterated {self.iterations} time(s); {why}; lowest excluded")
            self.exclude([loser])
            r.excluded = [self.names[loser]]
        # Fill the last seats with the remaining hopeful candidates (highest votes first).
        self.iterations = 0
        if self.hopeful and len(self.elected) < self.seats:
            self.distribute()
            r = self.record("continuing candidates fill the remaining seats")
            for c in sorted(self.hopeful, key=lambda c: -self.votes[c]):
                self.hopeful.remove(c)
                self.elected.append(c)
                r.elected.append(self.names[c])
        elif self.rounds and len(self.rounds) > 1:
            self.distribute()
            self.rounds[-1].counts = {self.names[c]: to_decimal(self.votes[c]) for c in self.eligible}
        if len(self.elected) < self.seats:
            self.notes.append(f"only {len(self.elected)} of {self.seats} seats could be filled")
        params: dict[str, object] = {"precision": PRECISION, "omega": "1e-6", "arithmetic": "fixed"}
        if self.caps is not None:
            params["caps"] = self.caps.to_json()
        return Result(
            method="stv-meek",
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


_ = Number  # re-exported type used in Round counts
