"""Storage that does not link a secret ballot to its voter (DESIGN.md invariant 2, beyond the columns).

A ballot row carries no voter column, but *where* and *when* it was stored could still pair it with its
voter's row in ``voters``, written in the same transaction:

* SQLite numbers rows in insertion order (the rowid). ``ballots``, ``ballot_slots`` and
  ``retired_receipts`` are WITHOUT ROWID tables keyed by random ids or keyed tags (see
  ``governance.models``), so their storage order is that of random keys. Nothing is left to do here.
* PostgreSQL stamps every row with the transaction that wrote it (``xmin``) and places new rows in
  heap order (``ctid``): a ballot, its slot and the voter row share both. ``shuffle_poll`` rewrites a
  poll's ballots and slots in one later transaction, in random order, so they all carry that
  transaction's ``xmin`` and a random heap order. It runs at the close (before counting) and from
  ``seal_and_shuffle`` — a periodic job that seals the pending ballot events (which also rewrites them:
  sealing gives them a new ``xmin``) and shuffles the polls they belong to.

What remains, honestly: on PostgreSQL, between a ballot's commit and the next shuffle (the period of
the job; at most until the close) the ``xmin`` and heap position still pair it with its voter for
someone reading the database; the old row versions stay in the heap as dead tuples until VACUUM
reclaims them, and the write-ahead log (and any replica or WAL archive) keeps the original inserts.
On SQLite the write-ahead log holds the pages of recent transactions until a checkpoint. Keep database
files, WAL archives and backups as secret as the server secret.
"""

from __future__ import annotations

import secrets
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from governance import audit
from governance import text as text_rules
from governance.models import Ballot, BallotSlot, Election, Motion, RetiredReceipt

_BALLOTS: Any = Ballot.__table__  # type: ignore[attr-defined]
_SLOTS: Any = BallotSlot.__table__  # type: ignore[attr-defined]
_RETIRED: Any = RetiredReceipt.__table__  # type: ignore[attr-defined]
_RANDOM = secrets.SystemRandom()


async def shuffle_poll(
    session: AsyncSession, *, election_id: int | None = None, motion_id: int | None = None
) -> int:
    """Rewrite a poll's ballots, slots and retired receipts in random order, in the caller's transaction.

    Returns how many ballots were rewritten (0 on SQLite, whose tables keep no insertion order). The
    poll's slots are locked first, so a concurrent replacement waits and then sees the rewritten rows.
    """
    if (election_id is None) == (motion_id is None):
        raise ValueError("shuffle one poll: give election_id or motion_id")
    if session.bind is None or session.bind.dialect.name != "postgresql":
        return 0
    ballot_poll = _BALLOTS.c.election_id if election_id is not None else _BALLOTS.c.motion_id
    slot_poll = _SLOTS.c.election_id if election_id is not None else _SLOTS.c.motion_id
    poll_id = election_id if election_id is not None else motion_id
    slots = [
        dict(r._mapping)
        for r in await session.execute(select(_SLOTS).where(slot_poll == poll_id).with_for_update())
    ]
    ballots = [
        dict(r._mapping)
        for r in await session.execute(select(_BALLOTS).where(ballot_poll == poll_id).with_for_update())
    ]
    if not ballots:
        return 0
    await session.execute(delete(_SLOTS).where(slot_poll == poll_id))
    await session.execute(delete(_BALLOTS).where(ballot_poll == poll_id))
    _RANDOM.shuffle(ballots)
    _RANDOM.shuffle(slots)
    await session.execute(insert(_BALLOTS), ballots)
    if slots:
        await session.execute(insert(_SLOTS), slots)
    # Retired receipts were written with their voter's replacement: rewrite them as well.
    poll = f"election:{election_id}" if election_id is not None else f"motion:{motion_id}"
    retired = list(
        (await session.execute(select(_RETIRED.c.receipt).where(_RETIRED.c.poll == poll))).scalars()
    )
    if retired:
        await session.execute(delete(_RETIRED).where(_RETIRED.c.poll == poll))
        _RANDOM.shuffle(retired)
        await session.execute(insert(_RETIRED), [{"poll": poll, "receipt": r} for r in retired])
    return len(ballots)


async def _poll_of(session: AsyncSession, stream: str) -> dict[str, int] | None:
    kind, _, ref = stream.partition(":")
    if kind == "election":
        found = (await session.execute(select(col(Election.id)).where(col(Election.slug) == ref))).scalar()
        return {"election_id": found} if found is not None else None
    if kind == "motion" and text_rules.NUMBER_RE.fullmatch(ref) and int(ref) <= text_rules.ID_MAX:
        found = (await session.execute(select(col(Motion.id)).where(col(Motion.id) == int(ref)))).scalar()
        return {"motion_id": found} if found is not None else None
    return None


async def seal_stream(session: AsyncSession, stream: str) -> int:
    """Seal one stream's pending events and shuffle the ballots of its poll, in the caller's transaction.

    Returns the stream's new head sequence number. ``audit.TamperedPendingEvent`` stops it (nothing is
    chained past an edited event).
    """
    seq, _head = await audit.seal(session, stream)
    poll = await _poll_of(session, stream)
    if poll is not None:
        await shuffle_poll(session, **poll)
    return seq


async def seal_and_shuffle(session: AsyncSession) -> list[str]:
    """Seal every stream's pending events and shuffle the ballots of the polls they belong to.

    All in the caller's transaction (an export's preparation). The periodic sealer
    (``governance.services.scheduling.sealing.seal_pending``) does the same with one transaction per stream.
    Returns the streams sealed. ``audit.TamperedPendingEvent`` stops it, as it stops a close.
    """
    sealed = []
    for stream in await audit.pending_streams(session):
        await seal_stream(session, stream)
        sealed.append(stream)
    return sealed
