"""Issue 4: policy rules biting with the exact message people see; presets giving different outcomes on
the same ballots; an operator's module from a file path running an election end to end; broken modules
refused at start; lazy consensus, early close, roll call and proxies."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

from bot import cli, wiring
from governance.clock import ManualClock
from governance.errors import Conflict, Forbidden, InvalidInput
from governance.policies import load_policy
from governance.policies.base import BodyFacts
from governance.policies.explain import explain
from governance.services import bodies, elections, motions, roster
from governance.services.common import Actor, Context
from tests.factories import SYSTEM, events, small_roster

ROOT = Path(__file__).resolve().parents[3]
EXAMPLE = ROOT / "docs" / "examples" / "my_policy.py"


def test_readme_includes_the_example_module_verbatim() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "## Write your own policy" in readme
    assert "```python\n" + EXAMPLE.read_text(encoding="utf-8") + "```" in readme


def _broken(tmp_path: Path, old: str, new: str) -> str:
    path = tmp_path / "broken_policy.py"
    source = EXAMPLE.read_text(encoding="utf-8")
    assert old in source
    path.write_text(source.replace(old, new), encoding="utf-8")
    return str(path)


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "threshold=Fraction(2, 3)",
            "threshold=Fraction(3, 2)",
            "motion_rules('board', 'ordinary').threshold is 3/2, an impossible fraction. "
            "Fix: give a fraction above 0 and at most 1.",
        ),
        (
            'method="schulze"',
            'method="borda"',
            "election_rules('board').method is 'borda'. Fix: use one of",
        ),
        ("organisation_cap=1", "organisation_cap=0", "election_rules('board').organisation_cap is 0."),
        ('return "open"', 'return "sometimes"', "join_rule('board') returned 'sometimes'."),
        ("early_close=True", "early_close='yes'", "early_close is 'yes', not True or False"),
    ],
)
def test_a_broken_module_is_refused_naming_module_field_and_fix(
    tmp_path: Path, old: str, new: str, expected: str, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _broken(tmp_path, old, new)
    with pytest.raises(InvalidInput) as refused:
        load_policy(path)
    assert f"Policy module {path} (my-charter 2026.1): " in str(refused.value)
    assert expected in str(refused.value)
    assert cli.main(["policy", "check", path]) == 1
    assert expected in capsys.readouterr().err


def test_the_bot_refuses_to_start_on_an_invalid_policy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _broken(tmp_path, "threshold=Fraction(2, 3)", "threshold=Fraction(0)")
    monkeypatch.setenv("GOVBOT_POLICY_PATH", path)
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'x.db'}")
    monkeypatch.setenv("GOVBOT_SECRET", "s" * 64)
    with pytest.raises(SystemExit) as stopped:
        wiring.build_context(wiring.load_settings())
    assert "refusing to start" in str(stopped.value)
    assert "threshold is 0, an impossible fraction" in str(stopped.value)


def test_policy_check_prints_the_summary(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["policy", "check", str(EXAMPLE)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("OK: policy my-charter 2026.1, sha256 ")
    assert "Elections to The board fill 2 seats by Schulze, by secret ballot." in out
    assert "Seats per organisation: at most 1, counting seats its continuing members hold" in out
    assert "It closes as soon as the remaining votes can no longer change the outcome." in out


def test_every_preset_loads_and_explains_itself() -> None:
    board = BodyFacts("board", "Board", "board")
    k8s = "\n".join(explain(load_policy("kubernetes"), board))
    assert "fill 7 seats by Schulze" in k8s and "at most 2" in k8s
    assert "Nobody may nominate themselves." in k8s
    debian = "\n".join(explain(load_policy("debian"), board))
    assert "fill 1 seat by Debian (Condorcet), by secret ballot" in debian
    assert "A charter motion passes with at least three quarters of the yes and no votes" in debian
    asf = "\n".join(explain(load_policy("asf"), board))
    assert "fill 9 seats by Meek STV" in asf and "Seats per organisation" not in asf
    lazy = "\n".join(explain(load_policy("lazy_consensus"), BodyFacts("wg", "WG", "working_group")))
    assert "passes by lazy consensus after 3 days unless someone objects" in lazy
    assert "becomes emeritus" in lazy


# ---------------------------------------------------------------- end to end on both backends


async def _people(ctx: Context) -> dict[str, Actor]:
    who = await small_roster(ctx)
    await roster.add_person(ctx, SYSTEM, "gil", "Gil Globex", organisation="globex")
    who["gil"] = await roster.actor_for_handle(ctx, "gil")
    return who


async def _election(
    ctx: Context, who: dict[str, Actor], policy: str, slug: str, seats: int | None = 2
) -> None:
    await bodies.create_body(ctx, who["sec"], f"{slug}-board", "Board", "board", policy=policy)
    await elections.create_election(ctx, who["sec"], f"{slug}-board", slug, seats=seats)
    await elections.open_nominations(ctx, who["sec"], slug)
    for handle in ("alice", "arjun", "bea"):
        await elections.nominate(ctx, who[handle], slug)
    await elections.open_voting(ctx, who["sec"], slug)


async def test_an_operator_module_from_a_file_governs_an_election(ctx: Context) -> None:
    who = await _people(ctx)
    await _election(ctx, who, str(EXAMPLE), "e1")
    # every person with an organisation votes; "nobody" has none
    with pytest.raises(Forbidden) as refused:
        await elections.cast_ballot(ctx, who["nobody"], "e1", ["alice"])
    assert refused.value.rule == "members-vote"
    assert refused.value.message == "No Body is with no member organisation, so cannot vote."
    for handle in ("alice", "arjun", "bea", "gil"):
        await elections.cast_ballot(ctx, who[handle], "e1", ["alice", "arjun", "bea"])
    result = await elections.close(ctx, who["sec"], "e1")
    # Schulze ranks alice, arjun, bea; arjun is passed over (Acme's one seat is taken)
    assert result.elected == ["Alice Martin", "Béatrice Dubois"]
    view = await elections.show(ctx, "e1")
    assert view.election.policy_name == str(EXAMPLE) and view.election.policy_version == "2026.1"
    await elections.certify(ctx, who["sec"], "e1")


async def test_same_ballots_two_presets_two_outcomes(ctx: Context) -> None:
    """ASF elects by STV with no company cap; the alliance caps each organisation at one seat.

    The ASF board's nine seats are its bylaws' (no seat count may be chosen): with three candidates all
    three are elected, two of them from Acme; the alliance's staggered board fills two of its seats.
    """
    who = await _people(ctx)
    await roster.set_voting_rep(ctx, SYSTEM, "acme", "alice")
    await roster.set_voting_rep(ctx, SYSTEM, "globex", "bea")
    outcomes = {}
    for policy, slug in (("asf", "asf-e"), ("alliance", "all-e")):
        await _election(ctx, who, policy, slug, seats=None if policy == "asf" else 2)
        voters = ("alice", "bea") if policy == "alliance" else ("alice", "arjun", "bea", "gil")
        for handle in voters:
            await elections.cast_ballot(ctx, who[handle], slug, ["alice", "arjun", "bea"])
        outcomes[policy] = (await elections.close(ctx, who["sec"], slug)).elected
    assert sorted(outcomes["asf"]) == ["Alice Martin", "Arjun Rao", "Béatrice Dubois"]
    assert sorted(outcomes["alliance"]) == ["Alice Martin", "Béatrice Dubois"]


async def test_the_organisation_cap_refuses_a_nominee_with_the_rule(ctx: Context) -> None:
    who = await _people(ctx)
    await bodies.create_body(ctx, who["sec"], "board", "Board of Directors", "board")
    await bodies.seat(ctx, SYSTEM, "board", "alice")  # a continuing Acme director
    await elections.create_election(ctx, who["sec"], "board", "b1", seats=1)
    await elections.open_nominations(ctx, who["sec"], "b1")
    with pytest.raises(Forbidden) as refused:
        await elections.nominate(ctx, who["arjun"], "b1")
    assert refused.value.rule == "organisation-cap"
    assert refused.value.message == (
        "Acme AI already holds the 1 Board of Directors seat an organisation may hold, through members who "
        "stay on; Arjun Rao could not take a seat."
    )
    assert (await elections.nominate(ctx, who["bea"], "b1")).status == "accepted"


async def _committee(ctx: Context, who: dict[str, Actor], policy: str) -> None:
    await bodies.create_body(ctx, who["sec"], "c", "Committee", "committee", policy=policy)
    for handle in ("alice", "arjun", "bea", "gil"):
        await bodies.seat(ctx, SYSTEM, "c", handle)


async def test_roll_call_cannot_be_made_secret(ctx: Context) -> None:
    who = await _people(ctx)
    await _committee(ctx, who, "kubernetes")
    with pytest.raises(Forbidden) as refused:
        await motions.propose(ctx, who["alice"], "c", "Hide it", secret=True)
    assert refused.value.rule == "roll-call"
    assert refused.value.message == (
        "Motions of kind ordinary before Committee are voted by roll call: every vote is public, and a "
        "proposer cannot make it secret."
    )
    assert not (await motions.propose(ctx, who["alice"], "c", "Open it")).secret


async def test_alliance_committees_vote_by_roll_call_only(ctx: Context) -> None:
    """The alliance's technical committees vote in public: a proposer cannot ask for a secret ballot."""
    who = await _people(ctx)
    await _committee(ctx, who, "alliance")
    with pytest.raises(Forbidden) as refused:
        await motions.propose(ctx, who["alice"], "c", "Amend the charter", kind="charter", secret=True)
    assert refused.value.rule == "roll-call"
    assert refused.value.hint == "(rule 'roll-call' of policy alliance 1.2) Propose it without --secret."
    assert "are voted by roll call: every vote is public, and a proposer cannot make it secret." in (
        refused.value.message
    )
    assert not (await motions.propose(ctx, who["alice"], "c", "Amend it openly", kind="charter")).secret


async def test_lazy_consensus_passes_in_silence_and_fails_on_an_objection(
    ctx: Context, clock: ManualClock
) -> None:
    who = await _people(ctx)
    await _committee(ctx, who, "lazy_consensus")
    quiet = await motions.propose(ctx, who["alice"], "c", "Adopt the style guide")
    loud = await motions.propose(ctx, who["alice"], "c", "Rename the project")
    assert quiet.deadline == clock.now() + timedelta(days=3)
    await motions.vote(ctx, who["bea"], quiet.id or 0, "yes")
    objection = await motions.vote(ctx, who["gil"], loud.id or 0, "no")
    assert objection.choice == "no"
    loud_view = await motions.show(ctx, loud.id or 0)  # one objection settles it at once
    assert (loud_view.motion.phase, loud_view.motion.outcome) == ("closed", "failed")
    assert loud_view.result and loud_view.result["reason"] == "Failed: 1 objection under lazy consensus."
    clock.advance(timedelta(days=3, minutes=1))
    result = await motions.close(ctx, SYSTEM, quiet.id or 0)
    assert result.passed and result.reason == "Passed by lazy consensus: nobody objected before the deadline."


async def test_early_close_once_the_outcome_cannot_change(ctx: Context) -> None:
    who = await _people(ctx)
    await _committee(ctx, who, "kubernetes")  # a majority of the 4 seated: 3 yes
    m = await motions.propose(ctx, who["alice"], "c", "Adopt")
    await motions.vote(ctx, who["alice"], m.id or 0, "yes")
    await motions.vote(ctx, who["arjun"], m.id or 0, "yes")
    assert (await motions.show(ctx, m.id or 0)).motion.phase == "open"
    await motions.vote(ctx, who["bea"], m.id or 0, "yes")
    view = await motions.show(ctx, m.id or 0)
    assert (view.motion.phase, view.motion.outcome) == ("closed", "passed")
    closed = [e for e in await events(ctx, f"motion:{m.id}") if e.kind == "motion.closed"]
    assert json.loads(closed[0].payload)["closed_because"] == "settled"
    with pytest.raises(Exception, match="votes are no longer taken"):
        await motions.vote(ctx, who["gil"], m.id or 0, "no")


async def test_proxies_delegate_override_and_secrecy(ctx: Context) -> None:
    who = await _people(ctx)
    await _committee(ctx, who, "asf")  # secret resolutions, proxies allowed
    m = await motions.propose(ctx, who["alice"], "c", "Budget")
    mid = m.id or 0
    assert m.secret and m.proxies
    with pytest.raises(Forbidden) as refused:
        await motions.vote(ctx, who["bea"], mid, "yes", for_handle="gil")
    assert refused.value.message == f"Gil Globex has not named Béatrice Dubois as proxy on M{mid}."
    await motions.delegate(ctx, who["gil"], mid, "bea")
    by_proxy = await motions.vote(ctx, who["bea"], mid, "no", for_handle="gil")
    assert not by_proxy.replaced
    assert (await motions.show(ctx, mid)).voters == 1  # gil's vote, cast by bea
    overridden = await motions.vote(ctx, who["gil"], mid, "yes")  # in person: replaces the proxy's vote
    assert overridden.replaced
    with pytest.raises(Conflict, match="voted in person"):
        await motions.vote(ctx, who["bea"], mid, "no", for_handle="gil")
    payloads = [e.payload for e in await events(ctx, f"motion:{mid}") if e.kind.startswith("motion.vote")]
    assert payloads and all(p == "{}" for p in payloads)  # secret: the log names no voter and no proxy
    result = await motions.close(ctx, SYSTEM, mid)
    assert result.counts == {"yes": 1, "no": 0, "abstain": 0}


async def test_proxies_refused_where_the_policy_has_none(ctx: Context) -> None:
    who = await _people(ctx)
    await _committee(ctx, who, "kubernetes")
    m = await motions.propose(ctx, who["alice"], "c", "Adopt")
    with pytest.raises(Forbidden) as refused:
        await motions.delegate(ctx, who["gil"], m.id or 0, "bea")
    assert refused.value.rule == "no-proxies"
