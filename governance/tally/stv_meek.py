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
(OpenSTV's rounding), and the keep-factor update rounds up. The largest figure is a candidate's
votes, at most ``ballots × 10^9``: when that could pass int64's range (``_ballots.wide``, from about
4.6 billion ballots) every array of the count holds Python integers instead, so no figure ever wraps
(a count of 18,446,744,074 ballots once wrapped and elected the loser). Group caps exclude a capped group's
hopeful candidates as soon as the group is full; the round and the result say so.

**Speed.** A ballot's path depends only on the elected candidates it meets, in order, before its first
hopeful one, so distinct rankings are grouped by that path (``_Paths``: a trie of elected prefixes,
kept up to date with numpy as candidates leave the hopeful set) and each iteration distributes over
the few paths, not over the ballots, with the same truncated integer steps a ballot-by-ballot walk
would make.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

import numpy as np
import numpy.typing as npt

from governance.i18n import N_
from governance.tally._ballots import (
    StrictOrders,
    Weights,
    as_weights,
    break_tie,
    check_seats,
    resolve_seed,
    strict_orders,
    weighted_sum,
    wide,
)
from governance.tally.caps import GroupCap
from governance.tally.profile import Profile
from governance.tally.result import Message, Number, Result, Round, TieBreak, exact_decimal

PRECISION = 9
SCALE = 10**PRECISION
OMEGA = 10 ** (PRECISION - 6)  # 1/10^6 in units of 10^-9
MAX_ITERATIONS = 10_000

IntArray = npt.NDArray[np.int64]


def to_decimal(units: int) -> Decimal:
    """A value in 10^-9 units as a Decimal with nine places."""
    return exact_decimal(units, PRECISION)


def stv_meek(
    profile: Profile, seats: int | None = None, *, seed: str | None = None, caps: GroupCap | None = None
) -> Result:
    """Count ``profile`` by Meek STV for ``seats`` seats (default: the profile's), round by round.

    Ballots must rank candidates strictly (``TallyInputError`` otherwise).
    """
    seats = check_seats(profile, seats, "stv-meek")
    return _Meek(profile, seats, resolve_seed(seed), caps).run()


class _Meek:
    def __init__(self, profile: Profile, seats: int, seed: str, caps: GroupCap | None) -> None:
        self.profile = profile
        self.seats = seats
        self.seed = seed
        self.caps = caps
        self.names = profile.candidates
        n = len(self.names)
        orders = strict_orders(profile, "stv-meek")
        ranks = orders.lengths > 0
        self.valid = int(orders.counts[ranks].sum())
        self.first = weighted_sum(orders.grid[ranks, 0], orders.counts[ranks], n + 1)
        exact = wide(self.valid, SCALE)  # decided once from the total weight: int64 or Python integers
        self.kf: Weights = as_weights(np.zeros(n + 1, dtype=np.int64), exact)  # index n: "no candidate"
        self.eligible = [c for c in range(n) if c not in profile.withdrawn]
        self.hopeful = list(self.eligible)
        self.kf[self.hopeful] = SCALE
        self.paths = _Paths(orders, ranks, self.hopeful, exact)
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
        self.paths.sync(self.hopeful, self.elected)
        totals = self.paths.distribute(self.kf)
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
            note = Message(
                N_("{names} excluded: group cap of {cap} reached; their votes transfer"),
                names=who,
                cap=self.caps.cap,
            )
            round_.excluded.extend(self.names[c] for c in capped)
            round_.add_note(note)
            self.notes.append(Message(N_("Round {number}: {note}"), number=round_.number, note=note))

    def complete(self) -> bool:
        left = self.seats - len(self.elected)
        return left <= 0 or len(self.hopeful) <= left

    # -------------------------------------------------------------- the count
    def run(self) -> Result:
        self.votes = [int(v) * SCALE for v in self.first[: len(self.names)]]
        self.quota = (self.valid * SCALE) // (self.seats + 1) + 1
        self.record(Message(N_("first preferences")))
        if self.caps is not None:
            self.apply_caps(self.rounds[-1])
        while not self.complete():
            self.iterations = 0
            status, chosen = self.iterate()
            if status == "elected":
                r = self.record(Message(N_("iterated {n} time(s); quota reached"), n=self.iterations))
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
                r = self.record(Message(N_("iterated {n} time(s); sure losers excluded"), n=self.iterations))
                self.exclude(chosen)
                r.excluded = [self.names[c] for c in chosen]
                continue
            low = min(self.votes[c] for c in self.hopeful)
            near = [c for c in self.hopeful if self.votes[c] <= low + self.surplus]
            lowest = [c for c in near if self.votes[c] == low]
            loser = self.tie(lowest, lowest=True, purpose="exclude")
            why = (
                N_("iterated {n} time(s); surplus below omega; lowest excluded")
                if status == "omega"
                else N_("iterated {n} time(s); surplus stable; lowest excluded")
            )
            r = self.record(Message(why, n=self.iterations))
            self.exclude([loser])
            r.excluded = [self.names[loser]]
        # Fill the last seats with the remaining hopeful candidates (highest votes first).
        self.iterations = 0
        if self.hopeful and len(self.elected) < self.seats:
            self.distribute()
            r = self.record(Message(N_("continuing candidates fill the remaining seats")))
            for c in sorted(self.hopeful, key=lambda c: -self.votes[c]):
                self.hopeful.remove(c)
                self.elected.append(c)
                r.elected.append(self.names[c])
        elif self.rounds and len(self.rounds) > 1:
            self.distribute()
            self.rounds[-1].counts = {self.names[c]: to_decimal(self.votes[c]) for c in self.eligible}
        if len(self.elected) < self.seats:
            self.notes.append(
                Message(
                    N_("only {elected} of {seats} seats could be filled"),
                    elected=len(self.elected),
                    seats=self.seats,
                )
            )
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


class _Paths:
    """The distribution of every ballot over the keep factors, grouped by the path it takes.

    A ballot stops at its first hopeful candidate (keep factor 1 keeps everything) and passes excluded
    ones untouched (keep factor 0), so what it leaves where depends only on the *elected* candidates
    it meets before its first hopeful one, in order, and on that hopeful candidate. These prefixes of
    elected candidates form a trie (node 0: none); each distinct ranking (row) knows its node and its
    first hopeful candidate (``term``, the sentinel ``ncand`` when none is left) and where that stands
    in the row (``ptr``); ``t_key``/``t_mult`` sum the ballots of the rows at each (node, term) pair.
    Candidates only ever leave the hopeful set, so ``sync`` moves on just the rows whose first hopeful
    candidate left it. A distribution then works on the trie and those sums, not on the ballots, with
    the truncated integer steps a ballot-by-ballot walk makes: at each elected candidate,
    keep = weight × kf // SCALE and weight = weight × (SCALE − kf) // SCALE.
    """

    def __init__(
        self, orders: StrictOrders, rows: npt.NDArray[np.bool_], hopeful: Sequence[int], exact: bool
    ) -> None:
        self.ncand = orders.ncand
        self.exact = exact
        width = self.ncand + 1
        all_rows = bool(rows.all())
        self.grid = orders.grid if all_rows else orders.grid[rows]
        self.mult: Weights = as_weights(orders.counts if all_rows else orders.counts[rows], exact)
        size = self.mult.size
        self.ptr: IntArray = np.zeros(size, dtype=np.int64)
        self.node: IntArray = np.zeros(size, dtype=np.int64)
        self.term: IntArray = self.grid[:, 0].astype(np.int64)
        self.hopeful = np.zeros(width, dtype=np.bool_)
        self.hopeful[list(hopeful)] = True
        self.parent: list[int] = [0]
        self.via: list[int] = [self.ncand]
        self.depth: list[int] = [0]
        self.child = np.full((1, width), -1, dtype=np.int32)  # child[node, cand]: node id, or -1
        first = weighted_sum(self.term, self.mult, width)
        self.t_key: IntArray = np.flatnonzero(first)  # node * width + term, sorted
        self.t_mult: Weights = first[self.t_key]
        self._index()

    def _children(self, nodes: IntArray, cands: IntArray) -> IntArray:
        """The trie node reached from each of ``nodes`` by electing the matching one of ``cands``."""
        width = self.ncand + 1
        codes = nodes * width + cands
        flat = self.child.reshape(-1)
        new = np.unique(codes[flat[codes] < 0])
        if new.size:
            grown = len(self.parent) + new.size
            if grown > self.child.shape[0]:  # grow the child table, doubling
                bigger = np.full((max(grown, 2 * self.child.shape[0]), width), -1, dtype=np.int32)
                bigger[: self.child.shape[0]] = self.child
                self.child = bigger
                flat = self.child.reshape(-1)
            for code in new.tolist():
                parent, cand = divmod(code, width)
                flat[code] = len(self.parent)
                self.parent.append(parent)
                self.via.append(cand)
                self.depth.append(self.depth[parent] + 1)
        result: IntArray = flat[codes].astype(np.int64)
        return result

    def sync(self, hopeful: Sequence[int], elected: Sequence[int]) -> None:
        """Move the rows whose first hopeful candidate is hopeful no more to their next one."""
        width = self.ncand + 1
        now = np.zeros(width, dtype=np.bool_)
        now[list(hopeful)] = True
        left = self.hopeful & ~now
        if not left.any():
            return
        self.hopeful = now
        is_elected = np.zeros(width, dtype=np.bool_)
        is_elected[list(elected)] = True
        # Every row counted at a candidate that left moves on: drop those pairs, add where rows land.
        stay = ~left[self.t_key % width]
        keys, mults = [self.t_key[stay]], [self.t_mult[stay]]
        rows = np.flatnonzero(left[self.term])
        ptr, node, cand = self.ptr[rows], self.node[rows], self.term[rows]
        while rows.size:  # every row here stands at a candidate neither hopeful nor the sentinel
            passing = is_elected[cand]
            if passing.any():
                node[passing] = self._children(node[passing], cand[passing])
            ptr += 1
            cand = self.grid[rows, ptr].astype(np.int64)
            done = now[cand] | (cand == self.ncand)
            if done.any():
                finished = rows[done]
                self.ptr[finished] = ptr[done]
                self.node[finished] = node[done]
                self.term[finished] = cand[done]
                keys.append(node[done] * width + cand[done])
                mults.append(self.mult[finished])
                moving = ~done
                rows, ptr, node, cand = rows[moving], ptr[moving], node[moving], cand[moving]
        self.t_key, inverse = np.unique(np.concatenate(keys), return_inverse=True)
        self.t_mult = weighted_sum(inverse.reshape(-1), np.concatenate(mults), self.t_key.size)
        self._index()

    def _index(self) -> None:
        """The (node, term) pairs split into their parts, and the trie by depth."""
        width = self.ncand + 1
        nodes = len(self.parent)
        self.t_node: IntArray = self.t_key // width
        self.t_term: IntArray = self.t_key % width
        parent = np.array(self.parent, dtype=np.int64)
        depth = np.array(self.depth, dtype=np.int64)
        self.n_parent = parent
        self.n_via: IntArray = np.array(self.via, dtype=np.int64)
        self.levels = [np.flatnonzero(depth == d) for d in range(1, int(depth.max()) + 1)]
        # below[v]: ballots whose path passes through node v (at v or deeper).
        below = weighted_sum(self.t_node, self.t_mult, nodes)
        for level in reversed(self.levels):
            np.add.at(below, parent[level], below[level])
        self.below: Weights = below

    def distribute(self, kf: Weights) -> Weights:
        """Every candidate's votes (units of 10^-9) under keep factors ``kf`` (sentinel last, 0)."""
        weight = as_weights(np.zeros(len(self.parent), dtype=np.int64), self.exact)
        weight[0] = SCALE
        keep = as_weights(np.zeros(len(self.parent), dtype=np.int64), self.exact)
        for level in self.levels:
            w = weight[self.n_parent[level]]
            k = kf[self.n_via[level]]
            keep[level] = w * k // SCALE
            weight[level] = w * (SCALE - k) // SCALE
        size = self.ncand + 1
        at_elected = weighted_sum(self.n_via[1:], keep[1:] * self.below[1:], size)
        at_first_hopeful = weighted_sum(
            self.t_term, weight[self.t_node] * kf[self.t_term] // SCALE * self.t_mult, size
        )
        totals: Weights = at_elected + at_first_hopeful
        return totals


_ = Number  # re-exported type used in Round counts
