"""Issue 4 gaps: member states reach the policy (each state's rules bite, with the exact message), the
`body state` command that sets them, and working-group rules (size limit, who may chair)."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

from governance.clock import ManualClock
from governance.errors import Conflict, Forbidden, InvalidInput, NotFound
from governance.policies import load_policy
from governance.policies.base import BodyFacts
from governance.services import bodies, elections, motions, roster, scheduling
from governance.services.common import Actor, Context
from tests.factories import SYSTEM, events, notice_params, outbox_rows, small_roster, snapshot

EXAMPLE = Path(__file__).resolve().parents[3] / "docs" / "examples" / "my_policy.py"


async def _committee(ctx: Context) -> dict[str, Actor]:
    """An alliance committee with four members and a chair (bea)."""
    who = await small_roster(ctx)
    await roster.add_person(ctx, SYSTEM, "gil", "Gil Globex", organisation="globex")
    who["gil"] = await roster.actor_for_handle(ctx, "gil")
    await bodies.create_body(ctx, who["sec"], "toc", "Technical Committee", "committee")
    for handle in ("alice", "arjun", "gil"):
        await bodies.seat(ctx, SYSTEM, "toc", handle)
    await bodies.seat(ctx, SYSTEM, "toc", "bea", "chair")
    return who


async def test_suspended_members_neither_vote_nor_propose(ctx: Context) -> None:
    who = await _committee(ctx)
    motion = await motions.propose(ctx, who["alice"], "toc", "Adopt the roadmap")
    changed = await bodies.set_state(ctx, who["sec"], "toc", "arjun", "suspended", "Conduct review")
    assert changed.state == "suspended"
    with pytest.raises(Forbidden) as refused:
        await motions.vote(ctx, who["arjun"], motion.id or 0, "yes")
    assert refused.value.rule == "member-state"
    assert refused.value.message == "Arjun Rao is suspended in this body; suspended members may not vote."
    with pytest.raises(Forbidden) as refused:
        await motions.propose(ctx, who["arjun"], "toc", "Another motion")
    assert refused.value.rule == "member-state"
    assert refused.value.message == (
        "Arjun Rao is suspended in this body; suspended members may not propose motions."
    )
    (event,) = [e for e in await events(ctx, "body:toc") if e.kind == "membership.state"]
    assert event.subject == "arjun" and event.actor == "person:sec"
    payload = json.loads(event.payload)
    assert (payload["state"], payload["previous"], payload["reason"]) == (
        ("suspended", "active", "Conduct review")
    )
    # back to active: the vote counts again
    await bodies.set_state(ctx, who["sec"], "toc", "arjun", "active")
    assert (await motions.vote(ctx, who["arjun"], motion.id or 0, "yes")).choice == "yes"


async def test_emeritus_members_neither_stand_nor_vote_in_elections(ctx: Context) -> None:
    who = await _committee(ctx)
    await bodies.set_state(ctx, who["sec"], "toc", "gil", "emeritus")
    await elections.create_election(ctx, who["sec"], "toc", "toc-chair", seats=1)
    await elections.open_nominations(ctx, who["sec"], "toc-chair")
    with pytest.raises(Forbidden) as refused:
        await elections.nominate(ctx, who["alice"], "toc-chair", "gil")
    assert refused.value.rule == "member-state"
    assert refused.value.message == (
        "Gil Globex is emeritus in this body; emeritus members may not stand for election."
    )
    with pytest.raises(Forbidden) as refused:
        await elections.nominate(ctx, who["gil"], "toc-chair", "alice")
    assert refused.value.rule == "member-state"
    assert refused.value.message == (
        "Gil Globex is emeritus in this body; emeritus members may not nominate candidates."
    )
    await elections.nominate(ctx, who["alice"], "toc-chair")
    await elections.open_voting(ctx, who["sec"], "toc-chair")
    with pytest.raises(Forbidden) as refused:
        await elections.cast_ballot(ctx, who["gil"], "toc-chair", ["alice"])
    assert refused.value.rule == "member-state"
    assert refused.value.message == "Gil Globex is emeritus in this body; emeritus members may not vote."
    await elections.cast_ballot(ctx, who["arjun"], "toc-chair", ["alice"])


async def test_withdrawn_members_may_not_chair(ctx: Context) -> None:
    who = await _committee(ctx)
    await bodies.set_state(ctx, who["sec"], "toc", "alice", "withdrawn")
    before = await snapshot(ctx)
    with pytest.raises(Forbidden) as refused:
        await bodies.seat(ctx, who["sec"], "toc", "alice", "co_chair")
    assert refused.value.rule == "member-state"
    assert refused.value.message == (
        "Alice Martin is withdrawn in this body; withdrawn members may not chair a body."
    )
    with pytest.raises(Forbidden) as refused:
        await motions.propose(ctx, who["alice"], "toc", "Anything")
    assert refused.value.rule == "member-state"
    assert refused.value.message == (
        "Alice Martin is withdrawn in this body; withdrawn members may not propose motions."
    )
    assert await snapshot(ctx) == before


async def test_setting_a_state_is_refused_clearly(ctx: Context) -> None:
    who = await _committee(ctx)
    before = await snapshot(ctx)
    with pytest.raises(InvalidInput) as bad:
        await bodies.set_state(ctx, who["sec"], "toc", "arjun", "retired")
    assert bad.value.message == "Unknown member state 'retired'."
    assert bad.value.hint == "States: active, emeritus, withdrawn, suspended."
    with pytest.raises(Forbidden) as refused:
        await bodies.set_state(ctx, who["alice"], "toc", "arjun", "suspended")
    assert refused.value.rule == "secretariat-only"
    assert refused.value.message == (
        "Only the secretariat (an admin) may set member states in Technical Committee."
    )
    with pytest.raises(NotFound, match="No Body is not a member of Technical Committee"):
        await bodies.set_state(ctx, who["sec"], "toc", "nobody", "suspended")
    with pytest.raises(Conflict, match="Arjun Rao is already active in Technical Committee"):
        await bodies.set_state(ctx, who["sec"], "toc", "arjun", "active")
    assert await snapshot(ctx) == before


def _module(tmp_path: Path, join: str, max_members: int) -> str:
    source = EXAMPLE.read_text(encoding="utf-8")
    source = source.replace('return "open"', f'return "{join}"').replace(
        "WorkingGroupRules(max_members=30)", f"WorkingGroupRules(max_members={max_members})"
    )
    path = tmp_path / f"wg_{join}_policy.py"
    path.write_text(source, encoding="utf-8")
    return str(path)


async def test_an_open_working_group_stops_at_its_size_limit(ctx: Context, tmp_path: Path) -> None:
    who = await small_roster(ctx)
    await bodies.create_body(
        ctx, who["sec"], "safety", "Safety WG", "wg", chairs=["sec"], policy=_module(tmp_path, "open", 2)
    )
    assert (await bodies.request_join(ctx, who["alice"], "safety")).status == "active"
    before = await snapshot(ctx)
    with pytest.raises(Forbidden) as refused:
        await bodies.request_join(ctx, who["bea"], "safety")
    assert refused.value.rule == "max-members"
    assert refused.value.message == (
        "Safety WG is full: its policy allows at most 2 active members and it has 2."
    )
    with pytest.raises(Forbidden, match="Safety WG is full") as refusal:
        await bodies.seat(ctx, who["sec"], "safety", "bea")
    assert refusal.value.rule == "max-members"
    assert await snapshot(ctx) == before
    # an emeritus member holds no working place: room for one more
    await bodies.set_state(ctx, who["sec"], "safety", "alice", "emeritus")
    assert (await bodies.request_join(ctx, who["bea"], "safety")).status == "active"
    with pytest.raises(Forbidden, match="at most 2 active members") as refusal:
        await bodies.set_state(ctx, who["sec"], "safety", "alice", "active")
    assert refusal.value.rule == "max-members"


async def test_approval_stops_at_the_size_limit(ctx: Context, tmp_path: Path) -> None:
    who = await small_roster(ctx)
    await bodies.create_body(
        ctx, who["sec"], "evals", "Evals WG", "wg", chairs=["bea"], policy=_module(tmp_path, "approval", 2)
    )
    for handle in ("alice", "arjun"):
        assert (await bodies.request_join(ctx, who[handle], "evals")).status == "pending"
    await bodies.decide_join(ctx, who["bea"], "evals", "alice", approve=True)
    with pytest.raises(Forbidden) as refused:
        await bodies.decide_join(ctx, who["bea"], "evals", "arjun", approve=True)
    assert refused.value.rule == "max-members"
    assert refused.value.message == (
        "Evals WG is full: its policy allows at most 2 active members and it has 2."
    )
    assert (await bodies.decide_join(ctx, who["bea"], "evals", "arjun", approve=False)).status == "denied"


async def test_may_chair_is_asked_when_chairs_are_seated(ctx: Context) -> None:
    who = await small_roster(ctx)
    with pytest.raises(Forbidden) as refused:
        await bodies.create_body(ctx, who["sec"], "ops", "Ops WG", "wg", chairs=["nobody"])
    assert refused.value.rule == "chairs-from-members"
    assert refused.value.message == (
        "No Body is not with an active member organisation, so cannot chair Ops WG."
    )
    await bodies.create_body(ctx, who["sec"], "ops", "Ops WG", "wg", chairs=["alice"])
    with pytest.raises(Forbidden, match="No Body is not with an active member organisation") as refusal:
        await bodies.seat(ctx, who["sec"], "ops", "nobody", "co_chair")
    assert refusal.value.rule == "chairs-from-members"
    assert (await bodies.seat(ctx, who["sec"], "ops", "bea", "co_chair")).role == "co_chair"


async def test_the_inactivity_review_follows_the_policy(
    ctx: Context, clock: ManualClock, tmp_path: Path
) -> None:
    who = await small_roster(ctx)
    thirty = _module(tmp_path, "open", 10).replace("wg_open_policy.py", "wg_thirty_policy.py")
    source = Path(_module(tmp_path, "open", 10)).read_text(encoding="utf-8")
    Path(thirty).write_text(
        source.replace(
            "WorkingGroupRules(max_members=10)", "WorkingGroupRules(max_members=10, inactivity_days=30)"
        ),
        encoding="utf-8",
    )
    await bodies.create_body(ctx, who["sec"], "fast", "Fast WG", "wg", chairs=["bea"], policy=thirty)
    await bodies.create_body(
        ctx, who["sec"], "never", "Never WG", "wg", chairs=["bea"], policy=_module(tmp_path, "open", 10)
    )
    for slug in ("fast", "never"):
        await bodies.request_join(ctx, who["alice"], slug)
        await bodies.request_join(ctx, who["arjun"], slug)
    await bodies.set_state(ctx, who["bea"], "fast", "arjun", "emeritus")
    clock.advance(timedelta(days=31))
    assert await scheduling.post_reviews(ctx) == 1  # only Fast WG has an inactivity rule; arjun is emeritus
    (message,) = [m for m in await outbox_rows(ctx) if m.kind == "wg.review"]
    params = notice_params(message)
    assert (params["body"], params["count"], params["days"], params["names"]) == ("fast", 1, 30, ["alice"])


def test_method_parameters_that_no_count_applies_are_refused(tmp_path: Path) -> None:
    """Only the debian count takes parameters (tests/test_policies_debian.py): a schulze module asking for
    some is refused rather than silently not applied."""
    source = EXAMPLE.read_text(encoding="utf-8").replace(
        "organisation_cap=1", "organisation_cap=1, method_params={'quorum_factor': 3}"
    )
    path = tmp_path / "params_policy.py"
    path.write_text(source, encoding="utf-8")
    with pytest.raises(InvalidInput) as refused:
        load_policy(str(path))
    assert (
        "election_rules('board').method_params names quorum_factor, but method schulze takes no parameters"
        in str(refused.value)
    )
    assert load_policy("debian").election_rules(BodyFacts("dpl", "DPL", "board")).default_option == (
        "None Of The Above"
    )
