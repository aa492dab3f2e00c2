"""Smoke run of bench/slack_latency.py: signed slash commands against the real app, tiny sizes."""

from __future__ import annotations

from tests.bench.smoke import NUMBER, VERDICT, printed, run_bench


def test_slack_latency_bench_acknowledges_and_answers_every_command() -> None:
    out = run_bench("slack_latency.py", "--requests", "12", "--clients", "4", "--report-only")
    printed(
        out,
        r"^slack ack latency: 12 signed slash commands, 4 concurrent clients "
        rf"\(in a second process\), SQLite, {NUMBER}s wall",
        rf"^  p50 {NUMBER} ms   p90 {NUMBER} ms   p99 {NUMBER} ms   max {NUMBER} ms   mean {NUMBER} ms$",
        # Every command acknowledged and answered once through its response_url: correctness, not speed.
        r"^  replies through response_url: 12 of 12, .*"
        r"error replies or repeats: 0; refused acknowledgements: 0$",
        r"^  target every command acknowledged and answered once: PASS$",
        rf"^  target p99 <= 100 ms and none over 1 s: {VERDICT}$",
    )
