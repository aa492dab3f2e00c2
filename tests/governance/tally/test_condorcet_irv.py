"""Condorcet-IRV as CIVS counts it: hand-worked cases from CIVS's definition, caps, lots, refusals, and
cross-checks on random profiles against pref_voting's Benham method and a brute-force reference."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from governance.tally import TallyInputError
from governance.tally.caps import GroupCap
from governance.tally.cli import main
from governance.tally.condorcet_irv import condorcet_irv
from governance.tally.count import METHODS, count
from governance.tally.formats import write_preflib
from governance.tally.lot import lot_order
from governance.tally.profile import Profile
from tests.governance.tally.realdata import kubernetes_ballots, kubernetes_ranking, read_kubernetes_csv

pv_profiles = pytest.importorskip("pref_voting.profiles")
from pref_voting.iterative_methods import benham  # noqa: E402

SETTINGS = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much]
)
NAMES = "ABCDEF"


def _cycle() -> Profile:
    """A > B (6-3), B > C (7-2), C > A (5-4): no Condorcet winner; top counts A 4, B 3, C 2."""
    return Profile.from_names(
        ["A", "B", "C"], [["A", "B", "C"]] * 4 + [["B", "C", "A"]] * 3 + [["C", "A", "B"]] * 2
    )


def test_without_a_condorcet_winner_the_fewest_top_counts_is_set_aside_then_the_winner_found() -> None:
    result = condorcet_irv(_cycle(), 1)
    assert result.ranking == [["A"], ["B"], ["C"]]
    assert result.elected == ["A"]
    first, second = result.rounds[0], result.rounds[1]
    assert first.counts == {"A": 4, "B": 3, "C": 2}
    assert first.excluded == ["C"]
    assert "C, fewest top counts (2), is set aside" in first.note
    # Among A and B alone A heads 6 ballots (4 + the 2 C > A > B) and beats B: the Condorcet winner.
    assert second.counts == {"A": 6, "B": 3}
    assert second.elected == ["A"]
    assert "A beats every other choice considered" in second.note
    assert result.tie_breaks == []


def test_a_condorcet_winner_takes_the_rank_at_once() -> None:
    # B beats A 3-2 (the A-only ballot has no opinion on B) and C 3-2, though it heads only 3 of 6.
    profile = Profile.from_names(["A", "B", "C"], [["B", "A", "C"]] * 3 + [["C", "A", "B"]] * 2 + [["A"]] * 1)
    result = condorcet_irv(profile, 1)
    assert result.ranking is not None and result.ranking[0] == ["B"]
    assert result.rounds[0].counts == {"A": 1, "B": 3, "C": 2}
    assert result.rounds[0].excluded == [] and result.rounds[0].elected == ["B"]


def test_the_choices_set_aside_come_back_for_the_next_rank() -> None:
    result = condorcet_irv(_cycle(), 2)
    assert result.rounds[2].extra["considered"] == ["B", "C"]
    assert result.rounds[2].elected == ["B"]
    assert result.elected == ["A", "B"]


def test_a_ballot_gives_no_top_count_to_candidates_it_leaves_unranked() -> None:
    profile = Profile.from_names(["A", "B", "C"], [["A"], ["B"], ["C", "A"]])
    tops = condorcet_irv(profile, 1).rounds[0].counts
    assert tops == {"A": 1, "B": 1, "C": 1}


def test_equal_top_counts_among_all_considered_share_the_rank_and_seats_go_by_lot() -> None:
    profile = Profile.from_names(
        ["A", "B", "C"], [["A", "B", "C"]] * 3 + [["B", "C", "A"]] * 3 + [["C", "A", "B"]] * 3
    )
    result = condorcet_irv(profile, 1, seed="published seed")
    assert result.ranking == [["A", "B", "C"]]
    assert "share the rank" in result.rounds[0].note
    expected = lot_order("published seed", "rank tier 1", ["A", "B", "C"])[0]
    assert result.elected == [expected]
    assert result.tie_breaks[0].rule == "lot" and result.tie_breaks[0].chosen == expected


def test_a_tie_for_the_fewest_top_counts_is_drawn_by_lot_and_recorded() -> None:
    # A 3, B 2, C 2 top counts; A beats nobody outright (cycle), so B or C is set aside by lot.
    profile = Profile.from_names(
        ["A", "B", "C"], [["A", "B", "C"]] * 3 + [["B", "C", "A"]] * 2 + [["C", "A", "B"]] * 2
    )
    result = condorcet_irv(profile, 1, seed="s1")
    drawn = lot_order("s1", "condorcet-irv rank 1 set aside at 2 top count", ["B", "C"])[0]
    tie = result.tie_breaks[0]
    assert (tie.purpose, tie.rule, tie.chosen, tie.seed) == ("exclude", "lot", drawn, "s1")
    assert result.rounds[0].excluded == [drawn]


def test_capped_group_is_passed_over_going_down_the_ranking() -> None:
    caps = GroupCap(groups={"A": "acme", "B": "acme"}, cap=1)
    result = condorcet_irv(_cycle(), 2, caps=caps)
    assert result.elected == ["A", "C"]
    assert any("B passed over: group 'acme' is at its cap of 1" in n for n in result.notes)


def test_unranked_bottom_counts_a_truncated_ballot_against_the_unranked() -> None:
    # With "abstain" the A-only ballots say nothing about B v C; with "bottom" they rank A over both.
    profile = Profile.from_names(["A", "B", "C"], [["B", "C"]] * 2 + [["C", "B"]] * 1 + [["A"]] * 2)
    abstain = condorcet_irv(profile, 1)
    bottom = condorcet_irv(profile, 1, unranked="bottom")
    assert abstain.params["unranked"] == "abstain" and bottom.params["unranked"] == "bottom"
    assert abstain.rounds[0].extra["pairwise"][0][1] == 0
    assert bottom.rounds[0].extra["pairwise"][0][1] == 2


def test_withdrawn_candidates_are_not_ranked() -> None:
    base = _cycle()
    profile = Profile(base.candidates, base.rankings, base.counts, withdrawn={2})
    result = condorcet_irv(profile, 1)
    assert result.ranking == [["A"], ["B"]]
    assert "C" not in result.candidates
    assert any("withdrawn: C" in n for n in result.notes)


def test_registered_in_count_and_refuses_what_it_cannot_count() -> None:
    assert "condorcet-irv" in METHODS
    assert count("condorcet-irv", _cycle(), 1).elected == ["A"]
    with pytest.raises(TallyInputError, match="at least one seat"):
        count("condorcet-irv", _cycle(), 0)
    with pytest.raises(TallyInputError, match="does not take the option"):
        count("condorcet-irv", _cycle(), 1, overvote="skip")
    everyone_out = Profile(["A"], [((0,),)], [1], withdrawn={0})
    with pytest.raises(TallyInputError, match="no candidate to count"):
        condorcet_irv(everyone_out, 1)


def test_govbot_tally_counts_a_preflib_file_with_condorcet_irv(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "cycle.soc"
    path.write_text(write_preflib(_cycle(), "soc"), encoding="utf-8")
    assert (
        main([str(path), "--method", "condorcet-irv", "--seats", "2", "--format", "json", "--seed", "s"]) == 0
    )
    out = json.loads(capsys.readouterr().out)
    assert out["method"] == "condorcet-irv"
    assert out["elected"] == ["A", "B"]
    assert out["rounds"][0]["excluded"] == ["C"]


# ------------------------------------------------------------------------ published CIVS results


@pytest.mark.parametrize(("election", "seats"), [("steering/2019", 4), ("steering/2020", 3)])
def test_the_kubernetes_steering_elections_civs_counted_come_out_as_published(
    election: str, seats: int
) -> None:
    """2019 and 2020 were counted by CIVS with Condorcet-IRV; the results publish the whole ranking."""
    profile = read_kubernetes_csv(kubernetes_ballots(election))
    result = condorcet_irv(profile, seats)
    assert result.ranking is not None
    ranked = [tier[0].split(" (@")[0] for tier in result.ranking]
    assert all(len(tier) == 1 for tier in result.ranking)
    assert ranked == kubernetes_ranking(election)
    assert [n.split(" (@")[0] for n in result.elected] == kubernetes_ranking(election)[:seats]
    assert result.tie_breaks == []


def test_2019_needs_a_set_aside_and_no_opinion_read_as_bottom_would_change_it() -> None:
    profile = read_kubernetes_csv(kubernetes_ballots("steering/2019"))
    result = condorcet_irv(profile, 4)
    assert any(r.excluded for r in result.rounds)  # a cycle CIVS resolved by top counts
    assert condorcet_irv(profile, 4, unranked="bottom").ranking != result.ranking


# ------------------------------------------------------------------------------------ random profiles


@st.composite
def profiles(draw: st.DrawFn, *, ties: bool, truncate: bool) -> Profile:
    n = draw(st.integers(2, 5))
    rows = []
    for _ in range(draw(st.integers(1, 9))):
        order = draw(st.permutations(range(n)))
        order = order[: draw(st.integers(1, n))] if truncate else order
        tiers: list[list[int]] = []
        for c in order:
            if ties and tiers and draw(st.booleans()) and draw(st.booleans()):
                tiers[-1].append(c)
            else:
                tiers.append([c])
        rows.append((tiers, draw(st.integers(1, 6))))
    return Profile.build(list(NAMES[:n]), rows)


def _reference(profile: Profile, seed: str) -> list[list[str]]:
    """CIVS's runoff.pm, ballot by ballot in plain Python, with the same lot for a tie at the bottom."""
    names = profile.candidates
    ballots = [
        ({c: r for r, tier in enumerate(rk) for c in tier}, k)
        for rk, k in zip(profile.rankings, profile.counts, strict=True)
    ]

    def beats(a: int, b: int) -> bool:
        ab = sum(k for pos, k in ballots if a in pos and b in pos and pos[a] < pos[b])
        ba = sum(k for pos, k in ballots if a in pos and b in pos and pos[b] < pos[a])
        return ab > ba

    ranking: list[list[str]] = []
    unranked = list(range(len(names)))
    while unranked:
        active = list(unranked)
        while True:
            cw = [a for a in active if all(beats(a, b) for b in active if b != a)]
            if cw:
                ranking.append([names[cw[0]]])
                unranked.remove(cw[0])
                break
            top = {c: 0 for c in active}
            for pos, k in ballots:
                marks = [pos[c] for c in active if c in pos]
                for c in active:
                    if c in pos and pos[c] == min(marks):
                        top[c] += k
            low = min(top.values())
            losers = [c for c in active if top[c] == low]
            if len(losers) == len(active):
                ranking.append([names[c] for c in active])
                unranked = [c for c in unranked if c not in active]
                break
            pick = lot_order(
                seed,
                f"condorcet-irv rank {len(ranking) + 1} set aside at {low} top count",
                [names[c] for c in losers],
            )[0]
            active.remove(names.index(pick))
    return ranking


@SETTINGS
@given(profiles(ties=True, truncate=True), st.text(max_size=4))
def test_the_ranking_matches_a_brute_force_reading_of_civs_on_random_profiles(
    profile: Profile, seed: str
) -> None:
    assert condorcet_irv(profile, 1, seed=seed).ranking == _reference(profile, seed)


@SETTINGS
@given(profiles(ties=False, truncate=False))
def test_the_winner_is_benhams_winner_when_no_lot_was_drawn(profile: Profile) -> None:
    result = condorcet_irv(profile, 1)
    assert result.ranking is not None
    rankings = [[tier[0] for tier in ranking] for ranking in profile.rankings]
    pv_profile = pv_profiles.Profile(rankings, rcounts=list(profile.counts))
    cw = pv_profile.condorcet_winner()
    if cw is not None:
        assert result.ranking[0] == [profile.candidates[cw]]
    if not result.tie_breaks and len(result.ranking[0]) == 1:
        assert benham(pv_profile) == [profile.index(result.ranking[0][0])]
