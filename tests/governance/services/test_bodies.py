"""Bodies and membership on both backends: create with chairs, join -> pending -> approve/deny by a
chair, leave, remove, seat, the lists, and every refusal leaving the tables as they were."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from governance.clock import ManualClock
from governance.errors import Conflict, Forbidden, InvalidInput, NotFound
from governance.services import bodies, roster
from governance.services.common import Actor, Context
from tests.factories import events, notice_params, outbox_rows, small_roster, snapshot


@pytest.fixture
async def who(ctx: Context) -> dict[str, Actor]:
    actors = await small_roster(ctx)
    await bodies.create_body(
        ctx,
        actors["sec"],
        "safety",
        "AI Safety WG",
        "wg",
        charter_url="https://example.org/wg/safety",
        chairs=["alice", "@Alice"],
    )
    await bodies.create_body(ctx, actors["sec"], "toc", "Technical Oversight Committee", "committee")
    return actors


async def status(ctx: Context, slug: str, state: str = "active") -> dict[str, str]:
    _, rows = await bodies.members(ctx, slug, status=state)
    return {r.handle: r.role for r in rows}


async def test_create_body_with_chairs(ctx: Context, who: dict[str, Actor]) -> None:
    assert await status(ctx, "safety") == {"alice": "chair"}  # the chair named twice is seated once
    listed = {b.slug: (b.kind, b.charter_url, b.policy, n) for b, n in await bodies.list_bodies(ctx)}
    assert listed == {
        "safety": ("working_group", "https://example.org/wg/safety", "alliance", 1),
        "toc": ("committee", None, "alliance", 0),
    }
    assert [b.slug for b, _ in await bodies.list_bodies(ctx, "wg")] == ["safety"]
    created = (await events(ctx, "body:safety"))[0]
    assert created.kind == "body.created" and '"chairs":["alice"]' in created.payload
    assert '"name":"alliance"' in created.payload and '"sha256":' in created.payload


async def test_create_body_refusals_change_nothing(ctx: Context, who: dict[str, Actor]) -> None:
    before = await snapshot(ctx)
    with pytest.raises(Forbidden, match="Only the secretariat") as refused:
        await bodies.create_body(ctx, who["alice"], "wg2", "WG 2", "wg")
    assert refused.value.rule == "secretariat-only"
    with pytest.raises(Conflict, match="already exists"):
        await bodies.create_body(ctx, who["sec"], "safety", "Another", "wg")
    with pytest.raises(InvalidInput, match="Unknown kind"):
        await bodies.create_body(ctx, who["sec"], "club", "Club", "club")
    with pytest.raises(InvalidInput, match="not a web link"):
        await bodies.create_body(ctx, who["sec"], "wg3", "WG 3", "wg", charter_url="ftp://x")
    with pytest.raises(NotFound, match="ghost"):
        await bodies.create_body(ctx, who["sec"], "wg4", "WG 4", "wg", chairs=["alice", "ghost"])
    with pytest.raises(InvalidInput, match="No policy named 'nope'"):
        await bodies.create_body(ctx, who["sec"], "wg5", "WG 5", "wg", policy="nope")
    with pytest.raises(InvalidInput, match="too long"):
        await bodies.create_body(ctx, who["sec"], "wg6", "W" * 201, "wg")
    assert await snapshot(ctx) == before


async def test_join_pending_then_approved_by_chair(ctx: Context, who: dict[str, Actor]) -> None:
    membership = await bodies.request_join(ctx, who["bea"], "safety")
    assert membership.status == "pending" and membership.since is None
    assert await status(ctx, "safety", "pending") == {"bea": "member"}
    _, pending = await bodies.pending(ctx, who["alice"], "safety")
    assert [r.handle for r in pending] == ["bea"] and pending[0].organisation == "Globex Research"
    asks = [m for m in await outbox_rows(ctx) if m.kind == "membership.requested"]
    assert [m.person_id for m in asks] == [who["alice"].person_id] and notice_params(asks[0])[
        "person"
    ] == "bea"
    assert notice_params(asks[0])["body"] == "safety"  # what the chair's approve and deny act on
    approved = await bodies.decide_join(ctx, who["alice"], "safety", "bea", approve=True)
    assert approved.status == "active" and approved.since == ctx.now()
    assert await status(ctx, "safety") == {"alice": "chair", "bea": "member"}
    assert await status(ctx, "safety", "pending") == {}
    told = (await outbox_rows(ctx))[-1]
    assert (told.kind, told.person_id) == ("membership.approved", who["bea"].person_id)
    assert [e.kind for e in await events(ctx, "body:safety")][-2:] == [
        "membership.requested",
        "membership.approved",
    ]


async def test_join_denied_then_asked_again(ctx: Context, who: dict[str, Actor]) -> None:
    await bodies.request_join(ctx, who["bea"], "safety")
    denied = await bodies.decide_join(ctx, who["sec"], "safety", "bea", approve=False, reason="Full for now.")
    assert (denied.status, denied.note) == ("denied", "Full for now.")
    told = (await outbox_rows(ctx))[-1]
    assert told.kind == "membership.declined" and notice_params(told)["reason"] == "Full for now."
    again = await bodies.request_join(ctx, who["bea"], "safety")
    assert again.status == "pending"


async def test_non_chair_approving_is_refused_and_changes_nothing(
    ctx: Context, who: dict[str, Actor]
) -> None:
    await bodies.request_join(ctx, who["bea"], "safety")
    await bodies.request_join(ctx, who["arjun"], "safety")
    await bodies.decide_join(ctx, who["alice"], "safety", "arjun", approve=True)
    before = await snapshot(ctx)
    for actor in (who["arjun"], who["nobody"], who["bea"]):  # a plain member, an outsider, the applicant
        with pytest.raises(Forbidden, match="Only a chair of AI Safety WG") as refused:
            await bodies.decide_join(ctx, actor, "safety", "bea", approve=True)
        assert refused.value.rule == "chairs-approve"
        with pytest.raises(Forbidden) as refusal:
            await bodies.pending(ctx, actor, "safety")
        assert refusal.value.rule == "chairs-approve"
        with pytest.raises(Forbidden) as refusal:
            await bodies.remove_member(ctx, actor, "safety", "arjun")
        assert refusal.value.rule == "chairs-approve"
    assert await snapshot(ctx) == before
    assert await status(ctx, "safety", "pending") == {"bea": "member"}


async def test_suspended_chair_may_not_approve(ctx: Context, who: dict[str, Actor]) -> None:
    await bodies.request_join(ctx, who["bea"], "safety")
    await roster.update_person(ctx, who["sec"], "alice", status="suspended")
    with pytest.raises(Forbidden, match="suspended") as refused:
        await bodies.decide_join(ctx, who["alice"], "safety", "bea", approve=True)
    assert refused.value.rule == "member-state"


async def test_join_refusals(ctx: Context, who: dict[str, Actor]) -> None:
    await bodies.request_join(ctx, who["bea"], "safety")
    await roster.update_person(ctx, who["sec"], "arjun", status="withdrawn")
    before = await snapshot(ctx)
    with pytest.raises(Conflict, match="already waiting for a chair"):
        await bodies.request_join(ctx, who["bea"], "safety")
    with pytest.raises(Conflict, match="already a member"):
        await bodies.request_join(ctx, who["alice"], "safety")
    with pytest.raises(InvalidInput, match="not a working group"):
        await bodies.request_join(ctx, who["bea"], "toc")
    with pytest.raises(NotFound, match="No body or working group 'nope'"):
        await bodies.request_join(ctx, who["bea"], "nope")
    with pytest.raises(Forbidden, match="withdrawn members may not join") as refused:
        await bodies.request_join(ctx, who["arjun"], "safety")
    assert refused.value.rule == "member-state"  # the policy's member-states table, not a service's copy
    with pytest.raises(InvalidInput, match="Only a person"):
        await bodies.request_join(ctx, Actor.system(), "safety")
    with pytest.raises(NotFound, match="no pending request"):
        await bodies.decide_join(ctx, who["alice"], "safety", "nobody", approve=True)
    assert await snapshot(ctx) == before


async def test_joining_twice_at_once_records_one_request(ctx: Context, who: dict[str, Actor]) -> None:
    results = await asyncio.gather(
        *(bodies.request_join(ctx, who["bea"], "safety") for _ in range(4)), return_exceptions=True
    )
    ok = [r for r in results if not isinstance(r, BaseException)]
    refused = [r for r in results if isinstance(r, BaseException)]
    assert len(ok) == 1 and all(isinstance(r, Conflict) for r in refused), results
    assert await status(ctx, "safety", "pending") == {"bea": "member"}
    assert [e.kind for e in await events(ctx, "body:safety")].count("membership.requested") == 1


async def test_leave_and_remove(ctx: Context, who: dict[str, Actor]) -> None:
    for handle in ("bea", "arjun"):
        await bodies.request_join(ctx, who[handle], "safety")
        await bodies.decide_join(ctx, who["alice"], "safety", handle, approve=True)
    left = await bodies.leave(ctx, who["bea"], "safety")
    assert (left.status, left.until) == ("left", ctx.now())
    removed = await bodies.remove_member(ctx, who["alice"], "safety", "arjun", reason="Inactive for a year.")
    assert (removed.status, removed.note) == ("removed", "Inactive for a year.")
    assert await status(ctx, "safety") == {"alice": "chair"}
    assert await status(ctx, "safety", "removed") == {"arjun": "member"}
    told = (await outbox_rows(ctx))[-1]
    assert (
        told.person_id == who["arjun"].person_id and notice_params(told)["reason"] == "Inactive for a year."
    )
    before = await snapshot(ctx)
    with pytest.raises(NotFound, match="not a member"):
        await bodies.leave(ctx, who["bea"], "safety")
    with pytest.raises(NotFound, match="not a member"):
        await bodies.remove_member(ctx, who["alice"], "safety", "arjun")
    assert await snapshot(ctx) == before
    # a pending request can be withdrawn by leaving
    await bodies.request_join(ctx, who["nobody"], "safety")
    assert (await bodies.leave(ctx, who["nobody"], "safety")).status == "left"
    assert await status(ctx, "safety", "pending") == {}


async def test_seat_and_change_role(ctx: Context, who: dict[str, Actor]) -> None:
    await bodies.seat(ctx, who["sec"], "toc", "bea")
    await bodies.seat(ctx, who["sec"], "toc", "arjun", "co-chair")
    assert await status(ctx, "toc") == {"bea": "member", "arjun": "co_chair"}
    seated = await bodies.seat(ctx, who["sec"], "toc", "bea", "chair")
    assert seated.role == "chair"
    assert '"previous_role":"member"' in (await events(ctx, "body:toc"))[-1].payload
    # a working-group chair seats members of their own group, but not chairs, and not in other bodies
    await bodies.seat(ctx, who["alice"], "safety", "nobody", "observer")
    assert (await status(ctx, "safety"))["nobody"] == "observer"
    before = await snapshot(ctx)
    with pytest.raises(Forbidden, match="Only the secretariat") as refusal:
        await bodies.seat(ctx, who["alice"], "safety", "bea", "co_chair")
    assert refusal.value.rule == "secretariat-only"
    with pytest.raises(Forbidden) as refusal:
        await bodies.seat(ctx, who["alice"], "toc", "nobody")
    assert refusal.value.rule == "secretariat-only"
    with pytest.raises(Conflict, match="already chair"):
        await bodies.seat(ctx, who["sec"], "toc", "bea", "chair")
    with pytest.raises(InvalidInput, match="Unknown role"):
        await bodies.seat(ctx, who["sec"], "toc", "bea", "king")
    assert await snapshot(ctx) == before
    # seating someone who had left starts a new period of membership
    await bodies.leave(ctx, who["nobody"], "safety")

    assert isinstance(ctx.clock, ManualClock)
    ctx.clock.advance(timedelta(days=3))
    again = await bodies.seat(ctx, who["sec"], "safety", "nobody")
    assert (again.status, again.since, again.until) == ("active", ctx.now(), None)
