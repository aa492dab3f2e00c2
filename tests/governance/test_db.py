"""The database layer: SQLite tuned for concurrent use (WAL, foreign keys, busy timeout, BEGIN
IMMEDIATE), URLs as people paste them, and ``Database.run``'s retries, on both backends."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import event, select, text
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.ext.asyncio import AsyncSession

from governance import db as db_module
from governance.db import SQLITE_BUSY_TIMEOUT_MS, Database, is_sqlite, normalise_url
from governance.errors import Conflict
from governance.models import Organisation, Person, metadata
from governance.services.common import Context


@pytest.fixture
async def sqlite_db(tmp_path: Path) -> Database:
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'sub' / 'govbot.db'}")
    async with database.engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    yield database  # type: ignore[misc]
    await database.dispose()


def test_urls_as_people_paste_them() -> None:
    assert normalise_url("postgres://u:p@h:5432/db") == "postgresql+asyncpg://u:p@h:5432/db"
    assert normalise_url("postgresql://h/db") == "postgresql+asyncpg://h/db"
    assert normalise_url("postgresql+asyncpg://h/db") == "postgresql+asyncpg://h/db"
    assert normalise_url("sqlite:///govbot.db") == "sqlite+aiosqlite:///govbot.db"
    assert is_sqlite("sqlite:///x.db") and not is_sqlite("postgres://h/db")


async def test_sqlite_pragmas(sqlite_db: Database, tmp_path: Path) -> None:
    assert (tmp_path / "sub").is_dir()  # the file's directory is created
    async with sqlite_db.engine.connect() as conn:
        assert (await conn.execute(text("PRAGMA journal_mode"))).scalar() == "wal"
        assert (await conn.execute(text("PRAGMA foreign_keys"))).scalar() == 1
        assert (await conn.execute(text("PRAGMA busy_timeout"))).scalar() == SQLITE_BUSY_TIMEOUT_MS


async def test_foreign_keys_are_enforced(db: Database) -> None:
    with pytest.raises(IntegrityError):
        async with db.transaction() as session:
            session.add(Person(handle="x", name="X", organisation_id=12345, created_at=_now()))
    async with db.reading() as session:
        assert (await session.execute(select(Person))).first() is None


async def test_write_transactions_queue_while_reads_go_on(sqlite_db: Database) -> None:
    """A second writer waits for the first (BEGIN IMMEDIATE) instead of failing; readers are not blocked."""
    order: list[str] = []
    first_holds = asyncio.Event()
    release = asyncio.Event()

    async def first() -> None:
        async with sqlite_db.transaction() as session:
            session.add(Organisation(slug="a", name="A", created_at=_now()))
            await session.flush()
            first_holds.set()
            await release.wait()
            order.append("first commits")

    async def second() -> None:
        await first_holds.wait()
        async with sqlite_db.transaction() as session:
            session.add(Organisation(slug="b", name="B", created_at=_now()))
            await session.flush()  # the first statement takes the write lock (BEGIN IMMEDIATE)
            order.append("second writes")

    tasks = [asyncio.create_task(first()), asyncio.create_task(second())]
    await first_holds.wait()
    await asyncio.sleep(0.2)
    assert order == []  # the second writer is waiting for the lock
    async with sqlite_db.reading() as session:  # a reader is not
        assert (await session.execute(select(Organisation))).first() is None
    release.set()
    await asyncio.gather(*tasks)
    assert order == ["first commits", "second writes"]


async def test_twenty_concurrent_read_modify_writes_on_one_sqlite_file(tmp_path: Path) -> None:
    """Writers that read, pause and write — the pattern that deadlocks into "database is locked" with
    deferred transactions — all succeed, with no lost update, across several engines on one file."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'shared.db'}"
    engines = [Database(url) for _ in range(4)]
    try:
        async with engines[0].engine.begin() as conn:
            await conn.run_sync(metadata.create_all)
        async with engines[0].transaction() as session:
            session.add(Organisation(slug="counter", name="0", created_at=_now()))

        async def writer(database: Database) -> None:
            async with database.transaction() as session:
                org = (await session.execute(select(Organisation))).scalar_one()
                await asyncio.sleep(0.005)
                org.name = str(int(org.name) + 1)

        results = await asyncio.gather(*(writer(engines[i % 4]) for i in range(20)), return_exceptions=True)
        assert [r for r in results if r is not None] == []
        async with engines[1].reading() as session:
            assert (await session.execute(select(Organisation.name))).scalar_one() == "20"
    finally:
        for database in engines:
            await database.dispose()


def _now() -> datetime:
    return datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def _locked() -> OperationalError:
    return OperationalError("UPDATE x", {}, Exception("database is locked"))


async def test_run_retries_transient_failures_and_rolls_back_each_attempt(db: Database) -> None:
    attempts = 0

    async def work(session: AsyncSession) -> str:
        nonlocal attempts
        attempts += 1
        session.add(Organisation(slug=f"try{attempts}", name=f"Try {attempts}", created_at=_now()))
        await session.flush()
        if attempts < 3:
            raise _locked()
        return "done"

    assert await db.run(work) == "done"
    assert attempts == 3
    async with db.reading() as session:
        assert list((await session.execute(select(Organisation.slug))).scalars()) == ["try3"]


async def test_run_gives_up_after_its_retries(db: Database) -> None:
    attempts = 0

    async def work(session: AsyncSession) -> None:
        nonlocal attempts
        attempts += 1
        raise _locked()

    with pytest.raises(OperationalError):
        await db.run(work, retries=2)
    assert attempts == 3


async def test_run_does_not_retry_what_retrying_cannot_fix(db: Database) -> None:
    attempts = 0

    async def broken_sql(session: AsyncSession) -> None:
        nonlocal attempts
        attempts += 1
        await session.execute(text("SELECT * FROM no_such_table"))

    with pytest.raises(Exception, match="no_such_table"):
        await db.run(broken_sql)
    assert attempts == 1

    async def refused(session: AsyncSession) -> None:
        nonlocal attempts
        attempts += 1
        raise Conflict("no")

    attempts = 0
    with pytest.raises(Conflict):
        await db.run(refused)
    assert attempts == 1


async def test_run_retries_a_lost_uniqueness_race_only_when_asked(db: Database) -> None:
    async with db.transaction() as session:
        session.add(Organisation(slug="taken", name="Taken", created_at=_now()))

    attempts = 0

    async def insert_blindly(session: AsyncSession) -> None:
        nonlocal attempts
        attempts += 1
        session.add(Organisation(slug="taken", name="Other", created_at=_now()))
        await session.flush()

    with pytest.raises(IntegrityError):
        await db.run(insert_blindly)
    assert attempts == 1
    attempts = 0
    with pytest.raises(IntegrityError):
        await db.run(insert_blindly, retry_integrity=True, retries=2)
    assert attempts == 3  # a true duplicate still fails after the retries


async def test_concurrent_check_then_insert_with_retry_integrity(ctx: Context) -> None:
    """Ten tasks each create-if-missing the same row: one creates it, the others see it on retry."""
    db = ctx.db

    async def create_if_missing(session: AsyncSession) -> str:
        found = (await session.execute(select(Organisation).where(Organisation.slug == "race"))).first()  # type: ignore[arg-type]
        if found is not None:
            return "found"
        await asyncio.sleep(0.01)  # widen the window between the check and the insert
        session.add(Organisation(slug="race", name="Race", created_at=_now()))
        await session.flush()
        return "created"

    results = await asyncio.gather(
        *(db.run(create_if_missing, retry_integrity=True, retries=5) for _ in range(10))
    )
    assert sorted(results) == ["created"] + ["found"] * 9


async def test_a_pooled_connection_the_server_closed_is_replaced_before_use(db: Database) -> None:
    """No ping on every checkout (three round trips with asyncpg), yet a connection the server ended
    while it sat in the pool is replaced, not handed out to fail."""
    if db.is_sqlite:
        pytest.skip("PostgreSQL's connections only")
    async with db.engine.connect() as doomed, db.engine.connect() as killer:
        pid = (await doomed.execute(text("SELECT pg_backend_pid()"))).scalar_one()
        await doomed.commit()
        await killer.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        await killer.commit()
    await asyncio.sleep(0.3)  # the driver reads the end of the dead connection's socket
    pids = set()
    for _ in range(3):
        async with db.reading() as session:
            pids.add((await session.execute(text("SELECT pg_backend_pid()"))).scalar_one())
    assert pid not in pids


async def test_an_idle_pooled_connection_that_answers_its_ping_is_kept(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A connection idle longer than ``PING_AFTER_IDLE_S`` is pinged first, and kept when it answers."""
    if db.is_sqlite:
        pytest.skip("PostgreSQL's connections only")
    monkeypatch.setattr(db_module, "PING_AFTER_IDLE_S", 0.0)
    async with db.reading() as session:
        pid = (await session.execute(text("SELECT pg_backend_pid()"))).scalar_one()
    async with db.reading() as session:  # pinged, alive: the same connection
        assert (await session.execute(text("SELECT pg_backend_pid()"))).scalar_one() == pid


async def test_postgres_keeps_every_connection_it_opened_under_load(db_url: str) -> None:
    """A burst that needs all the connections opens each once: none is closed when it comes back and
    opened again for the next burst (a server process and the driver's type look-ups each time)."""
    if is_sqlite(db_url):
        pytest.skip("PostgreSQL's connections only")
    database = Database(db_url, pool_size=2)
    opened: list[int] = []
    event.listen(database.engine.sync_engine.pool, "connect", lambda *_: opened.append(1))
    try:
        for _ in range(3):
            async with contextlib.AsyncExitStack() as stack:
                for _ in range(database.connections):
                    await stack.enter_async_context(database.autocommit())
        assert len(opened) == database.connections == 4
    finally:
        await database.dispose()
