"""Migrations: ``alembic upgrade head`` builds exactly the schema the models declare, on SQLite and
PostgreSQL (the equivalent of ``alembic check``), and ``downgrade base`` takes it all away again."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import Connection, make_url

from bot import schema
from governance.db import Database
from governance.models import metadata
from tests.factories import PG_URL
from tests.factories import pg_admin as _pg_admin


@pytest.fixture(params=["sqlite", "postgres"])
def fresh_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database nobody has touched, on each backend (PostgreSQL: one of its own, dropped after)."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'migrations.db'}"
        return
    if request.getfixturevalue("pg_database") is None:
        pytest.skip(f"PostgreSQL not reachable at {PG_URL}")
    name = f"govbot_migrations_{uuid.uuid4().hex[:10]}"
    asyncio.run(_pg_admin(f'CREATE DATABASE "{name}"'))
    try:
        yield (
            make_url(PG_URL)
            .set(drivername="postgresql+asyncpg", database=name)
            .render_as_string(hide_password=False)
        )
    finally:
        asyncio.run(_pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def _inspect(url: str, work: Any) -> Any:
    async def run() -> Any:
        db = Database(url)
        try:
            async with db.engine.connect() as connection:
                return await connection.run_sync(work)
        finally:
            await db.dispose()

    return asyncio.run(run())


def _drift(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(
        connection, opts={"compare_type": True, "render_as_batch": connection.dialect.name == "sqlite"}
    )
    return list(compare_metadata(context, metadata))


def _tables(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names())


def test_upgrade_matches_the_models_and_downgrade_removes_everything(fresh_url: str) -> None:
    config = schema.alembic_config(fresh_url)
    schema.upgrade(fresh_url)
    assert _inspect(fresh_url, lambda c: MigrationContext.configure(c).get_current_revision()) == (
        schema.head_revision(fresh_url)
    )
    assert _inspect(fresh_url, _tables) >= {t.name for t in metadata.sorted_tables}
    drift = _inspect(fresh_url, _drift)
    assert drift == [], f"models and migrations differ; add a revision: {drift}"
    command.check(config)  # what `alembic check` runs: raises when autogenerate would write anything

    command.downgrade(config, "base")
    assert _inspect(fresh_url, _tables) - {"alembic_version"} == set()
    assert _inspect(fresh_url, lambda c: MigrationContext.configure(c).get_current_revision()) is None

    schema.upgrade(fresh_url)  # and back up again, from nothing
    assert _inspect(fresh_url, _drift) == []


def test_ensure_current_refuses_a_database_behind_and_accepts_head(fresh_url: str) -> None:
    async def check() -> str | None:
        db = Database(fresh_url)
        try:
            await schema.ensure_current(db)
        except schema.SchemaBehind as exc:
            return str(exc)
        finally:
            await db.dispose()
        return None

    refused = asyncio.run(check())
    assert refused is not None and "never been migrated" in refused and "govbot migrate" in refused
    schema.upgrade(fresh_url)
    assert asyncio.run(check()) is None
