"""The replay table on both backends: a key is claimed once, by one of several replicas, and forgotten
only after the window (so the table stays small)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import func, select

from governance.clock import ManualClock
from governance.db import Database
from governance.models import SeenRequest
from governance.services.common import Context
from governance.services.replay import WINDOW, ReplayGuard


async def _count(ctx: Context) -> int:
    async with ctx.db.reading() as session:
        return int((await session.execute(select(func.count()).select_from(SeenRequest))).scalar_one())


async def test_a_key_is_claimed_once(ctx: Context) -> None:
    guard = ReplayGuard(ctx)
    assert await guard.first_time(["slack:sig:v0=abc"]) is True
    assert await guard.first_time(["slack:sig:v0=abc"]) is False
    # a Slack retry: new signature, same event id -> refused, and its signature is remembered too
    assert await guard.first_time(["slack:sig:v0=def", "slack:event:Ev1"]) is True
    assert await guard.first_time(["slack:sig:v0=ghi", "slack:event:Ev1"]) is False
    assert await guard.first_time(["slack:sig:v0=ghi"]) is False
    assert await guard.first_time([]) is True
    assert await _count(ctx) == 4


async def test_two_replicas_on_one_database_let_exactly_one_win(
    ctx: Context, db_url: str, clock: ManualClock
) -> None:
    other = Database(db_url)
    try:
        replica = Context(db=other, secret=ctx.secret, clock=clock)
        guards = [ReplayGuard(ctx), ReplayGuard(replica)] * 5
        won = await asyncio.gather(*(g.first_time(["discord:interaction:42"]) for g in guards))
        assert sorted(won) == [False] * 9 + [True]
        assert await ReplayGuard(replica).first_time(["discord:interaction:42"]) is False
    finally:
        await other.dispose()


async def test_old_keys_are_pruned_after_the_window(ctx: Context, clock: ManualClock) -> None:
    await ReplayGuard(ctx).first_time(["old"])
    clock.advance(WINDOW + timedelta(seconds=1))
    await ReplayGuard(ctx).first_time(["new"])  # a fresh guard prunes on its first claim
    async with ctx.db.reading() as session:
        keys = (await session.execute(select(SeenRequest.key))).scalars().all()  # type: ignore[call-overload]
    assert keys == ["new"]
