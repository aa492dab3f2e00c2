"""Instant-runoff: majority stop, exclusions, transfers, tie-breaks and over-votes."""

from __future__ import annotations

import pytest

from governance.tally import Profile, TallyInputError, count
from governance.tally.irv import irv
from governance.tally.lot import lot_order


def test_irv_transfers_until_majority() -> None:
    ballots = [["A", "B"]] * 8 + [["B", "C"]] * 5 + [["C", "B"]] * 4 + [["D", "C"]] * 2
    p = Profile.from_names(["A", "B", "C", "D"], ballots)
    r = irv(p)
    # R1: A8 B5 C4 D2 -> D out; R2: C6 -> B out (5); R3: C 11 vs A 8
    assert [rd.excluded for rd in r.rounds[:-1]] == [["D"], ["B"]]
    assert r.rounds[-1].counts == {"A": 8, "C": 11}
    assert r.elected == ["C"]
    assert r.rounds[1].transfers == {"C": 2}


def test_irv_first_round_majority() -> None:
    p = Profile.from_names(["A", "B"], [["A"]] * 3 + [["B"]])
    r = count("irv", p, 1)
    assert r.elected == ["A"] and len(r.rounds) == 1


def test_irv_exhausted_ballots_reduce_majority_base() -> None:
    ballots = [["A"]] * 4 + [["B"]] * 3 + [["C"]] * 2
    r = irv(Profile.from_names(["A", "B", "C"], ballots))
    assert r.rounds[-1].exhausted == 2
    assert r.elected == ["A"]


def test_irv_tie_for_last_uses_earlier_round_then_lot() -> None:
    # R1: A5 B4 C3 D3(tie C,D) -> lot; seeds decide reproducibly
    ballots = [["A"]] * 5 + [["B"]] * 4 + [["C", "B"]] * 3 + [["D", "A"]] * 3
    p = Profile.from_names(["A", "B", "C", "D"], ballots)
    r = irv(p, seed="abc")
    loser = lot_order("abc", "round 1 exclude", ["C", "D"])[0]
    assert r.rounds[0].excluded == [loser]
    assert r.tie_breaks[0].rule == "lot" and r.tie_breaks[0].seed == "abc"
    # earlier-round rule: B and C tie at 5 in round 2 but B had more in round 1
    ballots2 = [["A"]] * 7 + [["B"]] * 5 + [["C"]] * 4 + [["E", "C"]] * 1 + [["D"]] * 3
    r2 = irv(Profile.from_names(["A", "B", "C", "D", "E"], ballots2))
    assert r2.rounds[0].excluded == ["E"]
    assert r2.rounds[1].excluded == ["D"]
    ballots3 = [["A"]] * 9 + [["B"]] * 5 + [["C"]] * 4 + [["E", "C"]] * 1
    r3 = irv(Profile.from_names(["A", "B", "C", "E"], ballots3))
    assert r3.rounds[1].counts["B"] == r3.rounds[1].counts["C"] == 5
    assert r3.rounds[1].excluded == ["C"]
    assert r3.tie_breaks[0].rule == "earlier round counts"


def test_irv_refuses_ties_unless_overvote_rule_given() -> None:
    p = Profile.from_names(["A", "B", "C"], [[["A", "B"], "C"], ["C"], ["C"], ["A"]])
    with pytest.raises(TallyInputError, match="strict rankings"):
        irv(p)
    r = irv(p, overvote="exhaust")
    assert r.rounds[0].exhausted == 1
    assert irv(p, overvote="skip").rounds[0].counts["C"] == 3


def test_irv_one_seat_only() -> None:
    with pytest.raises(TallyInputError, match="one candidate"):
        irv(Profile.from_names(["A", "B"], [["A"]]), 2)
