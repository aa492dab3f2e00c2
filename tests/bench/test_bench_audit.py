"""Smoke run of bench/audit.py: casting with and without the log, export and verify, tiny sizes."""

from __future__ import annotations

from tests.bench.smoke import NUMBER, VERDICT, printed, run_bench


def test_audit_bench_runs_every_measurement() -> None:
    out = run_bench(
        "audit.py",
        *("--events", "300", "--voters", "18", "--rounds", "1", "--tasks", "2", "--elections", "2"),
        "--report-only",
    )
    printed(
        out,
        r"^casting: 2 tasks, 2 elections, 6 ballots per run$",
        rf"^  unchained appends only: +{NUMBER} ballots/s median \(runs: {NUMBER}\)$",
        rf"^  log on \(sealed, anchored\): +{NUMBER} ballots/s median \(runs: {NUMBER}\)$",
        rf"^  append rate with log on: +{NUMBER} events/s \({NUMBER} events\)$",
        r"^  chains verify afterwards: +True \(",
        rf"^  export: +{NUMBER} events/s",
        rf"^  verify: +{NUMBER} events/s \(.*chain ok: True\)$",
        rf"^{VERDICT}  export >= 100,000 events/s$",
        rf"^{VERDICT}  verify >= 200,000 events/s$",
        rf"^{VERDICT}  casting with the log on >= 90% of unchained appends \({NUMBER}%\)$",
    )


def test_audit_bench_refuses_sizes_that_leave_a_run_without_ballots() -> None:
    import subprocess
    import sys

    from tests.bench.smoke import ROOT

    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "audit.py"), "--voters", "2", "--elections", "2"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 2 and "--voters must give every run at least one ballot" in done.stderr
