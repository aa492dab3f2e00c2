"""The pure rules a bundle's check applies to a closed poll's ledger (``governance.ledger_rules``)."""

from __future__ import annotations

import json
from types import SimpleNamespace

from governance.ledger_rules import close_payload, log_differences

EVENTS = [{"kind": "ballot.cast"}, {"kind": "ballot.cast"}, {"kind": "ballot.replaced"}, {"kind": "x"}]


def test_an_agreeing_chain_export_and_ledger_give_no_difference() -> None:
    ledger = {"first_events": 2, "replace_events": 1, "ballots": 2}
    assert log_differences(EVENTS, "election", 2, {"ledger": ledger}) == []
    assert log_differences(EVENTS, "election", 2, None) == []
    motion = [{"kind": "motion.voted"}, {"kind": "motion.vote_changed"}]
    assert log_differences(motion, "motion", 1, {"ledger": {"first_events": 1, "replace_events": 1}}) == []


def test_each_figure_the_close_recorded_otherwise_is_named() -> None:
    ledger = {"first_events": 3, "replace_events": 0, "ballots": 2}
    assert log_differences(EVENTS, "election", 2, {"ledger": ledger}) == [
        "the close recorded first_events = 3, the bundle gives 2",
        "the close recorded replace_events = 0, the bundle gives 1",
    ]


def test_an_export_missing_a_ballot_is_named_against_the_chain_and_the_ledger() -> None:
    ledger = {"first_events": 2, "ballots": 2}
    assert log_differences(EVENTS, "election", 1, {"ledger": ledger}) == [
        "1 ballot(s) exported, but the log has 2 event(s) of a first ballot",
        "the close recorded ballots = 2, the bundle gives 1",
    ]


def test_the_last_close_event_gives_the_payload() -> None:
    rows = [
        {"kind": "election.closed", "payload": json.dumps({"n": 1})},
        SimpleNamespace(kind="election.closed", payload=json.dumps({"n": 2})),
        {"kind": "motion.closed", "payload": json.dumps({"n": 3})},
    ]
    assert close_payload(rows, "election") == {"n": 2}
    assert close_payload(rows, "motion") == {"n": 3}
    assert close_payload(rows[:1], "motion") is None
    assert close_payload([{"kind": "election.closed", "payload": "[1]"}], "election") is None
