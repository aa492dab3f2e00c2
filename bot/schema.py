"""Schema management: upgrade with Alembic, and refuse to run on a database that is behind."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection

import migrations
from governance.db import Database


def alembic_config(url: str) -> Config:
    """An Alembic configuration pointing at govbot's migrations and the given database."""
    config = Config()
    config.set_main_option("script_location", str(Path(migrations.__file__).parent))
    config.attributes["url"] = url
    return config


def upgrade(url: str, revision: str = "head") -> None:
    """Apply every migration up to ``revision`` (synchronous: call from outside the event loop)."""
    command.upgrade(alembic_config(url), revision)


def head_revision(url: str) -> str | None:
    """The newest revision the code knows."""
    return ScriptDirectory.from_config(alembic_config(url)).get_current_head()


async def current_revision(db: Database) -> str | None:
    """The revision the database is at (None when it was never migrated)."""

    def read(connection: Connection) -> str | None:
        return MigrationContext.configure(connection).get_current_revision()

    async with db.engine.connect() as connection:
        return await connection.run_sync(read)


class SchemaBehind(RuntimeError):
    """The database is not at the code's revision; the message says what to run."""


async def ensure_current(db: Database) -> None:
    """Raise ``SchemaBehind`` unless the database is at the newest revision."""
    current = await current_revision(db)
    head = head_revision(db.url)
    if current != head:
        where = db.engine.url.render_as_string(hide_password=True)
        known = {rev.revision for rev in ScriptDirectory.from_config(alembic_config(db.url)).walk_revisions()}
        if current is not None and current not in known:
            raise SchemaBehind(
                f"The database {where} is at revision {current}, which this govbot does not know "
                f"(it needs {head}): a newer govbot migrated it. Run that newer version."
            )
        state = "has never been migrated" if current is None else f"is at revision {current}"
        raise SchemaBehind(
            f"The database {where} {state}; this govbot needs revision {head}. "
            "Run `govbot migrate` (or `make run`, which migrates first)."
        )
