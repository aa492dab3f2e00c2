"""Plurality and approval: counts, multi-seat block, caps and tie-breaks by lot."""

from __future__ import annotations

import pytest

from governance.tally import GroupCap, Profile, TallyInputError, count
from governance.tally.lot import lot_order
from governance.tally.plurality import approval, plurality


def test_plurality_single_seat() -> None:
    p = Profile.from_names(["A", "B", "C"], [["A", "B"], ["B"], ["B", "A"], ["C"], ["A"], ["A"]])
    r = plurality(p, 1)
    assert r.elected == ["A"]
    assert r.rounds[0].counts == {"A": 3, "B": 2, "C": 1}


def test_plurality_block_three_seats_and_count_dispatch() -> None:
    ballots = [["A"]] * 5 + [["B"]] * 4 + [["C"]] * 3 + [["D"]] * 2 + [["E"]]
    p = Profile.from_names(["A", "B", "C", "D", "E"], ballots)
    assert count("plurality", p, 3).elected == ["A", "B", "C"]


def test_plurality_rejects_equal_first_marks() -> None:
    p = Profile.from_names(["A", "B"], [[["A", "B"]]])
    with pytest.raises(TallyInputError, match="equally"):
        plurality(p, 1)


def test_plurality_skips_withdrawn_first_choice() -> None:
    p = Profile.build(["A", "B", "C"], [(((0,), (1,)), 3), (((1,),), 2), (((2,),), 4)], withdrawn=[0])
    r = plurality(p, 1)
    assert r.elected == ["B"]
    assert r.rounds[0].counts == {"B": 5, "C": 4}


def test_plurality_tie_by_lot_is_reproducible_and_recorded() -> None:
    p = Profile.from_names(["A", "B", "C"], [["A"], ["B"], ["C"], ["C"]])
    r1 = plurality(p, 2, seed="s1")
    r2 = plurality(p, 2, seed="s1")
    assert r1.elected == r2.elected
    expected = lot_order("s1", "plurality order at 1 first preferences", ["A", "B"])[0]
    assert r1.elected == ["C", expected]
    assert r1.tie_breaks and r1.tie_breaks[0].rule == "lot" and r1.tie_breaks[0].seed == "s1"
    assert r1.seed == "s1"


def test_plurality_group_cap_skips_over_cap_candidate() -> None:
    ballots = [["A"]] * 5 + [["B"]] * 4 + [["C"]] * 3
    p = Profile.from_names(["A", "B", "C"], ballots)
    caps = GroupCap(groups={"A": "acme", "B": "acme", "C": "other"}, cap=1)
    r = plurality(p, 2, caps=caps)
    assert r.elected == ["A", "C"]
    assert r.rounds[0].excluded == ["B"]
    assert any("B" in n and "acme" in n for n in r.notes)


def test_cap_with_held_seat() -> None:
    p = Profile.from_names(["A", "B", "C"], [["A"]] * 5 + [["B"]] * 4 + [["C"]] * 3)
    caps = GroupCap(groups={"A": "acme"}, cap=1, held={"acme": 1})
    assert plurality(p, 1, caps=caps).elected == ["B"]


def test_approval_counts_whole_first_tier() -> None:
    p = Profile.from_names(
        ["A", "B", "C", "D"],
        [[["A", "B"]], [["B", "C"]], [["B"]], [["C", "D"], "A"], [["D"]]],
    )
    r = approval(p, 2, seed="x")
    assert r.rounds[0].counts == {"A": 1, "B": 3, "C": 2, "D": 2}
    assert r.elected[0] == "B"
    assert r.elected[1] == lot_order("x", "approval order at 2 approvals", ["C", "D"])[0]
    assert count("approval", p, 1).elected == ["B"]


def test_approval_blank_ballots_counted_as_blank() -> None:
    p = Profile.build(["A", "B"], [((), 3), (((0,),), 1)])
    r = approval(p, 1)
    assert r.rounds[0].exhausted == 3
    assert r.elected == ["A"]


def test_unknown_method_and_bad_seats() -> None:
    p = Profile.from_names(["A"], [["A"]])
    with pytest.raises(TallyInputError, match="unknown counting method"):
        count("borda", p, 1)
    with pytest.raises(TallyInputError, match="at least one seat"):
        count("plurality", p, 0)
