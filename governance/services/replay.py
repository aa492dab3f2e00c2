"""A request is acted on once: remember what was accepted, refuse what comes again.

Chat platforms can deliver the same request twice — a Slack request replayed byte for byte within its
five-minute signature window, an Events API retry carrying the same ``event_id``, a Discord
``INTERACTION_CREATE`` delivered again after a gateway resume — and an attacker who captured a signed
Slack request can send it again. Each accepted request leaves its keys (the signature, the event id,
the interaction id) in ``seen_requests``; the insert that finds a key already there is the repeat, on
every replica at once because they share the database. Rows older than the window are pruned as new
ones arrive.

The claim is made before the request is acted on: a request is acted on at most once. A process that
dies between the claim and the action loses that request (its sender saw no answer and can send it
again, which makes a new signature); it never acts twice.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from datetime import timedelta

from sqlalchemy import delete
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from governance.models import SeenRequest
from governance.services.common import Context

# Slack refuses a signature older than five minutes; Discord tokens live 15 minutes. Keep keys a little
# longer than the longest window a repeat could still be accepted in.
WINDOW = timedelta(minutes=20)
PRUNE_EVERY = 60.0  # seconds between two prunes by one process
KEY_LENGTH = 200

_TABLE = SeenRequest.__table__  # type: ignore[attr-defined]


class ReplayGuard:
    """Claims request keys in the database for one process; ``first_time`` is the only entry point."""

    def __init__(self, ctx: Context, *, window: timedelta = WINDOW) -> None:
        self.ctx = ctx
        self.window = window
        self._pruned_at = float("-inf")

    async def first_time(self, keys: Iterable[str]) -> bool:
        """Record ``keys`` as seen; True when none of them was seen before (act on the request), False
        when any was (a replay or a redelivery: do nothing).

        One transaction: the keys are inserted with "do nothing on conflict", so two replicas claiming
        the same key at once cannot both win; the loser sees no row inserted.
        """
        wanted = sorted({k[:KEY_LENGTH] for k in keys if k})
        if not wanted:
            return True
        now = self.ctx.now()
        prune = time.monotonic() - self._pruned_at >= PRUNE_EVERY

        async def claim(session: AsyncSession) -> bool:
            if prune:
                await session.execute(delete(_TABLE).where(_TABLE.c.seen_at < now - self.window))
            fresh = True
            for key in wanted:
                fresh = await _insert(session, key, now) and fresh
            return fresh

        fresh = await self.ctx.db.run(claim)
        if prune:
            self._pruned_at = time.monotonic()
        return fresh


async def _insert(session: AsyncSession, key: str, now: object) -> bool:
    """Insert one key unless present; True when this insert made the row."""
    dialect = session.get_bind().dialect.name
    maker = pg_insert if dialect == "postgresql" else sqlite_insert
    statement = maker(_TABLE).values(key=key, seen_at=now).on_conflict_do_nothing(index_elements=["key"])
    result = await session.execute(statement)
    return bool(result.rowcount)  # type: ignore[attr-defined]
