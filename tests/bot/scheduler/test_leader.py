"""Leader election on PostgreSQL with real processes: of two schedulers (``python -m bot.scheduler``) one
holds the advisory lock; killing it hands over to the other within the poll interval."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy.engine import make_url

from bot import schema
from bot.scheduler import LOCK_ID
from tests.factories import PG_URL
from tests.factories import pg_admin as _pg_admin

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def migrated_pg(pg_database: str | None) -> Iterator[str]:
    """A PostgreSQL database of its own, migrated to head (the scheduler refuses a database behind)."""
    if pg_database is None:
        pytest.skip(f"PostgreSQL not reachable at {PG_URL}")
    name = f"govbot_leader_{uuid.uuid4().hex[:10]}"
    asyncio.run(_pg_admin(f'CREATE DATABASE "{name}"'))
    url = (
        make_url(PG_URL)
        .set(drivername="postgresql+asyncpg", database=name)
        .render_as_string(hide_password=False)
    )
    try:
        schema.upgrade(url)
        yield url
    finally:
        asyncio.run(_pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def _spawn(url: str, tmp_path: Path, name: str) -> subprocess.Popen[str]:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=url,
        GOVBOT_SECRET="leader-test-secret",
        GOVBOT_LEADER_POLL_SECONDS="0.5",
        GOVBOT_SCHEDULER_SWEEP_SECONDS="1",
        LOG_LEVEL="WARNING",
    )
    return subprocess.Popen(
        [sys.executable, "-m", "bot.scheduler"],
        cwd=tmp_path,
        env={**env, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )


async def _lock_holders(url: str) -> list[int]:
    conn = await asyncpg.connect(
        make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    )
    try:
        rows = await conn.fetch(
            "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted "
            "AND ((classid::bigint << 32) | objid::bigint) = $1",
            LOCK_ID,
        )
        return [r["pid"] for r in rows]
    finally:
        await conn.close()


class Replica:
    """A scheduler process and the lines it has printed (read by a thread, so nothing blocks)."""

    def __init__(self, proc: subprocess.Popen[str]) -> None:
        self.proc = proc
        self.lines: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line.strip())

    def said(self, prefix: str) -> bool:
        """Whether the process printed a line starting with ``prefix``."""
        return any(line.startswith(prefix) for line in self.lines)


def _until(check: Callable[[], bool], within: float) -> float:
    """Poll ``check`` every 0.1 s until it holds; returns the seconds it took (fails after ``within``)."""
    started = time.monotonic()
    while not check():
        if time.monotonic() - started > within:
            pytest.fail(f"not within {within} s")
        time.sleep(0.1)
    return time.monotonic() - started


@pytest.mark.postgres
def test_two_replicas_hold_one_leader_and_killing_it_hands_over(migrated_pg: str, tmp_path: Path) -> None:
    replicas = [Replica(_spawn(migrated_pg, tmp_path, name)) for name in ("a", "b")]
    try:
        _until(lambda: all(r.said("ready") for r in replicas), 60)
        _until(lambda: any(r.said("leader") for r in replicas), 30)
        _until(lambda: len(asyncio.run(_lock_holders(migrated_pg))) == 1, 5)
        leaders = [r for r in replicas if r.said("leader")]
        assert len(leaders) == 1  # the other keeps polling and never got the lock
        leader, follower = leaders[0], next(r for r in replicas if r is not leaders[0])
        leader.proc.send_signal(signal.SIGKILL)
        leader.proc.wait(timeout=10)
        took = _until(lambda: follower.said("leader"), 30)
        assert len(asyncio.run(_lock_holders(migrated_pg))) == 1
        assert follower.proc.poll() is None
        print(f"takeover after {took:.2f} s (poll interval 0.5 s)")
    finally:
        for replica in replicas:
            if replica.proc.poll() is None:
                replica.proc.send_signal(signal.SIGTERM)
                try:
                    replica.proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    replica.proc.kill()
