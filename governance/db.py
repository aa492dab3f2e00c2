"""The async database: a SQLite file by default, PostgreSQL when ``DATABASE_URL`` says so.

SQLite is tuned for a bot that many people use at once: WAL (readers never wait for the writer), a
busy timeout, foreign keys enforced, and every write transaction opened with ``BEGIN IMMEDIATE`` so
that concurrent writers queue for the lock instead of failing half-way with "database is locked".
Within one process (the supported SQLite deployment, see README) write transactions also queue on an
``asyncio.Lock`` first: a waiting writer then sleeps until the writer before it commits, instead of
polling SQLite's busy handler (whose back-off sleeps up to 100 ms at a time and let waits grow to
seconds under load). The busy timeout still covers other processes (``govbot migrate``, a console).
``synchronous=FULL``: a commit (an acknowledged ballot) survives a power loss, not only a crash.

No log line carries a statement's parameters (``hide_parameters``) or, at DEBUG, the drivers' payloads
(:mod:`governance.logsafe`): they hold ballots, receipts and tags.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, DisconnectionError, IntegrityError, OperationalError
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.util import await_

from governance import logsafe

T = TypeVar("T")

DEFAULT_URL = "sqlite+aiosqlite:///govbot.db"
SQLITE_BUSY_TIMEOUT_MS = 30_000


def normalise_url(url: str) -> str:
    """Accept the URLs people paste (``postgres://``, ``sqlite:///``...) and pick the async driver."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgresql+psycopg2", "postgresql+psycopg"):
        parsed = parsed.set(drivername="postgresql+asyncpg")
    elif parsed.drivername in ("sqlite", "sqlite+pysqlite"):
        parsed = parsed.set(drivername="sqlite+aiosqlite")
    return parsed.render_as_string(hide_password=False)


def is_sqlite(url: str) -> bool:
    """Whether the URL names a SQLite database."""
    return make_url(url).get_backend_name() == "sqlite"


def _configure_sqlite(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Hand transaction control to SQLAlchemy's "begin" event below instead of the driver's own.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        # FULL: a ballot acknowledged to its voter is on disk, even if the power fails the next moment
        # (NORMAL in WAL mode can lose the last transactions on power loss; see README, Durability).
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        readonly = conn.get_execution_options().get("govbot_readonly", False)
        # Straight to aiosqlite: one hop to its thread instead of the adapter's cursor/execute/close.
        await_(conn.connection.driver_connection.execute("BEGIN" if readonly else "BEGIN IMMEDIATE"))

    @event.listens_for(engine.sync_engine.pool, "reset")
    def _on_reset(dbapi_connection: Any, _record: Any, state: Any) -> None:
        # The pool's own reset rolls back every connection it takes back: one more trip to aiosqlite's
        # thread per transaction, under the write lock, though the transaction has nearly always ended
        # (committed or rolled back) already. Roll back only one still open.
        if state.terminate_only:
            return
        driver = dbapi_connection.driver_connection
        if driver is not None and driver.in_transaction:
            dbapi_connection.rollback()


PING_AFTER_IDLE_S = 10.0
_IDLE_SINCE = "govbot_idle_since"


def _ping_when_idle(engine: AsyncEngine) -> None:
    """Check a pooled PostgreSQL connection before use only when it may have gone stale.

    ``pool_pre_ping`` pings on every checkout, and asyncpg's ping is three round trips (a transaction
    begun, ``;``, rolled back): on a ballot of two statements that was most of its waiting. A connection
    the driver already knows is closed (the server restarted: its socket saw the end) is replaced for
    free; one idle for ``PING_AFTER_IDLE_S`` (which a firewall or the server may have dropped silently)
    is pinged first. Raising ``DisconnectionError`` makes the pool discard it and connect afresh.
    """

    @event.listens_for(engine.sync_engine.pool, "checkin")
    def _on_checkin(_dbapi_connection: Any, record: Any) -> None:
        record.info[_IDLE_SINCE] = time.monotonic()

    @event.listens_for(engine.sync_engine.pool, "checkout")
    def _on_checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        idle_since = record.info.pop(_IDLE_SINCE, None)
        if idle_since is None:  # a new connection
            return
        driver = dbapi_connection.driver_connection
        if driver is None or driver.is_closed():
            raise DisconnectionError("connection closed by the server")
        if time.monotonic() - idle_since > PING_AFTER_IDLE_S:
            try:
                dbapi_connection.ping()
            except Exception as exc:
                raise DisconnectionError("connection lost while idle") from exc


_WRITES: ContextVar[list[int] | None] = ContextVar("govbot_writes", default=None)


def count_writes() -> list[int]:
    """Count the write transactions committed from now on in this context (and the tasks it starts):
    the returned list's one item is the count.

    Why: when a command fails after its service committed, the answer must say the change was made
    rather than "nothing was changed" (``bot.commands.dispatch``).
    """
    holder = [0]
    _WRITES.set(holder)
    return holder


def _wrote() -> None:
    holder = _WRITES.get()
    if holder is not None:
        holder[0] += 1


def note_write() -> None:
    """Count, in the caller's context, a write committed on its behalf by another task (a batch of
    ballots, ``services.ballot_batch``), as ``count_writes`` counts the caller's own transactions."""
    _wrote()


class Database:
    """One engine and its session factory; ``transaction()`` is the unit of work of every service."""

    def __init__(self, url: str = DEFAULT_URL, *, echo: bool = False, pool_size: int = 10) -> None:
        self.url = normalise_url(url)
        self.is_sqlite = is_sqlite(self.url)
        # No statement parameters in any log line or error message: they carry ballots, receipts and tags.
        kwargs: dict[str, Any] = {"echo": echo, "hide_parameters": True}
        self.connections = pool_size * 2  # the pool and its overflow
        if self.is_sqlite:
            database = make_url(self.url).database
            if database and database != ":memory:":
                Path(database).expanduser().resolve().parent.mkdir(parents=True, exist_ok=True)
            kwargs["connect_args"] = {"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}
            kwargs["pool_reset_on_return"] = None  # see _configure_sqlite's "reset"
            # Connections are kept, not opened and closed under load (each is a thread and its PRAGMAs).
            kwargs["pool_size"] = pool_size
            kwargs["max_overflow"] = pool_size
        else:
            # The same number of connections, all kept: an overflow connection is closed when it comes
            # back, and under load that was a new server process (and asyncpg's type introspection)
            # every twenty ballots.
            kwargs["pool_size"] = self.connections
            kwargs["max_overflow"] = 0
        self.engine = create_async_engine(self.url, **kwargs)
        logsafe.protect()
        if self.is_sqlite:
            _configure_sqlite(self.engine)
        else:
            _ping_when_idle(self.engine)
        self._sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        self._readonly_sessions = async_sessionmaker(
            self.engine.execution_options(govbot_readonly=True), expire_on_commit=False
        )
        self._autocommit_engine = self.engine.execution_options(isolation_level="AUTOCOMMIT")
        self._gates: tuple[asyncio.AbstractEventLoop, asyncio.Semaphore] | None = None
        self._read_gates: tuple[asyncio.AbstractEventLoop, asyncio.Semaphore] | None = None
        self._write_lock: tuple[asyncio.AbstractEventLoop, asyncio.Lock] | None = None
        self._writer: asyncio.Task[Any] | None = None

    def _gate(self) -> asyncio.Semaphore:
        """First come, first served for the pool's connections on hot paths.

        The pool's own queue lets a task that returns a connection take it straight back, and sends
        the waiter that was woken for it to the back of the line: under load a few ballots then wait
        seconds while the rest take milliseconds. Tasks wait here in order instead.
        """
        loop = asyncio.get_running_loop()
        if self._gates is None or self._gates[0] is not loop:
            self._gates = (loop, asyncio.Semaphore(self.connections))
        return self._gates[1]

    def _read_gate(self) -> asyncio.Semaphore:
        """At most half the pool for hot-path reads on SQLite (``sqlite_read``), in arrival order.

        More readers at once would not read faster (one GIL), but would each take a connection beyond
        the pool's, opened and closed again: a thread and its PRAGMAs per ballot.
        """
        loop = asyncio.get_running_loop()
        if self._read_gates is None or self._read_gates[0] is not loop:
            self._read_gates = (loop, asyncio.Semaphore(max(1, self.connections // 4)))
        return self._read_gates[1]

    def _sqlite_write_lock(self) -> asyncio.Lock:
        """The in-process writers' queue (one per event loop: tests and benchmarks run several loops)."""
        loop = asyncio.get_running_loop()
        if self._write_lock is None or self._write_lock[0] is not loop:
            self._write_lock = (loop, asyncio.Lock())
        return self._write_lock[1]

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """A session inside one write transaction: committed on success, rolled back on any exception."""
        task = asyncio.current_task()
        if not self.is_sqlite or task is None or self._writer is task:
            async with self._sessions() as session, session.begin():
                yield session
            _wrote()
            return
        async with self._sqlite_write_lock():
            self._writer = task
            try:
                async with self._sessions() as session, session.begin():
                    yield session
            finally:
                self._writer = None
        _wrote()

    @asynccontextmanager
    async def autocommit(self) -> AsyncIterator[AsyncConnection]:
        """A connection on which every statement is its own transaction (PostgreSQL hot paths).

        No BEGIN or COMMIT round trips: for work whose reads need no lock and whose writes are one
        statement that re-checks what it depends on (see ``elections.cast_ballot``). The caller counts
        its write (``note_write``) when a statement did write: here nothing is known of it.
        """
        async with self._gate(), self._autocommit_engine.connect() as connection:
            yield connection

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[AsyncSession]:
        """A session for reads only: on SQLite it does not take the write lock."""
        async with self._readonly_sessions() as session, session.begin():
            yield session

    async def run(
        self, work: Callable[[AsyncSession], Awaitable[T]], *, retries: int = 3, retry_integrity: bool = False
    ) -> T:
        """Run ``work`` in one transaction, retrying when a concurrent transaction won a race.

        Serialization failures and deadlocks (PostgreSQL) and lock time-outs are always retried; a
        unique-constraint violation is retried only when ``retry_integrity`` says the work re-reads
        the state it raced on (casting a ballot twice at once), so a true duplicate still fails.
        """
        attempt = 0
        while True:
            try:
                async with self.transaction() as session:
                    return await work(session)
            except IntegrityError:
                if not retry_integrity or attempt >= retries:
                    raise
            except (OperationalError, DBAPIError) as exc:
                if attempt >= retries or not _is_transient(exc):
                    raise
            attempt += 1
            await asyncio.sleep(0.005 * attempt)

    async def sqlite_read(self, sql: str, params: Sequence[Any]) -> list[Any]:
        """Rows of one SELECT on SQLite, outside any transaction and without the write lock, in one hop.

        Why: a hot path's read (a ballot's checks) then costs one trip to the driver's thread, with no
        BEGIN or COMMIT, and runs beside the writer (WAL: readers never wait for it). The statement is
        its own snapshot; whatever the caller then writes must re-check what may have changed since.
        """
        async with self._read_gate(), self.engine.connect() as connection:
            driver = (await connection.get_raw_connection()).driver_connection
            assert driver is not None
            return await _sqlite_call(driver, sql, params, fetch=True)

    async def dispose(self) -> None:
        """Close every pooled connection."""
        await self.engine.dispose()


async def sqlite_execute(
    session: AsyncSession, sql: str, params: Sequence[Any], *, fetch: bool = False, many: bool = False
) -> list[Any]:
    """Run one statement on the session's SQLite connection, inside its transaction, in one hop.

    For hot paths only: SQLAlchemy's aiosqlite adapter makes three or four trips to aiosqlite's thread
    per statement (cursor, execute, fetch, close), and under load each trip waits for the GIL. Here the
    parameters and rows are the driver's own (``?`` placeholders; no type processing), and driver errors
    are raised as SQLAlchemy's (so ``Database.run`` retries them as it would any other). ``many``: run
    the statement once per item of ``params`` (a sequence of parameter tuples), still in one hop.
    """
    connection = await session.connection()
    driver = (await connection.get_raw_connection()).driver_connection
    assert driver is not None
    return await _sqlite_call(driver, sql, params, fetch=fetch, many=many)


async def driver_fetch(connection: AsyncConnection, sql: str, params: Sequence[Any]) -> list[Any]:
    """Run one statement straight on the connection's asyncpg driver; its rows as asyncpg returns them.

    For the hot path of casting on PostgreSQL: asyncpg prepares each statement once per connection and
    caches it, and SQLAlchemy's execution layer (parameter processing, result metadata) is skipped.
    ``sql`` uses ``$1``-style placeholders; times come back naive (UTC) and the caller types them.
    A constraint violation is raised as SQLAlchemy's ``IntegrityError``, anything else the database
    says as ``DBAPIError``; neither carries the parameters (they hold ballots and tags).
    """
    driver = (await connection.get_raw_connection()).driver_connection
    assert driver is not None
    try:
        return list(await driver.fetch(sql, *params))
    except Exception as exc:
        state = getattr(exc, "sqlstate", None)
        if isinstance(state, str) and state.startswith("23"):
            raise IntegrityError(sql, None, exc, hide_parameters=True) from exc
        raise DBAPIError(sql, None, exc, hide_parameters=True) from exc


async def _sqlite_call(driver: Any, sql: str, params: Any, *, fetch: bool, many: bool = False) -> list[Any]:
    try:
        if fetch:
            return list(await driver.execute_fetchall(sql, params))
        if many:
            await driver.executemany(sql, params)
        else:
            await driver.execute(sql, params)
        return []
    except sqlite3.IntegrityError as exc:  # never the parameters: they hold ballots, receipts and tags
        raise IntegrityError(sql, None, exc, hide_parameters=True) from exc
    except sqlite3.OperationalError as exc:
        raise OperationalError(sql, None, exc, hide_parameters=True) from exc


def _is_transient(exc: DBAPIError) -> bool:
    text = str(exc.orig).lower() if exc.orig is not None else str(exc).lower()
    return any(
        marker in text
        for marker in ("deadlock", "could not serialize", "database is locked", "serialization failure")
    )
