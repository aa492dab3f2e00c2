"""Benchmark: how long `govbot` takes to start, as whole processes, for the commands people wait on.

    .venv/bin/python bench/startup.py [--runs 5] [--checkout DIR] [--bundle FILE]

Times ``python -m bot.cli --help``, ``... tally --help`` and ``... audit verify BUNDLE`` (``--runs`` each,
interleaved so a change in the machine's load hits every command alike) and prints, per command, the
median wall-clock time and the median CPU time (user + system) of the process, with the 0.4 s target
and PASS or FAIL (exit status 1 if any failed). The CPU time is the steadier figure on a busy machine;
the load average is printed first.

``--checkout DIR`` times another checkout's code (``PYTHONPATH=DIR``), to compare before and after in
the same conditions. Without ``--bundle`` a small one is made first in a temporary directory, through
the CLI: ``migrate``, ``seed``, a console script that runs the sample board election, ``audit export``.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET_SECONDS = 0.4
ELECTION = """election open-voting board-2027 --close +7d
:as alice
vote board-2027 chen arjun dana
:as bea
vote board-2027 farid emma
:as sec
election close board-2027
"""


def _env(checkout: Path, directory: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GOVBOT_", "SLACK_", "DISCORD_"))}
    env.update(
        PYTHONPATH=str(checkout),
        DATABASE_URL=f"sqlite+aiosqlite:///{directory / 'govbot.db'}",
        GOVBOT_SECRET="bench-secret",
        LOG_LEVEL="WARNING",
    )
    return env


def _govbot(env: dict[str, str], cwd: Path, *args: str, stdin: str = "") -> None:
    ran = subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        cwd=cwd,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
    )
    if ran.returncode != 0:
        raise SystemExit(f"govbot {' '.join(args)} failed ({ran.returncode}): {ran.stderr or ran.stdout}")


def make_bundle(directory: Path) -> Path:
    """A sample election's audit bundle, made through the CLI of this checkout."""
    env = _env(ROOT, directory)
    _govbot(env, directory, "migrate")
    _govbot(env, directory, "seed")
    _govbot(env, directory, "console", "--as", "sec", stdin=ELECTION)
    bundle = directory / "bundle.zip"
    _govbot(env, directory, "audit", "export", "board-2027", "--bundle", str(bundle))
    return bundle


def timed(command: list[str], env: dict[str, str], cwd: Path) -> tuple[float, float]:
    """One whole process: (wall-clock seconds, CPU seconds of user and system)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    ran = subprocess.run(command, env=env, cwd=cwd, capture_output=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if ran.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({ran.returncode}): {ran.stderr.decode()}")
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> int:
    """Time each command and print its figures against the target."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--checkout", type=Path, default=ROOT, help="the code to time (default: this one)")
    parser.add_argument("--bundle", type=Path, help="the bundle for `audit verify` (default: a sample)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="govbot-startup-") as scratch:
        directory = Path(scratch)
        bundle = args.bundle.resolve() if args.bundle else make_bundle(directory)
        env = _env(args.checkout.resolve(), directory)
        commands = {
            "govbot --help": ["--help"],
            "govbot tally --help": ["tally", "--help"],
            "govbot audit verify BUNDLE": ["audit", "verify", str(bundle)],
        }
        figures: dict[str, list[tuple[float, float]]] = {name: [] for name in commands}
        print(f"checkout {args.checkout.resolve()}; {os.cpu_count()} CPUs; load {os.getloadavg()[0]:.2f}")
        for _ in range(args.runs):
            for name, words in commands.items():
                figures[name].append(timed([sys.executable, "-m", "bot.cli", *words], env, directory))
    failed = False
    for name, runs in figures.items():
        wall = statistics.median(w for w, _ in runs)
        cpu = statistics.median(c for _, c in runs)
        ok = wall <= TARGET_SECONDS
        failed |= not ok
        print(
            f"{name:28} wall {wall:5.2f} s  cpu {cpu:5.2f} s  (median of {len(runs)}; "
            f"target wall <= {TARGET_SECONDS} s) {'PASS' if ok else 'FAIL'}"
        )
    print(f"load after: {os.getloadavg()[0]:.2f}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
