"""An election or a motion runs to its end under the policy it opened with (DESIGN.md invariant 4)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from governance import seed
from governance.clock import ManualClock
from governance.errors import Conflict
from governance.models import Ballot, Election, Motion
from governance.services import elections, motions, roster
from governance.services.common import Context


async def _source_changed(ctx: Context, table: type[Election] | type[Motion]) -> None:
    """As if the policy's source were edited after the poll opened: the recorded hash no longer matches."""
    async with ctx.db.transaction() as session:
        await session.execute(update(table).values(policy_hash="0" * 64))


async def _ballots(ctx: Context) -> int:
    async with ctx.db.reading() as session:
        return int((await session.execute(select(func.count()).select_from(Ballot))).scalar_one())


async def test_a_changed_policy_stops_an_election_and_writes_nothing(
    ctx: Context, clock: ManualClock
) -> None:
    await seed.seed(ctx)
    sec = await roster.actor_for_handle(ctx, "sec")
    await elections.open_voting(ctx, sec, "board-2027", clock.now() + timedelta(days=7))
    await _source_changed(ctx, Election)
    alice = await roster.actor_for_handle(ctx, "alice")
    with pytest.raises(Conflict) as refused:
        await elections.cast_ballot(ctx, alice, "board-2027", ["chen"])
    assert "Election board-2027 opened under policy alliance" in refused.value.message
    assert "restore that policy version" in (refused.value.hint or "")
    with pytest.raises(Conflict):
        await elections.close(ctx, sec, "board-2027")
    assert await _ballots(ctx) == 0
    assert (await elections.show(ctx, "board-2027")).election.phase == "voting"


async def test_a_changed_policy_stops_a_motion_and_writes_nothing(ctx: Context) -> None:
    await seed.seed(ctx)
    alice = await roster.actor_for_handle(ctx, "alice")
    motion = await motions.propose(ctx, alice, "toc", "Adopt the model licence")
    await _source_changed(ctx, Motion)
    with pytest.raises(Conflict) as refused:
        await motions.vote(ctx, alice, motion.id or 0, "yes")
    assert f"Motion M{motion.id} opened under policy alliance" in refused.value.message
    assert await _ballots(ctx) == 0
