"""Running due work: claim what is due atomically, run it once, record what happened.

``scheduled_tasks`` is the source of truth (see ``governance.services.due`` for how rows are kept in
step with timelines). A sweep (``run_due``) claims due rows with one ``UPDATE ... WHERE done_at IS NULL
... RETURNING`` (leased, so a crashed worker's rows come back), runs each through the handler of its kind
(``HANDLERS``: the transitions and reminders of this package, a meeting's reminder in
``governance.services.meetings``), acting as the scheduler, and marks it done with what happened
(``schedule.ran`` in the subject's audit stream: due time and actual time), or gives it back to be
retried after a back-off (``schedule.failed``). Also the queue's reads: ``pending``, ``pending_times``,
``history``.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from governance.errors import GovError
from governance.models import Body, Election, MeetingSeries, Motion, ScheduledTask
from governance.services import due, meetings, motions
from governance.services.common import Context, notify, record
from governance.services.outbox import backoff
from governance.services.scheduling import reminders, transitions
from governance.services.tasks import SCHEDULER, Claimed, Handler, Ran

log = logging.getLogger(__name__)

DEFAULT_LEASE = timedelta(minutes=5)
_TASKS = ScheduledTask.__table__  # type: ignore[attr-defined]

HANDLERS: dict[str, Handler] = {
    **transitions.HANDLERS,
    **reminders.HANDLERS,
    due.MEETING_REMINDER: meetings.remind,
}


@dataclass(frozen=True)
class Outcome:
    """One task's run, as the sweep reports it."""

    key: str
    kind: str
    due_at: datetime
    result: str
    sent: int = 0


# ---------------------------------------------------------------- claiming and running


async def claim_due(
    ctx: Context, worker: str, *, limit: int = 100, lease: timedelta = DEFAULT_LEASE
) -> list[Claimed]:
    """Take up to ``limit`` due, unclaimed (or lease-expired) rows for ``worker``, oldest first.

    One ``UPDATE ... WHERE done_at IS NULL ... RETURNING``: two workers never hold the same row; on
    PostgreSQL rows another claim has locked are skipped rather than waited for.
    """
    now = ctx.now()
    free = and_(
        _TASKS.c.done_at.is_(None),
        _TASKS.c.due_at <= now,
        or_(_TASKS.c.claimed_until.is_(None), _TASKS.c.claimed_until <= now),
    )
    candidates = select(_TASKS.c.id).where(free).order_by(_TASKS.c.due_at, _TASKS.c.id).limit(limit)
    if not ctx.db.is_sqlite:
        candidates = candidates.with_for_update(skip_locked=True)
    stmt = (
        update(_TASKS)
        .where(_TASKS.c.id.in_(candidates.scalar_subquery()), free)
        .values(claimed_by=worker, claimed_until=now + lease, attempts=_TASKS.c.attempts + 1)
        .returning(
            _TASKS.c.id,
            _TASKS.c.key,
            _TASKS.c.kind,
            _TASKS.c.subject,
            _TASKS.c.due_at,
            _TASKS.c.not_after,
            _TASKS.c.payload,
            _TASKS.c.attempts,
        )
    )
    async with ctx.db.transaction() as session:
        rows = (await session.execute(stmt)).all()
    claimed = [Claimed(r[0], r[1], r[2], r[3], r[4], r[5], json.loads(r[6] or "{}"), r[7]) for r in rows]
    return sorted(claimed, key=lambda c: (c.due_at, c.id))


async def run_due(ctx: Context, worker: str, *, limit: int = 100) -> list[Outcome]:
    """One sweep: claim and run everything due now, in due order; returns what each run did."""
    outcomes: list[Outcome] = []
    while True:
        batch = await claim_due(ctx, worker, limit=limit)
        for task in batch:
            outcome = await run_task(ctx, worker, task)
            if outcome is not None:
                outcomes.append(outcome)
        if len(batch) < limit:
            return outcomes


async def close_settled_motions(ctx: Context) -> list[Outcome]:
    """Close every open early-close motion whose outcome became settled without a vote (a member left
    or was removed, so the votes still to come can no longer change it): part of each sweep. One
    read-only pass picks the motions that look settled (``motions.settled_candidates``), so an idle sweep
    writes nothing; each of those is decided once (``motions.close_if_settled`` re-checks under the
    motion's lock) and its result posted once; returns one outcome per motion closed."""
    closed = []
    for motion_id, deadline in await motions.settled_candidates(ctx):
        try:
            if await motions.close_if_settled(ctx, motion_id):
                closed.append(
                    Outcome(f"motion:{motion_id}:settled", due.MOTION_CLOSE, deadline, "done: settled")
                )
        except GovError as exc:  # e.g. its policy's source changed: the deadline's close will say so
            log.warning("motion M%s not checked for an early close: %s", motion_id, exc.message)
    return closed


async def _still_mine(ctx: Context, worker: str, task: Claimed) -> bool:
    """Whether the row is still held by ``worker`` and still due (a timeline edit may have moved it)."""
    async with ctx.db.reading() as session:
        row = (
            await session.execute(
                select(_TASKS.c.claimed_by, _TASKS.c.due_at, _TASKS.c.done_at).where(_TASKS.c.id == task.id)
            )
        ).first()
    return row is not None and row[0] == worker and row[2] is None and row[1] <= ctx.now()


async def run_task(ctx: Context, worker: str, task: Claimed) -> Outcome | None:
    """Run one claimed task and mark it done; on an unexpected error, release it to be retried later.

    Returns None when the row was moved or taken over in the meantime (nothing was run).
    """
    if not await _still_mine(ctx, worker, task):
        return None
    handler = HANDLERS.get(task.kind)
    try:
        if handler is None:
            ran = Ran(f"refused: unknown kind of task {task.kind!r}")
        else:
            ran = await handler(ctx, task)
    except GovError as exc:  # the service refused: permanent, and said why (in the audit log too)
        ran = Ran(f"refused: {exc.message}"[:500], stream=await _stream_for(ctx, task.subject))
        await _tell_refusal(ctx, task, exc)
    except Exception as exc:
        log.exception("scheduled task %s failed; it will be retried", task.key)
        await _release(ctx, worker, task, exc)
        return Outcome(task.key, task.kind, task.due_at, f"error: {exc}"[:500])
    await _finish(ctx, worker, task, ran)
    return Outcome(task.key, task.kind, task.due_at, ran.result, ran.sent)


async def _stream_of(session: AsyncSession, subject: str) -> str:
    """The audit stream of a task's subject: ``election:<slug>``, ``motion:<id>``, a meeting series'
    ``body:<slug>``; ``schedule`` for a subject that no longer exists."""
    kind, _sep, ident = subject.partition(":")
    if ident.isdigit():
        if kind == "motion":
            return subject
        if kind == "election" and (election := await session.get(Election, int(ident))) is not None:
            return f"election:{election.slug}"
        if kind == "meeting" and (series := await session.get(MeetingSeries, int(ident))) is not None:
            body = await session.get(Body, series.body_id)
            if body is not None:
                return f"body:{body.slug}"
    return "schedule"


async def _stream_for(ctx: Context, subject: str) -> str:
    async with ctx.db.reading() as session:
        return await _stream_of(session, subject)


async def _finish(ctx: Context, worker: str, task: Claimed, ran: Ran) -> None:
    """Mark the row done with its result; for a transition, record when it was due and when it ran."""
    async with ctx.db.transaction() as session:
        done = await session.execute(
            update(_TASKS)
            .where(_TASKS.c.id == task.id, _TASKS.c.done_at.is_(None), _TASKS.c.claimed_by == worker)
            .values(done_at=ctx.now(), result=ran.result[:500], claimed_until=None)
        )
        if getattr(done, "rowcount", 0) and ran.stream is not None:
            now = ctx.now()
            ran_at = ran.made_at or now
            await record(
                session,
                ctx,
                SCHEDULER,
                stream=ran.stream,
                kind="schedule.ran",
                subject=task.key,
                payload={
                    "task": task.kind,
                    "due_at": task.due_at.isoformat(),
                    "ran_at": ran_at.isoformat(),
                    "late_seconds": max(0, int((ran_at - task.due_at).total_seconds())),
                    "result": ran.result,
                    "attempt": task.attempts,
                    **({"recorded_at": now.isoformat()} if ran.made_at is not None else {}),
                },
            )


def failure_summary(exc: BaseException) -> tuple[str, str]:
    """What the exported audit stream says of a crash: the exception's type and a short, fixed
    description of its kind. Never its message, which may carry host names, paths or queries (the
    scheduler's log has the whole of it)."""
    if isinstance(exc, TimeoutError):
        description = "timed out"
    elif isinstance(exc, ConnectionError | OSError):
        description = "connection or system error"
    elif isinstance(exc, SQLAlchemyError):
        description = "database error"
    else:
        description = "unexpected error"
    return type(exc).__name__, description


async def _release(ctx: Context, worker: str, task: Claimed, exc: Exception) -> None:
    """Give a failed row back, due again after a back-off that grows with its attempts, and record the
    failure (``schedule.failed``: due and actual time, attempt, the error's type and a fixed description
    from ``failure_summary``) in the subject's audit stream; the row's result keeps the message.

    If even this cannot be written (the database is away), the row stays claimed until its lease ends
    and is retried then."""
    now = ctx.now()
    error = f"{type(exc).__name__}: {exc}"
    kind, description = failure_summary(exc)
    async with ctx.db.transaction() as session:
        released = await session.execute(
            update(_TASKS)
            .where(_TASKS.c.id == task.id, _TASKS.c.claimed_by == worker, _TASKS.c.done_at.is_(None))
            .values(claimed_until=now + backoff(task.attempts), result=f"error: {error}"[:500])
        )
        if getattr(released, "rowcount", 0):
            await record(
                session,
                ctx,
                SCHEDULER,
                stream=await _stream_of(session, task.subject),
                kind="schedule.failed",
                subject=task.key,
                payload={
                    "task": task.kind,
                    "due_at": task.due_at.isoformat(),
                    "ran_at": now.isoformat(),
                    "late_seconds": max(0, int((now - task.due_at).total_seconds())),
                    "attempt": task.attempts,
                    "error": kind,
                    "description": description,
                    "retry_at": (now + backoff(task.attempts)).isoformat(),
                },
            )


async def _tell_refusal(ctx: Context, task: Claimed, exc: GovError) -> None:
    """A scheduled change the service refused is posted to the body's channel, so people can act."""
    async with ctx.db.transaction() as session:
        body_id = await _body_of(session, task.subject)
        notify(
            session,
            ctx,
            kind="schedule.refused",
            body_id=body_id,
            dedupe_key=f"refused:{task.key}:{task.due_at.isoformat()}"[:200],
            params={"task": task.kind, "key": task.key, "reason": exc.message, "hint": exc.hint},
        )


async def _body_of(session: AsyncSession, subject: str) -> int | None:
    kind, _sep, ident = subject.partition(":")
    table: Any = {"election": Election, "motion": Motion}.get(kind)
    if table is None or not ident.isdigit():
        return None
    row = await session.get(table, int(ident))
    return None if row is None else int(row.body_id)


async def pending(
    ctx: Context, *, subject: str | None = None, limit: int | None = None
) -> list[ScheduledTask]:
    """Rows not done yet, soonest first (all of them to rebuild the scheduler's jobs; or one subject's)."""
    async with ctx.db.reading() as session:
        stmt = select(ScheduledTask).where(col(ScheduledTask.done_at).is_(None))
        if subject is not None:
            stmt = stmt.where(col(ScheduledTask.subject) == subject)
        stmt = stmt.order_by(col(ScheduledTask.due_at), col(ScheduledTask.id))
        if limit is not None:
            stmt = stmt.limit(limit)
        return list((await session.execute(stmt)).scalars())


async def pending_times(ctx: Context) -> list[tuple[str, datetime]]:
    """(key, due time) of every row not done yet: what the scheduler turns into timed jobs at start."""
    async with ctx.db.reading() as session:
        rows = await session.execute(
            select(_TASKS.c.key, _TASKS.c.due_at).where(_TASKS.c.done_at.is_(None)).order_by(_TASKS.c.due_at)
        )
        return [(k, d) for k, d in rows.all()]


async def history(ctx: Context, subject: str) -> list[ScheduledTask]:
    """Every row of a subject, done or not, in due order (for `schedule show`)."""
    async with ctx.db.reading() as session:
        stmt = (
            select(ScheduledTask)
            .where(col(ScheduledTask.subject) == subject)
            .order_by(col(ScheduledTask.due_at), col(ScheduledTask.id))
        )
        return list((await session.execute(stmt)).scalars())


# ---------------------------------------------------------------- transitions
