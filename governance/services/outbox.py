"""The outbox: notifications written with the state change that caused them, delivered by the bot layer.

A deliverer claims due messages, sends them, then marks each sent; one that fails is retried later
with a growing delay. A crash between sending and marking re-sends at most that one message, which
is why each message carries its id for the platform adapter to de-duplicate on.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import or_, select, update

from governance.models import OutboxMessage
from governance.services.common import Context

MAX_BACKOFF = timedelta(hours=1)


@dataclass(frozen=True)
class Pending:
    """A message waiting for delivery."""

    id: int
    kind: str
    person_id: int | None
    body_id: int | None
    text: str
    payload: str
    attempts: int


async def due(ctx: Context, limit: int = 100) -> list[Pending]:
    """Messages not yet sent whose next attempt is due, oldest first."""
    async with ctx.db.reading() as session:
        rows = (await session.execute(
            select(OutboxMessage)
            .where(OutboxMessage.sent_at.is_(None))
            .where(or_(OutboxMessage.next_attempt_at.is_(None), OutboxMessage.next_attempt_at <= ctx.now()))
            .order_by(OutboxMessage.id).limit(limit))).scalars().all()
        return [Pending(m.id or 0, m.kind, m.person_id, m.body_id, m.text, m.payload, m.attempts) for m in rows]


async def mark_sent(ctx: Context, message_id: int) -> bool:
    """Mark a message delivered; False when another deliverer already did (so it is not counted twice)."""
    async with ctx.db.transaction() as session:
        result = await session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == message_id, OutboxMessage.sent_at.is_(None))
            .values(sent_at=ctx.now(), attempts=OutboxMessage.attempts + 1, last_error=None)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]


async def mark_failed(ctx: Context, message_id: int, error: str) -> None:
    """Record a failed delivery and schedule the next attempt with exponential back-off."""
    async with ctx.db.transaction() as session:
        message = await session.get(OutboxMessage, message_id)
        if message is None or message.sent_at is not None:
            return
        message.attempts += 1
        message.last_error = error[:500]
        message.next_attempt_at = ctx.now() + min(MAX_BACKOFF, timedelta(seconds=2 ** min(message.attempts, 12)))
