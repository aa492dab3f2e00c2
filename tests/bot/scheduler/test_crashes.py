"""Audit on every path, on both backends: a scheduled job that crashes leaves ``schedule.failed`` (due and
actual time, attempt, error) and is retried; a crash after the transition committed but before its row
was marked done still ends with one ``schedule.ran`` (with the time the transition was made), once; a
refused transition is recorded too."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest

from bot.scheduler import Scheduler
from governance.clock import ManualClock
from governance.services import elections, scheduling
from governance.services.common import Context
from governance.services.scheduling import runner
from tests.factories import audit_kinds, board_voting, outbox, tasks

STREAM = "election:board-2027"


async def test_a_crashing_job_records_schedule_failed_and_is_retried_after_its_backoff(
    ctx: Context, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    deadline = await board_voting(ctx, clock)
    election = (await elections.show(ctx, "board-2027")).election
    key = f"election:{election.id}:close"
    real_close = elections.close
    crashes = 0

    async def close_then_crash(*args: Any, **kwargs: Any) -> Any:
        nonlocal crashes
        crashes += 1
        if crashes == 1:
            raise ConnectionError("server db-7.internal:5432 (/var/run/pg) closed the connection")
        return await real_close(*args, **kwargs)

    monkeypatch.setattr(elections, "close", close_then_crash)
    clock.set(deadline + timedelta(minutes=3))
    outcomes = {o.key: o.result for o in await scheduling.run_due(ctx, "w")}
    assert outcomes[key] == "error: server db-7.internal:5432 (/var/run/pg) closed the connection"
    [failed] = await audit_kinds(ctx, STREAM, "schedule.failed")
    assert failed.actor == "scheduler" and failed.subject == key
    assert json.loads(failed.payload) == {  # the exported stream names the kind, never hosts or paths
        "task": "election.close",
        "due_at": deadline.isoformat(),
        "ran_at": clock.now().isoformat(),
        "late_seconds": 180,
        "attempt": 1,
        "error": "ConnectionError",
        "description": "connection or system error",
        "retry_at": (clock.now() + timedelta(seconds=2)).isoformat(),
    }
    assert "db-7" not in failed.payload and "/var/run" not in failed.payload
    assert await audit_kinds(ctx, STREAM, "schedule.ran") == []
    row = (await tasks(ctx))[key]  # the task's own row (not exported) keeps the message
    assert (
        row.done_at is None
        and row.result
        == "error: ConnectionError: server db-7.internal:5432 (/var/run/pg) closed the connection"
    )
    assert (await elections.show(ctx, "board-2027")).election.phase == "voting"

    assert await scheduling.run_due(ctx, "w") == []  # backing off
    clock.advance(timedelta(seconds=2))
    assert [(o.key, o.result) for o in await scheduling.run_due(ctx, "other")] == [(key, "done")]
    [ran] = await audit_kinds(ctx, STREAM, "schedule.ran")
    assert json.loads(ran.payload)["attempt"] == 2 and json.loads(ran.payload)["result"] == "done"
    assert len(await audit_kinds(ctx, STREAM, "election.closed")) == 1
    assert len(await outbox(ctx, "election.result")) == 1
    assert len(await audit_kinds(ctx, STREAM, "schedule.failed")) == 1


async def test_a_crash_between_the_transition_and_marking_its_row_still_records_schedule_ran_once(
    ctx: Context, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    deadline = await board_voting(ctx, clock)
    election = (await elections.show(ctx, "board-2027")).election
    key = f"election:{election.id}:close"
    real_finish = runner._finish

    async def die_before_marking(ctx: Context, worker: str, task: scheduling.Claimed, ran: Any) -> None:
        if task.kind == "election.close" and worker == "first":
            raise ConnectionError("the database went away after the close committed")
        await real_finish(ctx, worker, task, ran)

    monkeypatch.setattr(runner, "_finish", die_before_marking)
    first = Scheduler(ctx, worker="first")
    clock.set(deadline)
    assert await first.sweep() == []  # the sweep failed (logged); the election is closed all the same
    assert (await elections.show(ctx, "board-2027")).election.phase == "closed"
    assert await audit_kinds(ctx, STREAM, "schedule.ran") == []
    row = (await tasks(ctx))[key]
    assert row.done_at is None and row.claimed_by == "first"  # held until its lease ends

    closed_at = clock.now()
    clock.advance(timedelta(minutes=4))
    assert await scheduling.run_due(ctx, "second") == []  # still leased to the crashed worker
    clock.advance(scheduling.DEFAULT_LEASE)
    assert [(o.key, o.result) for o in await scheduling.run_due(ctx, "second")] == [(key, "done")]
    [ran] = await audit_kinds(ctx, STREAM, "schedule.ran")
    assert json.loads(ran.payload) == {
        "task": "election.close",
        "due_at": deadline.isoformat(),
        "ran_at": closed_at.isoformat(),  # when the close was made, not when it was noticed
        "late_seconds": 0,
        "result": "done",
        "attempt": 2,
        "recorded_at": clock.now().isoformat(),
    }
    assert (await tasks(ctx))[key].result == "done"
    assert await scheduling.run_due(ctx, "third") == []
    assert len(await audit_kinds(ctx, STREAM, "election.closed")) == 1
    assert len(await outbox(ctx, "election.result")) == 1


async def test_a_transition_made_by_hand_while_its_job_was_failing_is_skipped_not_claimed(
    ctx: Context, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    from governance.services import roster

    deadline = await board_voting(ctx, clock)
    election = (await elections.show(ctx, "board-2027")).election
    key = f"election:{election.id}:close"
    real_close = elections.close

    async def crash(*args: Any, **kwargs: Any) -> Any:
        raise ConnectionError("timeout")

    monkeypatch.setattr(elections, "close", crash)
    clock.set(deadline)
    await scheduling.run_due(ctx, "w")
    monkeypatch.setattr(elections, "close", real_close)
    await elections.close(ctx, await roster.actor_for_handle(ctx, "sec"), "board-2027")
    clock.advance(timedelta(seconds=2))
    outcomes = {o.key: o.result for o in await scheduling.run_due(ctx, "w")}
    assert outcomes[key] == "skipped: board-2027 is closed"  # (held while backing off: not cancelled)
    assert await audit_kinds(ctx, STREAM, "schedule.ran") == []  # the secretariat closed it, not the job
    assert len(await audit_kinds(ctx, STREAM, "schedule.failed")) == 1


async def test_a_refused_transition_is_recorded_in_the_audit_log(ctx: Context, clock: ManualClock) -> None:
    from governance import seed
    from governance.services import roster

    await seed.seed(ctx, sample_election=False)
    sec = await roster.actor_for_handle(ctx, "sec")
    await elections.create_election(ctx, sec, "board", "board-2028", "Board 2028", seats=1)
    await scheduling.set_election_timeline(
        ctx, sec, "board-2028", voting_open_at=clock.now() + timedelta(days=1)
    )
    clock.advance(timedelta(days=1))
    [outcome] = await scheduling.run_due(ctx, "w")
    [ran] = await audit_kinds(ctx, "election:board-2028", "schedule.ran")
    payload = json.loads(ran.payload)
    assert payload["result"] == outcome.result and outcome.result.startswith("refused: board-2028 has no")
    assert payload["due_at"] == payload["ran_at"] == clock.now().isoformat()


async def test_a_failing_early_close_check_keeps_the_sweeps_other_work(
    ctx: Context, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    deadline = await board_voting(ctx, clock)
    election = (await elections.show(ctx, "board-2027")).election
    key = f"election:{election.id}:close"

    async def broken(ctx: Context) -> list[scheduling.Outcome]:
        raise ConnectionError("the database went away during the early-close check")

    monkeypatch.setattr(scheduling, "close_settled_motions", broken)
    reported: list[list[scheduling.Outcome]] = []
    scheduler = Scheduler(ctx, worker="w", on_work=reported.append)
    await scheduler.start(paused=True)
    try:
        clock.set(deadline)
        outcomes = await scheduler.sweep()
        assert (key, "done") in [(o.key, o.result) for o in outcomes]
        assert reported == [outcomes]  # on_work still heard of it
        assert key not in scheduler.jobs  # and the jobs were re-timed (restore ran)
    finally:
        scheduler.shutdown()
    assert (await elections.show(ctx, "board-2027")).election.phase == "closed"


def test_a_failure_is_summarised_by_its_kind() -> None:
    assert scheduling.failure_summary(TimeoutError("after 30 s on 10.0.0.7")) == ("TimeoutError", "timed out")
    assert scheduling.failure_summary(KeyError("/etc/govbot/secret")) == ("KeyError", "unexpected error")
