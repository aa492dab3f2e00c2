"""Notices of terms coming to an end: the seated member by direct message, the body's channel once."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlmodel import col

from governance.models import Body, Membership, OutboxMessage, Person
from governance.services.common import Context, notify

TERM_NOTICE_OFFSETS = (timedelta(days=60), timedelta(days=14))


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
