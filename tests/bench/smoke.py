"""Running a bench as a smoke test: a subprocess from this checkout, with tiny sizes and
``--report-only`` (a missed speed target is printed but does not fail the run). A test asserts that the
bench ran to the end and printed its figure lines and its targets, never the figures' values."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PG_URL = os.environ.get("GOVBOT_TEST_PG_URL")
# The benches that take a backend run on PostgreSQL too when the test server is named.
BACKENDS = [
    "sqlite",
    pytest.param("postgres", marks=pytest.mark.skipif(not PG_URL, reason="GOVBOT_TEST_PG_URL is not set")),
]
NUMBER = r"[0-9][0-9,.]*"
VERDICT = r"(PASS|FAIL)"


def run_bench(script: str, *args: str, timeout: float = 300.0) -> str:
    """Run ``bench/<script>`` with ``args``; assert it exited 0 without a traceback; its standard output."""
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / script), *args],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert done.returncode == 0, f"exit {done.returncode}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    assert "Traceback" not in done.stderr, done.stderr[-3000:]
    return done.stdout


def printed(output: str, *patterns: str) -> None:
    """Assert that each regular expression matches a line of ``output`` (in any order)."""
    lines = output.splitlines()
    for pattern in patterns:
        assert any(re.search(pattern, line) for line in lines), f"no line matches {pattern!r} in:\n{output}"
