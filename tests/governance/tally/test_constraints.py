"""Post-count constraints: the PSF rule that no more than a quarter of the board shares an affiliation,
exactly as Section 5.15 reads, biting in an approval count (skip to the next candidate)."""

from __future__ import annotations

from fractions import Fraction

import pytest

from governance.tally import TallyInputError, count
from governance.tally.constraints import share_cap, share_limit
from governance.tally.profile import Profile


@pytest.mark.parametrize(("board", "limit"), [(4, 1), (7, 1), (8, 2), (11, 2), (12, 3), (13, 3), (16, 4)])
def test_no_more_than_a_quarter_is_the_board_divided_by_four_rounded_down(board: int, limit: int) -> None:
    assert share_limit(board) == limit


def test_other_shares_are_exact() -> None:
    assert share_limit(9, Fraction(1, 3)) == 3
    assert share_limit(10, Fraction(1, 3)) == 3
    assert share_limit(7, Fraction(1, 2)) == 3


def test_a_board_too_small_for_the_share_is_refused() -> None:
    with pytest.raises(TallyInputError, match="leaves no seat for anyone with an affiliation"):
        share_cap({"A": "x"}, 3)
    with pytest.raises(TallyInputError, match="at least one seat"):
        share_limit(0)
    with pytest.raises(TallyInputError, match="above 0 and at most 1"):
        share_limit(8, Fraction(3, 2))


def _approvals() -> Profile:
    # Approvals: A 6, B 5, C 4, D 3, E 2 (one ballot approving each prefix of the order).
    order = ["A", "B", "C", "D", "E"]
    return Profile.from_names(order, [[order[:k]] for k in (1, 2, 3, 4, 5, 1, 2, 3)])


def test_the_quarter_rule_skips_to_the_next_candidate_counting_continuing_directors() -> None:
    groups = {"A": "bigco", "B": "bigco", "C": "bigco", "D": "other"}
    # A board of 12 allows 3 per affiliation; bigco keeps 1 seat through a continuing director.
    caps = share_cap(groups, 12, held={"bigco": 1})
    assert caps.cap == 3
    result = count("approval", _approvals(), 3, caps=caps)
    assert result.elected == ["A", "B", "D"]
    assert result.rounds[0].excluded == ["C"]
    assert any(
        "C (4 approvals) passed over: group 'bigco' already holds its cap of 3" in n for n in result.notes
    )


def test_without_continuing_directors_the_same_count_seats_the_top_three() -> None:
    caps = share_cap({"A": "bigco", "B": "bigco", "C": "bigco"}, 12)
    assert count("approval", _approvals(), 3, caps=caps).elected == ["A", "B", "C"]


def test_a_fixed_per_affiliation_limit_applies_when_smaller_than_the_share() -> None:
    caps = share_cap({"A": "bigco", "B": "bigco"}, 12, at_most=1)
    assert caps.cap == 1
    assert count("approval", _approvals(), 2, caps=caps).elected == ["A", "C"]
