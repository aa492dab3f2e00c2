"""Fixtures for the bot layer: a context holding the sample alliance, and a way to speak as someone."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from bot import seed
from bot.commands import dispatch
from bot.replies import Reply
from governance.models import AuditHead, metadata
from governance.services import roster
from governance.services.common import Context

Say = Callable[..., Awaitable[Reply]]


@pytest.fixture
async def seeded(ctx: Context, request: pytest.FixtureRequest) -> Context:
    """The context with the sample alliance of ``bot.seed`` in its database.

    A test marked ``@pytest.mark.parametrize("seeded", [False], indirect=True)`` gets it without the
    sample board election, to run board elections of its own (the board's seats are staggered).
    """
    await seed.seed(ctx, sample_election=getattr(request, "param", True))
    return ctx


@pytest.fixture
def say(seeded: Context) -> Say:
    """``await say("alice", "wg join safety")``: run a command line as a person and return the reply."""

    async def run(handle: str, line: str, tz: str = "UTC") -> Reply:
        actor = await roster.actor_for_handle(seeded, handle)
        return await dispatch(seeded, actor, line, tz=ZoneInfo(tz))

    return run


async def snapshot(ctx: Context) -> tuple[dict[str, int], dict[str, tuple[int, str]]]:
    """Row counts of every table and every audit chain's head: what any write would change.

    Leaves out ``seen_requests``, where the chat adapters remember every request they receive (replay
    protection), refused or not.
    """
    counts: dict[str, int] = {}
    async with ctx.db.reading() as session:
        for table in metadata.sorted_tables:
            if table.name == "seen_requests":
                continue
            counts[table.name] = int(
                (await session.execute(select(func.count()).select_from(table))).scalar_one()
            )
        heads = {h.stream: (h.seq, h.hash) for h in (await session.execute(select(AuditHead))).scalars()}
    return counts, heads
