"""Acknowledged means durable (issue 21, item 8): every connection govbot opens on a SQLite file commits
with ``synchronous=FULL`` in WAL mode, so a ballot whose receipt was shown survives a power loss."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

from governance.db import Database

FULL = 2  # PRAGMA synchronous: 0 OFF, 1 NORMAL, 2 FULL, 3 EXTRA


async def test_every_sqlite_connection_runs_with_synchronous_full(tmp_path: Path) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'govbot.db'}")
    try:
        async with db.transaction() as session:  # the write path
            assert (await session.execute(text("PRAGMA synchronous"))).scalar_one() == FULL
            assert (await session.execute(text("PRAGMA journal_mode"))).scalar_one() == "wal"
            # a second connection, opened while the first is busy, is set up the same way
            async with db.reading() as other:
                assert (await other.execute(text("PRAGMA synchronous"))).scalar_one() == FULL
    finally:
        await db.dispose()
    assert (tmp_path / "govbot.db").exists()
