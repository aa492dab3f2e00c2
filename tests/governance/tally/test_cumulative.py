"""Cumulative voting (OpenInfra individual directors): totals, the N-votes rule refusing a ballot over
it, caps and lots, and cross-checks on random profiles against pref_voting's ``cumulative_voting``."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from governance.tally import TallyInputError
from governance.tally.caps import GroupCap
from governance.tally.count import count_scores
from governance.tally.cumulative import cumulative
from governance.tally.lot import lot_order
from governance.tally.scores import ScoreProfile, parse_scores

pytest.importorskip("pref_voting.grade_profiles")
from pref_voting.grade_methods import cumulative_voting
from pref_voting.grade_profiles import GradeProfile

SETTINGS = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much]
)

BALLOTS = """\
# three seats, so three votes each
count,Ana,Bo,Cy,Di
4,3,,,
3,1,1,1,
2,,2,1,
5,,,,3
1,,1,,
"""


def test_votes_are_summed_and_the_most_voted_take_the_seats() -> None:
    result = count_scores("cumulative", parse_scores(BALLOTS), 3)
    assert result.rounds[0].counts == {"Ana": 15, "Bo": 8, "Cy": 5, "Di": 15}
    assert result.ranking is not None and result.ranking[1:] == [["Bo"], ["Cy"]]
    assert sorted(result.ranking[0]) == ["Ana", "Di"]
    assert sorted(result.elected) == ["Ana", "Bo", "Di"]
    assert result.params["votes"] == 3
    assert result.tie_breaks == []  # Ana and Di tie, but both are elected: the lot decides nothing


def test_a_ballot_may_cast_fewer_votes_than_it_holds() -> None:
    profile = parse_scores("count,A,B\n1,1,\n1,,2\n")
    assert cumulative(profile, 2).rounds[0].counts == {"A": 1, "B": 2}


def test_a_ballot_casting_more_than_its_votes_is_refused_naming_its_line() -> None:
    profile = parse_scores("count,A,B,C\n2,2,1,\n1,2,1,1\n", path="board.csv")
    with pytest.raises(
        TallyInputError,
        match=r"each voter 3 votes, but the ballot on line 3 \(A 2, B 1, C 1\) casts 4",
    ):
        cumulative(profile, 3)
    # The same ballots are valid when the charter gives four votes each.
    assert cumulative(profile, 3, votes=4).rounds[0].counts == {"A": 6, "B": 3, "C": 1}


def test_openinfra_at_most_two_directors_per_affiliation_skips_to_the_next() -> None:
    profile = ScoreProfile.from_names(
        ["A", "B", "C", "D"], [{"A": 3}, {"A": 2, "B": 1}, {"B": 3}, {"C": 3}, {"C": 2, "D": 1}]
    )
    caps = GroupCap(groups={"A": "acme", "B": "acme", "C": "acme"}, cap=2)
    result = cumulative(profile, 3, caps=caps)
    assert result.rounds[0].counts == {"A": 5, "B": 4, "C": 5, "D": 1}
    assert "B" not in result.elected and "D" in result.elected
    assert any("B (4 votes) passed over: group 'acme' already holds its cap of 2" in n for n in result.notes)


def test_a_tie_at_the_last_seat_is_drawn_by_lot_and_recorded() -> None:
    profile = ScoreProfile.from_names(["A", "B", "C"], [{"A": 2}, {"B": 1, "C": 1}])
    result = cumulative(profile, 2, seed="openinfra 2027")
    drawn = lot_order("openinfra 2027", "cumulative order at 1 votes", ["B", "C"])[0]
    assert result.elected == ["A", drawn]
    tie = result.tie_breaks[0]
    assert (sorted(tie.between), tie.rule, tie.chosen, tie.seed) == (
        ["B", "C"],
        "lot",
        drawn,
        "openinfra 2027",
    )


def test_refuses_no_seat_and_no_vote() -> None:
    profile = ScoreProfile.from_names(["A"], [{"A": 1}])
    with pytest.raises(TallyInputError, match="at least one seat"):
        cumulative(profile, 0)
    with pytest.raises(TallyInputError, match="at least one vote per voter"):
        cumulative(profile, 1, votes=0)


# ------------------------------------------------------------------------------------ random profiles


@st.composite
def full_ballots(draw: st.DrawFn, votes: int) -> ScoreProfile:
    """Ballots that each spread exactly ``votes`` votes (pref_voting's cumulative voting requires it)."""
    n = draw(st.integers(2, 5))
    rows = []
    for _ in range(draw(st.integers(1, 9))):
        scores = [0] * n
        for _ in range(votes):
            scores[draw(st.integers(0, n - 1))] += 1
        rows.append((scores, draw(st.integers(1, 5))))
    return ScoreProfile.build(list("ABCDE"[:n]), rows)


@SETTINGS
@given(full_ballots(3))
def test_the_top_tier_is_pref_votings_cumulative_winners(profile: ScoreProfile) -> None:
    result = cumulative(profile, 1, votes=3)
    maps = [dict(enumerate(ballot)) for ballot in profile.ballots]
    grades = GradeProfile(
        maps, [0, 1, 2, 3], gcounts=list(profile.counts), candidates=list(range(len(profile.candidates)))
    )
    pv = cumulative_voting(grades, max_total_grades=3)
    assert result.ranking is not None
    assert sorted(profile.index(n) for n in result.ranking[0]) == pv
    assert profile.index(result.elected[0]) in pv


@SETTINGS
@given(full_ballots(2), st.integers(1, 3), st.text(max_size=3))
def test_the_elected_are_the_highest_totals_by_brute_force(
    profile: ScoreProfile, seats: int, seed: str
) -> None:
    result = cumulative(profile, seats, votes=2, seed=seed)
    totals = {
        name: sum(b[i] * k for b, k in zip(profile.ballots, profile.counts, strict=True))
        for i, name in enumerate(profile.candidates)
    }
    assert len(result.elected) == min(seats, len(totals))
    lowest_elected = min(totals[n] for n in result.elected)
    assert all(totals[n] <= lowest_elected for n in totals if n not in result.elected)
