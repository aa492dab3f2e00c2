"""The scheduler: APScheduler 3 runs the due work kept in govbot's tables, on one leader among replicas.

The tables are the truth (``governance.services.due`` / ``schedule``); APScheduler only supplies the
timing. On start the leader rebuilds one in-memory job per pending row, with the row's deterministic key
as job id (``election:3:close``; ``replace_existing``, no misfire grace limit, coalesced), and every job
does the same thing: a sweep that claims what is due atomically and runs it. A periodic sweep also picks
up rows written since (by commands, or by other replicas) and re-times the jobs. So a job firing twice,
late, or not at all loses nothing and does nothing twice; there is no pickled job state to trust.

Leadership: on PostgreSQL only the replica holding ``pg_try_advisory_lock(LOCK_ID)`` on a dedicated
connection runs the scheduler; the others retry every ``poll_seconds``, so when the leader dies (its
connection closes and the server releases the lock) another takes over within that interval. A leader
whose lock connection fails stops scheduling at once. On SQLite one bot process is assumed (README).

``python -m bot.scheduler`` runs the scheduler alone (a worker process); ``govbot run`` starts it beside
the console, Slack or Discord.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import socket
import sys
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

import asyncpg
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy.engine import make_url

from bot import wiring
from governance.services import meetings, scheduling
from governance.services.common import Context

log = logging.getLogger(__name__)

LOCK_ID = 0x676F76626F74  # "govbot": the advisory lock only the scheduler leader holds
SWEEP_JOB = "govbot:sweep"
SEAL_JOB = "govbot:audit-seal"
UPKEEP_JOB = "govbot:upkeep"


def worker_name() -> str:
    """This process's name in claims: host, pid and a random suffix (unique across restarts)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"[:80]


class Leadership:
    """The scheduler's right to run: always held on SQLite; on PostgreSQL an advisory lock held on a
    dedicated connection (never a pooled one, which would hand the lock to whoever borrows it next)."""

    def __init__(self, database_url: str, *, is_sqlite: bool, lock_id: int = LOCK_ID) -> None:
        self.is_sqlite = is_sqlite
        self.lock_id = lock_id
        self._dsn = make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)
        self._conn: asyncpg.Connection | None = None

    @property
    def held(self) -> bool:
        """Whether this process believes it holds the lock (confirm with ``check``)."""
        return self.is_sqlite or (self._conn is not None and not self._conn.is_closed())

    async def try_acquire(self) -> bool:
        """Take the lock if it is free; False when another replica holds it (or the server is away)."""
        if self.is_sqlite:
            return True
        if self.held:
            return await self.check()
        try:
            conn = await asyncpg.connect(self._dsn, timeout=5)
        except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
            log.warning("scheduler: cannot reach PostgreSQL for the leader lock: %s", exc)
            return False
        try:
            got = bool(await conn.fetchval("SELECT pg_try_advisory_lock($1)", self.lock_id, timeout=5))
        except (OSError, asyncpg.PostgresError, TimeoutError):
            got = False
        if not got:
            await conn.close()
            return False
        self._conn = conn
        return True

    async def check(self) -> bool:
        """Whether the lock connection is alive (the lock goes with it); drops it when it is not."""
        if self.is_sqlite:
            return True
        if self._conn is None:
            return False
        try:
            await self._conn.fetchval("SELECT 1", timeout=5)
            return True
        except (OSError, asyncpg.PostgresError, TimeoutError, asyncpg.InterfaceError):
            await self.release()
            return False

    async def release(self) -> None:
        """Give the lock up (closing the connection releases it on the server)."""
        conn, self._conn = self._conn, None
        if conn is not None and not conn.is_closed():
            try:
                await conn.close(timeout=5)
            except (OSError, asyncpg.PostgresError, TimeoutError):
                conn.terminate()


class Scheduler:
    """APScheduler jobs rebuilt from ``scheduled_tasks``, plus the sweep, the audit sealer and upkeep."""

    def __init__(
        self,
        ctx: Context,
        *,
        worker: str | None = None,
        sweep_seconds: float = 10.0,
        seal_seconds: float = 300.0,
        upkeep_seconds: float = 3600.0,
        on_work: Callable[[list[scheduling.Outcome]], Any] | None = None,
    ) -> None:
        self.ctx = ctx
        self.worker = worker or worker_name()
        self.sweep_seconds = sweep_seconds
        self.seal_seconds = seal_seconds
        self.upkeep_seconds = upkeep_seconds
        self.on_work = on_work
        self.aps: AsyncIOScheduler | None = None
        self._jobs: dict[str, datetime] = {}
        self._sweeping = asyncio.Lock()

    @property
    def jobs(self) -> dict[str, datetime]:
        """The timed jobs APScheduler holds, by id (a row's key) and run time."""
        if self.aps is None:
            return {}
        return {j.id: j.trigger.run_date for j in self.aps.get_jobs() if isinstance(j.trigger, DateTrigger)}

    def _timed(self, key: str, when: datetime) -> None:
        assert self.aps is not None
        self.aps.add_job(
            self.sweep,
            DateTrigger(run_date=when),
            id=key,
            name=key,
            replace_existing=True,
            misfire_grace_time=None,
            coalesce=True,
        )
        self._jobs[key] = when

    async def start(self, *, paused: bool = False) -> int:
        """Rebuild the timed jobs from the table and start running them; returns how many were restored.

        ``paused`` holds the jobs without running them (tests drive ``sweep`` themselves)."""
        aps_log = logging.getLogger("apscheduler")  # its per-job INFO lines would drown the console
        if aps_log.level == logging.NOTSET:
            aps_log.setLevel(logging.WARNING)
        self.aps = AsyncIOScheduler(
            timezone="UTC", job_defaults={"misfire_grace_time": None, "coalesce": True}
        )
        restored = await self.restore()
        self.aps.add_job(
            self.sweep, IntervalTrigger(seconds=self.sweep_seconds), id=SWEEP_JOB, replace_existing=True
        )
        self.aps.add_job(
            self.seal, IntervalTrigger(seconds=self.seal_seconds), id=SEAL_JOB, replace_existing=True
        )
        self.aps.add_job(
            self.upkeep,
            IntervalTrigger(seconds=self.upkeep_seconds),
            id=UPKEEP_JOB,
            replace_existing=True,
            next_run_time=self.ctx.now(),
        )
        self.aps.start(paused=paused)
        log.info("scheduler %s: leader; %d scheduled job(s) restored", self.worker, restored)
        return restored

    async def restore(self) -> int:
        """(Re)build one timed job per pending row; jobs whose row is gone or done are removed."""
        assert self.aps is not None
        rows = await scheduling.pending_times(self.ctx)
        wanted = dict(rows)
        for key in [k for k in self._jobs if k not in wanted]:
            if self.aps.get_job(key) is not None:
                self.aps.remove_job(key)
            del self._jobs[key]
        for key, when in rows:
            if self._jobs.get(key) != when:
                self._timed(key, when)
        return len(rows)

    async def sweep(self) -> list[scheduling.Outcome]:
        """Run everything due (claimed atomically), close early-close motions that became settled without
        a vote, then re-time the jobs from the table. Each part fails alone (logged; the next sweep
        retries it): a failed early-close check never drops what ``run_due`` did."""
        async with self._sweeping:
            try:
                outcomes = await scheduling.run_due(self.ctx, self.worker)
            except Exception:
                log.exception("scheduler sweep failed; the next one retries")
                return []
            try:
                outcomes += await scheduling.close_settled_motions(self.ctx)
            except Exception:
                log.exception("scheduler: closing settled motions failed; the next sweep retries")
            for outcome in outcomes:
                log.info("scheduled %s (due %s): %s", outcome.key, outcome.due_at.isoformat(), outcome.result)
            if self.aps is not None:
                await self.restore()
            if outcomes and self.on_work is not None:
                result = self.on_work(outcomes)
                if asyncio.iscoroutine(result):
                    await result
            return outcomes

    async def seal(self) -> dict[str, int]:
        """The periodic audit sealer (every ``seal_seconds``): seal pending ballot events, shuffle their
        polls' stored ballots and anchor every stream's head (``scheduling.seal_pending``)."""
        try:
            return await scheduling.seal_pending(self.ctx)
        except Exception:
            log.exception("audit sealing failed; the next round retries")
            return {}

    async def upkeep(self) -> None:
        """Roll meeting reminders forward, queue term-expiry notices and inactive-member reviews."""
        async with self._sweeping:  # stop() waits for this work too, so no transaction is cut short
            for name, work in (
                ("meetings", meetings.plan_all),
                ("terms", scheduling.notify_expiring_terms),
                ("reviews", scheduling.post_reviews),
            ):
                try:
                    await work(self.ctx)
                except Exception:
                    log.exception("scheduler upkeep (%s) failed; the next round retries", name)
        await self.sweep()

    def shutdown(self) -> None:
        """Stop running jobs at once (the tables keep everything; the next leader rebuilds them)."""
        if self.aps is not None and self.aps.running:
            self.aps.shutdown(wait=False)
        self.aps = None
        self._jobs.clear()

    async def stop(self) -> None:
        """Stop after the sweep in progress, if any, has finished (so no transaction is cut short)."""
        if self.aps is not None and self.aps.running:
            self.aps.pause()
        async with self._sweeping:
            self.shutdown()


async def run(
    ctx: Context,
    stop: asyncio.Event,
    *,
    poll_seconds: float = 5.0,
    sweep_seconds: float = 10.0,
    seal_seconds: float = 300.0,
    on_leader: Callable[[str], Any] | None = None,
    on_work: Callable[[list[scheduling.Outcome]], Any] | None = None,
) -> None:
    """Until ``stop``: become leader when possible, run the scheduler while leader, step down when the
    lock is lost (and try again). The entry points pass ``seal_seconds`` from GOVBOT_AUDIT_SEAL_SECONDS
    (``bot.wiring`` reads the settings; this module never does)."""
    leadership = Leadership(ctx.db.url, is_sqlite=ctx.db.is_sqlite)
    worker = worker_name()
    try:
        while not stop.is_set():
            if await leadership.try_acquire():
                scheduler = Scheduler(
                    ctx,
                    worker=worker,
                    sweep_seconds=sweep_seconds,
                    seal_seconds=seal_seconds,
                    on_work=on_work,
                )
                try:
                    await scheduler.start()
                    if on_leader is not None:
                        on_leader(worker)
                    while not stop.is_set() and await leadership.check():
                        await _wait(stop, poll_seconds)
                    if not stop.is_set():
                        log.warning("scheduler %s lost the leader lock; stepping down", worker)
                finally:
                    await scheduler.stop()
            else:
                await _wait(stop, poll_seconds)
    finally:
        await leadership.release()


async def _wait(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)


def main(argv: list[str] | None = None) -> int:
    """``python -m bot.scheduler``: run only the scheduler (with leader election) until interrupted."""
    from bot.schema import SchemaBehind, ensure_current

    parser = argparse.ArgumentParser(prog="python -m bot.scheduler", description=__doc__.splitlines()[0])
    parser.parse_args(argv)
    settings = wiring.load_settings()
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    ctx = wiring.build_context(settings)

    def leader(name: str) -> None:
        print(f"leader {name}", flush=True)

    async def serve() -> int:
        stop = asyncio.Event()
        try:
            await ensure_current(ctx.db)
            print(f"ready {os.getpid()}", flush=True)
            await run(
                ctx,
                stop,
                poll_seconds=settings.leader_poll_seconds,
                sweep_seconds=settings.scheduler_sweep_seconds,
                seal_seconds=settings.audit_seal_seconds,
                on_leader=leader,
            )
            return 0
        except SchemaBehind as exc:
            print(f"govbot: {exc}", file=sys.stderr)
            return 2
        finally:
            await ctx.db.dispose()

    try:
        return asyncio.run(serve())
    except KeyboardInterrupt:
        return 0


if __name__ == "__main__":
    raise SystemExit(main())
