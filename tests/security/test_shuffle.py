"""The order ballots are stored in says nothing about the order they were cast in, on both backends.

A few hundred ballots are written in a known order (one transaction, as a busy poll would), then the
close's shuffle (``secrecy.shuffle_poll``) or the periodic sealer's (``secrecy.seal_stream``, which
finds the poll of an election or a motion stream) runs. The physical order read back — PostgreSQL's
heap order (``ctid``), SQLite's table order (its WITHOUT ROWID key) — must be a permutation of the
ballots whose Spearman rank correlation with the cast order is near 0: for n = 300 a random
permutation's correlation has a standard deviation of 1/sqrt(n - 1) ≈ 0.058, so the bound 0.3 is over
five of them (a false alarm about once in two million runs), while an unshuffled PostgreSQL table
reads back at 1.0.
"""

from __future__ import annotations

import secrets

import pytest
from sqlalchemy import insert, select, text
from sqlmodel import col

from governance import secrecy, seed
from governance.models import Ballot, Election
from governance.services import motions
from governance.services.common import Context
from tests.factories import as_, secret_toc

N = 300
BOUND = 0.3


def spearman(order: list[int]) -> float:
    """Rank correlation between positions 0..n-1 and the cast indexes found there (no ties)."""
    n = len(order)
    d2 = sum((pos - cast) ** 2 for pos, cast in enumerate(order))
    return 1 - 6 * d2 / (n * (n * n - 1))


async def _cast_in_order(ctx: Context, **poll: int) -> None:
    """N ballots in one transaction; the receipt records the cast index ``c0000``, ``c0001``...

    On PostgreSQL the table is compacted first: the test database is emptied with DELETE between tests,
    and new rows would otherwise fill the holes earlier tests left, out of insertion order."""
    if await _backend(ctx) == "postgresql":
        async with ctx.db.autocommit() as conn:
            await conn.execute(text("VACUUM FULL ballots"))
    rows = [
        {"id": secrets.token_hex(16), "content": '"yes"', "receipt": f"c{i:04d}", "voter_id": None, **poll}
        for i in range(N)
    ]
    async with ctx.db.transaction() as session:
        for row in rows:  # one statement per ballot, in cast order, as ballots arrive
            await session.execute(insert(Ballot), [row])


async def _stored_order(ctx: Context, column: str, poll_id: int) -> list[int]:
    """Cast indexes in physical storage order (heap order on PostgreSQL, table order on SQLite)."""
    async with ctx.db.reading() as session:
        dialect = session.bind.dialect.name if session.bind is not None else ""
        order = " ORDER BY ctid" if dialect == "postgresql" else ""
        found = await session.execute(
            text(f"SELECT receipt FROM ballots WHERE {column} = :poll{order}"), {"poll": poll_id}
        )
        return [int(r[1:]) for r in found.scalars()]


async def _backend(ctx: Context) -> str:
    async with ctx.db.reading() as session:
        return session.bind.dialect.name if session.bind is not None else ""


async def test_an_elections_ballots_are_stored_out_of_cast_order(ctx: Context) -> None:
    await seed.seed(ctx)
    async with ctx.db.reading() as session:
        eid = (
            await session.execute(select(col(Election.id)).where(col(Election.slug) == "board-2027"))
        ).scalar()
    assert eid is not None
    await _cast_in_order(ctx, election_id=eid)
    before = await _stored_order(ctx, "election_id", eid)
    postgres = await _backend(ctx) == "postgresql"
    if postgres:  # the measure sees insertion order where there is one
        assert spearman(before) > 0.99
    async with ctx.db.transaction() as session:
        moved = await secrecy.shuffle_poll(session, election_id=eid)
    assert moved == (N if postgres else 0)
    after = await _stored_order(ctx, "election_id", eid)
    assert sorted(after) == list(range(N))  # a permutation: nothing lost, nothing added
    assert abs(spearman(after)) < BOUND, spearman(after)
    # the periodic sealer finds the election's poll from its stream and shuffles it again
    async with ctx.db.transaction() as session:
        await secrecy.seal_stream(session, "election:board-2027")
    again = await _stored_order(ctx, "election_id", eid)
    assert sorted(again) == list(range(N)) and abs(spearman(again)) < BOUND
    if postgres:
        assert again != after


async def test_a_secret_motions_ballots_are_shuffled_by_the_sealer(ctx: Context) -> None:
    body = await secret_toc(ctx)
    m = await motions.propose(ctx, await as_(ctx, "alice"), body, "Sensitive", secret=True)
    assert m.id is not None and m.secret
    await _cast_in_order(ctx, motion_id=m.id)
    postgres = await _backend(ctx) == "postgresql"
    if postgres:
        assert spearman(await _stored_order(ctx, "motion_id", m.id)) > 0.99
    async with ctx.db.transaction() as session:
        await secrecy.seal_stream(session, f"motion:{m.id}")
    after = await _stored_order(ctx, "motion_id", m.id)
    assert sorted(after) == list(range(N))
    assert abs(spearman(after)) < BOUND, spearman(after)
    async with ctx.db.transaction() as session:  # a motion that does not exist shuffles nothing
        await secrecy.seal_stream(session, f"motion:{m.id + 1000}")
    assert await _stored_order(ctx, "motion_id", m.id) == after


def test_the_measure_tells_order_from_disorder() -> None:
    assert spearman(list(range(N))) == 1.0
    assert spearman(list(reversed(range(N)))) == -1.0
    shuffled = list(range(N))
    secrets.SystemRandom().shuffle(shuffled)
    assert abs(spearman(shuffled)) < BOUND


async def test_a_shuffle_names_exactly_one_poll(ctx: Context) -> None:
    async with ctx.db.reading() as session:
        for poll in ({}, {"election_id": 1, "motion_id": 1}):
            with pytest.raises(ValueError, match=r"^shuffle one poll: give election_id or motion_id$"):
                await secrecy.shuffle_poll(session, **poll)
