"""Smoke runs of the tally benches with tiny sizes: they run to the end and print their figures.

The figures themselves are not checked (timings belong to the benches, not to tests).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600
    )


def test_tally_bench_runs_and_prints_its_figures() -> None:
    done = _run(
        "bench/tally.py",
        "--ballots",
        "3000",
        "--sample",
        "500",
        "--methods",
        "irv,schulze",
        "--datasets",
        "synthetic",
    )
    assert done.returncode in (0, 1), done.stderr  # 1: a target missed, still a complete run
    assert "Traceback" not in done.stderr
    out = done.stdout
    assert "== synthetic: 3,000 ballots, 20 candidates" in out
    for method in ("irv", "schulze"):
        row = next(line for line in out.splitlines() if line.startswith(method))
        assert "time " in row and "mem " in row  # its verdicts, whatever they are
    assert "OVERALL:" in out


def test_tally_files_bench_runs_whole_processes_beside_the_peers(tmp_path: Path) -> None:
    done = _run(
        "bench/tally_files.py",
        "--ballots",
        "2000",
        "--methods",
        "irv,schulze",
        "--budget",
        "300",
        "--dir",
        str(tmp_path),
    )
    assert done.returncode in (0, 1), done.stderr
    assert "Traceback" not in done.stderr
    out = done.stdout
    assert "== 2,000 ballots: synthetic-2000.soi" in out
    assert (tmp_path / "synthetic-2000.soi").is_file()
    irv = next(line for line in out.splitlines() if line.startswith("irv"))
    schulze = next(line for line in out.splitlines() if line.startswith("schulze"))
    assert irv.count("x") >= 2  # a ratio against pref_voting and one against pyrankvote
    assert schulze.count("x") >= 1 and " - " in schulze.replace("-  ", " - ")  # pyrankvote has no Schulze
    assert "targets: at 1,000,000 ballots" in out and "OVERALL:" in out
