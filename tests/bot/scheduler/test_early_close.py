"""Early close by the scheduler, on both backends: an early-close motion whose outcome became settled
without a vote (a member left, or was removed) is closed by the sweep once, its result posted once;
one that a remaining vote could still change stays open, counting suspended and emeritus members as
votes that may still come."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bot.scheduler import Scheduler
from governance.clock import ManualClock
from governance.services import bodies, motions, roster, scheduling
from governance.services.common import Actor, Context
from tests.factories import SYSTEM, audit_kinds, outbox, small_roster
from tests.fakes.notices import notice_text


async def committee(ctx: Context) -> tuple[dict[str, Actor], int]:
    """A Kubernetes-style committee of four (alice, arjun, bea, gil: a motion needs more than half of the
    seated, and closes as soon as that is settled) and a motion on which alice and arjun voted yes and bea
    no: gil's vote would still pass it."""
    who = await small_roster(ctx)
    await roster.add_person(ctx, SYSTEM, "gil", "Gil Globex", organisation="globex")
    who["gil"] = await roster.actor_for_handle(ctx, "gil")
    await bodies.create_body(ctx, who["sec"], "c", "Committee", "committee", policy="kubernetes")
    for handle in ("alice", "arjun", "bea", "gil"):
        await bodies.seat(ctx, SYSTEM, "c", handle)
    motion = await motions.propose(ctx, who["alice"], "c", "Adopt the charter")
    assert motion.early_close and motion.id is not None
    for handle, choice in (("alice", "yes"), ("arjun", "yes"), ("bea", "no")):
        await motions.vote(ctx, who[handle], motion.id, choice)
    return who, motion.id


async def test_a_member_leaving_settles_the_motion_and_the_sweep_closes_it_once(
    ctx: Context, clock: ManualClock
) -> None:
    who, motion_id = await committee(ctx)
    scheduler = Scheduler(ctx, worker="w")
    assert await scheduler.sweep() == []  # gil could still carry it: open
    assert (await motions.show(ctx, motion_id)).motion.phase == "open"

    await bodies.leave(ctx, who["gil"], "c")  # no vote to come can reach 3 yes of 4 any more
    [closed] = await scheduler.sweep()
    assert (closed.key, closed.result) == (f"motion:{motion_id}:settled", "done: settled")
    assert await scheduler.sweep() == [] and await Scheduler(ctx, worker="other").sweep() == []

    view = await motions.show(ctx, motion_id)
    assert (view.motion.phase, view.motion.outcome, view.motion.seated) == ("closed", "failed", 4)
    [event] = await audit_kinds(ctx, f"motion:{motion_id}", "motion.closed")
    payload = json.loads(event.payload)
    assert event.actor == "scheduler" and payload["closed_because"] == "settled" and payload["early"]
    [(_, notice)] = await outbox(ctx, "motion.result")
    assert notice_text(notice).startswith(
        f"Motion M{motion_id} (Adopt the charter) failed (closed early: the remaining votes could not "
        "change it)"
    )
    assert await motions.close_if_settled(ctx, motion_id) is False  # already closed: nothing happens


async def test_a_suspended_or_emeritus_member_still_counts_as_a_possible_vote(
    ctx: Context, clock: ManualClock
) -> None:
    who, motion_id = await committee(ctx)
    await roster.update_person(ctx, who["sec"], "gil", status="suspended")
    assert await motions.close_if_settled(ctx, motion_id) is False  # the suspension may be lifted in time
    await bodies.set_state(ctx, who["sec"], "c", "gil", "emeritus")
    assert await Scheduler(ctx, worker="w").sweep() == []
    assert (await motions.show(ctx, motion_id)).motion.phase == "open"
    assert await outbox(ctx, "motion.result") == []

    await roster.update_person(ctx, who["sec"], "gil", status="active")
    await bodies.set_state(ctx, who["sec"], "c", "gil", "active")
    await motions.vote(ctx, who["gil"], motion_id, "yes")  # back in time: gil's vote carries it
    view = await motions.show(ctx, motion_id)
    assert (view.motion.phase, view.motion.outcome) == ("closed", "passed")


async def test_a_removed_member_settles_it(ctx: Context, clock: ManualClock) -> None:
    who, motion_id = await committee(ctx)
    await bodies.remove_member(ctx, who["sec"], "c", "gil")
    assert await motions.close_if_settled(ctx, motion_id) is True
    assert (await motions.show(ctx, motion_id)).motion.outcome == "failed"
    assert len(await outbox(ctx, "motion.result")) == 1


async def test_a_member_leaving_who_could_not_change_it_leaves_it_open(
    ctx: Context, clock: ManualClock
) -> None:
    who = await small_roster(ctx)
    for handle in ("gil", "hal"):
        await roster.add_person(ctx, SYSTEM, handle, handle.title(), organisation="globex")
    await bodies.create_body(ctx, who["sec"], "c", "Committee", "committee", policy="kubernetes")
    for handle in ("alice", "arjun", "bea", "gil", "hal"):
        await bodies.seat(ctx, SYSTEM, "c", handle)
    motion = await motions.propose(ctx, who["alice"], "c", "Adopt")
    await motions.vote(ctx, who["alice"], motion.id or 0, "yes")
    await bodies.leave(ctx, await roster.actor_for_handle(ctx, "hal"), "c")
    assert await Scheduler(ctx, worker="w").sweep() == []  # arjun, bea and gil may still decide it
    assert (await motions.show(ctx, motion.id or 0)).motion.phase == "open"
    assert await outbox(ctx, "motion.result") == []


async def test_an_idle_early_close_check_opens_no_write_transaction(
    ctx: Context, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    who, motion_id = await committee(ctx)
    writes = 0
    real_transaction = ctx.db.transaction

    def counted() -> Any:
        nonlocal writes
        writes += 1
        return real_transaction()

    monkeypatch.setattr(ctx.db, "transaction", counted)
    for _ in range(3):
        assert await scheduling.close_settled_motions(ctx) == []  # open, and gil could still carry it
    assert writes == 0
    monkeypatch.setattr(ctx.db, "transaction", real_transaction)

    await bodies.leave(ctx, who["gil"], "c")
    monkeypatch.setattr(ctx.db, "transaction", counted)
    assert [o.key for o in await scheduling.close_settled_motions(ctx)] == [f"motion:{motion_id}:settled"]
    assert writes == 1  # the one motion that became settled, closed under its lock
