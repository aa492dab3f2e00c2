"""The outbox: notifications written with the state change that caused them, delivered by the bot layer.

A deliverer claims due messages (``claim`` leases them, so several bot replicas never pick the same
message at once), sends them, then marks each sent; one that fails is retried later with a growing
delay, and a lease that runs out (the deliverer crashed) makes the message due again. A crash between
sending and marking re-sends at most that one message, which is why each message carries its id for
the platform adapter to de-duplicate on. ``due`` only looks (a single deliverer, such as the console).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import col

from governance import i18n
from governance.models import OutboxMessage
from governance.services.common import Context

MAX_BACKOFF = timedelta(hours=1)
DEFAULT_LEASE = timedelta(minutes=2)


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


def text_in(message: Pending, locale: str) -> str:
    """The message's text in the reader's ``locale`` (as queued, when it was not a translatable message)."""
    try:
        source = json.loads(message.payload).get("i18n")
    except (ValueError, AttributeError):
        return message.text
    return i18n.render_stored(source, locale, message.text) if isinstance(source, dict) else message.text


def _pending(m: OutboxMessage) -> Pending:
    assert m.id is not None
    return Pending(m.id, m.kind, m.person_id, m.body_id, m.text, m.payload, m.attempts)


def _is_due(ctx: Context) -> ColumnElement[bool]:
    return col(OutboxMessage.sent_at).is_(None) & or_(
        col(OutboxMessage.next_attempt_at).is_(None), col(OutboxMessage.next_attempt_at) <= ctx.now()
    )


def backoff(attempts: int) -> timedelta:
    """How long to wait after the ``attempts``-th failed delivery: 2, 4, 8 … seconds, at most an hour."""
    return min(MAX_BACKOFF, timedelta(seconds=2 ** min(max(attempts, 1), 12)))


async def due(ctx: Context, limit: int = 100) -> list[Pending]:
    """Messages not yet sent whose next attempt is due, oldest first (a look; nothing is claimed)."""
    async with ctx.db.reading() as session:
        rows = (
            await session.execute(
                select(OutboxMessage).where(_is_due(ctx)).order_by(col(OutboxMessage.id)).limit(limit)
            )
        ).scalars()
        return [_pending(m) for m in rows]


async def claim(ctx: Context, limit: int = 100, lease: timedelta = DEFAULT_LEASE) -> list[Pending]:
    """Take up to ``limit`` due messages for delivery: no other deliverer gets them until ``lease`` ends.

    On PostgreSQL rows locked by a concurrent claim are skipped rather than waited for; on SQLite the
    write transaction already serialises claims.
    """
    async with ctx.db.transaction() as session:
        stmt = select(OutboxMessage).where(_is_due(ctx)).order_by(col(OutboxMessage.id)).limit(limit)
        if not ctx.db.is_sqlite:
            stmt = stmt.with_for_update(skip_locked=True)
        messages = list((await session.execute(stmt)).scalars())
        for message in messages:
            message.next_attempt_at = ctx.now() + lease
        return [_pending(m) for m in messages]


async def mark_sent(ctx: Context, message_id: int) -> bool:
    """Mark a message delivered; False when another deliverer already did (so it is not counted twice)."""
    async with ctx.db.transaction() as session:
        result = await session.execute(
            update(OutboxMessage)
            .where(col(OutboxMessage.id) == message_id, col(OutboxMessage.sent_at).is_(None))
            .values(sent_at=ctx.now(), attempts=col(OutboxMessage.attempts) + 1, last_error=None)
        )
        return bool(getattr(result, "rowcount", 0))


async def mark_failed(ctx: Context, message_id: int, error: str) -> bool:
    """Record a failed delivery and schedule the next attempt with exponential back-off.

    Returns False (and changes nothing) when the message is unknown or was already delivered.
    """
    async with ctx.db.transaction() as session:
        message = await session.get(OutboxMessage, message_id, with_for_update=not ctx.db.is_sqlite)
        if message is None or message.sent_at is not None:
            return False
        message.attempts += 1
        message.last_error = error[:500]
        message.next_attempt_at = ctx.now() + backoff(message.attempts)
        return True
