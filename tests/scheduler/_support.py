"""Helpers for the scheduler tests: the seeded alliance with board voting open, and table reads."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from bot import seed
from governance.clock import ManualClock
from governance.models import AuditEvent, OutboxMessage, Person, ScheduledTask
from governance.services import elections
from governance.services.common import Actor, Context

SYSTEM = Actor.system("test")
VOTING_REPS = {"alice", "bea", "carlos", "dana", "emma"}  # the board's electorate in the sample alliance


async def board_voting(ctx: Context, clock: ManualClock, days: int = 7) -> datetime:
    """The sample alliance with board-2027 voting open for ``days``; returns the voting deadline."""
    await seed.seed(ctx)
    deadline = clock.now() + timedelta(days=days)
    await elections.open_voting(ctx, SYSTEM, "board-2027", deadline)
    return deadline


async def outbox(ctx: Context, kind: str) -> list[tuple[str | None, OutboxMessage]]:
    """Outbox rows of a kind with the handle of the person they go to (None for a channel post)."""
    async with ctx.db.reading() as session:
        rows = (
            await session.execute(
                select(OutboxMessage, Person.handle)
                .outerjoin(Person, Person.id == OutboxMessage.person_id)  # type: ignore[arg-type]
                .where(OutboxMessage.kind == kind)  # type: ignore[arg-type]
                .order_by(OutboxMessage.id)  # type: ignore[arg-type]
            )
        ).all()
        return [(handle, message) for message, handle in rows]


async def tasks(ctx: Context, subject: str | None = None) -> dict[str, ScheduledTask]:
    """Scheduled rows by key (of one subject, or all)."""
    async with ctx.db.reading() as session:
        stmt = select(ScheduledTask)
        if subject is not None:
            stmt = stmt.where(ScheduledTask.subject == subject)  # type: ignore[arg-type]
        return {t.key: t for t in (await session.execute(stmt)).scalars()}


async def audit_kinds(ctx: Context, stream: str, kind: str) -> list[AuditEvent]:
    """Audit events of one kind in a stream."""
    async with ctx.db.reading() as session:
        stmt = select(AuditEvent).where(AuditEvent.stream == stream, AuditEvent.kind == kind)  # type: ignore[arg-type]
        return list((await session.execute(stmt.order_by(AuditEvent.id))).scalars())  # type: ignore[arg-type]
