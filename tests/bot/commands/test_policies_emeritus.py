"""Issue 4, emeritus: a working-group rule says whether a member who leaves, or whom a chair confirms as
inactive, is removed or kept as emeritus; emeritus (and other non-voting) members are not counted as
seated in a motion's quorum and threshold; member states are shown in `body show` and `wg members`, in
English and French. On SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import timedelta
from fractions import Fraction
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.commands import dispatch
from bot.present.errors import hint as console_hint
from governance.clock import ManualClock
from governance.errors import Conflict, Forbidden, InvalidInput
from governance.policies import load_policy
from governance.policies.base import BodyFacts
from governance.services import bodies, motions, roster, scheduling
from governance.services.common import Actor, Context
from tests.factories import SYSTEM, events, outbox_rows, small_roster
from tests.fakes.notices import notice_text

EXAMPLE = Path(__file__).resolve().parents[3] / "docs" / "examples" / "my_policy.py"
UTC_ZONE = ZoneInfo("UTC")


async def _say(ctx: Context, handle: str, line: str, locale: str = "en") -> str:
    reply = await dispatch(ctx, await roster.actor_for_handle(ctx, handle), line, tz=UTC_ZONE, locale=locale)
    assert reply.ok, reply.to_text()
    return reply.to_text()


async def _group(ctx: Context, policy: str = "alliance") -> dict[str, Actor]:
    """A working group chaired by bea, with alice and arjun as members."""
    who = await small_roster(ctx)
    await bodies.create_body(
        ctx, who["sec"], "safety", "Safety WG", "working_group", chairs=["bea"], policy=policy
    )
    for handle in ("alice", "arjun"):
        await bodies.seat(ctx, who["sec"], "safety", handle)
    return who


async def test_by_default_a_member_who_leaves_is_removed(ctx: Context) -> None:
    who = await _group(ctx)
    left = await bodies.leave(ctx, who["alice"], "safety")
    assert (left.status, left.state) == ("left", "active")
    _, members = await bodies.members(ctx, "safety")
    assert sorted(m.handle for m in members) == ["arjun", "bea"]


async def test_a_steering_member_who_leaves_becomes_emeritus(ctx: Context, clock: ManualClock) -> None:
    """Kubernetes: members "graduate to becoming Emeritus members ... upon vacating their seat"."""
    who = await small_roster(ctx)
    await bodies.create_body(ctx, who["sec"], "steering", "Steering", "board", policy="kubernetes")
    for handle in ("alice", "arjun", "bea"):
        await bodies.seat(ctx, who["sec"], "steering", handle)
    clock.advance(timedelta(days=3))
    reply = await _say(ctx, "alice", "wg leave steering")
    assert reply == (
        "You left steering; as its policy says, you stay on its list as an emeritus member, without a vote."
    )
    (event,) = [e for e in await events(ctx, "body:steering") if e.kind == "membership.state"]
    payload = json.loads(event.payload)
    assert (event.subject, payload["state"], payload["cause"]) == ("alice", "emeritus", "left")
    assert "Alice Martin (emeritus since 2026-01-08)" in await _say(ctx, "sec", "body show steering")
    with pytest.raises(Forbidden) as refused:
        await motions.propose(ctx, who["alice"], "steering", "Anything")
    assert refused.value.rule == "member-state"
    assert (
        refused.value.message
        == "Alice Martin is emeritus in this body; emeritus members may not propose motions."
    )
    motion = await motions.propose(ctx, who["bea"], "steering", "Adopt the roadmap")
    assert motion.seated == 2
    # Leaving again ends the membership.
    again = await bodies.leave(ctx, who["alice"], "steering")
    assert (again.status, again.state) == ("left", "emeritus")
    assert "Alice Martin" not in await _say(ctx, "sec", "body show steering")


async def test_confirmed_inactive_members_become_emeritus_under_the_alliance(
    ctx: Context, clock: ManualClock
) -> None:
    who = await _group(ctx)
    clock.advance(timedelta(days=181))
    reply = await _say(ctx, "bea", "wg review-confirm safety alice")
    assert reply == "Now emeritus for inactivity (kept on the list, without a vote): alice."
    _, members = await bodies.members(ctx, "safety")
    states = {m.handle: (m.status, m.state, m.state_since) for m in members}
    assert states["alice"] == ("active", "emeritus", clock.now())
    assert states["arjun"][:2] == ("active", "active")
    dm = [m for m in await outbox_rows(ctx) if m.kind == "membership.state"]
    assert [notice_text(m) for m in dm] == [
        "You are now an emeritus member of Safety WG: you stay on its list, without a vote. "
        "Inactive in Safety WG for 180 days."
    ]
    listed = await _say(ctx, "bea", "wg members safety")
    assert "Alice Martin (emeritus since 2026-07-05)" in listed and "Arjun Rao (" not in listed
    # no longer reviewed, and no vote
    assert [m.handle for m in (await scheduling.review(ctx, who["bea"], "safety"))[1]] == ["arjun"]
    motion = await motions.propose(ctx, who["bea"], "safety", "Adopt the guide")
    assert motion.seated == 2
    with pytest.raises(Forbidden, match="Alice Martin is emeritus in this body") as refusal:
        await motions.vote(ctx, who["alice"], motion.id or 0, "yes")
    assert refusal.value.rule == "member-state"
    # asking to join again: a chair makes them active again
    with pytest.raises(Conflict) as conflict:
        await bodies.request_join(ctx, who["alice"], "safety")
    assert conflict.value.message == "You are an emeritus member of Safety WG."
    assert console_hint(conflict.value, "console") == (
        "A chair can make you active again: `body state safety alice active`."
    )
    await bodies.set_state(ctx, who["bea"], "safety", "alice", "active")
    assert "Alice Martin (" not in await _say(ctx, "bea", "wg members safety")


async def test_confirmed_inactive_members_are_removed_where_the_policy_says_so(
    ctx: Context, clock: ManualClock
) -> None:
    await _group(ctx, policy="kubernetes")
    clock.advance(timedelta(days=181))
    reply = await _say(ctx, "bea", "wg review-confirm safety alice")
    assert reply == "Removed for inactivity: alice."
    _, members = await bodies.members(ctx, "safety")
    assert sorted(m.handle for m in members) == ["arjun", "bea"]


async def test_a_chair_made_emeritus_stops_chairing(ctx: Context, clock: ManualClock) -> None:
    """A co-chair confirmed inactive keeps the credit, not the chair."""
    who = await _group(ctx)
    await bodies.seat(ctx, who["sec"], "safety", "arjun", "co_chair")
    clock.advance(timedelta(days=181))
    retired = await bodies.retire_inactive(ctx, who["bea"], "safety", "arjun", "Inactive.")
    assert (retired.role, retired.state) == ("member", "emeritus")
    (event,) = [e for e in await events(ctx, "body:safety") if e.kind == "membership.state"]
    assert json.loads(event.payload)["previous_role"] == "co_chair"


def _module(tmp_path: Path, rules: str) -> str:
    source = EXAMPLE.read_text(encoding="utf-8")
    start = source.index("def working_group_rules")
    path = tmp_path / "retire_policy.py"
    path.write_text(
        source[:start]
        + "def working_group_rules(body: BodyFacts) -> WorkingGroupRules:\n"
        + f"    return WorkingGroupRules({rules})\n",
        encoding="utf-8",
    )
    return str(path)


def test_validation_refuses_an_unknown_retirement_rule(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput) as refused:
        load_policy(_module(tmp_path, 'on_leave="retire"'))
    assert refused.value.message.endswith(
        "working_group_rules('board').on_leave is 'retire', neither \"remove\" nor \"emeritus\"."
    )
    assert refused.value.hint == (
        'Fix: use "remove" (the membership ends) or "emeritus" (kept on the list, without a vote).'
    )
    loaded = load_policy(_module(tmp_path, 'on_leave="emeritus", on_inactive="emeritus"'))
    rules = loaded.working_group_rules(BodyFacts("wg", "WG", "working_group"))
    assert (rules.on_leave, rules.on_inactive) == ("emeritus", "emeritus")


def test_presets_retirement_rules() -> None:
    wg = BodyFacts("wg", "WG", "working_group")
    board = BodyFacts("board", "Board", "board")
    found = {
        name: (load_policy(name).working_group_rules(wg), load_policy(name).working_group_rules(board))
        for name in ("alliance", "kubernetes", "lazy_consensus", "asf", "debian")
    }
    assert {n: (w.on_leave, w.on_inactive, b.on_leave) for n, (w, b) in found.items()} == {
        "alliance": ("remove", "emeritus", "remove"),
        "kubernetes": ("remove", "remove", "emeritus"),
        "lazy_consensus": ("remove", "emeritus", "remove"),
        "asf": ("remove", "remove", "remove"),
        "debian": ("remove", "remove", "remove"),
    }


async def test_quorum_counts_only_members_who_may_vote(ctx: Context) -> None:
    """A committee of five, one emeritus in it and one emeritus on the roster: quorum is computed on 3."""
    who = await small_roster(ctx)
    await roster.add_person(ctx, SYSTEM, "gil", "Gil Globex", organisation="globex")
    who["gil"] = await roster.actor_for_handle(ctx, "gil")
    await bodies.create_body(ctx, who["sec"], "toc", "Technical Committee", "committee", chairs=["bea"])
    for handle in ("alice", "arjun", "gil", "nobody"):
        await bodies.seat(ctx, SYSTEM, "toc", handle)
    await bodies.set_state(ctx, who["sec"], "toc", "arjun", "emeritus")
    await roster.update_person(ctx, who["sec"], "nobody", status="emeritus")
    motion = await motions.propose(ctx, who["bea"], "toc", "Adopt the roadmap")
    assert motion.seated == 3
    assert json.loads((await events(ctx, f"motion:{motion.id}"))[0].payload)["seated"] == 3
    await motions.vote(ctx, who["bea"], motion.id or 0, "yes")
    await motions.vote(ctx, who["gil"], motion.id or 0, "yes")
    result = await motions.close(ctx, who["sec"], motion.id or 0)
    assert (result.seated, result.quorum, result.quorum_needed, result.quorum_met, result.passed) == (
        3,
        Fraction(1, 2),
        2,
        True,
        True,
    )


async def test_member_states_are_shown_in_french(ctx: Context, clock: ManualClock) -> None:
    who = await _group(ctx)
    clock.advance(timedelta(days=181))
    await bodies.retire_inactive(ctx, who["bea"], "safety", "alice")
    await bodies.set_state(ctx, who["bea"], "safety", "arjun", "suspended")
    listed = await _say(ctx, "bea", "wg members safety", locale="fr")
    assert "Alice Martin (émérite depuis le 5 juil. 2026)" in listed
    assert "Arjun Rao (suspendu·e depuis le 5 juil. 2026)" in listed
    for english in ("emeritus", "suspended", "since"):
        assert english not in listed
