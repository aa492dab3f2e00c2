"""The scheduled transitions of elections and motions: each run through the service that owns it.

A transition checks the phase under the poll's row lock, so one made twice is made once; one found
already made is "done" if an earlier attempt of the same task made it before crashing, else "skipped".
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from governance.errors import NotFound
from governance.i18n import _
from governance.models import AuditEvent, Election, Motion
from governance.services import due, elections, electorate, motions
from governance.services.common import Actor, Context
from governance.services.tasks import SCHEDULER, Claimed, Handler, Ran, subject_id


async def _election(ctx: Context, task: Claimed) -> Election:
    async with ctx.db.reading() as session:
        election = await session.get(Election, subject_id(task.subject))
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
    """Nominations end (voting opens later): ``elections.nominations_closed`` says so."""
    async with ctx.db.transaction() as session:
        election = await elections.election_by_slug(session, (await _election(ctx, task)).slug, lock="update")
        if election.phase != "nominating":
            return await _already(
                session, task, f"election:{election.slug}", f"skipped: {election.slug} is {election.phase}"
            )
        key = f"{task.key}:{task.due_at.isoformat()}"
        await elections.nominations_closed(
            session, ctx, SCHEDULER, election, due_at=task.due_at, dedupe_key=key
        )
    return Ran("done", f"election:{election.slug}")


async def _open_voting(ctx: Context, task: Claimed) -> Ran:
    return await _election_step(ctx, task, ("draft", "nominating"), elections.open_voting)


async def _fix_electorate(ctx: Context, task: Claimed) -> Ran:
    done = await electorate.fix_scheduled(ctx, SCHEDULER, subject_id(task.subject))
    election = await _election(ctx, task)
    return Ran(done, f"election:{election.slug}" if done.startswith("done") else None)


async def _close_election(ctx: Context, task: Claimed) -> Ran:
    return await _election_step(ctx, task, ("voting",), elections.close)


async def _close_motion(ctx: Context, task: Claimed) -> Ran:
    motion_id = subject_id(task.subject)
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


HANDLERS: dict[str, Handler] = {
    due.ELECTION_OPEN_NOMINATIONS: _open_nominations,
    due.ELECTION_CLOSE_NOMINATIONS: _close_nominations,
    due.ELECTION_OPEN_VOTING: _open_voting,
    due.ELECTION_FIX_ELECTORATE: _fix_electorate,
    due.ELECTION_CLOSE: _close_election,
    due.MOTION_CLOSE: _close_motion,
}
