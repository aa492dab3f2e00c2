"""What must never drift in the built-in policies, written out here rather than read from the modules.

Each preset's charter constants (methods, seats, caps, terms, periods, quorums, thresholds, group
rules), the secret ballot as the default for an election (the README's example policy never says
``secret``), and each preset's quorum and threshold at their boundaries: exactly at, one below, one
above. A change to any of these is a change of charter and must change this file too.
"""

from __future__ import annotations

from datetime import timedelta
from fractions import Fraction as F
from pathlib import Path

import pytest

from governance.policies import BUILTIN, load_policy
from governance.policies.base import BodyFacts, Bounds, ElectionRules, MotionRules
from governance.tally.motion import count_motion

KINDS = ("board", "committee", "working_group")
EXAMPLE = Path(__file__).resolve().parents[3] / "docs" / "examples" / "my_policy.py"

# (method, seats, organisation cap, term months, staggered, term limit, nomination days, voting days,
#  self-nomination, proxies, bounds.min_voting, bounds.max_voting)
ELECTIONS = {
    ("alliance", "board"): ("stv-meek", 3, 1, 24, True, 3, 14, 14, True, False, timedelta(days=7), None),
    ("alliance", "committee"): (
        "irv",
        1,
        None,
        None,
        False,
        None,
        14,
        14,
        True,
        False,
        timedelta(days=7),
        None,
    ),
    ("alliance", "working_group"): (
        "irv",
        1,
        None,
        None,
        False,
        None,
        14,
        14,
        True,
        False,
        timedelta(days=7),
        None,
    ),
    ("kubernetes", "board"): ("schulze", 7, 2, 24, True, None, 14, 14, False, False, None, None),
    ("kubernetes", "committee"): ("schulze", 1, 2, 24, False, None, 14, 14, False, False, None, None),
    ("kubernetes", "working_group"): ("schulze", 1, 2, 24, False, None, 14, 14, False, False, None, None),
    ("debian", "board"): (
        "debian",
        1,
        None,
        12,
        False,
        None,
        7,
        14,
        True,
        False,
        timedelta(days=14),
        timedelta(days=14),
    ),
    ("debian", "committee"): (
        "debian",
        1,
        None,
        12,
        False,
        None,
        7,
        14,
        True,
        False,
        timedelta(days=14),
        timedelta(days=14),
    ),
    ("debian", "working_group"): (
        "debian",
        1,
        None,
        12,
        False,
        None,
        7,
        14,
        True,
        False,
        timedelta(days=14),
        timedelta(days=14),
    ),
    ("asf", "board"): ("stv-meek", 9, None, 12, False, None, 14, 7, True, True, None, None),
    ("asf", "committee"): ("stv-meek", 1, None, 12, False, None, 14, 7, True, True, None, None),
    ("asf", "working_group"): ("stv-meek", 1, None, 12, False, None, 14, 7, True, True, None, None),
    ("lazy_consensus", "board"): ("irv", 1, None, None, False, None, 7, 7, True, False, None, None),
    ("lazy_consensus", "committee"): ("irv", 1, None, None, False, None, 7, 7, True, False, None, None),
    ("lazy_consensus", "working_group"): ("irv", 1, None, None, False, None, 7, 7, True, False, None, None),
}
# (quorum, quorum counts abstentions, threshold, threshold of, strict, secret, voting days,
#  lazy consensus, early close, proxies, bounds.min_voting)
MOTIONS = {
    ("alliance", "board", "ordinary"): (
        F(1, 2),
        True,
        F(1, 2),
        "cast_excluding_abstentions",
        True,
        False,
        7,
        False,
        False,
        True,
        timedelta(days=3),
    ),
    ("alliance", "board", "charter"): (
        F(1, 2),
        True,
        F(2, 3),
        "cast_excluding_abstentions",
        False,
        False,
        7,
        False,
        False,
        True,
        timedelta(days=7),
    ),
    ("alliance", "committee", "ordinary"): (
        F(1, 2),
        True,
        F(1, 2),
        "cast_excluding_abstentions",
        True,
        False,
        7,
        False,
        False,
        True,
        timedelta(days=3),
    ),
    ("alliance", "committee", "charter"): (
        F(1, 2),
        True,
        F(2, 3),
        "cast_excluding_abstentions",
        False,
        False,
        7,
        False,
        False,
        True,
        timedelta(days=7),
    ),
    ("alliance", "working_group", "ordinary"): (
        F(1, 2),
        True,
        F(1, 2),
        "cast_excluding_abstentions",
        True,
        False,
        7,
        False,
        False,
        True,
        timedelta(days=3),
    ),
    ("alliance", "working_group", "charter"): (
        F(1, 2),
        True,
        F(2, 3),
        "cast_excluding_abstentions",
        False,
        False,
        7,
        False,
        False,
        True,
        timedelta(days=7),
    ),
    ("kubernetes", "board", "ordinary"): (
        F(1, 2),
        True,
        F(1, 2),
        "seated",
        True,
        False,
        7,
        False,
        True,
        False,
        None,
    ),
    ("kubernetes", "board", "charter"): (
        F(1, 2),
        True,
        F(1, 2),
        "seated",
        True,
        False,
        7,
        False,
        True,
        False,
        None,
    ),
    ("kubernetes", "committee", "ordinary"): (
        F(1, 2),
        True,
        F(1, 2),
        "seated",
        True,
        False,
        7,
        False,
        True,
        False,
        None,
    ),
    ("kubernetes", "committee", "charter"): (
        F(1, 2),
        True,
        F(1, 2),
        "seated",
        True,
        False,
        7,
        False,
        True,
        False,
        None,
    ),
    ("kubernetes", "working_group", "ordinary"): (
        F(1, 2),
        True,
        F(1, 2),
        "seated",
        True,
        False,
        7,
        False,
        True,
        False,
        None,
    ),
    ("kubernetes", "working_group", "charter"): (
        F(1, 2),
        True,
        F(1, 2),
        "seated",
        True,
        False,
        7,
        False,
        True,
        False,
        None,
    ),
    ("debian", "board", "ordinary"): (
        F(0, 1),
        False,
        F(1, 2),
        "cast_excluding_abstentions",
        True,
        False,
        14,
        False,
        False,
        False,
        timedelta(days=7),
    ),
    ("debian", "board", "charter"): (
        F(0, 1),
        False,
        F(3, 4),
        "cast_excluding_abstentions",
        False,
        False,
        14,
        False,
        False,
        False,
        timedelta(days=7),
    ),
    ("debian", "committee", "ordinary"): (
        F(0, 1),
        False,
        F(1, 2),
        "cast_excluding_abstentions",
        True,
        False,
        14,
        False,
        False,
        False,
        timedelta(days=7),
    ),
    ("debian", "committee", "charter"): (
        F(0, 1),
        False,
        F(3, 4),
        "cast_excluding_abstentions",
        False,
        False,
        14,
        False,
        False,
        False,
        timedelta(days=7),
    ),
    ("debian", "working_group", "ordinary"): (
        F(0, 1),
        False,
        F(1, 2),
        "cast_excluding_abstentions",
        True,
        False,
        14,
        False,
        False,
        False,
        timedelta(days=7),
    ),
    ("debian", "working_group", "charter"): (
        F(0, 1),
        False,
        F(3, 4),
        "cast_excluding_abstentions",
        False,
        False,
        14,
        False,
        False,
        False,
        timedelta(days=7),
    ),
    ("asf", "board", "ordinary"): (F(1, 3), True, F(1, 2), "cast", True, True, 7, False, False, True, None),
    ("asf", "board", "charter"): (F(1, 3), True, F(2, 3), "cast", False, True, 7, False, False, True, None),
    ("asf", "committee", "ordinary"): (
        F(1, 3),
        True,
        F(1, 2),
        "cast",
        True,
        True,
        7,
        False,
        False,
        True,
        None,
    ),
    ("asf", "committee", "charter"): (
        F(1, 3),
        True,
        F(2, 3),
        "cast",
        False,
        True,
        7,
        False,
        False,
        True,
        None,
    ),
    ("asf", "working_group", "ordinary"): (
        F(1, 3),
        True,
        F(1, 2),
        "cast",
        True,
        True,
        7,
        False,
        False,
        True,
        None,
    ),
    ("asf", "working_group", "charter"): (
        F(1, 3),
        True,
        F(2, 3),
        "cast",
        False,
        True,
        7,
        False,
        False,
        True,
        None,
    ),
    ("lazy_consensus", "board", "ordinary"): (
        F(0, 1),
        True,
        F(1, 2),
        "cast_excluding_abstentions",
        False,
        False,
        3,
        True,
        False,
        False,
        timedelta(days=3),
    ),
    ("lazy_consensus", "board", "charter"): (
        F(0, 1),
        True,
        F(1, 2),
        "cast_excluding_abstentions",
        True,
        False,
        7,
        False,
        True,
        False,
        None,
    ),
    ("lazy_consensus", "committee", "ordinary"): (
        F(0, 1),
        True,
        F(1, 2),
        "cast_excluding_abstentions",
        False,
        False,
        3,
        True,
        False,
        False,
        timedelta(days=3),
    ),
    ("lazy_consensus", "committee", "charter"): (
        F(0, 1),
        True,
        F(1, 2),
        "cast_excluding_abstentions",
        True,
        False,
        7,
        False,
        True,
        False,
        None,
    ),
    ("lazy_consensus", "working_group", "ordinary"): (
        F(0, 1),
        True,
        F(1, 2),
        "cast_excluding_abstentions",
        False,
        False,
        3,
        True,
        False,
        False,
        timedelta(days=3),
    ),
    ("lazy_consensus", "working_group", "charter"): (
        F(0, 1),
        True,
        F(1, 2),
        "cast_excluding_abstentions",
        True,
        False,
        7,
        False,
        True,
        False,
        None,
    ),
}
# (max members, inactivity days, on leave, on inactive)
GROUPS = {
    ("alliance", "board"): (50, 180, "remove", "emeritus"),
    ("alliance", "committee"): (50, 180, "remove", "emeritus"),
    ("alliance", "working_group"): (50, 180, "remove", "emeritus"),
    ("kubernetes", "board"): (None, None, "emeritus", "remove"),
    ("kubernetes", "committee"): (None, None, "remove", "remove"),
    ("kubernetes", "working_group"): (None, None, "remove", "remove"),
    ("debian", "board"): (None, None, "remove", "remove"),
    ("debian", "committee"): (None, None, "remove", "remove"),
    ("debian", "working_group"): (None, None, "remove", "remove"),
    ("asf", "board"): (None, None, "remove", "remove"),
    ("asf", "committee"): (None, None, "remove", "remove"),
    ("asf", "working_group"): (None, None, "remove", "remove"),
    ("lazy_consensus", "board"): (None, 365, "remove", "emeritus"),
    ("lazy_consensus", "committee"): (None, 365, "remove", "emeritus"),
    ("lazy_consensus", "working_group"): (None, 365, "remove", "emeritus"),
}


def _body(kind: str) -> BodyFacts:
    return BodyFacts(slug="b", name="B", kind=kind)


def test_every_preset_is_pinned() -> None:
    assert sorted({p for p, _ in ELECTIONS}) == sorted(BUILTIN)


@pytest.mark.parametrize(("preset", "kind"), sorted(ELECTIONS))
def test_election_charter_constants(preset: str, kind: str) -> None:
    r = load_policy(preset).election_rules(_body(kind))
    got = (r.method, r.seats, r.organisation_cap, r.term_months, r.staggered, r.term_limit)
    got += (r.nomination_days, r.voting_days, r.self_nomination, r.proxies)
    assert (*got, r.bounds.min_voting, r.bounds.max_voting) == ELECTIONS[preset, kind]
    assert r.secret is True  # every preset's elections are secret ballots
    assert r.bounds.methods == frozenset() and r.bounds.seats is None and not r.bounds.secret_on_request


def test_debian_method_parameters() -> None:
    for kind in KINDS:
        params = dict(load_policy("debian").election_rules(_body(kind)).method_params)
        assert params == {"default_option": "None Of The Above", "quorum": "3Q"}


@pytest.mark.parametrize(("preset", "kind", "motion"), sorted(MOTIONS))
def test_motion_charter_constants(preset: str, kind: str, motion: str) -> None:
    r = load_policy(preset).motion_rules(_body(kind), motion)
    got = (r.quorum, r.quorum_counts_abstentions, r.threshold, r.threshold_of, r.strict, r.secret)
    assert (*got, r.voting_days, r.lazy_consensus, r.early_close, r.proxies, r.bounds.min_voting) == (
        MOTIONS[preset, kind, motion]
    )
    assert not r.proposer_may_choose_secret


@pytest.mark.parametrize(("preset", "kind"), sorted(GROUPS))
def test_working_group_charter_constants(preset: str, kind: str) -> None:
    r = load_policy(preset).working_group_rules(_body(kind))
    assert (r.max_members, r.inactivity_days, r.on_leave, r.on_inactive) == GROUPS[preset, kind]


def test_an_election_is_secret_unless_the_policy_says_otherwise() -> None:
    assert ElectionRules(method="irv").secret is True
    assert (
        MotionRules(
            quorum=F(1, 2), quorum_counts_abstentions=True, threshold=F(1, 2), threshold_of="cast"
        ).secret
        is False
    )  # a motion is a roll call unless its policy makes it secret
    example = load_policy(str(EXAMPLE))
    assert "secret" not in EXAMPLE.read_text("utf-8").split("def election_rules", 1)[1].split("def ", 1)[0]
    for kind in KINDS:
        assert example.election_rules(_body(kind)).secret is True
    assert Bounds().secret_on_request is False


# (preset, motion kind, seated, yes, no, abstain) -> (quorum met, passed). Worked by hand from the
# charters: alliance 1/2 quorum counting abstentions, more than 1/2 of yes+no (charter: at least 2/3);
# kubernetes 1/2 quorum, more than 1/2 of the seated; debian no quorum, more than 1/2 of yes+no
# (charter: at least 3:1, i.e. 3/4); asf 1/3 quorum, more than 1/2 of all cast (charter: at least 2/3);
# lazy_consensus charter changes: more than 1/2 of yes+no.
BOUNDARIES = [
    ("alliance", "ordinary", 12, 4, 1, 1, (True, True)),  # 6 of 12 take part: quorum exactly met
    ("alliance", "ordinary", 12, 4, 0, 1, (False, False)),  # 5: one below the quorum
    ("alliance", "ordinary", 12, 4, 2, 1, (True, True)),  # 7: one above
    ("alliance", "ordinary", 12, 5, 5, 0, (True, False)),  # exactly 1/2: not more than half
    ("alliance", "ordinary", 12, 4, 6, 0, (True, False)),  # one below
    ("alliance", "ordinary", 12, 6, 4, 0, (True, True)),  # one above
    ("alliance", "ordinary", 12, 5, 5, 2, (True, False)),  # abstentions do not count in the base
    ("alliance", "charter", 12, 6, 3, 0, (True, True)),  # exactly 2/3 of yes+no: at least, passes
    ("alliance", "charter", 12, 5, 4, 0, (True, False)),  # one below
    ("alliance", "charter", 12, 7, 2, 0, (True, True)),  # one above
    ("kubernetes", "ordinary", 12, 6, 0, 0, (True, False)),  # quorum met; 6 of 12 seated is not > 1/2
    ("kubernetes", "ordinary", 12, 7, 0, 0, (True, True)),  # one above
    ("kubernetes", "ordinary", 12, 5, 0, 0, (False, False)),  # one below the quorum of 6
    ("kubernetes", "charter", 12, 6, 5, 1, (True, False)),  # the seated are the base, not the cast
    ("debian", "ordinary", 12, 1, 0, 0, (True, True)),  # no quorum
    ("debian", "ordinary", 12, 2, 2, 0, (True, False)),  # exactly 1/2
    ("debian", "charter", 12, 6, 2, 0, (True, True)),  # exactly 3/4 (3:1), at least: passes
    ("debian", "charter", 12, 5, 3, 0, (True, False)),  # one below
    ("debian", "charter", 12, 7, 1, 0, (True, True)),  # one above
    ("debian", "charter", 12, 6, 2, 4, (True, True)),  # abstentions excluded from the base
    ("asf", "ordinary", 12, 3, 0, 1, (True, True)),  # 4 of 12: a third, exactly
    ("asf", "ordinary", 12, 3, 0, 0, (False, False)),  # one below
    ("asf", "ordinary", 12, 3, 1, 2, (True, False)),  # 3 of 6 cast, abstentions included: not > 1/2
    ("asf", "ordinary", 12, 4, 1, 1, (True, True)),  # one above
    ("asf", "charter", 12, 4, 1, 1, (True, True)),  # exactly 2/3 of all cast
    ("asf", "charter", 12, 3, 1, 2, (True, False)),  # one below
    ("lazy_consensus", "charter", 12, 5, 5, 0, (True, False)),
    ("lazy_consensus", "charter", 12, 6, 4, 0, (True, True)),
]


@pytest.mark.parametrize(("preset", "motion", "seated", "yes", "no", "abstain", "expected"), BOUNDARIES)
def test_quorum_and_threshold_boundaries(
    preset: str, motion: str, seated: int, yes: int, no: int, abstain: int, expected: tuple[bool, bool]
) -> None:
    r = load_policy(preset).motion_rules(_body("committee"), motion)
    result = count_motion(
        yes,
        no,
        abstain,
        seated=seated,
        quorum=r.quorum,
        quorum_counts_abstentions=r.quorum_counts_abstentions,
        threshold=r.threshold,
        threshold_of=r.threshold_of,
        strict=r.strict,
    )
    assert (result.quorum_met, result.passed) == expected
