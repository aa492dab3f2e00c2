"""Group commit of first ballots: many voters' first ballots written in one write transaction.

SQLite has one writer at a time, so a ballot's transaction is the unit everything else queues behind:
BEGIN IMMEDIATE, four inserts, COMMIT (a sync to disk) and the driver's trips to its thread between
them. Here ballots that arrive while a batch is being written wait for the next one, and each batch
costs one transaction, one executemany per table and one sync, however many ballots it holds.

PostgreSQL takes the same batches as one statement (``_PG_FIRST_BALLOTS``, its own transaction: no
BEGIN or COMMIT round trip): one round trip, one commit (a WAL flush) and one share lock on the
election's row per batch instead of per ballot, and the ballot's connection is free again as soon as
its read is done.

What each ballot relies on is the same on both: the caller reads and checks outside the write lock
(``elections._first_ballot``), and the batch writes a ballot only if, inside its own transaction, the
election is still open for it (phase ``voting``, before the close) and the voter has no ballot yet.
Anything else is handed back unwritten (``False``), and the caller takes the ordinary locking path,
which replaces the ballot or says why it cannot. A ballot is acknowledged only once its batch has
committed; a batch that fails as a whole is rolled back and every ballot in it is handed back
unwritten, so nothing is half-written.
"""

from __future__ import annotations

import asyncio
import contextvars
import weakref
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from governance.db import Database, driver_fetch, note_write, sqlite_execute

MAX_BATCH = 256
"""At most this many ballots per transaction (SQLite allows 32,766 parameters per statement)."""

_BALLOT = "INSERT INTO ballots (id, election_id, content, receipt, voter_id) VALUES (?, ?, ?, ?, ?)"
_SLOT = "INSERT INTO ballot_slots (election_id, tag, ballot_id) VALUES (?, ?, ?)"
_VOTER = (
    "INSERT INTO voters (election_id, person_id, first_voted_at, last_voted_at, times) VALUES (?, ?, ?, ?, 1)"
)
_EVENT = (
    "INSERT INTO audit_events (stream, seq, at, actor, kind, subject, payload, prev_hash, hash) "
    "VALUES (?, NULL, ?, ?, ?, ?, ?, NULL, ?)"
)
_PG_FIRST_BALLOTS = (
    # One row per ballot (arrays of equal length, unnested together); a voter is written only where the
    # election is open for their ballot's time and they have no who-voted row yet (the unique
    # constraint, which also waits for a concurrent first ballot of theirs to commit). Rows are
    # inserted in key order so that two replicas' batches never wait on each other in a circle.
    "WITH i AS (SELECT * FROM unnest($1::integer[], $2::integer[], $3::timestamp[], $4::varchar[], "
    "$5::text[], $6::varchar[], $7::integer[], $8::varchar[], $9::varchar[], $10::varchar[], "
    "$11::varchar[], $12::varchar[], $13::text[], $14::varchar[]) AS t(election_id, person_id, at, "
    "ballot_id, content, receipt, voter_id, tag, stream, actor, kind, subject, payload, hash)), "
    "e AS (SELECT id, voting_close_at FROM elections WHERE id IN (SELECT election_id FROM i) "
    "AND phase = 'voting' FOR KEY SHARE), "
    "v AS (INSERT INTO voters (election_id, person_id, first_voted_at, last_voted_at, times) "
    "SELECT i.election_id, i.person_id, i.at, i.at, 1 FROM i JOIN e ON e.id = i.election_id "
    "WHERE e.voting_close_at IS NULL OR i.at < e.voting_close_at ORDER BY i.election_id, i.person_id "
    "ON CONFLICT ON CONSTRAINT uq_voter_election DO NOTHING RETURNING election_id, person_id), "
    "w AS (SELECT i.* FROM i JOIN v ON v.election_id = i.election_id AND v.person_id = i.person_id), "
    "b AS (INSERT INTO ballots (id, election_id, content, receipt, voter_id) "
    "SELECT ballot_id, election_id, content, receipt, voter_id FROM w), "
    "s AS (INSERT INTO ballot_slots (election_id, tag, ballot_id) "
    "SELECT election_id, tag, ballot_id FROM w), "
    "a AS (INSERT INTO audit_events (stream, seq, at, actor, kind, subject, payload, prev_hash, hash) "
    "SELECT stream, NULL, at, actor, kind, subject, payload, NULL, hash FROM w) "
    "SELECT election_id, person_id FROM w"
)


@dataclass
class FirstBallot:
    """The rows of one checked first ballot, as SQLite stores them (times as naive UTC text); PostgreSQL's
    batch takes its times from ``now``."""

    election_id: int
    person_id: int
    now: datetime
    ballot: tuple[str, int, str, str, int | None]  # id, election_id, content, receipt, voter_id
    slot: tuple[int, str, str]  # election_id, tag, ballot_id
    event: tuple[str, str, str, str, str, str, str]  # stream, at, actor, kind, subject, payload, hash
    stamp: str
    done: asyncio.Future[bool] = field(init=False, repr=False)


def _close_time(value: Any) -> datetime | None:
    if value is None:
        return None
    when = value if isinstance(value, datetime) else datetime.fromisoformat(value)
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when


class _Writer:
    """One event loop's queue of first ballots and the task that writes them in batches."""

    def __init__(self, db: Database, loop: asyncio.AbstractEventLoop) -> None:
        self.db = db
        self.loop = loop
        self.queue: list[FirstBallot] = []
        self.task: asyncio.Task[None] | None = None

    async def submit(self, item: FirstBallot) -> bool:
        item.done = self.loop.create_future()
        self.queue.append(item)
        if self.task is None or self.task.done():
            # A fresh context: the batch must not count its writes, or speak, in its first caller's name.
            self.task = self.loop.create_task(self._drain(), context=contextvars.Context())
        written = await asyncio.shield(item.done)
        if written:
            note_write()
        return written

    async def _drain(self) -> None:
        try:
            await self._drain_queue()
        except BaseException:  # cancelled (shutting down): whatever waits goes the ordinary way
            waiting, self.queue = self.queue, []
            for item in waiting:
                if not item.done.done():
                    item.done.set_result(False)
            raise

    async def _drain_queue(self) -> None:
        while self.queue:
            batch, self.queue = self.queue[:MAX_BATCH], self.queue[MAX_BATCH:]
            flags = [False] * len(batch)
            try:
                flags = await self._write(batch)
            except Exception:  # rolled back: every ballot goes the ordinary way, which reports any error
                pass
            finally:  # even when cancelled (shutting down): no caller is left waiting
                for item, flag in zip(batch, flags, strict=True):
                    if not item.done.done():
                        item.done.set_result(flag)

    async def _write(self, batch: list[FirstBallot]) -> list[bool]:
        if not self.db.is_sqlite:
            return await _write_postgres(self.db, batch)
        async with self.db.transaction() as session:
            ids = sorted({b.election_id for b in batch})
            marks = ", ".join("?" * len(ids))
            rows = await sqlite_execute(
                session,
                f"SELECT id, voting_close_at FROM elections WHERE id IN ({marks}) AND phase = 'voting'",
                ids,
                fetch=True,
            )
            open_until = {row[0]: _close_time(row[1]) for row in rows}
            people = sorted({b.person_id for b in batch})
            voted = {
                (row[0], row[1])
                for row in await sqlite_execute(
                    session,
                    f"SELECT election_id, person_id FROM voters WHERE election_id IN ({marks}) "
                    f"AND person_id IN ({', '.join('?' * len(people))})",
                    [*ids, *people],
                    fetch=True,
                )
            }
            flags = []
            for b in batch:
                key = (b.election_id, b.person_id)
                ok = b.election_id in open_until and key not in voted
                closes = open_until.get(b.election_id)
                if ok and closes is not None and b.now >= closes:
                    ok = False
                if ok:
                    voted.add(key)  # the same voter twice in one batch: the second replaces, later
                flags.append(ok)
            kept = [b for b, ok in zip(batch, flags, strict=True) if ok]
            if kept:
                for sql, params in (
                    (_BALLOT, [b.ballot for b in kept]),
                    (_SLOT, [b.slot for b in kept]),
                    (_VOTER, [(b.election_id, b.person_id, b.stamp, b.stamp) for b in kept]),
                    (_EVENT, [b.event for b in kept]),
                ):
                    await sqlite_execute(session, sql, params, many=True)
            return flags


async def _write_postgres(db: Database, batch: list[FirstBallot]) -> list[bool]:
    """Write a batch in one statement; which ballots it wrote (a voter's second ballot in the same
    batch is not sent: it replaces the first afterwards, on the ordinary path)."""
    sent: dict[tuple[int, int], FirstBallot] = {}
    for b in batch:
        sent.setdefault((b.election_id, b.person_id), b)
    rows = list(sent.values())
    times = [b.now.astimezone(UTC).replace(tzinfo=None) for b in rows]
    columns: list[list[Any]] = [
        [b.election_id for b in rows],
        [b.person_id for b in rows],
        times,
        *([b.ballot[k] for b in rows] for k in (0, 2, 3, 4)),  # id, content, receipt, voter_id
        [b.slot[1] for b in rows],  # tag
        *([b.event[k] for b in rows] for k in (0, 2, 3, 4, 5, 6)),  # stream, actor ... hash
    ]
    async with db.autocommit() as connection:
        written = {(r[0], r[1]) for r in await driver_fetch(connection, _PG_FIRST_BALLOTS, columns)}
    keys = [(b.election_id, b.person_id) for b in batch]
    return [key in written and sent[key] is b for key, b in zip(keys, batch, strict=True)]


_WRITERS: weakref.WeakKeyDictionary[Database, _Writer] = weakref.WeakKeyDictionary()


async def write_first_ballot(db: Database, item: FirstBallot) -> bool:
    """Write a checked first ballot in the next batch; True once committed, False if it was not written
    (the election closed meanwhile, the voter has a ballot already, or the batch failed).

    Why: on SQLite every write transaction queues behind the one before it, and on PostgreSQL every
    ballot's own transaction costs a commit and a lock on the election's row; sharing one among the
    ballots that arrive together is what lets a poll take a thousand ballots a second.
    """
    loop = asyncio.get_running_loop()
    writer = _WRITERS.get(db)
    if writer is None or writer.loop is not loop:
        writer = _WRITERS[db] = _Writer(db, loop)
    return await writer.submit(item)
