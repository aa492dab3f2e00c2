"""Group caps in every method that takes them: two of a group reaching the quota in the same stage,
and seats the group already holds.

One profile serves every method. First preferences: A1 30, A2 28, C 20, B 12, D 10 (100 ballots; for
three seats the Droop quota is 26, so A1 and A2 reach it together in the first stage). Pairwise, A1
beats everyone, A2 everyone but A1, then C, B, D in that order. A1 and A2 are both of ``acme``.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from governance.tally import GroupCap, Profile, count

NAMES = ["A1", "A2", "B", "C", "D"]
A1, A2, B, C, D = range(5)
PROFILE = Profile.build(
    NAMES,
    [
        (((A1,), (A2,), (C,), (B,), (D,)), 30),
        (((A2,), (A1,), (C,), (B,), (D,)), 28),
        (((C,), (B,), (D,), (A1,), (A2,)), 20),
        (((B,), (C,), (D,)), 12),
        (((D,), (B,), (C,)), 10),
    ],
)
ONE_PER_ORG = GroupCap(groups={"A1": "acme", "A2": "acme"}, cap=1)
ALREADY_HELD = GroupCap(groups={"A1": "acme", "A2": "acme"}, cap=1, held={"acme": 1})
TWO_HELD_ONE = GroupCap(groups={"A1": "acme", "A2": "acme"}, cap=2, held={"acme": 1})
CAPPED_METHODS = ["stv-scottish", "stv-meek", "plurality", "approval", "schulze", "ranked-pairs"]


@pytest.mark.parametrize("method", CAPPED_METHODS)
def test_without_a_cap_both_of_the_group_win(method: str) -> None:
    assert count(method, PROFILE, 3).elected[:2] == ["A1", "A2"]


@pytest.mark.parametrize("method", CAPPED_METHODS)
def test_two_of_a_group_at_the_quota_together_elect_only_the_first(method: str) -> None:
    result = count(method, PROFILE, 3, caps=ONE_PER_ORG)
    assert result.elected == ["A1", "C", "B"]
    assert "A2" in {name for r in result.rounds for name in r.excluded}
    assert any("A2" in note and "cap" in note for note in result.notes)
    assert result.params["caps"] == {"cap": 1, "groups": {"A1": "acme", "A2": "acme"}, "held": {}}


@pytest.mark.parametrize("method", CAPPED_METHODS)
def test_a_group_holding_its_cap_already_wins_no_seat(method: str) -> None:
    result = count(method, PROFILE, 3, caps=ALREADY_HELD)
    assert result.elected == ["C", "B", "D"]
    assert {"A1", "A2"} <= {name for r in result.rounds for name in r.excluded}


@pytest.mark.parametrize("method", CAPPED_METHODS)
def test_a_seat_held_counts_against_a_cap_of_two(method: str) -> None:
    result = count(method, PROFILE, 3, caps=TWO_HELD_ONE)
    assert result.elected == ["A1", "C", "B"]


def test_scottish_stage_by_stage_under_a_simultaneous_quota() -> None:
    """Stage 1 elects A1 only; stage 2 excludes A2 for the cap and its 28 papers go to C (A1 is elected)."""
    result = count("stv-scottish", PROFILE, 3, caps=ONE_PER_ORG)
    assert [r.number for r in result.rounds] == list(range(1, len(result.rounds) + 1))
    first, second = result.rounds[0], result.rounds[1]
    assert first.elected == ["A1"] and first.excluded == []
    assert second.excluded == ["A2"] and "cap" in second.note
    assert second.counts["C"] == Decimal(48) and second.counts["A2"] == Decimal(0)
    assert second.elected == ["C"]


def test_scottish_held_cap_excludes_both_in_the_stage_after_the_first() -> None:
    result = count("stv-scottish", PROFILE, 3, caps=ALREADY_HELD)
    assert result.rounds[0].elected == []
    assert result.rounds[1].excluded == ["A1", "A2"]
    assert result.rounds[1].counts["C"] == Decimal(78)


def test_meek_round_by_round_under_a_simultaneous_quota() -> None:
    result = count("stv-meek", PROFILE, 3, caps=ONE_PER_ORG)
    electing = next(r for r in result.rounds if r.elected)
    assert electing.elected == ["A1"]
    assert electing.excluded == ["A2"]


def test_meek_held_cap_excludes_before_any_iteration() -> None:
    """A group already at its cap is excluded in the first round, before any keep factor moves."""
    result = count("stv-meek", PROFILE, 3, caps=ALREADY_HELD)
    assert result.rounds[0].excluded == ["A1", "A2"]
    assert result.rounds[0].counts["A1"] == Decimal(30)


@pytest.mark.parametrize("method", ["plurality", "approval", "schulze", "ranked-pairs"])
def test_ranking_methods_pass_over_the_capped_candidate_in_place(method: str) -> None:
    result = count(method, PROFILE, 3, caps=ONE_PER_ORG)
    assert result.rounds[0].excluded == ["A2"]
    assert result.rounds[0].elected == ["A1", "C", "B"]
    votes = {"plurality": " (28 first preferences)", "approval": " (28 approvals)"}.get(method, "")
    cap = "already holds its cap of 1" if votes else "is at its cap of 1"
    assert result.notes == [f"A2{votes} passed over: group 'acme' {cap}"]


def test_irv_excludes_a_group_at_its_cap_before_the_first_round() -> None:
    """A1 would win on first preferences and transfers; with acme's seat already held, C wins."""
    assert count("irv", PROFILE, 1).elected == ["A1"]
    result = count("irv", PROFILE, 1, caps=ALREADY_HELD)
    assert result.elected == ["C"]
    assert set(result.rounds[0].counts) == {"B", "C", "D"}
    assert result.notes == [
        "A1 excluded before the count: group 'acme' already holds its cap of 1",
        "A2 excluded before the count: group 'acme' already holds its cap of 1",
    ]
    assert result.params["caps"]["held"] == {"acme": 1}  # type: ignore[index]


def test_irv_with_room_left_under_the_cap_counts_everyone() -> None:
    result = count("irv", PROFILE, 1, caps=TWO_HELD_ONE)
    assert result.elected == ["A1"]
    assert set(result.rounds[0].counts) == set(NAMES)
    assert result.notes == []
