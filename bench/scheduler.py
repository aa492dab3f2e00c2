"""Benchmark: restoring 10,000 scheduled jobs at start, and a reminder fan-out to 5,000 non-voters.

    .venv/bin/python bench/scheduler.py [--jobs 10000] [--voters 5000] [--deliverers 4] [--batch 200]
                                        [--concurrency 16] [--backend sqlite|postgres|both] [--report-only]

1. Restore: ``--jobs`` pending rows in ``scheduled_tasks`` (bulk-inserted), then the time for
   ``bot.scheduler.Scheduler.start`` to read them and hold one APScheduler job each (target <= 2 s).
2. Fan-out: a committee of ``--voters`` members (bulk-inserted, each linked to a Slack account) and an
   open motion nobody has voted on; the clock is moved to its 1 h reminder and the time is taken from
   the sweep that claims it (one outbox DM per member) until every DM has been delivered by the real
   Slack delivery code (``bot.slack.delivery.SlackDelivery``, ``--deliverers`` of them claiming batches
   of ``--batch`` in parallel as replicas would, each sending ``--concurrency`` at once through one
   kept-alive HTTP session as ``bot.slack.app`` sets it up) to the loopback fake of Slack's Web API
   (target <= 10 s). It checks that each member got exactly one DM.

Prints the figures and each target with PASS or FAIL (exit status 1 if any failed; with
``--report-only``, the test suite's smoke run on tiny sizes, a missed time does not fail it, while a
member without exactly one DM or a job not restored still does). PostgreSQL: a
scratch database on the server of ``--pg-url`` is created and dropped afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import asyncpg  # type: ignore[import-untyped]
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import insert, select
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.scheduler import Scheduler
from bot.slack.delivery import SlackDelivery
from governance.clock import ManualClock
from governance.db import Database
from governance.models import (
    Body,
    ChatIdentity,
    Membership,
    OutboxMessage,
    Person,
    ScheduledTask,
    metadata,
)
from governance.services import bodies, motions, roster, scheduling
from governance.services.common import Actor, Context
from tests.fakes.slack_api import FakeSlackAPI

RESTORE_TARGET_S = 2.0
FANOUT_TARGET_S = 10.0
SYSTEM = Actor.system("bench")
TEAM = "T0BENCH"


async def _database(backend: str, pg_url: str, tmp: Path) -> tuple[Database, str | None]:
    if backend == "sqlite":
        db = Database(f"sqlite+aiosqlite:///{tmp / f'bench-{uuid.uuid4().hex[:6]}.db'}")
        scratch = None
    else:
        scratch = f"govbot_bench_sched_{uuid.uuid4().hex[:8]}"
        admin = await asyncpg.connect(make_url(pg_url).set(drivername="postgresql").render_as_string(False))
        await admin.execute(f'CREATE DATABASE "{scratch}"')
        await admin.close()
        url = make_url(pg_url).set(drivername="postgresql+asyncpg", database=scratch)
        db = Database(url.render_as_string(hide_password=False), pool_size=20)
    async with db.engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    return db, scratch


async def _drop(pg_url: str, scratch: str | None) -> None:
    if scratch is None:
        return
    admin = await asyncpg.connect(make_url(pg_url).set(drivername="postgresql").render_as_string(False))
    await admin.execute(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)')
    await admin.close()


async def bench_restore(ctx: Context, jobs: int) -> tuple[float, int]:
    """Seconds for a scheduler to restore ``jobs`` pending rows as APScheduler jobs."""
    now = ctx.now()
    rows = [
        {
            "key": f"bench:{i}:close",
            "kind": "motion.close",
            "subject": f"bench:{i}",
            "due_at": now + timedelta(minutes=10 + i),
            "payload": "{}",
            "created_at": now,
            "attempts": 0,
        }
        for i in range(jobs)
    ]
    async with ctx.db.transaction() as session:
        for start in range(0, jobs, 2000):
            await session.execute(insert(ScheduledTask), rows[start : start + 2000])
    scheduler = Scheduler(ctx, worker="bench")
    started = time.perf_counter()
    restored = await scheduler.start(paused=True)
    took = time.perf_counter() - started
    held = len(scheduler.jobs)
    scheduler.shutdown()
    assert restored == jobs and held == jobs, (restored, held)
    return took, held


async def _committee(ctx: Context, voters: int) -> int:
    """A committee of ``voters`` members linked to Slack, and an open motion; returns the motion id."""
    await roster.add_person(ctx, SYSTEM, "chair", "Committee Chair", admin=True)
    await bodies.create_body(ctx, SYSTEM, "tc", "Technical Committee", "committee")
    now = ctx.now()
    async with ctx.db.transaction() as session:
        await session.execute(
            insert(Person),
            [
                {
                    "handle": f"m{i:05d}",
                    "name": f"Member {i}",
                    "is_admin": False,
                    "status": "active",
                    "created_at": now,
                }
                for i in range(voters)
            ],
        )
        ids = list(
            (await session.execute(select(Person.id).where(Person.handle.like("m%")))).scalars()  # type: ignore[attr-defined]
        )
    async with ctx.db.transaction() as session:
        body_id = (await session.execute(select(Body.id).where(Body.slug == "tc"))).scalar_one()  # type: ignore[arg-type]
        for start in range(0, len(ids), 2000):
            chunk = ids[start : start + 2000]
            await session.execute(
                insert(Membership),
                [
                    {"body_id": body_id, "person_id": pid, "role": "member", "status": "active", "since": now}
                    for pid in chunk
                ],
            )
            await session.execute(
                insert(ChatIdentity),
                [
                    {
                        "platform": "slack",
                        "workspace": TEAM,
                        "user_id": f"U{pid:08d}",
                        "person_id": pid,
                        "created_at": now,
                    }
                    for pid in chunk
                ],
            )
    motion = await motions.propose(
        ctx,
        await roster.actor_for_handle(ctx, "chair"),
        "tc",
        "Adopt the bench",
        deadline=now + timedelta(days=7),
    )
    async with ctx.db.transaction() as session:  # the proposal's channel post is not part of the fan-out
        await session.execute(OutboxMessage.__table__.update().values(sent_at=now))  # type: ignore[attr-defined]
    assert motion.id is not None
    return motion.id


async def bench_fanout(
    ctx: Context, clock: ManualClock, voters: int, deliverers: int, *, batch: int, concurrency: int
) -> tuple[float, float, int]:
    """(seconds to queue, seconds to queue and deliver, DMs delivered) for the 1 h reminder."""
    motion_id = await _committee(ctx, voters)
    async with ctx.db.reading() as session:
        deadline = (
            await session.execute(
                select(ScheduledTask.due_at).where(ScheduledTask.key == f"motion:{motion_id}:remind:3600")
            )  # type: ignore[arg-type]
        ).scalar_one()
    fake = await FakeSlackAPI(team_id=TEAM).start()
    http = aiohttp.ClientSession()  # one kept-alive session and a 429 handler, as bot.slack.app builds it
    try:
        client = AsyncWebClient(token="xoxb-bench", base_url=fake.base_url, session=http)
        client.retry_handlers.append(AsyncRateLimitErrorRetryHandler(max_retry_count=3))
        workers = [
            SlackDelivery(ctx, client, team_id=TEAM, batch=batch, concurrency=concurrency)
            for _ in range(deliverers)
        ]
        clock.set(deadline)
        started = time.perf_counter()
        outcomes = await scheduling.run_due(ctx, "bench")
        queued = time.perf_counter() - started
        assert [o.result for o in outcomes][-1] == f"done: {voters} reminded", outcomes

        async def drain(worker: SlackDelivery) -> int:
            sent = 0
            while True:
                report = await worker.deliver_due()
                sent += report.sent
                if report.sent == 0 and report.failed == 0 and report.waiting == 0:
                    return sent

        delivered = sum(await asyncio.gather(*(drain(w) for w in workers)))
        total = time.perf_counter() - started
        posted = fake.calls_to("chat.postMessage")
        channels = [c.args.get("channel") for c in posted]
        assert delivered == voters == len(posted), (delivered, voters, len(posted))
        assert len(set(channels)) == voters, "a member got two reminders"
        return queued, total, delivered
    finally:
        await http.close()
        await fake.stop()


async def run(backend: str, args: argparse.Namespace) -> list[tuple[str, float, float]]:
    """Both measurements on one backend; returns (name, figure, target) rows."""
    figures: list[tuple[str, float, float]] = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in ("restore", "fanout"):
            db, scratch = await _database(backend, args.pg_url, Path(tmp))
            clock = ManualClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
            ctx = Context(db=db, secret=b"bench-secret", clock=clock)
            try:
                if name == "restore":
                    took, held = await bench_restore(ctx, args.jobs)
                    print(f"[{backend}] restore: {held} jobs held by APScheduler in {took:.3f} s")
                    figures.append((f"{backend} restore {args.jobs} jobs (s)", took, RESTORE_TARGET_S))
                else:
                    queued, total, sent = await bench_fanout(
                        ctx,
                        clock,
                        args.voters,
                        args.deliverers,
                        batch=args.batch,
                        concurrency=args.concurrency,
                    )
                    print(
                        f"[{backend}] fan-out: {sent} reminders queued in {queued:.3f} s, all delivered "
                        f"to the fake Slack API in {total:.3f} s ({sent / total:.0f}/s, "
                        f"{args.deliverers} deliverers, batches of {args.batch}, "
                        f"{args.concurrency} sends at once each)"
                    )
                    figures.append(
                        (f"{backend} fan-out to {args.voters} non-voters (s)", total, FANOUT_TARGET_S)
                    )
            finally:
                await db.dispose()
                await _drop(args.pg_url, scratch)
    return figures


def main() -> int:
    """Parse the options, run the benchmarks, print figures and PASS/FAIL per target."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=10_000)
    parser.add_argument("--voters", type=int, default=5_000)
    parser.add_argument("--deliverers", type=int, default=4)
    parser.add_argument("--batch", type=int, default=200, help="messages each deliverer claims per round")
    parser.add_argument("--concurrency", type=int, default=16, help="sends at once per deliverer")
    parser.add_argument("--backend", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument(
        "--pg-url",
        default=os.environ.get("GOVBOT_TEST_PG_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"),
    )
    parser.add_argument(
        "--report-only", action="store_true", help="exit 0 when a time target is missed (smoke runs)"
    )
    args = parser.parse_args()
    if min(args.jobs, args.voters, args.deliverers, args.batch, args.concurrency) < 1:
        parser.error("--jobs, --voters, --deliverers, --batch and --concurrency must be at least 1")
    print(f"CPUs: {os.cpu_count()}")
    backends = ("sqlite", "postgres") if args.backend == "both" else (args.backend,)
    rows: list[tuple[str, float, float]] = []
    for backend in backends:
        rows += asyncio.run(run(backend, args))
    failed = 0
    for name, figure, target in rows:
        ok = figure <= target
        failed += not ok
        print(f"{'PASS' if ok else 'FAIL'}  {name}: {figure:.3f} (target <= {target})")
    return 1 if failed and not args.report_only else 0


if __name__ == "__main__":
    raise SystemExit(main())
