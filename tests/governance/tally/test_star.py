"""STAR and Bloc STAR: the Official Tiebreaker Protocol step by step (hand-worked cases), refusals,
caps, and cross-checks on random score profiles against pref_voting's ``star``."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from governance.tally import TallyInputError
from governance.tally.caps import GroupCap
from governance.tally.count import SCORE_METHODS, count_scores
from governance.tally.lot import lot_order
from governance.tally.scores import ScoreProfile, parse_scores
from governance.tally.star import _head_to_head, _Tables, star

pytest.importorskip("pref_voting.grade_profiles")
from pref_voting.grade_methods import star as pv_star
from pref_voting.grade_profiles import GradeProfile

SETTINGS = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much]
)


def _profile(*ballots: dict[str, int]) -> ScoreProfile:
    names = sorted({name for ballot in ballots for name in ballot})
    return ScoreProfile.from_names(names, ballots)


def test_the_starvote_readme_example_scores_then_runs_off() -> None:
    # starvote's README (Larry Hastings): Amy 10, Brian 9, Chuck 13; Chuck beats Amy 2-1 in the runoff.
    result = star(
        _profile(
            {"Amy": 1, "Brian": 3, "Chuck": 5},
            {"Amy": 5, "Brian": 2, "Chuck": 3},
            {"Amy": 4, "Brian": 4, "Chuck": 5},
        )
    )
    scoring, runoff = result.rounds
    assert scoring.counts == {"Amy": 10, "Brian": 9, "Chuck": 13}
    assert "finalists Chuck and Amy" in scoring.note
    assert runoff.counts == {"Chuck": 2, "Amy": 1} and runoff.exhausted == 0
    assert result.elected == ["Chuck"] and result.tie_breaks == []


def test_a_two_way_tie_for_finalist_goes_to_the_one_more_voters_scored_higher() -> None:
    # B and C both total 6; B is scored above C on two ballots, C above B on one.
    result = star(_profile({"A": 5, "B": 2, "C": 1}, {"A": 5, "B": 2, "C": 1}, {"A": 5, "B": 2, "C": 4}))
    tie = result.tie_breaks[0]
    assert (tie.purpose, tie.between, tie.rule, tie.chosen, tie.seed) == (
        "choose the finalists",
        ["B", "C"],
        "head-to-head preference",
        "B",
        None,
    )
    assert "finalists A and B" in result.rounds[0].note


def test_a_finalist_tie_even_head_to_head_goes_to_the_most_five_star_ratings() -> None:
    # B and C total 6, each preferred once (the third ballot scores them equally); B has a five.
    result = star(_profile({"A": 4, "B": 5, "C": 1}, {"A": 4, "B": 0, "C": 4}, {"A": 4, "B": 1, "C": 1}))
    tie = result.tie_breaks[0]
    assert (tie.rule, tie.chosen) == ("most five-star ratings", "B")


def test_an_unbreakable_finalist_tie_is_drawn_by_lot_from_the_seed() -> None:
    # starvote's "unbreakable tie for second" shape: Chuck 15, Amy 6, Brian 6, one preference each, no fives.
    profile = _profile(
        {"Chuck": 5, "Amy": 3, "Brian": 1},
        {"Chuck": 5, "Amy": 1, "Brian": 3},
        {"Chuck": 5, "Amy": 2, "Brian": 2},
    )
    result = star(profile, seed="2026 council")
    drawn = lot_order("2026 council", "star seat 1 finalists at 6", ["Amy", "Brian"])[0]
    tie = result.tie_breaks[0]
    assert (tie.rule, tie.chosen, tie.seed) == ("lot", drawn, "2026 council")
    assert f"finalists Chuck and {drawn}" in result.rounds[0].note
    assert result.elected == ["Chuck"]


def test_three_tied_for_the_finalists_drop_who_loses_most_head_to_head() -> None:
    # A, B, C all total 6: A beats B and C, B beats C. A and B go through; C lost both match-ups.
    result = star(_profile({"A": 3, "B": 2, "C": 1}, {"A": 3, "B": 2, "C": 1}, {"A": 0, "B": 2, "C": 4}))
    assert result.rounds[0].counts == {"A": 6, "B": 6, "C": 6}
    tie = result.tie_breaks[0]
    assert (tie.between, tie.rule, tie.chosen) == (["A", "B", "C"], "head-to-head preference", "A, B")


def test_head_to_head_eliminates_again_among_those_left_as_the_protocol_repeats() -> None:
    # A beats C and D, D beats B, C beats D, A and B tie. Losses among all four: A 0, B 1, C 1, D 2.
    # Eliminating D then C leaves A and B level head to head: the next step (five stars) decides,
    # although A alone had no loss among the four.
    tables = _Tables(ScoreProfile.build(list("ABCD"), [([0, 0, 0, 0], 1)]), 5)
    a, b, c, d = range(4)
    tables.prefer = [[0] * 4 for _ in range(4)]
    for winner, loser in ((a, c), (a, d), (d, b), (c, d)):
        tables.prefer[winner][loser] = 1
    assert _head_to_head(tables, [a, b, c, d], 1) == ([], [a, b], 1)
    # Two places: A and B both go through once C and D are out.
    assert _head_to_head(tables, [a, b, c, d], 2) == ([a, b], [], 0)
    # Three places: A, B and C are better than D, who lost the most.
    assert _head_to_head(tables, [a, b, c, d], 3) == ([a, b, c], [], 0)


def test_a_runoff_tie_goes_to_the_higher_total_score() -> None:
    # One ballot each way in the runoff; A totals 5, B totals 2.
    result = star(_profile({"A": 5, "B": 1}, {"A": 0, "B": 1}))
    assert result.rounds[1].counts == {"A": 1, "B": 1}
    assert "tied at 1 each; A wins the tie-break" in result.rounds[1].note
    tie = result.tie_breaks[0]
    assert (tie.purpose, tie.rule, tie.chosen) == ("decide the runoff", "higher total score", "A")


def test_a_runoff_tie_on_equal_totals_goes_to_the_most_five_star_ratings() -> None:
    # starvote's "breakable tie in the automatic runoff": Brian 12 and Chuck 12, one preference each and
    # one ballot with no preference; Chuck has two fives to Brian's one.
    profile = _profile(
        {"Amy": 1, "Brian": 5, "Chuck": 5},
        {"Amy": 1, "Brian": 3, "Chuck": 5},
        {"Amy": 1, "Brian": 4, "Chuck": 2},
    )
    result = star(profile)
    runoff = result.rounds[1]
    assert runoff.counts == {"Brian": 1, "Chuck": 1} and runoff.exhausted == 1
    tie = result.tie_breaks[-1]
    assert (tie.rule, tie.chosen) == ("most five-star ratings", "Chuck")
    assert result.elected == ["Chuck"]


def test_an_unbreakable_runoff_tie_is_drawn_by_lot() -> None:
    result = star(_profile({"A": 5, "B": 4}, {"A": 4, "B": 5}), seed="x")
    drawn = lot_order("x", "star runoff A v B at 1", ["A", "B"])[0]
    tie = result.tie_breaks[0]
    assert (tie.rule, tie.chosen, tie.seed) == ("lot", drawn, "x")
    assert result.elected == [drawn]


def test_bloc_star_fills_each_seat_with_a_star_count_among_the_rest() -> None:
    profile = _profile(
        {"A": 5, "B": 4, "C": 0, "D": 1}, {"A": 4, "B": 5, "C": 1, "D": 0}, {"A": 0, "B": 1, "C": 5, "D": 4}
    )
    result = star(profile, 2)
    assert result.elected == ["B", "A"]
    assert [r.number for r in result.rounds] == [1, 2, 3, 4]
    assert result.rounds[2].counts == {"A": 9, "C": 6, "D": 5}


def test_bloc_star_passes_over_a_group_at_its_cap() -> None:
    profile = _profile(
        {"A": 5, "B": 4, "C": 0, "D": 1}, {"A": 4, "B": 5, "C": 1, "D": 0}, {"A": 0, "B": 1, "C": 5, "D": 4}
    )
    result = star(profile, 2, caps=GroupCap(groups={"A": "psf", "B": "psf"}, cap=1))
    assert result.elected == ["B", "C"]
    assert any("A passed over: group 'psf' is at its cap of 1" in n for n in result.notes)


def test_a_score_above_five_is_refused_naming_the_ballot_and_its_line() -> None:
    profile = parse_scores("count,A,B\n2,5,3\n1,6,0\n", path="council.csv")
    with pytest.raises(
        TallyInputError, match=r"STAR scores run from 0 to 5, but the ballot on line 3 \(A 6\) gives A 6"
    ):
        star(profile)


def test_registered_as_a_score_method_and_refuses_what_it_cannot_count() -> None:
    assert set(SCORE_METHODS) == {"star", "cumulative"}
    profile = _profile({"A": 5, "B": 1})
    assert count_scores("star", profile, 1).elected == ["A"]
    with pytest.raises(TallyInputError, match="at least one seat"):
        count_scores("star", profile, 0)
    with pytest.raises(TallyInputError, match="unknown counting method 'score'"):
        count_scores("score", profile, 1)
    with pytest.raises(TallyInputError, match="does not take the option"):
        count_scores("star", profile, 1, votes=3)


def test_more_seats_than_candidates_fills_what_it_can_and_says_so() -> None:
    result = star(_profile({"A": 5, "B": 1}), 3)
    assert result.elected == ["A", "B"]
    assert any("only 2 of 3 seats could be filled" in n for n in result.notes)


# ------------------------------------------------------------------------------------ random profiles


@st.composite
def score_profiles(draw: st.DrawFn) -> ScoreProfile:
    n = draw(st.integers(2, 5))
    rows = [
        (draw(st.lists(st.integers(0, 5), min_size=n, max_size=n)), draw(st.integers(1, 5)))
        for _ in range(draw(st.integers(1, 9)))
    ]
    return ScoreProfile.build(list("ABCDE"[:n]), rows)


def _grades(profile: ScoreProfile) -> GradeProfile:
    maps = [dict(enumerate(ballot)) for ballot in profile.ballots]
    return GradeProfile(
        maps,
        [0, 1, 2, 3, 4, 5],
        gcounts=list(profile.counts),
        candidates=list(range(len(profile.candidates))),
    )


@SETTINGS
@given(score_profiles(), st.text(max_size=4))
def test_the_winner_is_one_of_pref_votings_star_winners_and_the_only_one_without_ties(
    profile: ScoreProfile, seed: str
) -> None:
    result = star(profile, seed=seed)
    pv = pv_star(_grades(profile))
    winner = profile.index(result.elected[0])
    assert winner in pv
    if not result.tie_breaks:
        assert pv == [winner]


@SETTINGS
@given(score_profiles())
def test_bloc_star_is_star_repeated_on_the_candidates_left(profile: ScoreProfile) -> None:
    seats = min(3, len(profile.candidates))
    result = star(profile, seats)
    grades = _grades(profile)
    left = list(range(len(profile.candidates)))
    for name in result.elected:
        pv = pv_star(grades, curr_cands=left)
        assert profile.index(name) in pv
        left.remove(profile.index(name))
    assert len(result.elected) == seats
