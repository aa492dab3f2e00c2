"""Edges the mutation run of ``governance/tally`` found untested, each pinned to a figure worked by hand."""

from __future__ import annotations

from fractions import Fraction

import pytest

from governance.tally import GroupCap, Profile, TallyInputError, count
from governance.tally.debian import debian, quorum_figures
from governance.tally.motion import count_motion, reason_for
from governance.tally.plurality import approval, plurality
from governance.tally.result import default_option_names
from governance.tally.stv_meek import stv_meek


def test_input_error_says_where() -> None:
    with_line = TallyInputError("bad count", path="votes.blt", line=3)
    assert str(with_line) == "votes.blt, line 3: bad count"
    assert (with_line.path, with_line.line) == ("votes.blt", 3)
    assert str(TallyInputError("bad header", path="votes.blt")) == "votes.blt: bad header"
    bare = TallyInputError("no seats")
    assert str(bare) == "no seats" and bare.path is None and bare.line is None


def test_quorum_figures_round_the_root_up() -> None:
    """3Q of 12 voters is 3 × sqrt(12) / 2 = 5.196…, so 6 are needed; of 16 exactly 6 (sqrt 16 = 4)."""
    twelve = quorum_figures("3Q", 12)
    assert twelve.needed == 6 and isinstance(twelve.needed, int)
    assert quorum_figures("3Q", 16).needed == 6
    assert quorum_figures("2Q", 9).needed == 3


def test_debian_refuses_a_ratio_that_is_not_a_number() -> None:
    p = Profile.from_names(["A", "FD"], [["A", "FD"]] * 3)
    with pytest.raises(
        TallyInputError, match=r"^a supermajority ratio must be a number like 3 or 3/2, got 'x'$"
    ):
        debian(p, default=1, supermajority="x")


def test_debian_default_winning_elects_nobody_and_says_so() -> None:
    p = Profile.from_names(["A", "B", "NOTA"], [["NOTA", "A", "B"]] * 5 + [["A", "B", "NOTA"]] * 2)
    r = debian(p, default=2, supermajority=Fraction(3, 2), default_elects_nobody=True)
    assert r.elected == []
    assert "NOTA (the default option) won: no one is elected" in r.notes
    assert r.rounds[0].counts == {"A": 2, "B": 2}  # votes for each option over the default
    assert r.params["supermajority"] == {"1": "3/2", "2": "3/2"}


def test_default_option_names_only_for_a_debian_result() -> None:
    data = {
        "method": "debian",
        "params": {"default": 1, "default_elects_nobody": True},
        "candidates": ["None Of The Above", "A"],
    }
    assert default_option_names(data, "fr") == {"None Of The Above": "Aucun des candidats"}
    assert default_option_names({**data, "method": "schulze"}, "fr") == {}
    assert default_option_names(data, "en") == {}


def test_motion_refuses_negative_yes_votes() -> None:
    with pytest.raises(ValueError, match="cannot be negative"):
        count_motion(-1, 2, seated=5)


def test_motion_quorum_met_exactly_at_the_needed_number() -> None:
    """Quorum 1/2 of 10 seated needs 5 taking part; 5 taking part meet it."""
    met = count_motion(3, 2, seated=10, quorum=Fraction(1, 2))
    assert met.quorum_needed == 5 and met.quorum_met and met.passed
    short = count_motion(3, 1, seated=10, quorum=Fraction(1, 2))
    assert not short.quorum_met and not short.passed


def test_motion_json_and_reason_carry_every_figure() -> None:
    result = count_motion(3, 2, 1, seated=10, quorum=Fraction(1, 2))
    data = result.to_json()
    assert data["quorum_needed"] == 5 and data["seated"] == 10 and data["participation"] == 6
    assert reason_for(data) == (
        "Passed: quorum met (6 members voting, 5 needed of 10 seated); threshold met: 3 yes of 5 votes "
        "cast excluding abstentions (yes + no), rule yes/base > 1/2 needs 3 yes."
    )


def test_plurality_counts_every_ballot_after_a_blank_one_on_the_general_path() -> None:
    """Tied later tiers send plurality down its ballot-by-ballot path; a blank ballot stops nothing."""
    p = Profile.build(
        ["A", "B", "C"], [(((2,),), 1), (((0,), (1, 2)), 3), (((1,), (0, 2)), 2)], withdrawn=[2]
    )
    r = plurality(p, 1)
    assert r.rounds[0].counts == {"A": 3, "B": 2}
    assert r.rounds[0].exhausted == 1
    assert r.elected == ["A"]


def test_plurality_refuses_a_profile_with_fewer_counts_than_rankings() -> None:
    broken = Profile(candidates=("A", "B", "C"), rankings=(((0,), (1, 2)), ((1,),)), counts=(4,))
    with pytest.raises(ValueError, match="zip"):
        plurality(broken, 1)


@pytest.mark.parametrize("method", [plurality, approval])
def test_blank_ballots_at_2_63_are_counted_as_blank(method: object) -> None:
    """Past 2**62 in all, plurality and approval count in Python integers; blanks stay blanks."""
    p = Profile(candidates=("A", "B"), rankings=(((0,),), ((1,),), ()), counts=(2**63, 5, 2**62 + 1))
    r = method(p, 1)  # type: ignore[operator]
    assert r.rounds[0].counts == {"A": 2**63, "B": 5}
    assert r.rounds[0].exhausted == 2**62 + 1


def test_meek_names_itself_when_refusing_tied_ranks() -> None:
    with pytest.raises(TallyInputError, match=r"^stv-meek needs strict rankings"):
        stv_meek(Profile.from_names(["A", "B"], [[["A", "B"]]]), 1)


def test_meek_exclusion_note_says_why() -> None:
    p = Profile.from_names(["A", "B", "C"], [["A"]] * 3 + [["B", "A"]] * 2 + [["C", "B"]] * 2)
    r = stv_meek(p, 1, seed="x")
    assert r.rounds[1].note == "iterated 1 time(s); surplus below omega; lowest excluded"


def test_meek_with_every_candidate_capped_keeps_the_first_preferences() -> None:
    p = Profile.from_names(["A", "B"], [["A"]] * 2 + [["B"]])
    caps = GroupCap(groups={"A": "acme", "B": "acme"}, cap=1, held={"acme": 1})
    r = count("stv-meek", p, 1, caps=caps)
    assert r.elected == []
    assert len(r.rounds) == 1
    assert r.rounds[0].counts == {"A": 2, "B": 1}
    assert r.rounds[0].excluded == ["A", "B"]
    assert "only 0 of 1 seats could be filled" in r.notes


def test_ranked_pairs_orders_equal_margins_by_the_lot_ranking() -> None:
    """A cycle of three equal margins (1, with 2 winning votes each). The lot's tie-break ranking with
    the empty seed is C 0e663db5 < B 8d228087 < A f50cfb07, so the pairs go C>A, B>C, then A>B, which
    would close the cycle and is skipped: B > C > A."""
    p = Profile.from_names(["A", "B", "C"], [["A", "B", "C"], ["B", "C", "A"], ["C", "A", "B"]])
    r = count("ranked-pairs", p, 1)
    (tie,) = r.tie_breaks
    assert tie.between == ["C>A", "B>C", "A>B"]
    assert tie.chosen == "C>A"
    assert [pair["locked"] for pair in r.rounds[0].extra["pairs"]] == [True, True, False]
    assert r.ranking == [["B"], ["C"], ["A"]]
    assert r.elected == ["B"]


def test_pairwise_of_a_ballot_naming_a_candidate_twice_keeps_its_first_place() -> None:
    from governance.tally.condorcet import pairwise

    p = Profile.build(["A", "B"], [(((0,), (1,), (0,)), 2)])
    assert pairwise(p).tolist() == [[0, 2], [0, 0]]


def test_lazy_consensus_sentences() -> None:
    from governance.tally.motion import lazy_reason

    assert lazy_reason(0) == "Passed by lazy consensus: nobody objected before the deadline."
    assert lazy_reason(1) == "Failed: 1 objection under lazy consensus."
    assert lazy_reason(2) == "Failed: 2 objections under lazy consensus."


def test_legacy_seed_is_the_documented_hash() -> None:
    """printf 'board-2027\\na\\nb' | sha256sum -> ef516a0bb84c9a04…"""
    from governance.tally.seed import legacy_seed

    assert legacy_seed("board-2027", ["b", "a"]) == "ef516a0bb84c9a04"


def test_a_result_read_back_from_json_keeps_its_rounds_notes_and_lots() -> None:
    import json

    from governance.tally import Result
    from governance.tally.result import notes_in

    capped = count(
        "stv-scottish",
        Profile.from_names(["A1", "A2", "B"], [["A1", "A2"]] * 5 + [["A2", "B"]] * 4 + [["B"]] * 2),
        2,
        caps=GroupCap(groups={"A1": "acme", "A2": "acme"}, cap=1),
    )
    data = json.loads(capped.dumps())
    assert notes_in(data, "en") == capped.notes and capped.notes
    assert notes_in(data, "fr") != capped.notes
    back = Result.from_json(data)
    assert back.to_json() == capped.to_json()
    assert [r.elected for r in back.rounds] == [r.elected for r in capped.rounds]
    assert [r.transfers for r in back.rounds] == [r.transfers for r in capped.rounds]
    lot = count(
        "stv-scottish",
        Profile.from_names(["A", "B", "C"], [["A"]] * 3 + [["B", "A"]] * 2 + [["C", "B"]] * 2),
        1,
        seed="x",
    )
    assert lot.tie_breaks[0].text() == "Tie in round 1 to exclude between B, C: B by lot (seed x)"
    assert lot.tie_breaks[0].text("fr") == (
        "Égalité au tour 1 pour éliminer entre B, C : B, départagé par tirage au sort (graine x)"
    )


def test_a_cap_below_one_seat_is_refused() -> None:
    with pytest.raises(ValueError, match=r"^a group cap must allow at least one seat$"):
        GroupCap(groups={"A": "acme"}, cap=0)
    with pytest.raises(ValueError, match=r"^a group cap must allow at least one seat$"):
        GroupCap(groups={"A": "acme"}, cap=1, limits={"acme": 0})


def test_a_result_recorded_before_translated_notes_reads_back() -> None:
    """Results recorded before ``note_i18n`` existed have rounds without it; they still read back."""
    from governance.tally import Result

    p = Profile.from_names(["A", "B", "C"], [["A"]] * 3 + [["B", "A"]] * 2 + [["C", "B"]] * 2)
    data = count("stv-scottish", p, 1, seed="x").to_json()
    for r in data["rounds"]:
        r.pop("note_i18n", None)
    back = Result.from_json(data)
    assert [r.note for r in back.rounds][1] == "B excluded with 2.00000 votes"
    assert back.elected == ["A"]
