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
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

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
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    await session.execute(
        insert(AuditHead)
        .values(stream=stream, seq=0, hash=GENESIS)
        .on_conflict_do_nothing(index_elements=["stream"])
    )
    head = (
        await session.execute(select(AuditHead).where(AuditHead.stream == stream).with_for_update())
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


def verify_chain(stream: str, events: Iterable[AuditEvent], expected_head: str | None = None) -> ChainCheck:
    """Check that ``events`` (in stored order) form an unbroken chain; name the first event that does not."""
    prev = GENESIS
    count = 0
    for expected_seq, event in enumerate(events, start=1):
        count = expected_seq
        if event.seq != expected_seq:
            return ChainCheck(stream, False, count, prev, event.seq, f"expected event {expected_seq}, found {event.seq}")
        if event.prev_hash != prev:
            return ChainCheck(stream, False, count, prev, event.seq, "its previous-hash does not match the event before it")
        digest = event_hash(prev, event.stream, event.seq, event.at, event.actor, event.kind, event.subject, event.payload)
        if digest != event.hash:
            return ChainCheck(stream, False, count, prev, event.seq, "its content does not match its hash (edited)")
        prev = digest
    if expected_head is not None and expected_head != prev:
        return ChainCheck(stream, False, count, prev, count + 1, "events are missing after the last one (head differs)")
    return ChainCheck(stream, True, count, prev)


async def verify_stream(session: AsyncSession, stream: str) -> ChainCheck:
    """Verify one stream as stored in the database against its recorded head."""
    events = (
        await session.execute(select(AuditEvent).where(AuditEvent.stream == stream).order_by(AuditEvent.seq))
    ).scalars()
    head = await session.get(AuditHead, stream)
    return verify_chain(stream, list(events), head.hash if head is not None else None)


async def stream_events(session: AsyncSession, stream: str) -> list[AuditEvent]:
    """All events of a stream in order."""
    rows = await session.execute(select(AuditEvent).where(AuditEvent.stream == stream).order_by(AuditEvent.seq))
    return list(rows.scalars())
