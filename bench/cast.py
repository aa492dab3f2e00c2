"""Benchmark: N voters casting ballots concurrently through the service layer.

    .venv/bin/python bench/cast.py [--voters 10000] [--backend sqlite|postgres|both] [--concurrency 100]
                                   [--processes 1] [--pool-size 10] [--count-statements]

The roster (N member organisations, each with a person who is its voting representative) is
bulk-inserted with SQL to save time; everything after that goes through the services: the board, the
election, nominations, opening the vote, every ballot (``elections.cast_ballot``) and the count.
It prints ballots/s and p50/p99 latency per backend, checks that exactly N ballots were counted and
that the election's audit chain verifies after the close (which seals the ballots' pending events into
it; the close's time is printed but not a target), and prints each target with PASS or FAIL (exit
status 1 if any failed).

``--count-statements`` (one process only) also prints, per ballot, the SQL statements run while
casting, by kind and table: on SQLite as SQLite itself traces them (BEGIN and COMMIT included, whoever
sends them; an ``executemany`` is traced once per row), on PostgreSQL as SQLAlchemy or asyncpg (its
query logger) sends them; and the pool checkouts. Ballots written in one transaction share its BEGIN
and COMMIT: a fraction each.

Latency and throughput are tied: with C ballots in flight, mean latency is about C / throughput, so the
p99 target at the default concurrency of 100 needs well over 400 ballots/s with a short tail.

PostgreSQL: a scratch database is created on the server of ``--pg-url`` (the maintenance database;
default the local server's ``test`` database) and dropped afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import random
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg  # type: ignore[import-untyped]
from sqlalchemy import event, insert
from sqlalchemy.engine import make_url
from sqlalchemy.util import await_

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot import schema
from governance import audit
from governance.db import Database
from governance.models import Organisation, Person, VotingRep
from governance.services import bodies, elections, roster
from governance.services.common import Actor, Context

PG_MAINTENANCE = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
CANDIDATES = ("cand-a", "cand-b", "cand-c", "cand-d", "cand-e")
TARGET_RATE = {"sqlite": 1000.0, "postgres": 1000.0}
TARGET_P99_MS = 200.0
SECRET = b"bench-secret"
REPORT_ONLY = False  # --report-only (the test suite's smoke run): a missed speed target does not fail it


class StatementCounter:
    """Counts the statements a database runs while ``on``, by kind and table (see the module's note)."""

    def __init__(self) -> None:
        self.on = False
        self.counts: Counter[str] = Counter()
        self._lock = threading.Lock()  # SQLite's trace runs on each connection's own thread

    def attach(self, db: Database) -> None:
        """Listen to ``db``'s engine (before any connection is opened)."""
        engine = db.engine.sync_engine
        event.listen(engine.pool, "checkout", lambda *_: self._count("", "(pool checkouts)"))
        if db.is_sqlite:
            event.listen(engine.pool, "connect", self._trace_sqlite)
        else:  # SQLAlchemy's statements, and those sent straight to asyncpg (``db.driver_fetch``)
            event.listen(engine, "before_cursor_execute", self._on_execute)
            event.listen(engine.pool, "connect", self._log_asyncpg)

    def _trace_sqlite(self, dbapi_connection: Any, _record: Any) -> None:
        await_(dbapi_connection.driver_connection.set_trace_callback(self._count))

    def _log_asyncpg(self, dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.driver_connection.add_query_logger(lambda record: self._count(record.query))

    def _on_execute(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        self._count(statement)

    def _count(self, statement: str, key: str | None = None) -> None:
        if not self.on:
            return
        if key is None:
            words = statement.split()
            kind = words[0].upper() if words else "?"
            table = next(
                (words[i + 1] for i, w in enumerate(words[:-1]) if w.upper() in ("INTO", "FROM", "UPDATE")),
                "",
            )
            key = f"{kind} {table}".strip()
        with self._lock:
            self.counts[key] += 1

    def report(self, backend: str, ballots: int) -> None:
        """Print the counts per ballot, most frequent first, and start again."""
        total = sum(n for k, n in self.counts.items() if not k.startswith("("))
        print(f"[{backend}] SQL statements per ballot: {total / ballots:.2f}")
        for key, n in self.counts.most_common():
            print(f"    {n / ballots:6.2f}  {key}")
        self.counts.clear()


@dataclass(frozen=True)
class Outcome:
    """One backend's figures."""

    backend: str
    voters: int
    seconds: float
    latencies_ms: list[float]
    counted: int
    failures: int
    chain_ok: bool = True

    @property
    def rate(self) -> float:
        return self.voters / self.seconds

    def percentile(self, q: float) -> float:
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def _bulk_roster(db: Database, n: int, now: datetime) -> list[Actor]:
    """N organisations, each with one person designated as its voting representative, plus candidates."""
    orgs = [
        {
            "id": i,
            "slug": f"org-{i}",
            "name": f"Organisation {i}",
            "tier": "general",
            "active": True,
            "created_at": now,
        }
        for i in range(1, n + len(CANDIDATES) + 1)
    ]
    people = [
        {
            "id": i,
            "handle": f"voter-{i}",
            "name": f"Voter {i}",
            "organisation_id": i,
            "is_admin": False,
            "status": "active",
            "created_at": now,
        }
        for i in range(1, n + 1)
    ]
    people += [
        {
            "id": n + k,
            "handle": h,
            "name": f"Candidate {h[-1].upper()}",
            "organisation_id": n + k,
            "is_admin": False,
            "status": "active",
            "created_at": now,
        }
        for k, h in enumerate(CANDIDATES, start=1)
    ]
    people.append(
        {
            "id": n + len(CANDIDATES) + 1,
            "handle": "sec",
            "name": "Secretariat",
            "organisation_id": None,
            "is_admin": True,
            "status": "active",
            "created_at": now,
        }
    )
    reps = [{"organisation_id": i, "person_id": i, "since": now} for i in range(1, n + 1)]
    async with db.transaction() as session:
        for table, rows in ((Organisation, orgs), (Person, people), (VotingRep, reps)):
            for start in range(0, len(rows), 2000):
                await session.execute(insert(table), rows[start : start + 2000])
    if not db.is_sqlite:  # explicit ids leave the sequences behind
        async with db.transaction() as session:
            from sqlalchemy import text

            for name in ("organisations", "people"):
                await session.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), (SELECT max(id) FROM {name}))"
                    )
                )
    return [Actor(i, f"voter-{i}", f"Voter {i}") for i in range(1, n + 1)]


async def _prepare(ctx: Context, n: int) -> list[Actor]:
    voters = await _bulk_roster(ctx.db, n, ctx.now())
    sec = await roster.actor_for_handle(ctx, "sec")
    await bodies.create_body(ctx, sec, "board", "Board of Directors", "board")
    await elections.create_election(ctx, sec, "board", "bench", "Bench election", seats=3)
    await elections.open_nominations(ctx, sec, "bench")
    for handle in CANDIDATES:
        await elections.nominate(ctx, await roster.actor_for_handle(ctx, handle), "bench")
    await elections.open_voting(ctx, sec, "bench", ctx.now() + timedelta(days=7))
    return voters


@dataclass(frozen=True)
class Plan:
    """How to cast: tasks per process, connection pool per process, and processes (bot replicas)."""

    concurrency: int
    pool_size: int
    processes: int


async def _cast_all(ctx: Context, voters: list[Actor], concurrency: int) -> tuple[float, list[float], int]:
    rng = random.Random(voters[0].person_id if voters else 0)
    ballots = [rng.sample(CANDIDATES, rng.randint(1, len(CANDIDATES))) for _ in voters]
    queue = iter(zip(voters, ballots, strict=True))
    latencies: list[float] = []
    failures: list[str] = []

    async def worker() -> None:
        for voter, ballot in queue:
            start = time.perf_counter()
            try:
                await elections.cast_ballot(ctx, voter, "bench", list(ballot))
            except Exception as exc:
                failures.append(f"{voter.handle}: {exc!r}")
            latencies.append((time.perf_counter() - start) * 1000)

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    seconds = time.perf_counter() - start
    for failure in failures[:5]:
        print(f"  failed: {failure}", file=sys.stderr)
    return seconds, latencies, len(failures)


async def _replica(url: str, voters: list[Actor], plan: Plan) -> tuple[float, float, list[float], int]:
    """One process's share of the voters: (start, end) wall-clock times, latencies, failures."""
    db = Database(url, pool_size=plan.pool_size)
    ctx = Context(db=db, secret=SECRET)
    try:
        await roster.actor_for_handle(ctx, "sec")  # warm the pool before the clock starts
        start = time.time()
        _, latencies, failures = await _cast_all(ctx, voters, plan.concurrency)
        return start, time.time(), latencies, failures
    finally:
        await db.dispose()


def _replica_process(url: str, voters: list[Actor], plan: Plan) -> tuple[float, float, list[float], int]:
    return asyncio.run(_replica(url, voters, plan))


async def _cast_in_processes(url: str, voters: list[Actor], plan: Plan) -> tuple[float, list[float], int]:
    shares = [voters[i :: plan.processes] for i in range(plan.processes)]
    loop = asyncio.get_running_loop()
    with ProcessPoolExecutor(plan.processes, mp_context=multiprocessing.get_context("spawn")) as pool:
        parts = await asyncio.gather(
            *(loop.run_in_executor(pool, _replica_process, url, s, plan) for s in shares)
        )
    seconds = max(p[1] for p in parts) - min(p[0] for p in parts)
    return seconds, [ms for p in parts for ms in p[2]], sum(p[3] for p in parts)


async def _run(
    backend: str, url: str, n: int, plan: Plan, counter: StatementCounter | None = None
) -> Outcome:
    await asyncio.to_thread(schema.upgrade, url)
    db = Database(url, pool_size=plan.pool_size)
    if counter is not None:
        counter.attach(db)
    ctx = Context(db=db, secret=SECRET)
    try:
        t0 = time.perf_counter()
        voters = await _prepare(ctx, n)
        print(
            f"[{backend}] roster of {n} voting representatives ready in {time.perf_counter() - t0:.1f}s; "
            f"casting with {plan.processes} process(es) x concurrency {plan.concurrency}…",
            flush=True,
        )
        if plan.processes > 1:
            seconds, latencies, failures = await _cast_in_processes(url, voters, plan)
        else:
            if counter is not None:
                counter.on = True
            seconds, latencies, failures = await _cast_all(ctx, voters, plan.concurrency)
            if counter is not None:
                counter.on = False
                counter.report(backend, n)
        sec = await roster.actor_for_handle(ctx, "sec")
        async with db.reading() as session:
            pending = sum(e.seq is None for e in await audit.stream_events(session, "election:bench"))
        t1 = time.perf_counter()
        result = await elections.close(ctx, sec, "bench")
        closing = time.perf_counter() - t1
        async with db.reading() as session:
            chain = await audit.verify_stream(session, "election:bench")
        print(
            f"[{backend}] closed and counted in {closing:.2f}s, sealing {pending} pending audit events "
            f"into the chain; chain {'OK' if chain.ok else 'BROKEN'}, "
            f"{chain.events} events, {chain.pending} pending",
            flush=True,
        )
        return Outcome(
            backend, n, seconds, latencies, result.ballots, failures, chain.ok and not chain.pending
        )
    finally:
        await db.dispose()


def _plain(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def _pg_admin(maintenance: str, sql: str) -> None:
    conn = await asyncpg.connect(_plain(maintenance), timeout=10)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


async def _sqlite(n: int, plan: Plan, counter: StatementCounter | None = None) -> Outcome:
    with tempfile.TemporaryDirectory(prefix="govbot-bench-") as tmp:
        return await _run("sqlite", f"sqlite+aiosqlite:///{tmp}/bench.db", n, plan, counter)


async def _postgres(maintenance: str, n: int, plan: Plan, counter: StatementCounter | None = None) -> Outcome:
    name = f"govbot_bench_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    await _pg_admin(maintenance, f'CREATE DATABASE "{name}"')
    try:
        url = make_url(maintenance).set(drivername="postgresql+asyncpg", database=name)
        return await _run("postgres", url.render_as_string(hide_password=False), n, plan, counter)
    finally:
        await _pg_admin(maintenance, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _report(outcome: Outcome) -> bool:
    p50, p99 = outcome.percentile(0.50), outcome.percentile(0.99)
    print(
        f"[{outcome.backend}] {outcome.voters} ballots in {outcome.seconds:.2f}s: "
        f"{outcome.rate:.0f} ballots/s; "
        f"latency p50 {p50:.1f} ms, p99 {p99:.1f} ms, mean {statistics.fmean(outcome.latencies_ms):.1f} ms, "
        f"max {max(outcome.latencies_ms):.1f} ms; failures {outcome.failures}"
    )
    checks = [
        (
            f"throughput >= {TARGET_RATE[outcome.backend]:.0f} ballots/s",
            outcome.rate >= TARGET_RATE[outcome.backend],
            f"{outcome.rate:.0f}",
        ),
        (f"p99 latency <= {TARGET_P99_MS:.0f} ms", p99 <= TARGET_P99_MS, f"{p99:.1f} ms"),
        (
            f"exactly {outcome.voters} ballots counted",
            outcome.counted == outcome.voters and not outcome.failures,
            f"{outcome.counted} counted, {outcome.failures} failed",
        ),
        ("audit chain sealed and verified", outcome.chain_ok, "OK" if outcome.chain_ok else "BROKEN"),
    ]
    for label, passed, value in checks:
        print(f"  {'PASS' if passed else 'FAIL'}  [{outcome.backend}] {label}: {value}")
    speed = 2  # the first two checks are speed targets; the others are correctness
    return all(passed for i, (_, passed, _) in enumerate(checks) if i >= speed or not REPORT_ONLY)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--voters", type=int, default=10_000)
    parser.add_argument("--backend", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--concurrency", type=int, default=100)
    parser.add_argument(
        "--report-only", action="store_true", help="exit 0 when a speed target is missed (smoke runs)"
    )
    parser.add_argument(
        "--pool-size", type=int, default=10, help="connection pool size (PostgreSQL), as the bot"
    )
    parser.add_argument(
        "--pg-url",
        default=os.environ.get("GOVBOT_BENCH_PG_URL", PG_MAINTENANCE),
        help="maintenance database on the PostgreSQL server",
    )
    parser.add_argument(
        "--processes",
        type=int,
        default=1,
        help="cast from this many processes (bot replicas), sharing --concurrency",
    )
    parser.add_argument(
        "--count-statements",
        action="store_true",
        help="print the SQL statements per ballot by kind and table (one process only)",
    )
    args = parser.parse_args(argv)
    global REPORT_ONLY
    REPORT_ONLY = args.report_only
    if min(args.voters, args.concurrency, args.processes, args.pool_size) < 1:
        parser.error("--voters, --concurrency, --processes and --pool-size must be at least 1")
    if args.count_statements and args.processes > 1:
        parser.error("--count-statements counts in one process: leave --processes at 1")
    plan = Plan(-(-args.concurrency // args.processes), args.pool_size, args.processes)
    ok = True
    started = datetime.now(UTC)
    print(
        f"govbot cast benchmark, {started:%Y-%m-%d %H:%M} UTC: {args.voters} voters, concurrency "
        f"{args.concurrency} over {args.processes} process(es), pool {args.pool_size} per process, "
        f"{os.cpu_count()} CPU(s)"
    )
    counter = StatementCounter() if args.count_statements else None
    if args.backend in ("sqlite", "both"):
        ok &= _report(asyncio.run(_sqlite(args.voters, plan, counter)))
    if args.backend in ("postgres", "both"):
        ok &= _report(asyncio.run(_postgres(args.pg_url, args.voters, plan, counter)))
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
