"""Schulze and Ranked Pairs on hand-checked profiles: rankings, seats, caps, lots, JSON."""

from __future__ import annotations

import json

import numpy as np
import pytest

from governance.tally.caps import GroupCap
from governance.tally.condorcet import pairwise, ranked_pairs, schulze, strongest_paths
from governance.tally.errors import TallyInputError
from governance.tally.profile import Profile


def _profile(data: list[tuple[int, str]], names: str = "ABCDE") -> Profile:
    return Profile.build(list(names), [([[names.index(x)] for x in order], n) for n, order in data])


# The 45-voter example of Schulze (2011, section 3.1 / 2018 example 1), with its published matrices.
SCHULZE_EXAMPLE = [
    (5, "ACBED"),
    (5, "ADECB"),
    (8, "BEDAC"),
    (3, "CABED"),
    (7, "CAEBD"),
    (2, "CBADE"),
    (7, "DCEBA"),
    (8, "EBADC"),
]


def test_schulze_paper_example() -> None:
    profile = _profile(SCHULZE_EXAMPLE)
    d = pairwise(profile)
    assert d.tolist() == [
        [0, 20, 26, 30, 22],
        [25, 0, 16, 33, 18],
        [19, 29, 0, 17, 24],
        [15, 12, 28, 0, 14],
        [23, 27, 21, 31, 0],
    ]
    p = strongest_paths(np.where(d > d.T, d, 0))
    assert p.tolist() == [
        [0, 28, 28, 30, 24],
        [25, 0, 28, 33, 24],
        [25, 29, 0, 29, 24],
        [25, 28, 28, 0, 24],
        [25, 28, 28, 31, 0],
    ]
    result = schulze(profile, 2)
    assert result.ranking == [["E"], ["A"], ["C"], ["B"], ["D"]]
    assert result.elected == ["E", "A"]
    assert result.rounds[0].extra["pairwise"] == d.tolist()
    assert result.tie_breaks == []


def test_ranked_pairs_tideman_example() -> None:
    # Margins: A>B 2*? Built so that locking by margin skips the weakest pair of a cycle.
    profile = _profile([(4, "ABC"), (3, "BCA"), (2, "CAB")], "ABC")
    result = ranked_pairs(profile, 1)
    # A>B 6:3 (3), B>C 7:2 (5), C>A 5:4 (1): lock B>C, A>B, skip C>A.
    assert result.ranking == [["A"], ["B"], ["C"]]
    pairs = result.rounds[0].extra["pairs"]
    assert [(p["pair"], p["margin"], p["locked"]) for p in pairs] == [
        (["B", "C"], 5, True),
        (["A", "B"], 3, True),
        (["C", "A"], 1, False),
    ]


def test_schulze_and_ranked_pairs_can_differ() -> None:
    # A classic profile where Schulze and Ranked Pairs both pick a member of the top cycle.
    profile = _profile(SCHULZE_EXAMPLE)
    assert ranked_pairs(profile, 1).elected == ["A"]
    assert schulze(profile, 1).elected == ["E"]


def test_ties_in_the_ranking_are_broken_by_recorded_lot() -> None:
    profile = Profile.build(["A", "B", "C"], [([[0], [1], [2]], 1), ([[1], [0], [2]], 1)])
    result = schulze(profile, 1, seed="pub")
    assert result.ranking == [["A", "B"], ["C"]]
    assert result.elected[0] in {"A", "B"}
    assert result.seed == "pub"
    assert result.tie_breaks[0].between == sorted(
        result.tie_breaks[0].between, key=lambda n: n != result.elected[0]
    )
    assert result.tie_breaks[0].rule == "lot"
    assert {schulze(profile, 1, seed=str(i)).elected[0] for i in range(30)} == {"A", "B"}
    assert schulze(profile, 1, seed="pub").to_json() == result.to_json()
    # Two seats take the whole tier: the lot only orders them.
    assert sorted(schulze(profile, 2, seed="pub").elected) == ["A", "B"]


def test_default_seed_is_recorded() -> None:
    profile = Profile.build(["A", "B"], [([[0], [1]], 1), ([[1], [0]], 1)])
    result = ranked_pairs(profile, 1)
    assert result.seed == ""
    assert result.elected[0] in {"A", "B"}


def test_group_cap_passes_over_candidates() -> None:
    profile = _profile([(10, "ABCDE")])
    caps = GroupCap(groups={"A": "acme", "B": "acme", "C": "acme"}, cap=2)
    for method in (schulze, ranked_pairs):
        result = method(profile, 3, caps=caps)
        assert result.elected == ["A", "B", "D"]
        assert result.rounds[0].excluded == ["C"]
        assert "C passed over" in result.notes[0]
        assert result.params["caps"]["cap"] == 2
    held = GroupCap(groups={"A": "acme"}, cap=1, held={"acme": 1})
    assert schulze(profile, 2, caps=held).elected == ["B", "C"]


def test_equal_ranks_and_truncation() -> None:
    profile = Profile.build(["A", "B", "C"], [([[0, 1]], 3), ([[2], [0]], 2)])
    d = pairwise(profile)
    assert d.tolist() == [[0, 2, 3], [0, 0, 3], [2, 2, 0]]
    abstain = pairwise(profile, unranked="abstain")
    assert abstain.tolist() == [[0, 0, 0], [0, 0, 0], [2, 0, 0]]
    assert schulze(profile, 1).elected == ["A"]
    # Under "no opinion", nobody compared B with anyone: B and C are both unbeaten.
    assert schulze(profile, 1, unranked="abstain").ranking == [["B", "C"], ["A"]]


def test_withdrawn_candidates_are_left_out() -> None:
    profile = Profile(
        candidates=("A", "B", "C"),
        rankings=(((0,), (1,), (2,)), ((1,), (2,), (0,))),
        counts=(3, 2),
        withdrawn=frozenset({0}),
    )
    result = schulze(profile, 1)
    assert result.ranking == [["B"], ["C"]]
    assert "withdrawn: A" in result.notes


def test_more_seats_than_candidates_and_bad_input() -> None:
    profile = _profile([(1, "AB")], "AB")
    assert schulze(profile, 5).elected == ["A", "B"]
    with pytest.raises(TallyInputError):
        schulze(profile, 0)
    with pytest.raises(TallyInputError):
        pairwise(profile, unranked="middle")  # type: ignore[arg-type]


def test_empty_profile_ranks_everyone_equal() -> None:
    profile = Profile.build(["A", "B"], [])
    result = ranked_pairs(profile, 1, seed="s")
    assert result.ranking == [["A", "B"]]
    assert result.ballots == 0


def test_json_and_text_render() -> None:
    result = schulze(_profile(SCHULZE_EXAMPLE), 1)
    data = json.loads(result.dumps())
    assert data["method"] == "schulze" and data["elected"] == ["E"]
    assert data["rounds"][0]["extra"]["strongest_paths"][4][3] == 31
    assert "Ranking: E > A > C > B > D" in result.to_text()


def test_ranked_pairs_equal_margins_recorded_when_they_matter() -> None:
    # A cycle of three equal margins: the order of locking decides, so a lot is recorded.
    profile = _profile([(1, "ABC"), (1, "BCA"), (1, "CAB")], "ABC")
    result = ranked_pairs(profile, 1, seed="k")
    assert len(result.tie_breaks) >= 1
    assert result.tie_breaks[0].seed == "k"
    assert ranked_pairs(profile, 1, seed="k").elected == result.elected
    winners = {ranked_pairs(profile, 1, seed=str(i)).elected[0] for i in range(30)}
    assert winners == {"A", "B", "C"}


def test_pairwise_many_ballots_is_exact() -> None:
    big = Profile.build(["A", "B", "C"], [([[0], [1], [2]], 10**12), ([[2], [1]], 3)])
    assert pairwise(big).tolist() == [[0, 10**12, 10**12], [3, 0, 10**12], [3, 3, 0]]
