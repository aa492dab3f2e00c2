"""The append-only, hash-chained audit log: every state change leaves an event that cannot be edited unseen.

Events are grouped in *streams*, one chain each: ``election:<slug>``, ``motion:<id>``, ``body:<slug>``,
``roster``. Each event's hash covers its canonical bytes and the previous event's hash in the same
stream, so editing, deleting, inserting or reordering any event breaks every hash after it. One chain
per poll means voters in different elections never wait on the same row; only the stream's own head
row (``audit_heads``) is locked while an event is appended, and only until the transaction commits —
the same transaction as the state change it records (DESIGN.md invariant 1).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from governance.models import AuditEvent, AuditHead

GENESIS = "0" * 64


def canonical_json(value: Any) -> str:
    """The one JSON spelling of a value: sorted keys, no spaces, UTF-8 kept, so hashes are reproducible."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def event_hash(
    prev_hash: str, stream: str, seq: int, at: datetime, actor: str, kind: str, subject: str, payload: str
) -> str:
    """The SHA-256 that chains an event to its predecessor; anyone can recompute it from an export."""
    body = canonical_json(
        {
            "stream": stream,
            "seq": seq,
            "at": at.isoformat(),
            "actor": actor,
            "kind": kind,
            "subject": subject,
            "payload": payload,
            "prev": prev_hash,
        }
    )
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


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
    """Append one event to ``stream`` inside the caller's transaction and return it."""
    if at.tzinfo is None:
        raise ValueError("audit events need a timezone-aware time")
    # Hash the time exactly as it will read back from the database: UTC, microseconds.
    at = at.astimezone(UTC)
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    await session.execute(
        insert(AuditHead)
        .values(stream=stream, seq=0, hash=GENESIS)
        .on_conflict_do_nothing(index_elements=["stream"])
    )
    head = (
        await session.execute(
            select(AuditHead)
            .where(col(AuditHead.stream) == stream)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    ).scalar_one()
    seq = head.seq + 1
    body = canonical_json(payload)
    digest = event_hash(head.hash, stream, seq, at, actor, kind, subject, body)
    event = AuditEvent(
        stream=stream,
        seq=seq,
        at=at,
        actor=actor,
        kind=kind,
        subject=subject,
        payload=body,
        prev_hash=head.hash,
        hash=digest,
    )
    session.add(event)
    head.seq = seq
    head.hash = digest
    await session.flush()
    return event


@dataclass(frozen=True, slots=True)
class ChainCheck:
    """The outcome of verifying one stream: ``ok``, the head hash, and the first event that breaks."""

    stream: str
    ok: bool
    events: int
    head: str
    broken_seq: int | None = None
    problem: str | None = None


def verify_chain(
    stream: str,
    events: Iterable[AuditEvent],
    expected_head: str | None = None,
    expected_seq: int | None = None,
) -> ChainCheck:
    """Check that ``events`` (in stored order) form an unbroken chain; name the first event that does not.

    ``expected_head`` (and ``expected_seq``) are the head recorded when the last event was appended, or
    published with an export: events after it were inserted, and a head never reached means events at
    the end were deleted.
    """
    prev = GENESIS
    count = 0
    head_at: int | None = 0 if expected_head == GENESIS else None
    for expected_seq_here, event in enumerate(events, start=1):
        count = expected_seq_here
        if event.stream != stream:
            return ChainCheck(stream, False, count, prev, event.seq, f"it belongs to stream {event.stream!r}")
        if event.seq != expected_seq_here:
            problem = f"expected event {expected_seq_here}, found {event.seq} (events deleted or reordered)"
            return ChainCheck(stream, False, count, prev, expected_seq_here, problem)
        if event.prev_hash != prev:
            problem = (
                "its previous-hash does not match the event before it (events deleted, inserted or swapped)"
            )
            return ChainCheck(stream, False, count, prev, event.seq, problem)
        digest = event_hash(
            prev, event.stream, event.seq, event.at, event.actor, event.kind, event.subject, event.payload
        )
        if digest != event.hash:
            return ChainCheck(
                stream, False, count, prev, event.seq, "its content does not match its hash (edited)"
            )
        prev = digest
        if head_at is None and expected_head is not None and digest == expected_head:
            head_at = count
    if expected_head is not None and expected_head != prev:
        if head_at is not None:
            return ChainCheck(
                stream,
                False,
                count,
                prev,
                head_at + 1,
                f"events after the recorded head (event {head_at}) were added outside govbot",
            )
        return ChainCheck(
            stream, False, count, prev, count + 1, "events are missing after the last one (head differs)"
        )
    if expected_seq is not None and expected_seq != count:
        return ChainCheck(
            stream,
            False,
            count,
            prev,
            min(count, expected_seq) + 1,
            f"the recorded head is event {expected_seq}, but {count} events are stored",
        )
    return ChainCheck(stream, True, count, prev)


async def verify_stream(session: AsyncSession, stream: str) -> ChainCheck:
    """Verify one stream as stored in the database against its recorded head."""
    events = await stream_events(session, stream)
    head = await session.get(AuditHead, stream)
    if head is None:
        return verify_chain(stream, events, GENESIS if events else None, 0 if events else None)
    return verify_chain(stream, events, head.hash, head.seq)


async def stream_events(session: AsyncSession, stream: str) -> list[AuditEvent]:
    """All events of a stream in order."""
    rows = await session.execute(
        select(AuditEvent).where(col(AuditEvent.stream) == stream).order_by(col(AuditEvent.seq))
    )
    return list(rows.scalars())
