"""The cast fast paths: a change of phase between a ballot's read and its write never lets it in, and
a second ballot of the same voter becomes a replacement; every ballot leaves one pending event."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncConnection

from bot import seed
from governance.clock import ManualClock
from governance.errors import Closed
from governance.models import AuditEvent, Ballot, Voter
from governance.services import elections, roster
from governance.services.common import Actor, Context

SYSTEM = Actor.system("setup")


async def counts(ctx: Context) -> tuple[int, int, int]:
    """Ballots, voters and pending audit events."""
    async with ctx.db.reading() as s:
        ballots = (await s.execute(select(func.count()).select_from(Ballot))).scalar_one()
        voters = (await s.execute(select(func.count()).select_from(Voter))).scalar_one()
        pending = (
            await s.execute(
                select(func.count()).select_from(AuditEvent).where(AuditEvent.seq.is_(None))  # type: ignore[union-attr]
            )
        ).scalar_one()
    return int(ballots), int(voters), int(pending)


async def voting(ctx: Context, clock: ManualClock) -> Actor:
    await seed.seed(ctx)
    await elections.open_voting(ctx, SYSTEM, "board-2027", clock.now() + timedelta(days=7))
    return await roster.actor_for_handle(ctx, "alice")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("UPDATE elections SET phase = 'closed' WHERE slug = 'board-2027'", "not open for voting"),
        (
            "UPDATE elections SET voting_close_at = :now WHERE slug = 'board-2027'",
            "this ballot was not counted",
        ),
    ],
    ids=["closed", "deadline"],
)
async def test_a_close_between_read_and_write_keeps_the_ballot_out(
    ctx: Context, clock: ManualClock, monkeypatch: pytest.MonkeyPatch, change: str, message: str
) -> None:
    if ctx.db.is_sqlite:
        pytest.skip("on SQLite a ballot's read and write are one serial write transaction")
    alice = await voting(ctx, clock)
    real_execute = AsyncConnection.execute

    async def change_before_write(conn: AsyncConnection, statement: Any, *args: Any, **kwargs: Any) -> Any:
        if statement is elections._CAST_FIRST_PG:  # the read is done and passed: now the close commits
            async with ctx.db.engine.begin() as other:
                await other.execute(text(change), {"now": clock.now().replace(tzinfo=None)})
        return await real_execute(conn, statement, *args, **kwargs)

    monkeypatch.setattr(AsyncConnection, "execute", change_before_write)
    with pytest.raises(Closed, match=message):
        await elections.cast_ballot(ctx, alice, "board-2027", ["chen"])
    monkeypatch.undo()
    assert await counts(ctx) == (0, 0, 0)


async def test_a_second_ballot_replaces_the_first(ctx: Context, clock: ManualClock) -> None:
    alice = await voting(ctx, clock)
    first = await elections.cast_ballot(ctx, alice, "board-2027", ["chen"])
    second = await elections.cast_ballot(ctx, alice, "board-2027", ["dana", "chen"])
    assert (first.replaced, second.replaced) == (False, True)
    assert await counts(ctx) == (1, 1, 2)
    async with ctx.db.reading() as s:
        assert (await s.execute(select(Ballot.content))).scalar_one() == '[["dana"], ["chen"]]'
        voter = (await s.execute(select(Voter))).scalar_one()
    assert voter.times == 2 and voter.first_voted_at == voter.last_voted_at == clock.now()
