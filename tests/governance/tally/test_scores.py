"""Score ballots: the ScoreProfile and govbot's score CSV (round trip, line-numbered refusals)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from governance.tally import TallyInputError
from governance.tally.formats import read_scores
from governance.tally.scores import ScoreProfile, parse_scores, write_scores


def test_identical_ballots_are_merged_with_their_counts_and_first_line() -> None:
    profile = parse_scores('# a comment\n\ncount,"Smith, Jo",Lee\n2,5,\n1,0,3\n3,5,0\n')
    assert profile.candidates == ("Smith, Jo", "Lee")
    assert profile.ballots == ((5, 0), (0, 3))
    assert profile.counts == (5, 1)
    assert profile.lines == (4, 5)
    assert profile.total == 6 and profile.distinct == 2
    assert profile.describe(1) == "the ballot on line 5 (Lee 3)"


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("A,B\n1,2\n", 1, "expected the header row"),
        ("count,A,A\n", 1, "two candidates have the same name"),
        ("count,A,\n", 1, "every candidate needs a name"),
        ("count,A,B\n1,2\n", 2, "expected 3 cells"),
        ("count,A,B\n1,2,-1\n", 2, "the score of B must be a whole number"),
        ("count,A,B\n1,2.5,1\n", 2, "the score of A must be a whole number"),
        ("count,A,B\n0,2,1\n", 2, "the count must be at least 1"),
        ("count,A,B\n,2,1\n", 2, "the count must be a whole number"),
    ],
)
def test_a_malformed_file_is_refused_naming_the_line(text: str, line: int, message: str) -> None:
    with pytest.raises(TallyInputError, match=message) as caught:
        parse_scores(text, path="votes.csv")
    assert caught.value.line == line
    assert str(caught.value).startswith(f"votes.csv, line {line}: ")


def test_a_file_without_a_header_is_refused() -> None:
    with pytest.raises(TallyInputError, match="no header row"):
        parse_scores("# nothing here\n")


def test_built_ballots_are_checked_and_named() -> None:
    with pytest.raises(TallyInputError, match="ballot #2 gives 1 scores for 2 candidates"):
        ScoreProfile.build(["A", "B"], [([1, 2], 1), ([1], 1)])
    with pytest.raises(TallyInputError, match="negative score"):
        ScoreProfile.build(["A", "B"], [([1, -2], 1)])
    with pytest.raises(TallyInputError, match="'Zed', who is not a candidate"):
        ScoreProfile.from_names(["A"], [{"Zed": 1}])


def test_read_scores_reads_a_file_and_names_it_in_errors(tmp_path: Path) -> None:
    good = tmp_path / "star.csv"
    good.write_text("count,A,B\n2,5,1\n", encoding="utf-8")
    assert read_scores(good).counts == (2,)
    bad = tmp_path / "bad.csv"
    bad.write_text("count,A,B\n2,5,x\n", encoding="utf-8")
    with pytest.raises(TallyInputError, match=r"bad\.csv, line 2: the score of B"):
        read_scores(bad)
    with pytest.raises(TallyInputError, match="cannot read the file"):
        read_scores(tmp_path / "missing.csv")


@settings(max_examples=100, deadline=None)
@given(
    st.integers(1, 4).flatmap(
        lambda n: st.lists(
            st.tuples(st.lists(st.integers(0, 9), min_size=n, max_size=n), st.integers(1, 20)),
            min_size=1,
            max_size=8,
        )
    )
)
def test_writing_then_reading_gives_the_same_ballots(rows: list[tuple[list[int], int]]) -> None:
    names = ["Ann", "Bob, Jr", 'Cé "C"', "Dee"][: len(rows[0][0])]
    profile = ScoreProfile.build(names, rows)
    again = parse_scores(write_scores(profile))
    assert (again.candidates, again.ballots, again.counts) == (
        profile.candidates,
        profile.ballots,
        profile.counts,
    )
