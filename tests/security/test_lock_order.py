"""The periodic anchoring and a close take audit head locks in one order: no deadlock on PostgreSQL.

A close holds its stream's head and then takes the anchor's (its anchored event, its signed checkpoint).
The sealer's ``anchor_all`` seals streams with pending ballot events and anchors every head; had it taken
the anchor first and then waited for a stream a close holds, the two would deadlock and PostgreSQL would
abort one (a close refused with an internal error).
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from sqlalchemy import text

from governance import audit
from governance.db import Database

STREAM = "election:lock-order"
AT = datetime(2027, 1, 1, tzinfo=UTC)


async def _waiting_on_a_lock(db: Database) -> int:
    async with db.reading() as session:
        found = await session.execute(
            text(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                "AND datname = current_database()"
            )
        )
        return int(found.scalar_one())


async def test_a_close_and_the_sealer_do_not_deadlock(db: Database) -> None:
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite runs one write transaction at a time: no lock order to get wrong")
    async with db.transaction() as session:
        event = {"actor": "test", "subject": "lock-order", "payload": {}, "at": AT}
        await audit.append(session, stream=STREAM, kind="election.voting_opened", **event)
        await audit.append_pending(session, stream=STREAM, kind="ballot.cast", **event)

    async def sealer() -> list[str]:
        async with db.transaction() as session:
            return await audit.anchor_all(session, actor="scheduler", at=AT)

    async with db.transaction() as close:
        await audit._lock_head(close, STREAM)  # the close holds its stream's head ...
        task = asyncio.create_task(sealer())
        for _ in range(500):  # ... until the sealer waits for it (bounded: the outcome does not depend on it)
            if await _waiting_on_a_lock(db) or task.done():
                break
            await asyncio.sleep(0.01)
        await audit._lock_head(close, audit.ANCHOR)  # ... then takes the anchor, as its checkpoint does
    assert await task == [STREAM]
    async with db.reading() as session:
        assert (await audit.verify_stream(session, STREAM)).ok
