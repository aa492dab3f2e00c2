"""Counts that no size makes wrong: int64 and float64 limits on every method that uses numpy.

Every figure below is written out, worked by hand from the rules (not by the code under test). The
profiles are aggregated (a count per distinct ballot), never materialised ballot by ballot.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from governance.tally import Profile, count
from governance.tally.condorcet import pairwise
from governance.tally.motion import count_motion

EVERY_METHOD = [
    "plurality",
    "approval",
    "irv",
    "stv-scottish",
    "stv-meek",
    "schulze",
    "ranked-pairs",
    "debian",
]
PEER = 18_446_744_074
"""The peer case: 18,446,744,074 ballots for one candidate and 1 for another (Meek wrapped at it)."""


def _profile(candidates: list[str], ballots: list[tuple[tuple[int, ...], int]]) -> Profile:
    """A profile of strict rankings built field by field, so that counts of 2**63 and more fit it."""
    return Profile(
        candidates=tuple(candidates),
        rankings=tuple(tuple((c,) for c in order) for order, _ in ballots),
        counts=tuple(n for _, n in ballots),
    )


def _first_round(method: str, profile: Profile) -> dict[str, object]:
    result = count(method, profile, 1)
    return dict(result.rounds[0].counts)


@pytest.mark.parametrize("method", EVERY_METHOD)
def test_peer_case_elects_the_candidate_with_18_billion_ballots(method: str) -> None:
    profile = Profile.build(["A", "B"], [(((0,),), PEER), (((1,),), 1)])
    result = count(method, profile, 1)
    assert result.elected == ["A"]
    assert result.ballots == PEER + 1


def test_peer_case_meek_figures_are_exact() -> None:
    """Meek's votes are PEER × 10^9 units: past int64, once wrapped negative (B was elected)."""
    profile = Profile.build(["A", "B"], [(((0,),), PEER), (((1,),), 1)])
    result = count("stv-meek", profile, 1)
    first = result.rounds[0]
    assert first.counts == {"A": Decimal("18446744074.000000000"), "B": Decimal("1.000000000")}
    # quota = floor(18446744075 × 10^9 / 2) + 1 unit
    assert first.quota == Decimal("9223372037.500000001")
    assert result.rounds[-1].counts["A"] == Decimal("18446744074.000000000")


def test_scottish_surplus_of_18_billion_ballots_transfers_exactly() -> None:
    """A paper's value times the surplus reaches 10^20 units; it once wrapped and elected C."""
    profile = Profile.build(["A", "B", "C"], [(((0,), (1,)), PEER), (((2,),), 1_844_674_407)])
    result = count("stv-scottish", profile, 2)
    # valid 20291418481, quota floor(20291418481/3) + 1 = 6763806161; surplus 11682937913 over
    # 18446744074 papers: each paper floor(100000 × 11682937913 / 18446744074) = 63333 hundred-thousandths,
    # so B receives 18446744074 × 0.63333 = 11682876424.38642 (loss 61488.61358).
    assert result.params["quota"] == 6_763_806_161
    second = result.rounds[1]
    assert second.counts["B"] == Decimal("11682876424.38642")
    assert second.extra["loss_by_fractions"] == "61488.61358"
    assert result.elected == ["A", "B"]


@pytest.mark.parametrize("method", EVERY_METHOD)
@pytest.mark.parametrize(
    ("ballots", "winner", "a_first"),
    [
        ([((0,), 2**63), ((1,), 2**63 - 1)], "A", 2**63),
        ([((0, 1), 2**63 + 1), ((1, 0), 2**63)], "A", 2**63 + 1),
        ([((0,), 2**64), ((1, 0), 2**64 - 1), ((1,), 2)], "B", 2**64),
        ([((0,), 2**63 - 1), ((1,), 2**63 - 2), ((1,), 0)], "A", 2**63 - 1),
    ],
    ids=["2^63 vs 2^63-1", "2^63+1 vs 2^63", "2^64 vs 2^64+1", "just below 2^63"],
)
def test_weights_at_and_around_2_63_count_exactly(
    method: str, ballots: list[tuple[tuple[int, ...], int]], winner: str, a_first: int
) -> None:
    """One ballot decides between two counts near 2**63 (once: OverflowError or a wrapped count)."""
    profile = _profile(["A", "B"], [(order, n) for order, n in ballots if n > 0])
    result = count(method, profile, 1)
    assert result.elected == [winner]
    if method in ("plurality", "approval", "irv"):
        assert result.rounds[0].counts["A"] == a_first
    if method in ("stv-scottish", "stv-meek"):
        assert result.rounds[0].counts["A"] == Decimal(a_first)


def test_plurality_sums_past_2_63_are_exact() -> None:
    """Two rows for A of 2**62 + 1 each: their int64 sum wraps to -2**63 + 2 (once A read -2**63)."""
    profile = _profile(["A", "B"], [((0,), 2**62 + 1), ((0, 1), 2**62 + 1), ((1,), 2**62 + 5)])
    for method in ("plurality", "irv"):
        assert _first_round(method, profile) == {"A": 2**63 + 2, "B": 2**62 + 5}
    approval = _first_round("approval", profile)
    assert approval == {"A": 2**63 + 2, "B": 2**62 + 5}


@pytest.mark.parametrize("method", ["schulze", "ranked-pairs", "debian"])
def test_condorcet_margin_of_one_past_float64_precision(method: str) -> None:
    """2**53 + 1 against 2**53: float64 rounds the first to 2**53 and once called it a tie won by B."""
    profile = Profile.build(["A", "B"], [(((0,), (1,)), 2**53 + 1), (((1,), (0,)), 2**53)])
    result = count(method, profile, 1)
    assert result.elected == ["A"]
    matrix = next(r.extra["pairwise"] for r in result.rounds if "pairwise" in r.extra)
    assert matrix == [[0, 2**53 + 1], [2**53, 0]]


def test_pairwise_matrix_is_exact_at_any_size() -> None:
    profile = _profile(
        ["A", "B", "C"], [((0, 1, 2), 2**70 + 3), ((2, 1), 2**64 - 1), ((1,), 5), ((2, 0, 1), 1)]
    )
    d = pairwise(profile)
    assert [[int(v) for v in row] for row in d] == [
        [0, 2**70 + 4, 2**70 + 3],
        [2**64 + 4, 0, 2**70 + 3 + 5],
        [2**64, 2**64 - 1 + 1, 0],
    ]
    abstain = pairwise(profile, unranked="abstain")
    assert [[int(v) for v in row] for row in abstain] == [
        [0, 2**70 + 4, 2**70 + 3],
        [0, 0, 2**70 + 3],
        [1, 2**64, 0],
    ]


def test_scottish_and_meek_elect_the_same_at_2_64_with_transfers() -> None:
    """Two seats: A's surplus at 2**64 weight flows to B; every stage balances to the last unit."""
    ballots = [((0, 1), 2**64), ((2,), 2**62), ((3,), 2**62 - 1)]
    profile = _profile(["A", "B", "C", "D"], ballots)
    total = Decimal(2**64 + 2**63 - 1)
    scottish = count("stv-scottish", profile, 2)
    assert scottish.elected == ["A", "B"]
    for r in scottish.rounds:
        held = sum(r.counts.values(), Decimal(0))  # type: ignore[arg-type]
        assert held + r.exhausted + Decimal(r.extra["loss_by_fractions"]) == total
    meek = count("stv-meek", profile, 2)
    assert meek.elected == ["A", "B"]


def test_motion_counts_past_2_63_are_exact() -> None:
    """Motions add Python integers only; a one-vote majority at 2**64 still passes, and one short fails."""
    seated = 2**66
    passed = count_motion(2**64 + 1, 2**64, seated=seated)
    assert passed.passed and passed.yes_needed == 2**64 + 1
    failed = count_motion(2**64, 2**64, seated=seated)
    assert not failed.passed
