"""The Debian count (constitution A.6) on every Debian vote in the shared data, plus rule edge cases."""

from __future__ import annotations

from fractions import Fraction

import pytest

from governance.tally.condorcet import pairwise, schulze
from governance.tally.debian import debian, passes_majority
from governance.tally.errors import TallyInputError
from governance.tally.profile import Profile
from tests.governance.tally.realdata import (
    DEBIAN,
    DebianVote,
    debian_index,
    marker_ratio,
    parse_results,
    read_toi,
)

VOTES = debian_index()  # the shared data is required: its absence is an error, not a skip


def _count(vote: DebianVote, rule: str = "current") -> tuple[Profile, object]:
    profile = read_toi(vote.toi)
    result = debian(
        profile,
        supermajority=vote.supermajority,
        quorum=vote.quorum,
        majority_rule=rule,  # type: ignore[arg-type]
    )
    return profile, result


def test_index_covers_every_toi_file() -> None:
    indexed = {v.toi.name for v in VOTES}
    files = {p.name for p in (DEBIAN / "toi").glob("*.toi")}
    assert len(VOTES) == 39
    # The two 2003 sheets are not in INDEX.tsv; they are checked below from their .wml pages.
    assert files - indexed == {"2003_gr_sec415.toi", "2003_gr_voting.toi"}


@pytest.mark.parametrize("rule", ["current", "2003"])
@pytest.mark.parametrize("vote", VOTES, ids=lambda v: v.key)
def test_official_winner_and_majority_drops(vote: DebianVote, rule: str) -> None:
    profile = read_toi(vote.toi)
    assert profile.total == vote.ballots
    result = debian(profile, supermajority=vote.supermajority, quorum=vote.quorum, majority_rule=rule)  # type: ignore[arg-type]
    assert result.elected == [profile.candidates[vote.winner]]
    dropped = result.rounds[1].excluded
    assert sorted(profile.index(n) for n in dropped) == sorted(vote.dropped)
    assert result.rounds[0].excluded == []  # every option reached quorum in these votes


@pytest.mark.parametrize("vote", [v for v in VOTES if v.matrix is not None], ids=lambda v: v.key)
def test_pairwise_matrix_equals_published(vote: DebianVote) -> None:
    assert vote.matrix is not None
    assert pairwise(read_toi(vote.toi)).tolist() == vote.matrix


def test_supermajority_markers_agree_with_results() -> None:
    """Options whose name carries an [N:1] marker are those the results file tests against N."""
    for vote in VOTES:
        profile = read_toi(vote.toi)
        for i, name in enumerate(profile.candidates[:-1]):
            marked = marker_ratio(name)
            if marked is not None and i in vote.ratios:
                assert vote.ratios[i] == marked, (vote.key, name)


def test_2008_vote_003_needs_the_majority_rule() -> None:
    vote = next(v for v in VOTES if v.key == "2008/vote_003")
    profile = read_toi(vote.toi)
    plain = schulze(profile, 1)
    assert plain.elected != ["Assume blobs comply with GPL unless proven otherwise"]
    result = debian(profile, supermajority={1: Fraction(3), 2: Fraction(3), 3: Fraction(3), 5: Fraction(3)})
    assert result.elected == ["Assume blobs comply with GPL unless proven otherwise"]
    dropped = result.rounds[1].excluded
    assert [profile.index(n) + 1 for n in dropped] == [1, 2, 3, 4, 6]
    # devotee's figures: option 2 has 224 votes over Further Discussion against 129 (1.736 < 3).
    assert result.params["ratios"][profile.candidates[1]] == "224:129 needs 3:1"


def _vote(key: str) -> DebianVote:
    return next(v for v in VOTES if v.key == key)


@pytest.mark.parametrize(
    ("key", "expected_drops", "winner"),
    [
        ("2004/gr_editorial", [], 1),
        ("2004/gr_non_free", [1], 2),
        ("2004/gr_sarge", [3, 4, 5, 6], 2),
        ("2006/vote_001", [3], 2),
        ("2006/vote_003", [], 1),
        ("2006/vote_007", [2], 1),
        ("2008/vote_003", [1, 2, 3, 4, 6], 5),
        ("2006/vote_004", [1], 2),
        ("2006/vote_005", [1], 2),
        ("2016/vote_002", [1], 2),
        ("2008/vote_002", [3], 2),
        ("2007/vote_004", [], 1),
        ("2014/vote_003", [], 4),
        ("2016/vote_004", [], 3),
        ("2004/leader2004", [1], 3),
        ("2005/leader2005", [1], 3),
        ("2006/vote_002", [2, 6], 4),
        ("2007/vote_001", [2, 8], 4),
    ],
)
def test_sources_md_cases(key: str, expected_drops: list[int], winner: int) -> None:
    """The supermajority, default-wins and dropped-candidate cases SOURCES.md lists (1-based)."""
    vote = _vote(key)
    profile, result = _count(vote)
    assert isinstance(result, type(debian(profile)))
    assert [profile.index(n) + 1 for n in result.rounds[1].excluded] == expected_drops
    assert result.elected == [profile.candidates[winner - 1]]


def test_sarge_ratios_as_published() -> None:
    vote = _vote("2004/gr_sarge")
    profile, result = _count(vote)
    ratios = result.params["ratios"]  # type: ignore[attr-defined]
    figures = {}
    for i in (2, 3, 4, 5):
        for_a, against = ratios[profile.candidates[i]].split(" ")[0].split(":")
        figures[i + 1] = round(int(for_a) / int(against), 3)
    assert figures == {3: 2.903, 4: 2.318, 5: 2.434, 6: 0.824}


def test_2006_constitutional_amendment_passes_3_to_1() -> None:
    profile, result = _count(_vote("2006/vote_003"))
    assert result.params["ratios"][profile.candidates[0]] == "242:23 needs 3:1"  # type: ignore[attr-defined]
    assert result.elected == [profile.candidates[0]]  # type: ignore[attr-defined]


def test_2003_votes_from_their_pages() -> None:
    """gr_voting (the Clone Proof SSD amendment, 3:1) passed; gr_sec415: Proposal A won (all 3:1).

    Quorum then was K = 3Q: 3 x 14.177 (804 developers) and 45.69 (928 developers), per the pages.
    """
    voting = read_toi(DEBIAN / "toi" / "2003_gr_voting.toi")
    result = debian(voting, supermajority={0: Fraction(3)}, quorum=Fraction("42.5323"), majority_rule="2003")
    assert result.elected == ["Clone Proof SSD Condorcet Amendment"]
    sec = read_toi(DEBIAN / "toi" / "2003_gr_sec415.toi")
    ratios = {i: marker_ratio(n) or Fraction(1) for i, n in enumerate(sec.candidates[:-1])}
    result = debian(sec, supermajority=ratios, quorum=Fraction("45.6946"), majority_rule="2003")
    assert result.elected == ["Proposal A [3:1 majority needed]"]


def test_gr_non_free_matrix_from_sources_md() -> None:
    matrix, ratios, dropped = parse_results(DEBIAN / "2004" / "gr_non_free_results.txt")
    assert matrix == [[0, 169, 199], [303, 0, 304], [260, 156, 0]]
    assert ratios == {0: 3, 1: 1} and dropped == [0]


# ------------------------------------------------------------------------------------ rule edge cases


def _ab(for_a: int, against: int, other: int = 0) -> Profile:
    """Option A vs default D: ``for_a`` ballots A>D, ``against`` D>A, ``other`` rank nothing."""
    return Profile.build(["A", "D"], [([[0], [1]], for_a), ([[1], [0]], against), ([], other)])


def test_exact_ratio_current_rule_passes_historical_drops() -> None:
    profile = _ab(30, 10)
    assert debian(profile, supermajority={0: Fraction(3)}).elected == ["A"]
    assert debian(profile, supermajority={0: Fraction(3)}, majority_rule="2003").elected == ["D"]
    assert passes_majority(30, 10, Fraction(3)) and not passes_majority(30, 10, Fraction(3), "2003")


def test_tie_with_default_drops_the_option_under_both_rules() -> None:
    for rule in ("current", "2003"):
        assert debian(_ab(10, 10), majority_rule=rule).elected == ["D"]  # type: ignore[arg-type]
    assert debian(_ab(1, 0)).elected == ["A"]


def test_quorum_drops_and_is_inclusive() -> None:
    profile = _ab(45, 2)
    assert debian(profile, quorum=45).elected == ["A"]  # "at least R votes"
    result = debian(profile, quorum=46)
    assert result.elected == ["D"] and result.rounds[0].excluded == ["A"]
    assert "quorum" in result.notes[0]
    assert debian(profile, quorum=Fraction("45.5")).elected == ["D"]


def test_default_option_index_and_unranked_below_ranked() -> None:
    # Default is option 0 here; B is ranked by 3 ballots alone, so it beats the unranked default.
    profile = Profile.build(["FD", "B"], [([[1]], 3), ([[0], [1]], 2)])
    assert debian(profile, default=0).elected == ["B"]
    with pytest.raises(TallyInputError):
        debian(profile, default=2)
    with pytest.raises(TallyInputError):
        debian(profile, default=0, supermajority={0: Fraction(3)})


def test_equal_ranks_count_for_neither() -> None:
    profile = Profile.build(["A", "B", "D"], [([[0, 1], [2]], 5), ([[2], [0], [1]], 1)])
    d = pairwise(profile)
    assert d[0, 1] == 1 and d[1, 0] == 0 and d[0, 2] == 5
    assert debian(profile).elected == ["A"]


def test_schwartz_set_tie_goes_to_a_recorded_lot() -> None:
    # A and B both beat D and tie with each other: the Schwartz set is {A, B}; casting vote = lot.
    profile = Profile.build(["A", "B", "D"], [([[0], [1], [2]], 2), ([[1], [0], [2]], 2)])
    first = debian(profile, seed="s1")
    assert first.elected[0] in {"A", "B"}
    assert first.tie_breaks and first.tie_breaks[0].rule == "lot" and first.tie_breaks[0].seed == "s1"
    assert debian(profile, seed="s1").elected == first.elected
    assert {debian(profile, seed=f"seed{i}").elected[0] for i in range(20)} == {"A", "B"}


def test_weakest_defeats_are_dropped_in_a_cycle() -> None:
    # A>B 8, B>C 7, C>A 6 (a cycle) all beating D: drop C>A (weakest), A wins.
    ballots = [
        ([[0], [1], [2], [3]], 4),
        ([[1], [2], [0], [3]], 3),
        ([[2], [0], [1], [3]], 2),
    ]
    profile = Profile.build(["A", "B", "C", "D"], ballots)
    result = debian(profile)
    assert result.elected == ["A"]
    assert result.rounds[2].extra["dropped_defeats"][0][:2] == ["C", "A"]
    assert result.ranking is not None and result.ranking[0] == ["A"]
    assert result.to_json()["elected"] == ["A"]
