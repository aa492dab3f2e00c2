"""The scheduler's periodic audit sealer, on both backends: it chains the ballot events cast since the last
round, rewrites secret polls' ballots in random order (PostgreSQL) and anchors every stream's head; its
period is the GOVBOT_AUDIT_SEAL_SECONDS setting."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select, text

from bot.config import Settings
from bot.scheduler import SEAL_JOB, Scheduler
from governance import audit
from governance.clock import ManualClock
from governance.models import AuditEvent
from governance.services import elections, roster
from governance.services.common import Context
from tests.factories import board_voting

STREAM = "election:board-2027"
VOTES = {"alice": ["chen"], "bea": ["farid", "arjun"], "carlos": ["dana"]}


async def _pending(ctx: Context) -> int:
    async with ctx.db.reading() as s:
        rows = await s.execute(select(AuditEvent).where(AuditEvent.seq.is_(None)))  # type: ignore[union-attr]
        return len(rows.scalars().all())


async def test_the_periodic_job_seals_shuffles_and_anchors(ctx: Context, clock: ManualClock) -> None:
    await board_voting(ctx, clock)
    for handle, ranking in VOTES.items():
        await elections.cast_ballot(ctx, await roster.actor_for_handle(ctx, handle), "board-2027", ranking)
    assert await _pending(ctx) == len(VOTES)
    async with ctx.db.reading() as s:
        assert STREAM not in await audit.anchored_heads(s)

    scheduler = Scheduler(ctx, worker="w", seal_seconds=120)
    await scheduler.start(paused=True)
    try:
        assert scheduler.aps is not None
        job = scheduler.aps.get_job(SEAL_JOB)
        assert job is not None and job.trigger.interval == timedelta(seconds=120)
        clock.advance(timedelta(minutes=2))  # the period has passed: run the job as APScheduler would
        sealed = await job.func()
        again = await job.func()  # nothing new: a quiet round seals nothing and anchors nothing
    finally:
        scheduler.shutdown()

    assert await _pending(ctx) == 0
    assert set(sealed) == {STREAM} and again == {}
    async with ctx.db.reading() as s:
        check = await audit.verify_stream(s, STREAM)
        assert check.ok and check.pending == 0 and check.events == sealed[STREAM]
        anchored = await audit.anchored_heads(s)
        head = (
            await s.execute(text("SELECT seq, hash FROM audit_heads WHERE stream = :s"), {"s": STREAM})
        ).one()
        assert anchored[STREAM] == (head[0], head[1])
        anchors = (
            (
                await s.execute(
                    select(AuditEvent).where(AuditEvent.stream == audit.ANCHOR).order_by(AuditEvent.seq)  # type: ignore[arg-type]
                )
            )
            .scalars()
            .all()
        )
        assert [json.loads(a.payload)["stream"] for a in anchors].count(
            STREAM
        ) == 1  # the quiet round added none
        mine = next(a for a in anchors if a.subject == STREAM)
        assert mine.actor == "scheduler" and mine.at == clock.now()
        assert all(c.ok for c in await audit.verify_deployment(s))
        if not ctx.db.is_sqlite:
            # Shuffled: every ballot rewritten in the sealer's transaction, none left in its voter's.
            voter_tx = set((await s.execute(text("SELECT xmin::text FROM voters"))).scalars())
            ballot_tx = set((await s.execute(text("SELECT xmin::text FROM ballots"))).scalars())
            slot_tx = set((await s.execute(text("SELECT xmin::text FROM ballot_slots"))).scalars())
            assert len(ballot_tx) == 1 and not ballot_tx & voter_tx and not slot_tx & voter_tx


async def test_a_tampered_pending_event_stops_the_round_and_is_reported(
    ctx: Context, clock: ManualClock
) -> None:
    """An event edited before sealing is never chained; the job logs and carries on next round."""
    await board_voting(ctx, clock)
    for handle, ranking in VOTES.items():
        await elections.cast_ballot(ctx, await roster.actor_for_handle(ctx, handle), "board-2027", ranking)
    async with ctx.db.transaction() as s:
        await s.execute(
            text("UPDATE audit_events SET payload = :p WHERE seq IS NULL AND kind LIKE 'ballot.%'"),
            {"p": '{"edited":1}'},
        )
    scheduler = Scheduler(ctx, worker="w")
    assert await scheduler.seal() == {}  # the failure is logged, not raised into APScheduler
    assert await _pending(ctx) == len(VOTES)
    async with ctx.db.reading() as s:
        assert not (await audit.verify_stream(s, STREAM)).ok
        assert STREAM not in await audit.anchored_heads(s)


def test_the_period_is_a_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GOVBOT_AUDIT_SEAL_SECONDS", raising=False)
    assert Settings(_env_file=None).audit_seal_seconds == 300.0  # type: ignore[call-arg]
    monkeypatch.setenv("GOVBOT_AUDIT_SEAL_SECONDS", "45")
    assert Settings(_env_file=None).audit_seal_seconds == 45.0  # type: ignore[call-arg]
    monkeypatch.setenv("GOVBOT_AUDIT_SEAL_SECONDS", "0")
    with pytest.raises(ValueError, match="greater than 0"):
        Settings(_env_file=None)  # type: ignore[call-arg]
