"""Whole-process benchmark of ``govbot tally FILE``, beside pref_voting and pyrankvote on the same files.

What a person waits for is a whole process: start Python, import, read the file, count, print. This
bench writes generated PrefLib files (the ``synthetic`` ballots of ``bench/tally.py``: 20 candidates,
truncated rankings, many duplicates) and runs, as separate processes on the same file:

* ``govbot tally FILE.soi --method M`` (``python -m bot.cli tally``; ``--entry module`` runs
  ``python -m governance.tally.cli`` instead, the tally command without the ``govbot`` dispatcher);
* pref_voting: ``ProfileWithTies.read`` of the file (its PrefLib reader) and its counterpart of M;
* pyrankvote: the file read line by line in Python into one ``Ballot`` per voter, then its IRV/STV.

Each process is timed from outside (wall clock) with its peak resident memory (``wait4``'s
``ru_maxrss``, what ``/usr/bin/time -v`` reports). A peer that runs past ``--budget`` seconds is
stopped and shown as ``>budget`` (its ratio is then a lower bound, ``>=``).

Run on demand (never in the test suite)::

    .venv/bin/python bench/tally_files.py [--ballots 100000,1000000] [--methods irv,schulze,...]
                                          [--no-peers] [--budget 120] [--dir DIR] [--entry govbot]

Targets printed with PASS/FAIL: at 1,000,000 ballots every method's whole process <= 1.5 s and
<= 300 MB; at 100,000 ballots >= 10x faster than pref_voting for every method both implement.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
METHODS = ["irv", "stv-scottish", "stv-meek", "schulze", "ranked-pairs"]
STV_SEATS = 5
TIME_TARGET = 1.5  # seconds, whole process, at 1,000,000 ballots
MEMORY_TARGET_MB = 300.0
RATIO_TARGET = 10.0  # against pref_voting, at 100,000 ballots
RATIO_BALLOTS = 100_000
TARGET_BALLOTS = 1_000_000


def seats_for(method: str) -> int:
    """Seats counted for ``method`` (STV fills 5, the others 1), as in ``bench/tally.py``."""
    return STV_SEATS if method.startswith("stv") else 1


def write_file(n_ballots: int, directory: Path) -> Path:
    """Write (once) the synthetic ballots of ``bench/tally.py`` as ``synthetic-N.soi``; its path.

    Written by a child process, so that this process stays small: a process it starts is a copy of
    it until it execs, and would otherwise report this one's memory as its own peak.
    """
    path = directory / f"synthetic-{n_ballots}.soi"
    if not path.exists():
        cmd = [sys.executable, str(Path(__file__).resolve()), "--write", str(n_ballots), str(path)]
        subprocess.run(cmd, check=True, env=dict(os.environ, PYTHONPATH=str(ROOT)), cwd=ROOT)
    return path


def _write(n_ballots: int, path: Path) -> None:
    """Generate and write the file (the child process of ``write_file``)."""
    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(ROOT / "bench"))
    import tally as tally_bench  # bench/tally.py

    from governance.tally.formats import write_profile

    names, rows = tally_bench.synthetic(n_ballots)
    uniq, counts = tally_bench.aggregate(rows)
    tmp = path.with_suffix(".tmp.soi")
    write_profile(tally_bench.build_profile(names, uniq, counts), tmp)
    tmp.replace(path)


@dataclass
class Run:
    """One process: wall seconds, peak resident MB, whether it finished in time and succeeded."""

    seconds: float
    peak_mb: float
    ok: bool
    output: str


def run_process(cmd: list[str], budget: float) -> Run:
    """Run ``cmd`` and measure it from outside (wall clock, ``ru_maxrss`` of that child)."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    start = time.perf_counter()
    with tempfile.TemporaryFile() as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=ROOT)
        deadline = start + budget
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() > deadline:
                proc.kill()
                pid, status, usage = os.wait4(proc.pid, 0)
                proc.returncode = -9
                return Run(budget, usage.ru_maxrss / 1024, False, "")
            time.sleep(0.005)
        seconds = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        text = out.read().decode("utf-8", "replace")
    return Run(seconds, usage.ru_maxrss / 1024, proc.returncode == 0, text)


def ours_cmd(path: Path, method: str, entry: str) -> list[str]:
    """The ``govbot tally`` command line for ``method`` on ``path``."""
    head = ["-m", "bot.cli", "tally"] if entry == "govbot" else ["-m", "governance.tally.cli"]
    return [sys.executable, *head, str(path), "--method", method, "--seats", str(seats_for(method))]


def peer_cmd(peer: str, path: Path, method: str) -> list[str]:
    """The command line that runs ``peer`` (this file, ``--peer``) on ``path``."""
    return [sys.executable, str(Path(__file__).resolve()), "--peer", peer, "--methods", method, str(path)]


# ------------------------------------------------------------------------------- peer processes


def _read_soi(path: Path) -> tuple[int, list[tuple[int, list[int]]]]:
    """A strict PrefLib file in plain Python: (candidates, [(count, 0-based order)])."""
    n = 0
    ballots: list[tuple[int, list[int]]] = []
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if line.startswith("# ALTERNATIVE NAME"):
                n += 1
            elif line.strip() and not line.startswith("#"):
                count, _, order = line.partition(":")
                ballots.append((int(count), [int(x) - 1 for x in order.split(",") if x.strip()]))
    return n, ballots


def peer_pref_voting(path: Path, method: str) -> list[int]:
    """pref_voting reads the file (its PrefLib reader) and counts it."""
    from pref_voting import iterative_methods, margin_based_methods, proportional_methods
    from pref_voting.profiles_with_ties import ProfileWithTies

    prof = ProfileWithTies.read(str(path), file_format="preflib")
    prof.use_extended_strict_preference()
    if method == "irv":
        return list(iterative_methods.instant_runoff_for_truncated_linear_orders(prof))
    if method == "stv-scottish":
        return list(proportional_methods.stv_scottish(prof, num_seats=STV_SEATS))
    if method == "stv-meek":
        return list(proportional_methods.stv_meek(prof, num_seats=STV_SEATS))
    if method == "schulze":
        return list(margin_based_methods.beat_path(prof, strength_function=prof.support))
    if method == "ranked-pairs":
        return list(margin_based_methods.ranked_pairs(prof))
    raise SystemExit(f"pref_voting: no counterpart of {method}")


def peer_pyrankvote(path: Path, method: str) -> list[str]:
    """pyrankvote: the file read in Python into one ``Ballot`` per voter, then counted."""
    import pyrankvote

    n, ballots = _read_soi(path)
    cands = [pyrankvote.Candidate(str(i)) for i in range(n)]
    votes = [
        pyrankvote.Ballot(ranked_candidates=[cands[c] for c in order])
        for count, order in ballots
        for _ in range(count)
    ]
    if method == "irv":
        result = pyrankvote.instant_runoff_voting(cands, votes)
    elif method.startswith("stv"):
        result = pyrankvote.single_transferable_vote(cands, votes, number_of_seats=STV_SEATS)
    else:
        raise SystemExit(f"pyrankvote: no counterpart of {method}")
    return [c.name for c in result.get_winners()]


PEERS = {"pref_voting": set(METHODS), "pyrankvote": {"irv", "stv-scottish", "stv-meek"}}


# ------------------------------------------------------------------------------------------ main


def _cell(run: Run | None, mine: Run) -> str:
    if run is None:
        return f"{'-':>10}{'':>9}"
    if not run.ok and run.output == "":
        over, ratio = f">{run.seconds:.0f}", f">={run.seconds / mine.seconds:.1f}x"
        return f"{over:>10}{ratio:>9}"
    if not run.ok:
        return f"{'error':>10}{'':>9}"
    return f"{run.seconds:>10.2f}{run.seconds / mine.seconds:>8.1f}x"


def bench_size(n_ballots: int, methods: list[str], args: argparse.Namespace, directory: Path) -> bool:
    """Time every method on the file of ``n_ballots``; print a row each; whether the targets hold."""
    t0 = time.perf_counter()
    path = write_file(n_ballots, directory)
    size_mb = path.stat().st_size / 2**20
    print(
        f"\n== {n_ballots:,} ballots: {path.name} ({size_mb:.1f} MB, "
        f"ready in {time.perf_counter() - t0:.1f} s)"
    )
    header = (
        f"{'method':<13}{'govbot s':>9}{'peak MB':>9}{'pref_voting s':>15}{'ratio':>9}"
        f"{'pyrankvote s':>14}{'ratio':>9}  targets"
    )
    print(header)
    print("-" * len(header))
    ok = True
    for method in methods:
        mine = run_process(ours_cmd(path, method, args.entry), args.budget)
        if not mine.ok:
            print(f"{method:<13} govbot tally failed:\n{mine.output[-2000:]}")
            ok = False
            continue
        peers: dict[str, Run | None] = {}
        for peer, known in PEERS.items():
            peers[peer] = (
                run_process(peer_cmd(peer, path, method), args.budget)
                if method in known and not args.no_peers
                else None
            )
        verdicts: list[str] = []
        if n_ballots >= TARGET_BALLOTS:
            time_ok = mine.seconds <= TIME_TARGET
            mem_ok = mine.peak_mb <= MEMORY_TARGET_MB
            verdicts += [f"time {'PASS' if time_ok else 'FAIL'}", f"mem {'PASS' if mem_ok else 'FAIL'}"]
            ok = ok and time_ok and mem_ok
        pv = peers["pref_voting"]
        if n_ballots == RATIO_BALLOTS and pv is not None:
            ratio_ok = pv.seconds / mine.seconds >= RATIO_TARGET and (pv.ok or pv.output == "")
            verdicts.append(f"x{RATIO_TARGET:.0f} vs pref_voting {'PASS' if ratio_ok else 'FAIL'}")
            ok = ok and ratio_ok
        print(
            f"{method:<13}{mine.seconds:>9.2f}{mine.peak_mb:>9.0f}{_cell(pv, mine):>24}"
            f"{_cell(peers['pyrankvote'], mine):>23}  {' '.join(verdicts)}",
            flush=True,
        )
    return ok


def main(argv: list[str] | None = None) -> int:
    """Run the bench (or, with ``--peer``, one peer process); 0 when every target holds."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--ballots", default=f"{RATIO_BALLOTS},{TARGET_BALLOTS}", help="comma-separated sizes"
    )
    parser.add_argument("--methods", default=",".join(METHODS), help="comma-separated, default: all five")
    parser.add_argument("--no-peers", action="store_true", help="time govbot only")
    parser.add_argument("--budget", type=float, default=120.0, help="seconds a process may take")
    parser.add_argument("--dir", default=None, help="where to keep the generated files (default: a temp dir)")
    parser.add_argument("--entry", choices=["govbot", "module"], default="govbot")
    parser.add_argument("--peer", choices=sorted(PEERS), help=argparse.SUPPRESS)
    parser.add_argument("--write", type=int, default=None, help=argparse.SUPPRESS)
    parser.add_argument("file", nargs="?", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    methods = [m.strip() for m in args.methods.split(",") if m.strip()]
    unknown = set(methods) - set(METHODS)
    if unknown:
        parser.error(f"unknown methods: {', '.join(sorted(unknown))}")
    if args.write is not None:
        _write(args.write, Path(args.file))
        return 0
    if args.peer:
        fn = peer_pref_voting if args.peer == "pref_voting" else peer_pyrankvote
        print(fn(Path(args.file), methods[0]))
        return 0
    sizes = [int(s) for s in args.ballots.split(",") if s.strip()]
    print(
        f"govbot tally as whole processes ({args.entry}); {os.cpu_count()} CPUs, "
        f"load average {os.getloadavg()[0]:.2f} at start"
    )
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(args.dir) if args.dir else Path(tmp)
        directory.mkdir(parents=True, exist_ok=True)
        for n in sizes:
            ok = bench_size(n, methods, args, directory) and ok
    print(
        f"\ntargets: at {TARGET_BALLOTS:,} ballots <= {TIME_TARGET} s and <= {MEMORY_TARGET_MB:.0f} MB per "
        f"process; at {RATIO_BALLOTS:,} >= {RATIO_TARGET:.0f}x faster than pref_voting. "
        f"load average {os.getloadavg()[0]:.2f} at the end"
    )
    print("OVERALL:", "PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
