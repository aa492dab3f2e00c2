"""Deadlines on both backends: a restart across a voting deadline closes the election and posts the result
exactly once; reminders reach exactly the eligible non-voters, never twice, and a stale one is skipped;
editing a timeline moves its rows and jobs instead of adding new ones."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from bot.scheduler import Scheduler
from governance.clock import ManualClock
from governance.errors import Conflict, Forbidden, InvalidInput
from governance.services import bodies, elections, motions, roster, scheduling
from governance.services.common import Context
from governance.services.scheduling import reminders
from tests.factories import SYSTEM, VOTING_REPS, audit_kinds, board_voting, outbox, tasks
from tests.fakes.notices import notice_text


async def test_restart_across_the_voting_deadline_closes_once_and_posts_the_result_once(
    ctx: Context, clock: ManualClock
) -> None:
    deadline = await board_voting(ctx, clock)
    await elections.cast_ballot(ctx, await roster.actor_for_handle(ctx, "alice"), "board-2027", ["chen"])
    await elections.cast_ballot(ctx, await roster.actor_for_handle(ctx, "bea"), "board-2027", ["farid"])
    first = Scheduler(ctx, worker="before-crash")
    assert await first.start(paused=True) >= 4  # close + three reminders
    assert await first.sweep() == []
    first.shutdown()  # the bot goes down ...

    clock.set(deadline + timedelta(days=2))  # ... and comes back two days after the deadline
    second = Scheduler(ctx, worker="after-restart")
    restored = await second.start(paused=True)
    election = (await elections.show(ctx, "board-2027")).election
    assert f"election:{election.id}:close" in second.jobs and restored >= 4
    outcomes = await second.sweep()
    again = await second.sweep()
    other = await scheduling.run_due(ctx, "another-worker")
    second.shutdown()

    assert again == [] and other == []
    by_key = {o.key: o.result for o in outcomes}
    assert by_key[f"election:{election.id}:close"] == "done"
    assert all(r.startswith("skipped") for k, r in by_key.items() if ":remind:" in k)
    view = await elections.show(ctx, "board-2027")
    assert view.election.phase == "closed"
    results = await outbox(ctx, "election.result")
    assert len(results) == 1 and "Chen Wei" in notice_text(results[0][1])
    assert await outbox(ctx, "election.reminder") == []  # no burst of stale reminders
    stream = "election:board-2027"
    assert len(await audit_kinds(ctx, stream, "election.closed")) == 1
    [ran] = await audit_kinds(ctx, stream, "schedule.ran")
    payload = json.loads(ran.payload)
    assert payload["due_at"] == deadline.isoformat()
    assert payload["ran_at"] == clock.now().isoformat() and payload["late_seconds"] == 2 * 86400
    closed = json.loads((await audit_kinds(ctx, stream, "election.closed"))[0].payload)
    assert closed["due_at"] == deadline.isoformat()
    assert (await tasks(ctx))[f"election:{election.id}:close"].result == "done"


async def test_a_claimed_row_is_held_by_one_worker_until_its_lease_ends(
    ctx: Context, clock: ManualClock
) -> None:
    deadline = await board_voting(ctx, clock)
    clock.set(deadline)
    mine = await scheduling.claim_due(ctx, "a")
    assert [c.kind for c in mine] == ["election.reminder"] * 3 + ["election.close"]
    assert await scheduling.claim_due(ctx, "b") == []  # leased to a
    clock.advance(scheduling.DEFAULT_LEASE + timedelta(seconds=1))  # a crashed: the lease ran out
    theirs = await scheduling.claim_due(ctx, "b")
    assert {c.key for c in theirs} == {c.key for c in mine}
    for task in mine:  # a wakes up late: its rows are no longer its own, so it runs nothing
        assert await scheduling.run_task(ctx, "a", task) is None
    assert (await elections.show(ctx, "board-2027")).election.phase == "voting"
    outcomes = [await scheduling.run_task(ctx, "b", t) for t in theirs]
    assert [o.result for o in outcomes if o][-1] == "done"
    assert len(await outbox(ctx, "election.result")) == 1


async def test_reminders_reach_exactly_the_eligible_non_voters(ctx: Context, clock: ManualClock) -> None:
    deadline = await board_voting(ctx, clock)
    for handle in ("alice", "bea"):
        await elections.cast_ballot(ctx, await roster.actor_for_handle(ctx, handle), "board-2027", ["chen"])
    # arjun, chen, farid and sec are on the roster but not voting representatives: never reminded.
    clock.set(deadline - timedelta(hours=72))
    first = await scheduling.run_due(ctx, "w")
    assert [o.result for o in first] == ["done: 3 reminded"]
    sent = await outbox(ctx, "election.reminder")
    assert sorted(h for h, _ in sent) == sorted(VOTING_REPS - {"alice", "bea"})
    assert all("board-2027" in notice_text(m) and m.dedupe_key for _, m in sent)

    await elections.cast_ballot(ctx, await roster.actor_for_handle(ctx, "dana"), "board-2027", ["chen"])
    clock.set(deadline - timedelta(minutes=30))  # down for two days: the 24 h and 1 h reminders are both due
    second = await scheduling.run_due(ctx, "w")
    assert [o.result for o in second] == ["skipped: a later reminder is due too", "done: 2 reminded"]
    sent = await outbox(ctx, "election.reminder")
    assert sorted(h for h, _ in sent[3:]) == ["carlos", "emma"]
    assert "in 30 minutes" in notice_text(sent[-1][1])

    assert await scheduling.run_due(ctx, "w") == []
    election = (await elections.show(ctx, "board-2027")).election
    task = (await tasks(ctx))[f"election:{election.id}:remind:3600"]
    claimed = scheduling.Claimed(
        task.id or 0, task.key, task.kind, task.subject, task.due_at, task.not_after, {}, 1
    )
    async with ctx.db.transaction() as session:  # the same reminder run again adds no message
        n = await reminders._fan_out(session, ctx, claimed, "election.reminder", [], {})
    assert n == 0 and len(await outbox(ctx, "election.reminder")) == 5


async def test_motion_reminders_reach_seated_members_who_have_not_voted(
    ctx: Context, clock: ManualClock
) -> None:
    await roster.add_person(ctx, SYSTEM, "sec", "Sam Secretariat", admin=True)
    for handle in ("ann", "ben", "cat", "outsider"):
        await roster.add_person(ctx, SYSTEM, handle, handle.title())
    await bodies.create_body(ctx, SYSTEM, "tc", "Technical Committee", "committee")
    for handle in ("ann", "ben", "cat"):
        await bodies.seat(ctx, SYSTEM, "tc", handle)
    ann = await roster.actor_for_handle(ctx, "ann")
    motion = await motions.propose(
        ctx, ann, "tc", "Adopt the licence", deadline=clock.now() + timedelta(days=5)
    )
    await motions.vote(ctx, ann, motion.id or 0, "yes")
    clock.set(motion.deadline - timedelta(hours=23))
    outcomes = await scheduling.run_due(ctx, "w")
    assert [o.key.rsplit(":", 1)[1] for o in outcomes] == ["259200", "86400"]
    assert outcomes[0].result.startswith("skipped") and outcomes[1].result == "done: 2 reminded"
    assert sorted(h for h, _ in await outbox(ctx, "motion.reminder")) == ["ben", "cat"]
    clock.set(motion.deadline)
    closing = await scheduling.run_due(ctx, "w")
    assert [o.result for o in closing] == [
        f"skipped: its deadline ({motion.deadline:%Y-%m-%d %H:%M} UTC) has passed",
        "done",
    ]
    assert (await motions.show(ctx, motion.id or 0)).motion.phase == "closed"
    assert len(await outbox(ctx, "motion.result")) == 1


async def test_editing_a_timeline_moves_its_rows_and_jobs(ctx: Context, clock: ManualClock) -> None:
    deadline = await board_voting(ctx, clock)
    election = (await elections.show(ctx, "board-2027")).election
    key = f"election:{election.id}:close"
    scheduler = Scheduler(ctx, worker="w")
    await scheduler.start(paused=True)
    try:
        assert scheduler.jobs[key] == deadline
        clock.set(deadline - timedelta(hours=71))
        await scheduler.sweep()  # the 72 h reminder goes out
        assert len(await outbox(ctx, "election.reminder")) == 5
        later = deadline + timedelta(days=3)
        sec = await roster.actor_for_handle(ctx, "sec")
        await scheduling.set_election_timeline(ctx, sec, "board-2027", voting_close_at=later)
        rows = await tasks(ctx, f"election:{election.id}")
        assert rows.pop(f"election:{election.id}:close-nominations").result == "cancelled"  # voting opened
        assert len(rows) == 4  # moved, not duplicated
        assert rows[key].due_at == later and rows[key].done_at is None
        remind = rows[f"election:{election.id}:remind:259200"]
        assert remind.due_at == later - timedelta(hours=72) and remind.done_at is None  # re-armed
        await scheduler.restore()
        assert scheduler.jobs[key] == later and len(scheduler.jobs) == 4
        clock.set(deadline - timedelta(minutes=1))  # the old 24 h and 1 h reminders would be due: moved
        assert await scheduler.sweep() == []
        clock.set(deadline)  # the old deadline: voting stays open; the new 72 h reminder (own dedupe keys)
        assert [o.key for o in await scheduler.sweep()] == [f"election:{election.id}:remind:259200"]
        assert (await elections.show(ctx, "board-2027")).election.phase == "voting"
        assert len(await outbox(ctx, "election.reminder")) == 10
        clock.set(later)
        outcomes = await scheduler.sweep()
        assert outcomes[-1].key == key and outcomes[-1].result == "done"
        await elections.certify(ctx, sec, "board-2027")
        await scheduler.restore()
        assert scheduler.jobs == {}
    finally:
        scheduler.shutdown()


async def test_a_refused_timeline_edit_changes_nothing(ctx: Context, clock: ManualClock) -> None:
    deadline = await board_voting(ctx, clock)
    before = await tasks(ctx)
    sec = await roster.actor_for_handle(ctx, "sec")
    alice = await roster.actor_for_handle(ctx, "alice")
    with pytest.raises(InvalidInput, match="in the past"):
        await scheduling.set_election_timeline(
            ctx, sec, "board-2027", voting_close_at=clock.now() - timedelta(1)
        )
    with pytest.raises(Conflict, match="already open"):
        await scheduling.set_election_timeline(ctx, sec, "board-2027", voting_open_at=deadline)
    with pytest.raises(Forbidden):
        await scheduling.set_election_timeline(
            ctx, alice, "board-2027", voting_close_at=deadline + timedelta(1)
        )
    with pytest.raises(InvalidInput, match="at least one date"):
        await scheduling.set_election_timeline(ctx, sec, "board-2027")
    after = await tasks(ctx)
    assert {k: (t.due_at, t.done_at) for k, t in after.items()} == {
        k: (t.due_at, t.done_at) for k, t in before.items()
    }


async def test_a_planned_timeline_opens_and_closes_on_its_own(ctx: Context, clock: ManualClock) -> None:
    from governance import seed

    await seed.seed(ctx, sample_election=False)  # board-2028 is the board's only election
    sec = await roster.actor_for_handle(ctx, "sec")
    start = clock.now()
    await elections.create_election(ctx, sec, "board", "board-2028", "Board 2028", seats=1)
    await scheduling.set_election_timeline(
        ctx,
        sec,
        "board-2028",
        nominations_open_at=start + timedelta(days=1),
        nominations_close_at=start + timedelta(days=8),
        voting_close_at=start + timedelta(days=15),
    )
    clock.set(start + timedelta(days=1))
    assert [o.result for o in await scheduling.run_due(ctx, "w")] == ["done"]
    assert (await elections.show(ctx, "board-2028")).election.phase == "nominating"
    await elections.nominate(ctx, await roster.actor_for_handle(ctx, "dana"), "board-2028")
    clock.set(start + timedelta(days=8))
    assert [o.result for o in await scheduling.run_due(ctx, "w")] == ["done"]
    view = await elections.show(ctx, "board-2028")
    assert view.election.phase == "voting" and view.election.voting_close_at == start + timedelta(days=15)
    clock.set(start + timedelta(days=15))
    await scheduling.run_due(ctx, "w")
    assert (await elections.show(ctx, "board-2028")).election.phase == "closed"
    kinds = [e.kind for e in await audit_kinds(ctx, "election:board-2028", "schedule.ran")]
    assert len(kinds) == 3


async def test_a_scheduled_change_the_service_refuses_is_posted_and_not_retried(
    ctx: Context, clock: ManualClock
) -> None:
    from governance import seed

    await seed.seed(ctx, sample_election=False)
    sec = await roster.actor_for_handle(ctx, "sec")
    await elections.create_election(ctx, sec, "board", "board-2028", "Board 2028", seats=1)
    await scheduling.set_election_timeline(
        ctx, sec, "board-2028", voting_open_at=clock.now() + timedelta(days=1)
    )
    clock.advance(timedelta(days=1))
    [outcome] = await scheduling.run_due(ctx, "w")
    assert outcome.result.startswith("refused: board-2028 has no accepted candidate")
    [(_, notice)] = await outbox(ctx, "schedule.refused")
    assert "did not happen" in notice_text(notice) and notice.body_id is not None
    assert await scheduling.run_due(ctx, "w") == []
