"""A whole election through the services, on both backends: the thread every other test pulls on."""

from __future__ import annotations

from datetime import timedelta

from governance import seed
from governance.clock import ManualClock
from governance.services import elections, roster
from governance.services.common import Context


async def test_sample_alliance_elects_three_with_one_seat_per_organisation(
    ctx: Context, clock: ManualClock
) -> None:
    await seed.seed(ctx)
    sec = await roster.actor_for_handle(ctx, "sec")
    await elections.open_voting(ctx, sec, "board-2027", clock.now() + timedelta(days=7))
    ballots = {
        "alice": ["chen", "arjun", "dana"],
        "bea": ["farid", "emma"],
        "carlos": ["chen", "dana"],
        "dana": ["dana", "emma"],
        "emma": ["emma", "dana", "arjun"],
    }
    for handle, ranking in ballots.items():
        await elections.cast_ballot(ctx, await roster.actor_for_handle(ctx, handle), "board-2027", ranking)
    result = await elections.close(ctx, sec, "board-2027")
    assert result.elected == ["Chen Wei", "Dana Kowalski", "Emma Okafor"]
    assert result.ballots == 5
