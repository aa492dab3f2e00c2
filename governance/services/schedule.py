"""Running due work: claim what is due atomically, run it once, and catch up after downtime.

``scheduled_tasks`` is the source of truth (see ``governance.services.due`` for how rows are kept in
step with timelines). A sweep (``run_due``) claims due rows with one ``UPDATE ... WHERE done_at IS NULL
... RETURNING`` (leased, so a crashed worker's rows come back), runs each through the service that owns
the change, acting as the scheduler, and marks it done with what happened. Every run is idempotent: a
transition checks the phase under the poll's row lock (an election closed twice is closed once), and a
reminder writes one outbox row per person under a dedupe key (never doubled).

Catching up after downtime is the same sweep: a transition whose time passed happens once, and its audit
event ``schedule.ran`` records the due time and the actual time; a reminder that is no longer useful
(its deadline passed, or a later reminder is also due) is skipped, not sent late in a burst.

Also here: deadlines edited after creation (``set_election_timeline``, ``set_motion_deadline``), the
audit sealer for streams with pending ballot events, term-expiry notices, and the review of inactive
working-group members that a chair confirms. Meetings are in ``governance.services.meetings``.
"""

from __future__ import annotations

import itertools
import json
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, exists, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from governance import audit, checkpoints, labels, notices, secrecy
from governance.errors import Conflict, GovError, InvalidInput, NotFound, suggest
from governance.i18n import N_, _
from governance.models import (
    AuditEvent,
    Body,
    Candidate,
    Election,
    MeetingSeries,
    Membership,
    Motion,
    OutboxMessage,
    Person,
    ScheduledTask,
    Voter,
)
from governance.policies import LoadedPolicy
from governance.policies.base import PersonFacts, PollFacts
from governance.services import bodies, bounds, due, elections, electorate, meetings, motions, terms
from governance.services.common import (
    Actor,
    Context,
    actor_facts,
    body_by_slug,
    body_facts,
    enforce,
    facts_columns,
    facts_from_row,
    facts_joins,
    governing_policy,
    notify,
    record,
)
from governance.services.outbox import backoff
from governance.services.tasks import Claimed as Claimed
from governance.services.tasks import Ran as Ran
from governance.services.tasks import useless

log = logging.getLogger(__name__)

SCHEDULER = Actor.system("scheduler")
DEFAULT_LEASE = timedelta(minutes=5)
TRANSITIONS = frozenset(
    {
        due.ELECTION_OPEN_NOMINATIONS,
        due.ELECTION_CLOSE_NOMINATIONS,
        due.ELECTION_OPEN_VOTING,
        due.ELECTION_CLOSE,
        due.MOTION_CLOSE,
    }
)
REMINDERS = frozenset({due.ELECTION_REMINDER, due.MOTION_REMINDER, due.MEETING_REMINDER})
TERM_NOTICE_OFFSETS = (timedelta(days=60), timedelta(days=14))
INACTIVE_AFTER = timedelta(days=180)
_TASKS = ScheduledTask.__table__  # type: ignore[attr-defined]
_OUTBOX = OutboxMessage.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Outcome:
    """One task's run, as the sweep reports it."""

    key: str
    kind: str
    due_at: datetime
    result: str
    sent: int = 0


def _id_of(subject: str) -> int:
    return int(subject.rsplit(":", 1)[1])


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


async def _election(ctx: Context, task: Claimed) -> Election:
    async with ctx.db.reading() as session:
        election = await session.get(Election, _id_of(task.subject))
    if election is None:
        raise NotFound(_("The election of task {task_key} no longer exists.", task_key=task.key))
    return election


_TRANSITION_EVENTS = {
    due.ELECTION_OPEN_NOMINATIONS: "election.nominations_opened",
    due.ELECTION_CLOSE_NOMINATIONS: "election.nominations_closed",
    due.ELECTION_OPEN_VOTING: "election.voting_opened",
    due.ELECTION_CLOSE: "election.closed",
    due.MOTION_CLOSE: "motion.closed",
}


async def _already(session: AsyncSession, task: Claimed, stream: str, skipped: str) -> Ran:
    """A transition found already made. If an earlier attempt of this very task made it and then
    crashed before marking its row done (the scheduler's own event for it is in the stream, at or after
    the due time), it is "done" and its ``schedule.ran`` is recorded now, with the time it was made;
    otherwise (someone made it by hand) it is ``skipped``."""
    if task.attempts > 1:
        made_at = (
            await session.execute(
                select(col(AuditEvent.at))
                .where(
                    col(AuditEvent.stream) == stream,
                    col(AuditEvent.kind) == _TRANSITION_EVENTS[task.kind],
                    col(AuditEvent.actor) == SCHEDULER.label,
                    col(AuditEvent.at) >= task.due_at,
                )
                .order_by(col(AuditEvent.id).desc())
                .limit(1)
            )
        ).scalar_one_or_none()
        if made_at is not None:
            return Ran("done", stream, made_at=made_at)
    return Ran(skipped)


async def _already_made(ctx: Context, task: Claimed, stream: str, skipped: str) -> Ran:
    async with ctx.db.reading() as session:
        return await _already(session, task, stream, skipped)


async def _election_step(
    ctx: Context,
    task: Claimed,
    phases: tuple[str, ...],
    step: Callable[[Context, Actor, str], Awaitable[object]],
) -> Ran:
    """Run an election's scheduled ``step`` in one of ``phases``; else record it as already made."""
    election = await _election(ctx, task)
    if election.phase not in phases:
        return await _already_made(
            ctx, task, f"election:{election.slug}", f"skipped: {election.slug} is {election.phase}"
        )
    await step(ctx, SCHEDULER, election.slug)
    return Ran("done", f"election:{election.slug}")


async def _open_nominations(ctx: Context, task: Claimed) -> Ran:
    return await _election_step(ctx, task, ("draft",), elections.open_nominations)


async def _close_nominations(ctx: Context, task: Claimed) -> Ran:
    """Nominations end (voting opens later): say so, with the candidates standing."""
    async with ctx.db.transaction() as session:
        election = await elections.election_by_slug(session, (await _election(ctx, task)).slug, lock="update")
        if election.phase != "nominating":
            return await _already(
                session, task, f"election:{election.slug}", f"skipped: {election.slug} is {election.phase}"
            )
        names = (
            await session.execute(
                select(col(Person.name))
                .join(Candidate, col(Candidate.person_id) == col(Person.id))
                .where(col(Candidate.election_id) == election.id, col(Candidate.status) == "accepted")
                .order_by(col(Person.name))
            )
        ).scalars()
        standing = list(names)
        await record(
            session,
            ctx,
            SCHEDULER,
            stream=f"election:{election.slug}",
            kind="election.nominations_closed",
            subject=election.slug,
            payload={"candidates": len(standing), "due_at": task.due_at.isoformat()},
        )
        opens = election.voting_open_at
        notify(
            session,
            ctx,
            kind="election.nominations_closed",
            body_id=election.body_id,
            dedupe_key=f"{task.key}:{task.due_at.isoformat()}",
            params={"election": election.slug, "title": election.title, "standing": standing, "opens": opens},
        )
    return Ran("done", f"election:{election.slug}")


async def _open_voting(ctx: Context, task: Claimed) -> Ran:
    return await _election_step(ctx, task, ("draft", "nominating"), elections.open_voting)


async def _fix_electorate(ctx: Context, task: Claimed) -> Ran:
    done = await electorate.fix_scheduled(ctx, SCHEDULER, _id_of(task.subject))
    election = await _election(ctx, task)
    return Ran(done, f"election:{election.slug}" if done.startswith("done") else None)


async def _close_election(ctx: Context, task: Claimed) -> Ran:
    return await _election_step(ctx, task, ("voting",), elections.close)


async def _close_motion(ctx: Context, task: Claimed) -> Ran:
    motion_id = _id_of(task.subject)
    async with ctx.db.reading() as session:
        motion = await session.get(Motion, motion_id)
    if motion is None:
        raise NotFound(_("Motion M{motion_id} no longer exists.", motion_id=motion_id))
    if motion.phase != "open":
        return await _already_made(
            ctx, task, f"motion:{motion_id}", f"skipped: M{motion_id} is {motion.phase}"
        )
    await motions.close(ctx, SCHEDULER, motion_id)
    return Ran("done", f"motion:{motion_id}")


# ---------------------------------------------------------------- reminders


async def _superseded(session: AsyncSession, task: Claimed, now: datetime) -> bool:
    """Whether a later reminder of the same subject is due too (then only the latest is sent)."""
    later = select(_TASKS.c.id).where(
        _TASKS.c.subject == task.subject,
        _TASKS.c.kind == task.kind,
        _TASKS.c.due_at > task.due_at,
        _TASKS.c.due_at <= now,
        _TASKS.c.id != task.id,
    )
    return bool((await session.execute(select(exists(later)))).scalar())


async def eligible_non_voters(
    session: AsyncSession,
    body: Body,
    may_vote: Callable[[Any], Any],
    voted: Any,
) -> list[PersonFacts]:
    """The people the policy lets vote (``may_vote(facts)`` returns None) who are not in ``voted``
    (a subquery of person ids), with the facts the policy saw."""
    stmt = select(*facts_columns()).select_from(Person).where(col(Person.id).not_in(voted))
    rows = (await session.execute(facts_joins(stmt, None, body.id))).all()
    out = []
    for row in rows:
        facts = facts_from_row(row)
        if facts is not None and may_vote(facts) is None:
            out.append(facts)
    return out


async def _fan_out(
    session: AsyncSession,
    ctx: Context,
    task: Claimed,
    kind: str,
    people: Sequence[Any],
    params: Mapping[str, object],
) -> int:
    """One outbox DM per person (the notice ``kind`` with ``params``, checked as ``notify`` checks
    them), keyed by reminder, deadline and person: a re-run adds none."""
    if not people:
        return 0
    payload = json.dumps(notices.encode(kind, params), sort_keys=True)
    now = ctx.now()
    stamp = task.payload.get("deadline", task.due_at.isoformat())
    values = [
        {
            "created_at": now,
            "kind": kind,
            "person_id": p.person_id,
            "body_id": None,
            "text": None,
            "payload": payload,
            "dedupe_key": f"{task.key}:{stamp}:{p.person_id}"[:200],
            "attempts": 0,
        }
        for p in people
    ]
    dialect: Any = sqlite if ctx.db.is_sqlite else postgresql
    stmt = dialect.insert(_OUTBOX).on_conflict_do_nothing(index_elements=["dedupe_key"])
    total = 0
    for start in range(0, len(values), 1000):
        result = await session.execute(stmt, values[start : start + 1000])
        total += max(0, getattr(result, "rowcount", 0) or 0)
    return total or len(values)


async def _remind_election(ctx: Context, task: Claimed) -> Ran:
    now = ctx.now()
    if skip := useless(task, now):
        return Ran(skip)
    async with ctx.db.transaction() as session:
        election = await session.get(Election, _id_of(task.subject))
        if election is None or election.phase != "voting":
            return Ran(f"skipped: voting is not open ({election.phase if election else 'deleted'})")
        if await _superseded(session, task, now):
            return Ran("skipped: a later reminder is due too")
        policy = governing_policy(
            election.policy_name,
            election.policy_version,
            election.policy_hash,
            _("Election {slug}", slug=election.slug),
        )
        body = await session.get(Body, election.body_id)
        assert body is not None and election.voting_close_at is not None
        poll = PollFacts(election.slug, body_facts(body), election.seats, election.phase)
        voted = select(col(Voter.person_id)).where(col(Voter.election_id) == election.id)
        listed = {e.person_id for e in await electorate.frozen(session, election) or []}
        people = await eligible_non_voters(
            session,
            body,
            lambda f: electorate.vote_refusal(
                policy, poll, f, fixed_at=election.electorate_fixed_at, listed=f.person_id in listed
            ),
            voted,
        )
        params = {
            "election": election.slug,
            "title": election.title,
            "closes": election.voting_close_at,
            "as_of": now,
        }
        sent = await _fan_out(session, ctx, task, "election.reminder", people, params)
    return Ran(f"done: {len(people)} reminded", sent=sent)


async def _remind_motion(ctx: Context, task: Claimed) -> Ran:
    now = ctx.now()
    if skip := useless(task, now):
        return Ran(skip)
    async with ctx.db.transaction() as session:
        motion = await session.get(Motion, _id_of(task.subject))
        if motion is None or motion.phase != "open":
            return Ran(f"skipped: the motion is not open ({motion.phase if motion else 'deleted'})")
        if await _superseded(session, task, now):
            return Ran("skipped: a later reminder is due too")
        policy: LoadedPolicy = governing_policy(
            motion.policy_name, motion.policy_version, motion.policy_hash, _("Motion M{id}", id=motion.id)
        )
        body = await session.get(Body, motion.body_id)
        assert body is not None
        facts = body_facts(body)
        voted = select(col(Voter.person_id)).where(col(Voter.motion_id) == motion.id)
        people = await eligible_non_voters(
            session, body, lambda f: policy.may_vote_on_motion(facts, f), voted
        )
        params = {
            "motion": motion.id,
            "title": motion.title,
            "body_name": body.name,
            "deadline": motion.deadline,
            "as_of": now,
        }
        sent = await _fan_out(session, ctx, task, "motion.reminder", people, params)
    return Ran(f"done: {len(people)} reminded", sent=sent)


Handler = Callable[[Context, Claimed], Awaitable[Ran]]
HANDLERS: dict[str, Handler] = {
    due.ELECTION_OPEN_NOMINATIONS: _open_nominations,
    due.ELECTION_CLOSE_NOMINATIONS: _close_nominations,
    due.ELECTION_OPEN_VOTING: _open_voting,
    due.ELECTION_FIX_ELECTORATE: _fix_electorate,
    due.ELECTION_CLOSE: _close_election,
    due.MOTION_CLOSE: _close_motion,
    due.ELECTION_REMINDER: _remind_election,
    due.MOTION_REMINDER: _remind_motion,
    due.MEETING_REMINDER: meetings.remind,
}


# ---------------------------------------------------------------- edited timelines


def _future(ctx: Context, when: datetime | None, what: str) -> None:
    if when is not None and when <= ctx.now():
        raise InvalidInput(
            _("The {what} ({when:%Y-%m-%d %H:%M} UTC) is in the past.", what=_(what), when=when),
            _("Give a time in the future."),
        )


async def set_election_timeline(
    ctx: Context,
    actor: Actor,
    slug: str,
    *,
    nominations_open_at: datetime | None = None,
    nominations_close_at: datetime | None = None,
    voting_open_at: datetime | None = None,
    voting_close_at: datetime | None = None,
) -> Election:
    """Plan or move an election's dates; its scheduled work moves with them (never duplicated).

    Only dates still ahead of the election's phase can change (nominations dates before voting opens;
    the voting deadline until it closes); each must be in the future and the whole must be in order.
    """
    given = {
        N_("nominations opening"): nominations_open_at,
        N_("nomination deadline"): nominations_close_at,
        N_("voting opening"): voting_open_at,
        N_("voting deadline"): voting_close_at,
    }
    if all(v is None for v in given.values()):
        raise InvalidInput(
            _("Give at least one date to change."),
            _("Options: --nominations-open, --nominations-close, --voting-open, --voting-close."),
        )
    for what, when in given.items():
        _future(ctx, when, what)
    async with ctx.db.transaction() as session:
        election = await elections.election_by_slug(session, slug, lock="update")
        policy = governing_policy(
            election.policy_name,
            election.policy_version,
            election.policy_hash,
            _("Election {slug}", slug=election.slug),
        )
        body = await session.get(Body, election.body_id)
        assert body is not None
        enforce(policy.may_run_elections(await actor_facts(session, actor, body), body_facts(body)), policy)
        phase = election.phase
        if phase in ("closed", "certified", "cancelled"):
            raise Conflict(
                _(
                    "{slug} is {phase}; its dates can no longer change.",
                    slug=election.slug,
                    phase=labels.label(labels.ELECTION_PHASES, phase),
                )
            )
        if nominations_open_at is not None and phase != "draft":
            raise Conflict(
                _(
                    "Nominations for {slug} already opened ({phase}).",
                    slug=election.slug,
                    phase=labels.label(labels.ELECTION_PHASES, phase),
                )
            )
        if (nominations_close_at is not None or voting_open_at is not None) and phase == "voting":
            raise Conflict(
                _(
                    "Voting in {election_slug} is already open; only --voting-close can change.",
                    election_slug=election.slug,
                )
            )
        changed: dict[str, str] = {}
        for field_name, value in (
            ("nominations_open_at", nominations_open_at),
            ("nominations_close_at", nominations_close_at),
            ("voting_open_at", voting_open_at),
            ("voting_close_at", voting_close_at),
        ):
            if value is not None:
                setattr(election, field_name, value)
                changed[field_name] = value.isoformat()
        order = [
            (N_("nominations opening"), election.nominations_open_at if phase == "draft" else None),
            (N_("nomination deadline"), election.nominations_close_at if phase != "voting" else None),
            (N_("voting opening"), election.voting_open_at if phase != "voting" else None),
            (N_("voting deadline"), election.voting_close_at),
        ]
        known = [(w, t) for w, t in order if t is not None]
        for (first, a), (second, b) in itertools.pairwise(known):
            if b < a:
                raise InvalidInput(
                    _("The {second} must come after the {first}.", second=_(second), first=_(first))
                )
        rules = policy.election_rules(body_facts(body))
        planned: dict[str, Any] = {}
        choices = bounds.planned_period(ctx.now(), policy, rules, election)  # refused outside the bounds
        if choices and voting_close_at is not None:
            planned["choices"] = choices
        if rules.staggered and (voting_close_at is not None or nominations_close_at is not None):
            # The seats free by the close follow it: plan again (a count fixed by open voting may not change).
            now, voting_close = ctx.now(), election.voting_close_at
            close = terms.planned_close(
                now,
                rules,
                election.nominations_close_at,
                voting_close if voting_close is not None and voting_close > now else None,
            )
            plan = await terms.replan(
                session, ctx, actor, election, body, rules, policy, close, fixed=phase == "voting"
            )
            planned = {"seats": election.seats, "seat_plan": plan.to_json()}
        await record(
            session,
            ctx,
            actor,
            stream=f"election:{election.slug}",
            kind="election.timeline_changed",
            subject=election.slug,
            payload={**changed, **planned},
        )
        if phase in ("nominating", "voting"):
            notify(
                session,
                ctx,
                kind="election.timeline_changed",
                body_id=body.id,
                params={"election": election.slug, "title": election.title, "changes": dict(changed)},
            )
        await due.sync_election(session, ctx, election, rules)
        return election


async def set_motion_deadline(ctx: Context, actor: Actor, ref: str | int, deadline: datetime) -> Motion:
    """Move an open motion's deadline (the secretariat); its close and reminders move with it."""
    _future(ctx, deadline, N_("deadline"))
    async with ctx.db.transaction() as session:
        motion = await motions.motion_by_ref(session, ref, lock="update")
        policy = governing_policy(
            motion.policy_name, motion.policy_version, motion.policy_hash, _("Motion M{id}", id=motion.id)
        )
        if motion.phase != "open":
            raise Conflict(
                _(
                    "Motion M{id} is {phase}; its deadline can no longer change.",
                    id=motion.id,
                    phase=labels.label(labels.MOTION_PHASES, motion.phase),
                )
            )
        body = await session.get(Body, motion.body_id)
        assert body is not None
        facts = await actor_facts(session, actor, body)
        enforce(policy.may_administer(facts, _("move a motion's deadline")), policy)
        rules = policy.motion_rules(body_facts(body), motion.kind)
        choices = bounds.check_period(policy, rules.bounds, rules.voting_days, deadline - motion.opened_at)
        before = motion.deadline
        motion.deadline = deadline
        await record(
            session,
            ctx,
            actor,
            stream=f"motion:{motion.id}",
            kind="motion.deadline_changed",
            subject=f"M{motion.id}",
            payload={"from": before.isoformat(), "to": deadline.isoformat(), "choices": choices},
        )
        notify(
            session,
            ctx,
            kind="motion.deadline_changed",
            body_id=body.id,
            params={"motion": motion.id, "title": motion.title, "deadline": deadline},
        )
        await due.sync_motion(session, ctx, motion, rules)
        return motion


# ---------------------------------------------------------------- periodic upkeep


async def seal_pending(ctx: Context) -> dict[str, int]:
    """The periodic audit sealer: chain pending ballot events, shuffle their polls' ballots, anchor heads.

    For each stream with pending events, ``secrecy.seal_stream`` gives them their places in the chain
    and rewrites the poll's stored ballots in random order (on PostgreSQL, so that no ballot keeps the
    transaction stamp it shares with its voter's row for longer than a period); one transaction per
    stream, so one slow stream holds up no other. Then every stream whose head moved is anchored in the
    deployment-wide chain, so deleting or replacing a whole stream is found from then on. Returns the
    sealed streams' new head sequence numbers.
    """
    async with ctx.db.reading() as session:
        streams = await audit.pending_streams(session)
    sealed: dict[str, int] = {}
    for stream in streams:
        async with ctx.db.transaction() as session:
            sealed[stream] = await secrecy.seal_stream(session, stream)
    async with ctx.db.transaction() as session:
        await audit.anchor_all(session, actor=SCHEDULER.label, at=ctx.now())
        await checkpoints.periodic(session, ctx)  # at most hourly, when a head moved
    return sealed


def _term_end_column() -> Any:
    return getattr(Membership, "term_ends_at", None) or Membership.until


async def notify_expiring_terms(ctx: Context, offsets: Sequence[timedelta] = TERM_NOTICE_OFFSETS) -> int:
    """Tell each seated member whose term ends within an offset (60 and 14 days by default), once per
    offset and term end, by DM, and the body's channel once per term end. Returns how many were queued."""
    now = ctx.now()
    term_end = _term_end_column()
    horizon = now + max(offsets, default=timedelta(0))
    queued = 0
    async with ctx.db.transaction() as session:
        rows = (
            await session.execute(
                select(Membership, Person, Body)
                .join(Person, col(Person.id) == col(Membership.person_id))
                .join(Body, col(Body.id) == col(Membership.body_id))
                .where(
                    col(Membership.status) == "active",
                    term_end.is_not(None),
                    term_end > now,
                    term_end <= horizon,
                )
            )
        ).all()
        for membership, person, body in rows:
            ends = getattr(membership, "term_ends_at", None) or membership.until
            assert isinstance(ends, datetime)
            offset = min(o for o in offsets if ends - o <= now)
            key = f"term:{membership.id}:{ends:%Y%m%d%H%M}:{int(offset.total_seconds())}"
            exists_already = (
                await session.execute(
                    select(col(OutboxMessage.id)).where(col(OutboxMessage.dedupe_key) == key)
                )
            ).first()
            if exists_already:
                continue
            notify(
                session,
                ctx,
                kind="term.expiring",
                person_id=person.id,
                dedupe_key=key,
                params={
                    "body": body.slug,
                    "body_name": body.name,
                    "ends": ends,
                    "as_of": now,
                    "person": None,
                    "person_name": None,
                },
            )
            channel_key = f"term:{membership.id}:{ends:%Y%m%d%H%M}:channel"
            if not (
                await session.execute(
                    select(col(OutboxMessage.id)).where(col(OutboxMessage.dedupe_key) == channel_key)
                )
            ).first():
                notify(
                    session,
                    ctx,
                    kind="term.expiring",
                    body_id=body.id,
                    dedupe_key=channel_key,
                    params={
                        "body": body.slug,
                        "body_name": body.name,
                        "ends": ends,
                        "as_of": now,
                        "person": person.handle,
                        "person_name": person.name,
                    },
                )
            queued += 1
    return queued


@dataclass(frozen=True)
class InactiveMember:
    """A working-group member with no recorded activity in the group for the review period."""

    handle: str
    name: str
    since: datetime | None
    last_active: datetime | None


async def inactive_members(
    session: AsyncSession, body: Body, now: datetime, after: timedelta = INACTIVE_AFTER
) -> list[InactiveMember]:
    """Active members of ``body`` who joined before the period and cast no vote on its motions in it."""
    cutoff = now - after
    last_vote = (
        select(func.max(col(Voter.last_voted_at)))
        .join(Motion, col(Motion.id) == col(Voter.motion_id))
        .where(col(Motion.body_id) == body.id, col(Voter.person_id) == col(Person.id))
        .scalar_subquery()
    )
    rows = (
        await session.execute(
            select(col(Person.handle), col(Person.name), col(Membership.since), last_vote)
            .join(Membership, col(Membership.person_id) == col(Person.id))
            .where(
                col(Membership.body_id) == body.id,
                col(Membership.status) == "active",
                col(Membership.state) == "active",  # emeritus or suspended members are not reviewed again
                col(Membership.role).not_in(bodies.CHAIR_ROLES),
                or_(col(Membership.since).is_(None), col(Membership.since) <= cutoff),
            )
            .order_by(col(Person.handle))
        )
    ).all()
    out = []
    for handle, name, since, last in rows:
        if isinstance(last, str):  # SQLite returns an aggregate's timestamp as text
            last = datetime.fromisoformat(last).replace(tzinfo=since.tzinfo if since else None)
        if last is not None and last.tzinfo is None:
            last = last.replace(tzinfo=now.tzinfo)
        if last is None or last <= cutoff:
            out.append(InactiveMember(handle, name, since, last))
    return out


async def review(
    ctx: Context, actor: Actor, slug: str, after: timedelta = INACTIVE_AFTER
) -> tuple[Body, list[InactiveMember]]:
    """The members of a working group inactive for ``after``, for its chair (or the secretariat) to review."""
    if not timedelta(0) <= after <= timedelta(days=3650):
        raise InvalidInput(_("The review period is between 0 and 3650 days."))
    async with ctx.db.reading() as session:
        body = await body_by_slug(session, slug)
        policy = ctx.policy_for(body)
        enforce(policy.may_approve_join(body_facts(body), await actor_facts(session, actor, body)), policy)
        return body, await inactive_members(session, body, ctx.now(), after)


async def confirm_review(
    ctx: Context, actor: Actor, slug: str, handles: Sequence[str], after: timedelta = INACTIVE_AFTER
) -> list[str]:
    """Retire the named members, each of whom must still be inactive (chairs or the secretariat): removed,
    or kept as emeritus where the group's policy says so (``WorkingGroupRules.on_inactive``).

    All or nothing: a handle that is not an inactive member refuses the whole request.
    """
    if not handles:
        raise InvalidInput(
            _("Name the members to remove."), suggest=suggest("see_inactive", ("wg", "review", slug))
        )
    body, inactive = await review(ctx, actor, slug, after)
    known = {m.handle for m in inactive}
    wanted = []
    for handle in handles:
        person_handle = handle.strip().lstrip("@").lower()
        if person_handle not in known:
            raise InvalidInput(
                _(
                    "{person_handle} is not on the inactive list of {body_name}.",
                    person_handle=person_handle,
                    body_name=body.name,
                ),
                suggest=suggest("see_review", ("wg", "review", body.slug)),
            )
        wanted.append(person_handle)
    for handle in wanted:
        await bodies.retire_inactive(  # removed, or kept as emeritus, as the group's policy says
            ctx,
            actor,
            body.slug,
            handle,
            reason=_("Inactive in {body} for {days} days.", body=body.name, days=after.days),
        )
    return wanted


async def post_reviews(ctx: Context, every: timedelta = timedelta(days=30)) -> int:
    """Ask each working group's chairs, once per period, to review members with no recent activity."""
    now = ctx.now()
    period = int(now.timestamp() // every.total_seconds())
    queued = 0
    async with ctx.db.transaction() as session:
        groups = (
            await session.execute(
                select(Body).where(col(Body.kind) == "working_group", col(Body.active).is_(True))
            )
        ).scalars()
        for body in list(groups):
            days = ctx.policy_for(body).working_group_rules(body_facts(body)).inactivity_days
            if days is None:  # the group's policy has no inactivity rule
                continue
            inactive = await inactive_members(session, body, now, timedelta(days=days))
            if not inactive:
                continue
            chairs = (
                await session.execute(
                    select(col(Membership.person_id)).where(
                        col(Membership.body_id) == body.id,
                        col(Membership.status) == "active",
                        col(Membership.role).in_(bodies.CHAIR_ROLES),
                    )
                )
            ).scalars()
            for chair in list(chairs):
                key = f"wg-review:{body.id}:{period}:{chair}"
                if (
                    await session.execute(
                        select(col(OutboxMessage.id)).where(col(OutboxMessage.dedupe_key) == key)
                    )
                ).first():
                    continue
                notify(
                    session,
                    ctx,
                    kind="wg.review",
                    person_id=chair,
                    dedupe_key=key,
                    params={
                        "body": body.slug,
                        "body_name": body.name,
                        "count": len(inactive),
                        "days": days,
                        "names": [m.handle for m in inactive[:20]],
                    },
                )
                queued += 1
    return queued
