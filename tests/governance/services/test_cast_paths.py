"""The cast fast paths: a change of phase between a ballot's read and its write never lets it in, and
a second ballot of the same voter becomes a replacement; every ballot leaves one pending event."""

from __future__ import annotations

import asyncio
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select, text

from governance import audit, seed
from governance.clock import ManualClock
from governance.db import Database, count_writes
from governance.errors import Closed, Forbidden
from governance.models import AuditEvent, Ballot, Voter
from governance.services import ballot_batch, elections, roster
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
    alice = await voting(ctx, clock)

    async def commit_change() -> None:
        async with ctx.db.transaction() as other:
            await other.execute(text(change), {"now": clock.now().replace(tzinfo=None)})

    real_write = ballot_batch.write_first_ballot

    async def close_before_batch(db: Database, item: ballot_batch.FirstBallot) -> bool:
        await commit_change()  # the read is done and passed; the close commits before the batch is written
        return await real_write(db, item)

    monkeypatch.setattr(ballot_batch, "write_first_ballot", close_before_batch)
    with pytest.raises(Closed, match=message):
        await elections.cast_ballot(ctx, alice, "board-2027", ["chen"])
    monkeypatch.undo()
    assert await counts(ctx) == (0, 0, 0)


async def test_a_second_ballot_replaces_the_first(ctx: Context, clock: ManualClock) -> None:
    alice = await voting(ctx, clock)
    first = await elections.cast_ballot(ctx, alice, "board-2027", ["chen"])
    second = await elections.cast_ballot(ctx, alice, "board-2027", ["dana", "chen"])
    assert (first.replaced, second.replaced) == (False, True)
    for receipt in (first.receipt, second.receipt):  # ten characters of the unambiguous alphabet
        assert re.fullmatch(r"[A-HJ-NP-Z2-9]{5}-[A-HJ-NP-Z2-9]{5}", receipt)
    assert first.receipt != second.receipt
    assert await counts(ctx) == (1, 1, 2)
    async with ctx.db.reading() as s:
        assert (await s.execute(select(Ballot.content))).scalar_one() == '[["dana"], ["chen"]]'
        voter = (await s.execute(select(Voter))).scalar_one()
    assert voter.times == 2 and voter.first_voted_at == voter.last_voted_at == clock.now()


async def many_voters(ctx: Context, n: int) -> list[Actor]:
    """``n`` member organisations, each with its voting representative (before voting opens)."""
    voters = []
    for i in range(n):
        await roster.add_organisation(ctx, SYSTEM, f"org{i}", f"Org {i}")
        await roster.add_person(ctx, SYSTEM, f"rep{i}", f"Rep {i}", organisation=f"org{i}")
        await roster.set_voting_rep(ctx, SYSTEM, f"org{i}", f"rep{i}")
        voters.append(await roster.actor_for_handle(ctx, f"rep{i}"))
    return voters


async def test_ballots_arriving_together_are_each_written_once(ctx: Context, clock: ManualClock) -> None:
    """First ballots cast at the same moment (written in one batch), mixed with a voter who
    has voted already and one who casts twice at once: each voter ends with one ballot, one of the two
    simultaneous ballots is a replacement, and the caller's context counts the write it was given."""
    await seed.seed(ctx)
    voters = await many_voters(ctx, 12)
    await elections.open_voting(ctx, SYSTEM, "board-2027", clock.now() + timedelta(days=7))
    early = voters[0]
    await elections.cast_ballot(ctx, early, "board-2027", ["chen"])

    async def cast(voter: Actor, choice: str) -> tuple[bool, int]:
        written = count_writes()
        receipt = await elections.cast_ballot(ctx, voter, "board-2027", [choice])
        return receipt.replaced, written[0]

    outcomes = await asyncio.gather(*(cast(v, "dana") for v in voters), cast(voters[1], "emma"))
    assert all(writes == 1 for _, writes in outcomes)  # each acknowledgement is a committed write
    assert outcomes[0][0] is True  # the early voter's ballot was replaced
    assert sorted([outcomes[1][0], outcomes[-1][0]]) == [False, True]
    assert sum(not replaced for replaced, _ in outcomes) == len(voters) - 1
    assert await counts(ctx) == (12, 12, 14)
    result = await elections.close(ctx, SYSTEM, "board-2027")
    assert result.ballots == 12
    async with ctx.db.reading() as s:
        assert (await audit.verify_stream(s, "election:board-2027")).ok


async def test_a_failed_batch_writes_nothing_and_its_ballots_go_the_ordinary_way(
    ctx: Context, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A batch that fails part-way (here its last insert names a table that does not exist) is rolled
    back whole: its ballots are then written one by one, none twice and none half-written."""
    await seed.seed(ctx)
    voters = await many_voters(ctx, 6)
    await elections.open_voting(ctx, SYSTEM, "board-2027", clock.now() + timedelta(days=7))
    for name in ("_EVENT", "_PG_FIRST_BALLOTS"):
        broken = getattr(ballot_batch, name).replace("INTO audit_events", "INTO no_such_table")
        monkeypatch.setattr(ballot_batch, name, broken)
    receipts = await asyncio.gather(*(elections.cast_ballot(ctx, v, "board-2027", ["chen"]) for v in voters))
    assert [r.replaced for r in receipts] == [False] * 6
    assert await counts(ctx) == (6, 6, 6)
    async with ctx.db.reading() as s:
        stored = set((await s.execute(select(Ballot.receipt))).scalars().all())
    assert stored == {r.receipt for r in receipts}


async def test_a_suspension_stops_the_next_ballot(ctx: Context, clock: ManualClock) -> None:
    """Nothing about a voter is kept between ballots: suspended after one ballot, they cannot cast the
    next (and the first still stands)."""
    alice = await voting(ctx, clock)
    await elections.cast_ballot(ctx, alice, "board-2027", ["chen"])
    await roster.update_person(ctx, SYSTEM, "alice", status="suspended")
    with pytest.raises(Forbidden, match="suspended"):
        await elections.cast_ballot(ctx, alice, "board-2027", ["dana"])
    assert await counts(ctx) == (1, 1, 1)


async def test_two_replicas_casting_for_the_same_voters_write_one_ballot_each(
    ctx: Context, clock: ManualClock
) -> None:
    """Two bot processes (two ``Database`` objects, two pools, two batch writers) take the same voters'
    ballots at once: their batches overlap, yet every voter ends with one ballot and one who-voted row,
    and one of each voter's two ballots is a replacement."""
    await seed.seed(ctx)
    voters = await many_voters(ctx, 10)
    await elections.open_voting(ctx, SYSTEM, "board-2027", clock.now() + timedelta(days=7))
    other = Context(db=Database(ctx.db.url), secret=ctx.secret, clock=clock)
    try:
        receipts = await asyncio.gather(
            *(elections.cast_ballot(ctx, v, "board-2027", ["chen"]) for v in voters),
            *(elections.cast_ballot(other, v, "board-2027", ["dana"]) for v in reversed(voters)),
        )
    finally:
        await other.db.dispose()
    assert sum(r.replaced for r in receipts) == len(voters)
    assert await counts(ctx) == (10, 10, 20)
    result = await elections.close(ctx, SYSTEM, "board-2027")
    assert result.ballots == 10
