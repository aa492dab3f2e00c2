"""Motions: quorum, thresholds over each base, strictness, and early settlement."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from governance.tally.motion import count_motion, settled

HALF = Fraction(1, 2)
TWO_THIRDS = Fraction(2, 3)


def test_simple_majority_is_strictly_more_than_half() -> None:
    r = count_motion(5, 5, 0, seated=10, threshold=HALF)
    assert not r.passed and r.quorum_met and r.yes_needed == 6
    assert count_motion(6, 5, 0, seated=11).passed
    assert "yes/base > 1/2" in r.reason


def test_two_thirds_is_at_least() -> None:
    r = count_motion(6, 3, 0, seated=9, threshold=TWO_THIRDS)
    assert r.passed and r.yes_needed == 6
    assert "yes/base >= 2/3" in r.reason
    assert not count_motion(5, 3, 0, seated=9, threshold=TWO_THIRDS).passed
    assert not count_motion(6, 3, 0, seated=9, threshold=TWO_THIRDS, strict=True).passed


def test_threshold_bases_treat_abstentions_differently() -> None:
    kw = {"seated": 12, "threshold": HALF}
    assert count_motion(5, 4, 3, threshold_of="cast_excluding_abstentions", **kw).passed
    assert not count_motion(5, 4, 3, threshold_of="cast", **kw).passed  # 5/12 not > 1/2
    r = count_motion(6, 0, 0, threshold_of="seated", **kw)
    assert not r.passed and r.base == 12 and r.yes_needed == 7


def test_quorum_with_and_without_abstentions() -> None:
    r = count_motion(3, 1, 2, seated=10, quorum=HALF)
    assert r.quorum_met and r.participation == 6 and r.quorum_needed == 5 and r.passed
    r2 = count_motion(3, 1, 2, seated=10, quorum=HALF, quorum_counts_abstentions=False)
    assert not r2.quorum_met and not r2.passed and r2.participation == 4
    assert "quorum not met" in r2.reason


def test_unanimity_and_empty_base() -> None:
    assert count_motion(7, 0, 2, seated=9, threshold=Fraction(1)).passed
    assert not count_motion(7, 1, 0, seated=9, threshold=Fraction(1)).passed
    r = count_motion(0, 0, 3, seated=3)
    assert not r.passed and "no votes cast" in r.reason


def test_to_json_and_validation() -> None:
    j = count_motion(4, 1, 0, seated=5, threshold=TWO_THIRDS).to_json()
    assert j["passed"] is True and j["counts"] == {"yes": 4, "no": 1, "abstain": 0}
    assert j["threshold"] == "2/3" and j["comparison"] == ">="
    with pytest.raises(ValueError):
        count_motion(5, 5, 1, seated=10)
    with pytest.raises(ValueError):
        count_motion(1, 0, 0, seated=3, threshold_of="everyone")  # type: ignore[arg-type]


def test_settled_examples() -> None:
    # 7 of 10 said yes under simple majority of cast votes: 3 remaining cannot overturn it.
    assert settled(7, 0, 0, seated=10, remaining=3)
    assert not settled(3, 2, 0, seated=10, remaining=5)
    # quorum 1/2 of 10 not yet met: nobody else voting would fail it, so not settled.
    assert not settled(4, 0, 0, seated=10, remaining=6, quorum=HALF)
    # already failed for sure: 2/3 of seated impossible with 4 no votes out of 10
    assert settled(2, 4, 0, seated=10, remaining=4, threshold=TWO_THIRDS, threshold_of="seated")


@given(
    st.integers(0, 6),
    st.integers(0, 6),
    st.integers(0, 6),
    st.integers(0, 6),
    st.sampled_from(["cast", "cast_excluding_abstentions", "seated"]),
    st.sampled_from([HALF, TWO_THIRDS, Fraction(3, 4), Fraction(1)]),
    st.sampled_from([Fraction(0), HALF, TWO_THIRDS]),
    st.booleans(),
)
def test_settled_agrees_with_every_completion(
    yes: int,
    no: int,
    abstain: int,
    remaining: int,
    base: str,
    threshold: Fraction,
    quorum: Fraction,
    qa: bool,
) -> None:
    seated = yes + no + abstain + remaining
    kw = {
        "seated": seated,
        "quorum": quorum,
        "quorum_counts_abstentions": qa,
        "threshold": threshold,
        "threshold_of": base,
    }
    outcomes = set()
    for y in range(remaining + 1):
        for n in range(remaining - y + 1):
            for a in range(remaining - y - n + 1):
                outcomes.add(count_motion(yes + y, no + n, abstain + a, **kw).passed)  # type: ignore[arg-type]
    assert settled(yes, no, abstain, remaining=remaining, **kw) == (len(outcomes) == 1)  # type: ignore[arg-type]
