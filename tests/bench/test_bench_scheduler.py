"""Smoke run of bench/scheduler.py: restoring jobs and a reminder fan-out, tiny sizes, each backend."""

from __future__ import annotations

import pytest

from tests.bench.smoke import BACKENDS, NUMBER, PG_URL, VERDICT, printed, run_bench


@pytest.mark.parametrize("backend", BACKENDS)
def test_scheduler_bench_restores_and_fans_out(backend: str) -> None:
    pg = ["--pg-url", PG_URL] if backend == "postgres" and PG_URL else []
    out = run_bench(
        "scheduler.py", "--jobs", "20", "--voters", "6", "--backend", backend, *pg, "--report-only"
    )
    printed(
        out,
        rf"^\[{backend}\] restore: 20 jobs held by APScheduler in {NUMBER} s$",
        rf"^\[{backend}\] fan-out: 6 reminders queued in {NUMBER} s, all delivered to the fake Slack API in "
        rf"{NUMBER} s",
        rf"^{VERDICT}  {backend} restore 20 jobs \(s\): {NUMBER} \(target <= 2.0\)$",
        rf"^{VERDICT}  {backend} fan-out to 6 non-voters \(s\): {NUMBER} \(target <= 10.0\)$",
    )
