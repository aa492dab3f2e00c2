"""Benchmark of the counting engine at 1,000,000 ballots, against pref_voting and pyrankvote.

Run on demand (never in the test suite)::

    .venv/bin/python bench/tally.py [--ballots N] [--methods schulze,irv,...] [--no-peers]
                                    [--datasets synthetic,meath] [--sample N]

Data sets (each built once, its build time printed separately from the counts):

* ``synthetic``: N ballots over 20 candidates. 30% of voters follow one of four party slates; the
  others draw a Plackett-Luce order from Zipf-like popularities (a few popular candidates). Rankings
  are truncated (lengths 1-20, short ones most likely), so many ballots are duplicates.
* ``meath``: the real 2002 Meath (Dáil, 5 seats, 14 candidates, 64,081 strict ballots, PrefLib
  00001-00000003.soi in the shared data) resampled with replacement to N ballots.

Approval is counted on approval ballots derived from the same rankings: each voter approves the top
three candidates of the ranking (a single tier), built as its own profile.

For each method: seconds (``time.perf_counter``, one untraced run) and peak memory, measured in a
second run under ``tracemalloc`` (peak of the allocations made during the count, numpy's included;
the profile already in memory is not counted). STV methods fill 5 seats, the others 1.

Peers, on the same ballots in the same run: ``pref_voting`` on its aggregated profile
(``ProfileWithTies`` with counts, since ballots are truncated; its build time is excluded from the
method time, like ours), and ``pyrankvote`` (one ``Ballot`` object per voter). A peer that would take
minutes is timed on a random sample of ``--sample`` ballots and extrapolated linearly (in distinct
rankings for pref_voting, whose work follows them; in ballots for pyrankvote), and marked ``~``.

Targets printed with PASS/FAIL: every method <= 2 s and <= 400 MB at 1,000,000 ballots, and faster
than every peer that implements it.
"""

from __future__ import annotations

import argparse
import gc
import signal
import sys
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from governance.tally.count import count  # noqa: E402
from governance.tally.profile import Profile  # noqa: E402

DATA = ROOT.parent / "shared" / "data" / "elections"
MEATH = DATA / "preflib" / "irish" / "00001-00000003.soi"
METHODS = ["plurality", "approval", "irv", "stv-scottish", "stv-meek", "schulze", "ranked-pairs", "debian"]
STV_SEATS = 5
TIME_TARGET = 2.0
MEMORY_TARGET_MB = 400.0
PEER_BUDGET = 60.0  # seconds a peer may take on the full data before we extrapolate from a sample

Rows = npt.NDArray[np.int16]  # one ballot per row: candidate indices in order, -1 padding


# ------------------------------------------------------------------------------------------ data sets


def synthetic(n_ballots: int, n_cands: int = 20, seed: int = 2024) -> tuple[list[str], Rows]:
    """Truncated rankings with popular candidates, party slates and many duplicates."""
    rng = np.random.default_rng(seed)
    names = [f"Candidate {i + 1:02d}" for i in range(n_cands)]
    popularity = 1.0 / np.arange(1, n_cands + 1) ** 0.9
    rng.shuffle(popularity)
    keys = np.log(popularity)[None, :] + rng.gumbel(size=(n_ballots, n_cands))
    orders = np.argsort(-keys, axis=1).astype(np.int16)
    slates = np.stack([rng.permutation(n_cands) for _ in range(4)]).astype(np.int16)
    slate_voter = rng.random(n_ballots) < 0.30
    orders[slate_voter] = slates[rng.integers(0, 4, size=int(slate_voter.sum()))]
    weights = np.array([20, 12, 14, 12, 10, 8, 5, 4, 3, 2] + [1] * (n_cands - 11) + [4], dtype=float)
    lengths = rng.choice(np.arange(1, n_cands + 1), size=n_ballots, p=weights / weights.sum())
    orders[np.arange(n_cands)[None, :] >= lengths[:, None]] = -1
    return names, orders


def read_soi(path: Path) -> tuple[list[str], Rows, npt.NDArray[np.int64]]:
    """A strict PrefLib file as (names, distinct rows, counts)."""
    names: list[str] = []
    rows: list[list[int]] = []
    counts: list[int] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("# ALTERNATIVE NAME"):
            names.append(line.split(":", 1)[1].strip())
        elif line and not line.startswith("#"):
            c, _, order = line.partition(":")
            rows.append([int(x) - 1 for x in order.split(",")])
            counts.append(int(c))
    width = len(names)
    arr = np.full((len(rows), width), -1, dtype=np.int16)
    for i, r in enumerate(rows):
        arr[i, : len(r)] = r
    return names, arr, np.asarray(counts, dtype=np.int64)


def meath(n_ballots: int, seed: int = 2002) -> tuple[list[str], Rows]:
    """The Meath 2002 ballots resampled with replacement to ``n_ballots``."""
    names, rows, counts = read_soi(MEATH)
    rng = np.random.default_rng(seed)
    pick = rng.choice(len(rows), size=n_ballots, p=counts / counts.sum())
    return names, rows[pick]


def aggregate(rows: Rows) -> tuple[Rows, npt.NDArray[np.int64]]:
    """Distinct ballots and how many times each occurs."""
    uniq, counts = np.unique(rows, axis=0, return_counts=True)
    return uniq, counts.astype(np.int64)


def build_profile(names: list[str], uniq: Rows, counts: npt.NDArray[np.int64]) -> Profile:
    """Our aggregated profile from distinct rows (strict rankings, -1 padding)."""
    pairs = (
        (tuple((int(c),) for c in row if c >= 0), int(k))
        for row, k in zip(uniq.tolist(), counts.tolist(), strict=True)
    )
    return Profile.build(names, pairs)


def approval_rows(rows: Rows, k: int = 3) -> Rows:
    """Top-k approval sets as sorted rows (so identical sets aggregate)."""
    top = rows[:, :k].copy()
    top[top < 0] = np.iinfo(np.int16).max
    top.sort(axis=1)
    top[top == np.iinfo(np.int16).max] = -1
    return top


def build_approval_profile(names: list[str], uniq: Rows, counts: npt.NDArray[np.int64]) -> Profile:
    pairs = (
        ([[int(c) for c in row if c >= 0]], int(k))
        for row, k in zip(uniq.tolist(), counts.tolist(), strict=True)
    )
    return Profile.build(names, pairs)


# ----------------------------------------------------------------------------------------- measuring


@dataclass
class Measure:
    seconds: float
    peak_mb: float
    winners: list[str]


def measure(fn: Callable[[], list[str]], *, memory: bool = True) -> Measure:
    gc.collect()
    start = time.perf_counter()
    winners = fn()
    seconds = time.perf_counter() - start
    peak = float("nan")
    if memory:
        gc.collect()
        tracemalloc.start()
        fn()
        peak = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
    return Measure(seconds, peak, winners)


# --------------------------------------------------------------------------------------------- peers


class PeerTimeout(Exception):
    """A peer ran past the budget on its sample."""


def with_budget(fn: Callable[[], Any], seconds: float) -> Any:
    """Run ``fn`` with a wall-clock limit (SIGALRM; the bench runs in the main thread)."""

    def stop(signum: int, frame: object) -> None:
        raise PeerTimeout

    old = signal.signal(signal.SIGALRM, stop)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        return fn()
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def pv_rankings(uniq: Rows) -> list[dict[int, int]]:
    """The distinct rankings as pref_voting's rank dicts (input conversion, not timed as its work)."""
    return [{int(c): r for r, c in enumerate(row) if c >= 0} for row in uniq.tolist()]


def pv_profile(
    uniq: Rows, counts: npt.NDArray[np.int64], rankings: list[dict[int, int]] | None = None
) -> Any:
    from pref_voting.profiles_with_ties import ProfileWithTies

    n = uniq.shape[1]
    prof = ProfileWithTies(
        rankings if rankings is not None else pv_rankings(uniq),
        rcounts=counts.tolist(),
        candidates=list(range(n)),
    )
    prof.use_extended_strict_preference()
    return prof


# pref_voting computes the pairwise (support) counts inside its profile, once, and caches them; our
# count starts from the ballots, so for these methods its time includes building the profile.
PAIRWISE_METHODS = frozenset({"schulze", "ranked-pairs"})


def pv_grade_profile(uniq: Rows, counts: npt.NDArray[np.int64], n: int) -> Any:
    from pref_voting.grade_profiles import GradeProfile

    maps = [{c: (1 if c in set(row) else 0) for c in range(n)} for row in uniq.tolist()]
    return GradeProfile(maps, [0, 1], gcounts=counts.tolist(), candidates=list(range(n)))


def pref_voting_method(method: str) -> Callable[[Any], list[int]] | None:
    """pref_voting's counterpart of a method (winners as candidate indices), or None."""
    from pref_voting import (
        grade_methods,
        iterative_methods,
        margin_based_methods,
        proportional_methods,
        scoring_methods,
    )

    if method == "plurality":
        return lambda p: list(scoring_methods.plurality(p))
    if method == "approval":
        return lambda p: list(grade_methods.approval(p))
    if method == "irv":
        return lambda p: list(iterative_methods.instant_runoff_for_truncated_linear_orders(p))
    if method == "stv-scottish":
        return lambda p: list(proportional_methods.stv_scottish(p, num_seats=STV_SEATS))
    if method == "stv-meek":
        return lambda p: list(proportional_methods.stv_meek(p, num_seats=STV_SEATS))
    if method == "schulze":
        return lambda p: list(margin_based_methods.beat_path(p, strength_function=p.support))
    if method == "ranked-pairs":
        return lambda p: list(margin_based_methods.ranked_pairs(p))
    return None


def pyrankvote_run(method: str, names: list[str], rows: Rows) -> Callable[[], list[str]] | None:
    import pyrankvote

    if method not in ("irv", "stv-scottish", "stv-meek"):
        return None
    cands = [pyrankvote.Candidate(n) for n in names]
    ballots = [
        pyrankvote.Ballot(ranked_candidates=[cands[c] for c in row if c >= 0]) for row in rows.tolist()
    ]

    def run() -> list[str]:
        if method == "irv":
            res = pyrankvote.instant_runoff_voting(cands, ballots)
        else:
            res = pyrankvote.single_transferable_vote(cands, ballots, number_of_seats=STV_SEATS)
        return [c.name for c in res.get_winners()]

    return run


# ------------------------------------------------------------------------------------------------ main


def ours(method: str, profile: Profile, approval: Profile) -> Callable[[], list[str]]:
    seats = STV_SEATS if method.startswith("stv") else 1
    prof = approval if method == "approval" else profile
    return lambda: count(method, prof, seats, seed="bench").elected


def run_dataset(
    label: str, names: list[str], rows: Rows, methods: list[str], args: argparse.Namespace
) -> bool:
    n_ballots = rows.shape[0]
    print(f"\n== {label}: {n_ballots:,} ballots, {len(names)} candidates")
    t0 = time.perf_counter()
    uniq, counts = aggregate(rows)
    profile = build_profile(names, uniq, counts)
    t_build = time.perf_counter() - t0
    t0 = time.perf_counter()
    a_uniq, a_counts = aggregate(approval_rows(rows))
    approval = build_approval_profile(names, a_uniq, a_counts)
    t_abuild = time.perf_counter() - t0
    print(
        f"profile build: {t_build:.2f} s ({len(profile.rankings):,} distinct rankings); "
        f"approval profile: {t_abuild:.2f} s ({len(approval.rankings):,} distinct)"
    )
    rng = np.random.default_rng(7)
    sample_rows = rows[rng.choice(n_ballots, size=min(args.sample, n_ballots), replace=False)]
    s_uniq, s_counts = aggregate(sample_rows)
    pv_full: Any = None
    pv_sample: Any = None
    ok = True
    header = (
        f"{'method':<13}{'ours s':>8}{'peak MB':>9}  {'pref_voting s':>14}{'ratio':>8} {'agree':>6}"
        f"  {'pyrankvote s':>13}{'ratio':>8} {'agree':>6}  targets"
    )
    print(header)
    print("-" * len(header))
    for method in methods:
        mine = measure(ours(method, profile, approval))
        cells = [f"{method:<13}{mine.seconds:>8.2f}{mine.peak_mb:>9.1f}"]
        peer_times: list[float] = []
        # pref_voting
        pv_fn = pref_voting_method(method) if not args.no_peers else None
        if pv_fn is None:
            cells.append(f"  {'-':>14}{'':>8} {'':>6}")
        else:
            try:
                if method == "approval":
                    full_p = pv_grade_profile(a_uniq, a_counts, len(names))
                    samp_u, samp_c = aggregate(approval_rows(sample_rows))
                    samp_p = pv_grade_profile(samp_u, samp_c, len(names))
                    units_full, units_samp = len(a_uniq), len(samp_u)
                else:
                    if pv_sample is None:
                        pv_sample = pv_profile(s_uniq, s_counts)
                    samp_p = pv_sample
                    units_full, units_samp = len(uniq), len(s_uniq)
                    full_p = None
                t_s = time.perf_counter()
                with_budget(lambda f=pv_fn, p=samp_p: f(p), PEER_BUDGET)
                t_s = time.perf_counter() - t_s
                estimate = t_s * units_full / max(units_samp, 1)
                if estimate <= PEER_BUDGET:
                    if full_p is None:
                        if pv_full is None:
                            pv_full = pv_profile(uniq, counts)
                        full_p = pv_full
                    if method in PAIRWISE_METHODS:
                        dicts = pv_rankings(uniq)
                        res = measure(
                            lambda f=pv_fn, d=dicts: [names[i] for i in f(pv_profile(uniq, counts, d))],
                            memory=False,
                        )
                    else:
                        res = measure(lambda p=full_p, f=pv_fn: [names[i] for i in f(p)], memory=False)
                    pv_t, mark = res.seconds, " "
                    agree = "yes" if set(res.winners) == set(mine.winners) else f"NO {res.winners}"
                    if len(res.winners) > len(mine.winners) and set(mine.winners) <= set(res.winners):
                        agree = "tie"  # pref_voting returned every tied winner; ours is one of them
                else:
                    pv_t, mark, agree = estimate, "~", "n/a"
                peer_times.append(pv_t)
                cells.append(f"  {mark}{pv_t:>13.2f}{pv_t / mine.seconds:>7.1f}x {agree:>6}")
            except PeerTimeout:
                peer_times.append(PEER_BUDGET)
                cells.append(f"  >{PEER_BUDGET:>12.0f}{'':>8} {'n/a':>6}")
            except Exception as exc:  # a peer failing must not stop the bench
                cells.append(f"  {'error':>14} {type(exc).__name__}: {str(exc)[:30]}")
        # pyrankvote
        prv_fn = pyrankvote_run(method, names, sample_rows) if not args.no_peers else None
        if prv_fn is None:
            cells.append(f"  {'-':>13}{'':>8} {'':>6}")
        else:
            t_s = time.perf_counter()
            prv_winners = with_budget(prv_fn, PEER_BUDGET)
            t_s = time.perf_counter() - t_s
            est = t_s * n_ballots / sample_rows.shape[0]
            peer_times.append(est)
            agree = "yes*" if set(prv_winners) == set(mine.winners) else "no*"
            cells.append(f"  ~{est:>12.2f}{est / mine.seconds:>7.1f}x {agree:>6}")
        time_ok = mine.seconds <= TIME_TARGET
        mem_ok = mine.peak_mb <= MEMORY_TARGET_MB
        peers_ok = all(mine.seconds < t for t in peer_times)
        verdict = f"time {'PASS' if time_ok else 'FAIL'} mem {'PASS' if mem_ok else 'FAIL'}"
        verdict += f" peers {'PASS' if peers_ok else 'FAIL'}" if peer_times else ""
        ok = ok and time_ok and mem_ok and peers_ok
        print("".join(cells) + "  " + verdict, flush=True)
    print(
        "~ = extrapolated linearly from a sample of "
        f"{sample_rows.shape[0]:,} ballots; * = pyrankvote winners on that sample vs ours on all ballots"
    )
    return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--ballots", type=int, default=1_000_000)
    parser.add_argument("--methods", default=",".join(METHODS), help="comma-separated, default: all")
    parser.add_argument("--datasets", default="synthetic,meath")
    parser.add_argument("--no-peers", action="store_true", help="time govbot only")
    parser.add_argument("--sample", type=int, default=20_000, help="ballots in the peers' sample")
    args = parser.parse_args(argv)
    methods = [m.strip() for m in args.methods.split(",") if m.strip()]
    unknown = set(methods) - set(METHODS)
    if unknown:
        parser.error(f"unknown methods: {', '.join(sorted(unknown))}")
    print(f"govbot tally bench: {args.ballots:,} ballots; memory = tracemalloc peak during the count")
    ok = True
    for ds in [d.strip() for d in args.datasets.split(",") if d.strip()]:
        t0 = time.perf_counter()
        if ds == "synthetic":
            names, rows = synthetic(args.ballots)
        elif ds == "meath":
            names, rows = meath(args.ballots)
        else:
            parser.error(f"unknown data set {ds}")
        print(f"\n(generated {ds} ballots in {time.perf_counter() - t0:.2f} s)")
        ok = run_dataset(ds, names, rows, methods, args) and ok
    print("\nOVERALL:", "PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
