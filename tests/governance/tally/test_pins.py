"""What must never drift in the counting engine, pinned to figures written out here.

The lot's expected orders come from the documented formula worked with another SHA-256 tool
(``printf '%s' '<seed>|<context>|<name>' | sha256sum``), never from ``governance.tally.lot``; the other
figures are worked by hand from the rules and written in each test.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from governance.tally import GroupCap, Profile, TieBreak, count, draw, lot_order
from governance.tally.irv import irv
from governance.tally.stv_meek import stv_meek
from governance.tally.stv_scottish import stv_scottish

# seed, context, names as given, the order of their SHA-256 digests (first 8 hex digits shown).
LOT_VECTORS = [
    # B 56e876d3 < A 89abbbed < C 9330bb87
    ("", "round 1 exclude", ["A", "B", "C"], ["B", "A", "C"]),
    # dave 12039197 < carol 9ee6dc26 < bob ad5c4ec0 < alice e7dd2836
    ("x", "round 3 exclude", ["alice", "bob", "carol", "dave"], ["dave", "carol", "bob", "alice"]),
    # Zoë 53114e49 < chen b89157ce < Émile d1aa4ddd (names hashed as UTF-8)
    ("3f9a0c2e1b7d4a56", "rank tier 1", ["Émile", "Zoë", "chen"], ["Zoë", "chen", "Émile"]),
    # B 872075bb < A 9467ec60
    ("abc", "plurality order at 5 first preferences", ["A", "B"], ["B", "A"]),
    # B 121c7fa6 < C 24cf23f0, and with seed "s": C 8246efdc < B 8fed7b7e
    ("x", "round 1 exclude", ["C", "B"], ["B", "C"]),
    ("s", "round 1 exclude", ["B", "C"], ["C", "B"]),
]


@pytest.mark.parametrize(("seed", "context", "names", "expected"), LOT_VECTORS)
def test_lot_order_matches_the_published_formula(
    seed: str, context: str, names: list[str], expected: list[str]
) -> None:
    assert lot_order(seed, context, names) == expected
    assert lot_order(seed, context, list(reversed(names))) == expected  # the order given never matters
    assert draw(seed, context, names) == expected[0]


def test_draw_among_nobody_is_refused() -> None:
    with pytest.raises(ValueError, match="no candidates"):
        draw("x", "round 1 exclude", [])


def test_meek_records_its_lot_and_follows_it() -> None:
    """A 3, B 2, C 2 for one seat: no quota (3.5), B and C level at every round, a lot excludes one."""
    p = Profile.from_names(["A", "B", "C"], [["A"]] * 3 + [["B", "A"]] * 2 + [["C", "B"]] * 2)
    with_x = stv_meek(p, 1, seed="x")
    assert with_x.tie_breaks == [TieBreak(1, "exclude", ["B", "C"], "lot", "B", "x")]
    assert with_x.rounds[1].excluded == ["B"]
    assert with_x.elected == ["A"]
    with_s = stv_meek(p, 1, seed="s")
    assert with_s.tie_breaks == [TieBreak(1, "exclude", ["B", "C"], "lot", "C", "s")]
    assert with_s.rounds[1].excluded == ["C"]
    assert with_s.elected == ["B"]  # C's two papers go to B: B 4 of 7 reaches the quota


def test_scottish_and_irv_record_the_same_lot() -> None:
    p = Profile.from_names(["A", "B", "C"], [["A"]] * 3 + [["B", "A"]] * 2 + [["C", "B"]] * 2)
    for result in (stv_scottish(p, 1, seed="s"), irv(p, seed="s")):
        assert result.tie_breaks == [TieBreak(1, "exclude", ["B", "C"], "lot", "C", "s")]
        assert result.elected == ["B"]


def test_meek_surplus_transfer_values_to_the_unit() -> None:
    """Two seats, 9 ballots: A 6 (then B), C 2, B 1; quota 9/3 + 10^-9 = 3.000000001.

    A is elected and keeps 0.500000001 of each paper (kf = quota/votes, rounded up at each step): A
    holds 6 × 0.500000001 = 3.000000006 and passes 6 × 0.499999999 = 2.999999994 to B, who reaches
    3.999999994 and the quota.
    """
    p = Profile.from_names(["A", "B", "C"], [["A", "B"]] * 6 + [["C"]] * 2 + [["B"]])
    r = stv_meek(p, 2)
    assert r.elected == ["A", "B"]
    assert [rd.quota for rd in r.rounds] == [Decimal("3.000000001")] * 3
    assert r.rounds[1].elected == ["A"]
    last = r.rounds[2]
    assert last.counts == {
        "A": Decimal("3.000000006"),
        "B": Decimal("3.999999994"),
        "C": Decimal("2.000000000"),
    }
    assert last.extra["keep_factors"] == {"A": "0.500000001"}
    assert last.extra["surplus"] == "2.999999999"
    assert last.elected == ["B"]


def test_first_round_quota_in_the_round_table() -> None:
    """Meek's first round shows the quota of the valid ballots: floor(10 × 10^9 / 3) + 1 unit."""
    p = Profile.from_names(["A", "B", "C", "D"], [["A", "B"]] * 5 + [["B"]] * 2 + [["C"]] * 2 + [["D"]])
    meek = stv_meek(p, 2)
    assert meek.rounds[0].quota == Decimal("3.333333334")
    quota_line = next(line for line in meek.to_text("en").splitlines() if line.startswith("Quota"))
    assert quota_line.split()[1] == "3.33333"  # the table shows five places
    scottish = stv_scottish(p, 2)
    assert scottish.rounds[0].quota == 4  # floor(10 / 3) + 1
    assert scottish.params["quota"] == 4
    line = next(line for line in scottish.to_text("en").splitlines() if line.startswith("Quota"))
    assert line.split()[1] == "4"


def test_irv_cap_exclusion_names_the_group_and_its_cap() -> None:
    p = Profile.from_names(["A", "B", "C"], [["A", "B"]] * 4 + [["B"]] * 3 + [["C", "A"]] * 2)
    caps = GroupCap(groups={"A": "acme", "B": "beta"}, cap=2, held={"acme": 2, "beta": 1})
    r = count("irv", p, 1, caps=caps)
    assert r.notes == ["A excluded before the count: group 'acme' already holds its cap of 2"]
    assert r.rounds[0].counts == {"B": 7, "C": 2}  # A's four papers count for B from the start
    assert r.elected == ["B"]
