"""Smoke run of bench/cast.py: voters casting through the services, tiny sizes, each backend."""

from __future__ import annotations

import pytest

from tests.bench.smoke import BACKENDS, NUMBER, PG_URL, VERDICT, printed, run_bench


@pytest.mark.parametrize("backend", BACKENDS)
def test_cast_bench_casts_counts_and_verifies(backend: str) -> None:
    pg = ["--pg-url", PG_URL] if backend == "postgres" and PG_URL else []
    out = run_bench(
        "cast.py", "--voters", "12", "--concurrency", "4", "--backend", backend, *pg, "--report-only"
    )
    printed(
        out,
        r"^govbot cast benchmark, .*: 12 voters, concurrency 4",
        rf"^\[{backend}\] 12 ballots in {NUMBER}s: {NUMBER} ballots/s; "
        rf"latency p50 {NUMBER} ms, p99 {NUMBER} ms",
        rf"^  {VERDICT}  \[{backend}\] throughput >= {NUMBER} ballots/s: {NUMBER}$",
        rf"^  {VERDICT}  \[{backend}\] p99 latency <= {NUMBER} ms: {NUMBER} ms$",
        # Correctness, not speed: every ballot counted, the chain verifies.
        rf"^  PASS  \[{backend}\] exactly 12 ballots counted: 12 counted, 0 failed$",
        rf"^  PASS  \[{backend}\] audit chain sealed and verified: OK$",
    )
