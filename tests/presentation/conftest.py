"""Fixtures for charts and the transparency site: the sample alliance with an election and motions run
to their end through the services, on both database backends."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest

from bot import seed
from governance import tally
from governance.services import elections, motions, roster
from governance.services.common import Actor, Context

# The voting representatives' ballots in the seeded board election (3 seats, Meek STV, one seat per
# organisation): Chen Wei, Dana Kowalski and Emma Okafor are elected over five rounds, Arjun Rao is
# excluded as a sure loser and Farid Haddad is not elected.
BOARD_BALLOTS = {
    "alice": ["chen", "arjun", "dana"],
    "bea": ["farid", "emma", "dana"],
    "carlos": ["chen", "dana", "emma"],
    "dana": ["dana", "emma", "chen"],
    "emma": ["emma", "dana", "farid"],
}


@dataclass(frozen=True)
class Run:
    """What the seeded run produced: the board election's result and the two motions' results."""

    ctx: Context
    board: tally.Result
    roll_call: dict[str, object]
    roll_call_id: int
    charter: dict[str, object]
    charter_id: int


async def as_(ctx: Context, handle: str) -> Actor:
    """The actor for a seeded handle."""
    return await roster.actor_for_handle(ctx, handle)


async def run_board_election(ctx: Context) -> tally.Result:
    """Open voting in the seeded board election, cast the representatives' ballots, close and certify."""
    sec = await as_(ctx, "sec")
    await elections.open_voting(ctx, sec, "board-2027", ctx.now() + timedelta(days=7))
    for handle, choices in BOARD_BALLOTS.items():
        await elections.cast_ballot(ctx, await as_(ctx, handle), "board-2027", choices)
    result = await elections.close(ctx, sec, "board-2027")
    await elections.certify(ctx, sec, "board-2027")
    return result


async def close_motion(ctx: Context, motion_id: int) -> dict[str, object]:
    """Close a motion unless its last vote already settled (and closed) it; its stored result."""
    view = await motions.show(ctx, motion_id)
    if view.motion.phase == "open":
        await motions.close(ctx, await as_(ctx, "sec"), motion_id)
        view = await motions.show(ctx, motion_id)
    assert view.result is not None
    return view.result


async def run_motions(ctx: Context) -> tuple[tuple[int, dict[str, object]], tuple[int, dict[str, object]]]:
    """Two roll-call motions before the TOC, voted and closed: an ordinary one and a charter change."""
    roll_call = await motions.propose(
        ctx, await as_(ctx, "alice"), "toc", "Adopt the model licence", "The OpenWeights licence 1.0."
    )
    for handle, choice in (("alice", "yes"), ("bea", "yes"), ("chen", "no"), ("dana", "abstain")):
        await motions.vote(ctx, await as_(ctx, handle), roll_call.id or 0, choice)
    charter = await motions.propose(
        ctx, await as_(ctx, "alice"), "toc", "Two-year terms for the TOC", kind="charter"
    )
    for handle, choice in (("alice", "yes"), ("bea", "no"), ("chen", "yes")):
        await motions.vote(ctx, await as_(ctx, handle), charter.id or 0, choice)
    return (
        (roll_call.id or 0, await close_motion(ctx, roll_call.id or 0)),
        (charter.id or 0, await close_motion(ctx, charter.id or 0)),
    )


@pytest.fixture
async def run(ctx: Context) -> Run:
    """The sample alliance with the board election certified and two TOC motions closed."""
    await seed.seed(ctx)
    board = await run_board_election(ctx)
    (roll_id, roll), (charter_id, charter) = await run_motions(ctx)
    return Run(ctx, board, roll, roll_id, charter, charter_id)
