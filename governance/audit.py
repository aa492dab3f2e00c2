"""The append-only, hash-chained audit log: every state change leaves an event that cannot be edited unseen.

Events are grouped in *streams*, one chain each: ``election:<slug>``, ``motion:<id>``, ``body:<slug>``,
``roster``. Each event's hash covers its canonical bytes and the previous event's hash in the same
stream, so editing, deleting, inserting or reordering any event breaks every hash after it. One chain
per poll means voters in different elections never wait on the same row; only the stream's own head
row (``audit_heads``) is locked while an event is appended, and only until the transaction commits —
the same transaction as the state change it records (DESIGN.md invariant 1).

Ballots do not even wait for their own election's head: holding it from the append to the commit
(whose WAL flush alone takes a millisecond or more) would let only one ballot of an election commit at
a time. A ballot's event is written *pending* (``append_pending``): no place in the chain yet, a hash
over its own content, committed with the ballot. The next chained append to the stream (every phase
change; the close, which first waits for the ballots in flight) or ``seal`` gives the pending events
their places in the order they were written, checking each against its content hash first. A chain's
head is only ever recorded or published after sealing, so an export or a result never covers an
unsealed event. Until then a pending event is protected as the newest events of any chain are before
its head is published: ``verify_stream`` reports it and checks its content hash, but anyone who can
write to the database could rewrite both.

**Why this scope, and the anchor.** One chain for the whole deployment would make every state change
of every poll queue on one head row; one chain per stream keeps elections and motions independent
(voters in different elections never touch the same row). What a per-stream chain cannot show on its
own is that a *whole* stream was deleted or replaced by a freshly chained forgery. The deployment-wide
``anchor`` stream closes that gap: whenever a stream reaches a decision (``ANCHORED_KINDS``: an election
closed, certified or cancelled, a motion closed or withdrawn) the stream's new head is appended to the
anchor chain in the same transaction, and ``anchor_all`` (a periodic job, and every export) anchors
any other stream whose head moved. The anchor is appended to rarely — once per decision — so it is
no bottleneck. Verification checks each stream, the anchor chain, and that every anchored head is
still the event it names; an export carries the anchor chain, so a third party checks the same. What
stays unprotected is the tail written since a stream's last anchoring (an election still in voting):
deleting that whole stream is found only once the periodic anchoring has seen it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from governance.chain import ANCHOR as ANCHOR
from governance.chain import ANCHORED_KINDS as ANCHORED_KINDS
from governance.chain import GENESIS as GENESIS
from governance.chain import ChainCheck as ChainCheck
from governance.chain import ChainEvent as ChainEvent
from governance.chain import _quote as _quote
from governance.chain import canonical_json as canonical_json
from governance.chain import check_anchors as check_anchors
from governance.chain import event_body as event_body
from governance.chain import event_hash as event_hash
from governance.chain import event_hash_text as event_hash_text
from governance.chain import pending_hash as pending_hash
from governance.chain import verify_chain as verify_chain
from governance.errors import Conflict, suggest
from governance.i18n import _
from governance.models import AuditEvent, AuditHead


def _utc(at: datetime) -> datetime:
    if at.tzinfo is None:
        raise ValueError("audit events need a timezone-aware time")
    # Hash the time exactly as it will read back from the database: UTC, microseconds.
    return at.astimezone(UTC)


async def _lock_head(session: AsyncSession, stream: str) -> tuple[int, str]:
    """Create the stream's head row if needed and lock it until commit; return (seq, hash).

    A no-op update of an existing head locks it (PostgreSQL; SQLite's write transactions are serial
    already) and returns it, in one round trip.
    """
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    insert_head = (pg_insert if dialect == "postgresql" else sqlite_insert)(AuditHead)
    stmt = (
        insert_head.values(stream=stream, seq=0, hash=GENESIS)
        .on_conflict_do_update(index_elements=["stream"], set_={"stream": insert_head.excluded.stream})
        .returning(col(AuditHead.seq), col(AuditHead.hash))
    )
    row = (await session.execute(stmt)).one()
    return int(row[0]), str(row[1])


class TamperedPendingEvent(Conflict):
    """A pending event no longer matches the hash it was written with: it was edited before sealing.

    Nothing is chained past it and the action that needed the seal (a close, an export) stops, so the
    secretariat sees the alarm instead of a result built on an edited log.
    """


async def _seal_locked(session: AsyncSession, stream: str, seq: int, head: str) -> tuple[int, str]:
    """Chain the stream's pending events after (seq, head), in the order they were written."""
    pending = (
        await session.execute(
            select(
                col(AuditEvent.id),
                col(AuditEvent.at),
                col(AuditEvent.actor),
                col(AuditEvent.kind),
                col(AuditEvent.subject),
                col(AuditEvent.payload),
                col(AuditEvent.hash),
            )
            .where(col(AuditEvent.stream) == stream, col(AuditEvent.seq).is_(None))
            .order_by(col(AuditEvent.id))
        )
    ).all()
    if not pending:
        return seq, head
    updates = []
    for event_id, at, actor, kind, subject, payload, content_hash in pending:
        if pending_hash(stream, at, actor, kind, subject, payload) != content_hash:
            raise TamperedPendingEvent(
                _(
                    "Audit event {event_id} of {stream} does not match the hash it was written with: it was "
                    "edited in the database before it was sealed into the chain.",
                    event_id=event_id,
                    stream=stream,
                ),
                suggest=suggest("audit_verify", "audit verify"),
            )
        seq += 1
        digest = event_hash(head, stream, seq, at, actor, kind, subject, payload)
        updates.append({"event_id": event_id, "seq": seq, "prev_hash": head, "hash": digest})
        head = digest
    table = AuditEvent.__table__  # type: ignore[attr-defined]
    await session.execute(
        update(table)
        .where(table.c.id == bindparam("event_id"))
        .values(seq=bindparam("seq"), prev_hash=bindparam("prev_hash"), hash=bindparam("hash")),
        updates,
    )
    return seq, head


async def _store_head(session: AsyncSession, stream: str, seq: int, head: str) -> None:
    await session.execute(update(AuditHead).where(col(AuditHead.stream) == stream).values(seq=seq, hash=head))


async def seal(session: AsyncSession, stream: str) -> tuple[int, str]:
    """Chain ``stream``'s pending events (see ``append_pending``) in the caller's transaction.

    Returns the new head (seq, hash). Raises ``TamperedPendingEvent`` rather than chain an event that
    was edited since it was written.
    """
    seq, head = await _lock_head(session, stream)
    new_seq, new_head = await _seal_locked(session, stream, seq, head)
    if new_seq != seq:
        await _store_head(session, stream, new_seq, new_head)
    return new_seq, new_head


async def pending_streams(session: AsyncSession) -> list[str]:
    """Streams that have events waiting to be sealed (for a periodic sealing job)."""
    rows = await session.execute(
        select(col(AuditEvent.stream)).where(col(AuditEvent.seq).is_(None)).distinct()
    )
    return sorted(rows.scalars())


async def append(
    session: AsyncSession,
    *,
    stream: str,
    actor: str,
    kind: str,
    subject: str,
    payload: Mapping[str, Any],
    at: datetime,
) -> AuditEvent:
    """Append one event to ``stream``'s chain inside the caller's transaction and return it.

    The stream's pending events are sealed first, so the chain keeps the order in which events were
    written. The head row stays locked until the caller commits.
    """
    at = _utc(at)
    seq, head = await _lock_head(session, stream)
    seq, head = await _seal_locked(session, stream, seq, head)
    seq += 1
    body = canonical_json(payload)
    digest = event_hash(head, stream, seq, at, actor, kind, subject, body)
    event = AuditEvent(
        stream=stream,
        seq=seq,
        at=at,
        actor=actor,
        kind=kind,
        subject=subject,
        payload=body,
        prev_hash=head,
        hash=digest,
    )
    session.add(event)
    await session.flush()
    await _store_head(session, stream, seq, digest)
    if kind in ANCHORED_KINDS and stream != ANCHOR:
        await _anchor_head(session, stream, seq, digest, actor=actor, at=at)
    return event


async def _anchor_head(
    session: AsyncSession, stream: str, seq: int, head: str, *, actor: str, at: datetime
) -> None:
    await append(
        session,
        stream=ANCHOR,
        actor=actor,
        kind="anchor.head",
        subject=stream,
        payload={"stream": stream, "seq": seq, "hash": head},
        at=at,
    )


async def anchored_heads(session: AsyncSession) -> dict[str, tuple[int, str]]:
    """The latest head anchored for each stream: stream -> (seq, hash)."""
    rows = await session.execute(
        select(col(AuditEvent.payload))
        .where(col(AuditEvent.stream) == ANCHOR, col(AuditEvent.kind) == "anchor.head")
        .order_by(col(AuditEvent.seq))
    )
    latest: dict[str, tuple[int, str]] = {}
    for payload in rows.scalars():
        entry = json.loads(payload)
        latest[str(entry["stream"])] = (int(entry["seq"]), str(entry["hash"]))
    return latest


async def anchor_all(session: AsyncSession, *, actor: str, at: datetime) -> list[str]:
    """Seal every stream's pending events and anchor each stream whose head moved since it was anchored.

    For a periodic job and for exports: afterwards, deleting or replacing any whole stream is found by
    ``verify_deployment``. Returns the streams anchored now. Locks the anchor's head until commit.

    Lock order: the streams' heads first, the anchor's last, as a close does (its stream's head, then
    the anchor for its anchored event and checkpoint). Taking the anchor first and then sealing a stream
    a close holds would deadlock the two on PostgreSQL.
    """
    for stream in await pending_streams(session):
        if stream != ANCHOR:
            await seal(session, stream)
    await _lock_head(session, ANCHOR)
    done = await anchored_heads(session)
    heads = (await session.execute(select(AuditHead).where(col(AuditHead.stream) != ANCHOR))).scalars().all()
    anchored = []
    for head in sorted(heads, key=lambda h: h.stream):
        if head.seq > 0 and done.get(head.stream) != (head.seq, head.hash):
            await _anchor_head(session, head.stream, head.seq, head.hash, actor=actor, at=at)
            anchored.append(head.stream)
    return anchored


def pending_values(
    *, stream: str, actor: str, kind: str, subject: str, payload: Mapping[str, Any], at: datetime
) -> dict[str, Any]:
    """The column values of a pending event (for callers that insert it in a statement of their own)."""
    at = _utc(at)
    body = canonical_json(payload)
    return {
        "stream": stream,
        "seq": None,
        "at": at,
        "actor": actor,
        "kind": kind,
        "subject": subject,
        "payload": body,
        "prev_hash": None,
        "hash": pending_hash(stream, at, actor, kind, subject, body),
    }


async def append_pending(
    session: AsyncSession,
    *,
    stream: str,
    actor: str,
    kind: str,
    subject: str,
    payload: Mapping[str, Any],
    at: datetime,
) -> None:
    """Write an event in the caller's transaction without taking the stream's head: it is sealed later.

    For the hot path of casting: thousands of voters append to one election's stream at once, and a
    chained append would make each of them wait for the one before to commit. The event commits with
    its state change all the same (DESIGN.md invariant 1); it joins the chain at the stream's next
    chained append (every phase change, the close) or ``seal``.
    """
    values = pending_values(stream=stream, actor=actor, kind=kind, subject=subject, payload=payload, at=at)
    await session.execute(insert(AuditEvent.__table__), values)  # type: ignore[attr-defined]


async def verify_stream(session: AsyncSession, stream: str) -> ChainCheck:
    """Verify one stream as stored in the database against its recorded head.

    Sealed events must form the chain that ends at the recorded head. Pending events (written by
    ``append_pending`` and not sealed yet) follow it; each must still match the hash of its content, and
    is reported at the place in the chain it would take.
    """
    events = await stream_events(session, stream)
    sealed = [e for e in events if e.seq is not None]
    pending = events[len(sealed) :]
    head = await session.get(AuditHead, stream)
    if head is None:
        check = verify_chain(stream, sealed, GENESIS if events else None, 0 if events else None)
    else:
        check = verify_chain(stream, sealed, head.hash, head.seq)
    if not check.ok or not pending:
        return check
    for place, event in enumerate(pending, start=check.events + 1):
        content = pending_hash(stream, event.at, event.actor, event.kind, event.subject, event.payload)
        if event.stream != stream or content != event.hash:
            problem = f"pending event {event.id}'s content does not match its hash (edited)"
            return ChainCheck(stream, False, place, check.head, place, problem, len(pending))
    return ChainCheck(stream, True, len(events), check.head, pending=len(pending))


async def stream_events(session: AsyncSession, stream: str) -> list[AuditEvent]:
    """All events of a stream in order: the chain, then the pending events in the order they were written."""
    rows = await session.execute(
        select(AuditEvent)
        .where(col(AuditEvent.stream) == stream)
        .order_by(col(AuditEvent.seq).is_(None), col(AuditEvent.seq), col(AuditEvent.id))
    )
    return list(rows.scalars())


async def verify_deployment(session: AsyncSession) -> list[ChainCheck]:
    """Verify every stream, the anchor chain, and every anchored head; one ``ChainCheck`` per stream.

    Problems come first (a stream whose chain breaks, a stream missing or rewritten against the anchor),
    then the streams that verify.
    """
    names = set((await session.execute(select(col(AuditHead.stream)))).scalars())
    names |= set((await session.execute(select(col(AuditEvent.stream)).distinct())).scalars())
    checks = {name: await verify_stream(session, name) for name in sorted(names)}
    if ANCHOR in checks and checks[ANCHOR].ok:
        chains: dict[str, list[str]] = {}
        rows = await session.execute(
            select(col(AuditEvent.stream), col(AuditEvent.hash))
            .where(col(AuditEvent.seq).is_not(None))
            .order_by(col(AuditEvent.stream), col(AuditEvent.seq))
        )
        for stream, digest in rows.all():
            chains.setdefault(stream, []).append(digest)
        anchor_rows = await session.execute(
            select(col(AuditEvent.seq), col(AuditEvent.payload))
            .where(col(AuditEvent.stream) == ANCHOR, col(AuditEvent.kind) == "anchor.head")
            .order_by(col(AuditEvent.seq))
        )
        entries = [(int(seq or 0), json.loads(payload)) for seq, payload in anchor_rows.all()]
        # Check each stream against the anchor; a stream already broken keeps its own report.
        for stream in sorted({str(e["stream"]) for _, e in entries}):
            if stream in checks and not checks[stream].ok:
                continue
            problem = check_anchors(entries, chains, streams=[stream])
            if problem is not None:
                checks[stream] = problem
    return sorted(checks.values(), key=lambda c: (c.ok, c.stream))
