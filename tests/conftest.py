"""Shared fixtures: a real database on both backends (a SQLite file, and the local PostgreSQL server),
a controllable clock, and a context with a sample roster.

PostgreSQL tests use a database of their own, created for the session and dropped afterwards, on the
server named by ``GOVBOT_TEST_PG_URL`` (default: the local server's ``test`` database as maintenance
connection). Without a server they are skipped with the reason shown, except under CI, where a
missing server is a failure: CI must run them.
"""

from __future__ import annotations

import asyncio
import logging
import os
import uuid
from collections.abc import AsyncIterator, Iterator

import asyncpg
import pytest
from hypothesis import HealthCheck, settings
from sqlalchemy import text
from sqlalchemy.engine import make_url

from governance.clock import ManualClock
from governance.db import Database
from governance.models import metadata
from governance.services.common import Context
from tests.factories import PG_URL, pg_admin

# Wall-clock deadlines make property tests flaky on a loaded 2-core CI machine; speed is measured in bench/.
settings.register_profile("govbot", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("govbot")


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str | None]:
    """A fresh PostgreSQL database for this test session, or None (with the reason) when unreachable."""
    name = f"govbot_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    try:
        asyncio.run(pg_admin(f'CREATE DATABASE "{name}"'))
    except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL at {PG_URL} is required under CI and is unreachable: {exc}")
        yield None
        return
    url = (
        make_url(PG_URL)
        .set(drivername="postgresql+asyncpg", database=name)
        .render_as_string(hide_password=False)
    )
    yield url
    asyncio.run(pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    """The URL of an empty database on each backend (the test runs once per backend)."""
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('db') / 'govbot.db'}"
    url = request.getfixturevalue("pg_database")
    if url is None:
        pytest.skip(f"PostgreSQL not reachable at {PG_URL}: set GOVBOT_TEST_PG_URL or start the server")
    return str(url)


@pytest.fixture
async def db(db_url: str) -> AsyncIterator[Database]:
    """A ``Database`` with govbot's tables, empty."""
    database = Database(db_url)
    async with database.engine.begin() as conn:
        exists = (
            not database.is_sqlite
            and (await conn.execute(text("SELECT to_regclass('public.audit_heads')"))).scalar()
        )
        if exists:
            # Emptying the tables is ten times faster than TRUNCATE + create_all on a small database.
            for table in reversed(metadata.sorted_tables):
                await conn.execute(table.delete())
            for table in metadata.sorted_tables:
                if (
                    "id" in table.c
                    and table.c.id.autoincrement is not False
                    and table.c.id.type.python_type is int
                ):
                    await conn.execute(
                        text(f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), 1, false)")
                    )
        else:
            await conn.run_sync(metadata.create_all)
    yield database
    await database.dispose()


@pytest.fixture
def clock() -> ManualClock:
    """A clock tests move by hand."""
    return ManualClock()


@pytest.fixture
def ctx(db: Database, clock: ManualClock) -> Context:
    """A service context on the test database and clock."""
    return Context(db=db, secret=b"test-secret-not-for-production", clock=clock)


@pytest.fixture
def everything_at_debug(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """Every logger that exists (and the root) at DEBUG, restored afterwards."""
    loggers = [logging.getLogger()] + [
        lg for lg in logging.root.manager.loggerDict.values() if isinstance(lg, logging.Logger)
    ]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.DEBUG)
    caplog.set_level(logging.DEBUG)
    try:
        yield caplog
    finally:
        for lg, level in zip(loggers, levels, strict=True):
            lg.setLevel(level)
