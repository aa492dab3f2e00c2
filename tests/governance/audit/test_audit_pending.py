"""Ballot events are written pending (without waiting for the election's chain head) and sealed into
the chain in order at the next chained append, the close, or ``audit.seal``; edits are still found."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from governance import audit, seed
from governance.clock import ManualClock
from governance.models import AuditEvent
from governance.services import elections, roster
from governance.services.common import Actor, Context
from tests.factories import execute

SYSTEM = Actor.system("setup")
STREAM = "election:board-2027"


async def voting(ctx: Context, clock: ManualClock) -> dict[str, Actor]:
    await seed.seed(ctx)
    await elections.open_voting(ctx, SYSTEM, "board-2027", clock.now() + timedelta(days=7))
    return {h: await roster.actor_for_handle(ctx, h) for h in ("alice", "bea", "sec")}


async def check(ctx: Context) -> audit.ChainCheck:
    async with ctx.db.reading() as session:
        return await audit.verify_stream(session, STREAM)


async def pending_count(ctx: Context) -> int:
    async with ctx.db.reading() as session:
        stmt = select(func.count()).where(AuditEvent.stream == STREAM, AuditEvent.seq.is_(None))  # type: ignore[union-attr,arg-type]
        return int((await session.execute(stmt)).scalar_one())


async def test_ballots_are_pending_until_the_close_seals_them(ctx: Context, clock: ManualClock) -> None:
    who = await voting(ctx, clock)
    before = await check(ctx)
    assert before.ok and before.pending == 0
    await elections.cast_ballot(ctx, who["alice"], "board-2027", ["chen"])
    await elections.cast_ballot(ctx, who["bea"], "board-2027", ["dana", "emma"])
    await elections.cast_ballot(ctx, who["alice"], "board-2027", ["farid"])  # a replacement
    during = await check(ctx)
    assert during.ok and during.pending == 3 and during.events == before.events + 3
    assert during.head == before.head  # the chain's head does not move for a ballot
    async with ctx.db.reading() as session:
        assert await audit.pending_streams(session) == [STREAM]
    await elections.close(ctx, who["sec"], "board-2027")
    after = await check(ctx)
    assert after.ok and after.pending == 0 and after.events == before.events + 4
    async with ctx.db.reading() as session:
        stored = await audit.stream_events(session, STREAM)
        assert await audit.pending_streams(session) == []
    assert [e.seq for e in stored] == list(range(1, len(stored) + 1))
    assert [e.kind for e in stored[-4:]] == [
        "ballot.cast",
        "ballot.cast",
        "ballot.replaced",
        "election.closed",
    ]
    assert audit.verify_chain(STREAM, stored, after.head).ok


async def test_seal_chains_pending_events_in_order(ctx: Context, clock: ManualClock) -> None:
    who = await voting(ctx, clock)
    await elections.cast_ballot(ctx, who["alice"], "board-2027", ["chen"])
    await elections.cast_ballot(ctx, who["bea"], "board-2027", ["dana"])
    async with ctx.db.transaction() as session:
        seq, head = await audit.seal(session, STREAM)
    result = await check(ctx)
    assert result.ok and result.pending == 0 and (result.events, result.head) == (seq, head)
    async with ctx.db.transaction() as session:
        assert await audit.seal(session, STREAM) == (seq, head)  # nothing left to seal


async def test_an_edited_pending_event_is_found_and_never_sealed(ctx: Context, clock: ManualClock) -> None:
    who = await voting(ctx, clock)
    await elections.cast_ballot(ctx, who["alice"], "board-2027", ["chen"])
    await elections.cast_ballot(ctx, who["bea"], "board-2027", ["dana"])
    sealed = (await check(ctx)).events - 2
    async with ctx.db.reading() as session:
        target = (await audit.stream_events(session, STREAM))[-1]
    await execute(ctx, "UPDATE audit_events SET actor = 'person:mallory' WHERE id = :id", id=target.id)
    result = await check(ctx)
    assert not result.ok and result.broken_seq == sealed + 2 and "edited" in (result.problem or "")
    with pytest.raises(audit.TamperedPendingEvent):
        await elections.close(ctx, who["sec"], "board-2027")
    assert await pending_count(ctx) == 2  # the close changed nothing


async def test_a_sealed_ballot_event_edited_is_found(ctx: Context, clock: ManualClock) -> None:
    who = await voting(ctx, clock)
    await elections.cast_ballot(ctx, who["alice"], "board-2027", ["chen"])
    await elections.close(ctx, who["sec"], "board-2027")
    async with ctx.db.reading() as session:
        ballot = next(e for e in await audit.stream_events(session, STREAM) if e.kind == "ballot.cast")
    await execute(ctx, "UPDATE audit_events SET payload = :p WHERE id = :id", p='{"x":1}', id=ballot.id)
    result = await check(ctx)
    assert not result.ok and result.broken_seq == ballot.seq
