"""Benchmark: the audit log under load, and exporting and verifying a million events.

    .venv/bin/python bench/audit.py [--events 1000000] [--voters 7000] [--rounds 3] [--tasks 50]
                                    [--elections 10] [--report-only]

On a SQLite file (the default deployment), through the services:

1. **Casting with the log on**: ``--tasks`` tasks cast ballots (``elections.cast_ballot``) in
   ``--elections`` elections while the scheduler's periodic sealer (``scheduling.seal_pending``: seal,
   shuffle, anchor) chains the ballots' events into each election's chain and anchors the heads, every
   second (a deployment runs it every few minutes). The baseline casts as many ballots with the job
   off: the ballots' events are only appended as unchained rows. Fairly: the same tasks and elections,
   one warm-up run (not counted), then ``--rounds`` rounds of one run each way, alternating which goes
   first (the database grows as runs go on), each run on fresh voters; the medians are compared.
   Each election is on a board of its own (a board's staggered terms let one election at a time fill
   its seats). Target: with the log on, at least 90% of the baseline's ballots/s. The append rate is the audit
   events written per second over the runs with the log on.
2. **Export**: a stream of ``--events`` chained events (bulk-inserted) is read from the database and
   written to a JSONL file batch by batch (``governance.export.write_stream_jsonl``). Target >= 100,000
   events/s.
3. **Verify**: the file is read and checked as a third party would (``governance.verify.check_lines``:
   recompute every hash, follow the chain to the recorded head). Target >= 200,000 events/s.

Prints the figures and PASS/FAIL per target; exit status 1 if any failed (with ``--report-only``, the
test suite's smoke run on tiny sizes, only when a chain does not verify). Other work on the machine
changes the figures: run it on a quiet machine for numbers to compare.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, insert, select

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.cast import CANDIDATES, SECRET, _bulk_roster
from bot import schema
from governance import audit, export
from governance.db import Database
from governance.models import AuditEvent, AuditHead
from governance.services import bodies, elections, roster, scheduling
from governance.services.common import Actor, Context
from governance.verify import check_lines

TARGET_EXPORT = 100_000.0
TARGET_VERIFY = 200_000.0
TARGET_RATIO = 0.90
INTERVAL = 1.0  # seconds between runs of the sealing and anchoring job (minutes in production)


async def _setup(ctx: Context, voters: int, n_elections: int) -> list[Actor]:
    people = await _bulk_roster(ctx.db, voters, ctx.now())
    sec = await roster.actor_for_handle(ctx, "sec")
    for e in range(n_elections):
        # One board per election: a board's terms are staggered, so two elections running at once on the
        # same board cannot both fill its seats (rule 'staggered-terms'); each fills every free seat.
        body, slug = f"board-{e}", f"bench-{e}"
        await bodies.create_body(ctx, sec, body, f"Board of Directors {e}", "board")
        await elections.create_election(ctx, sec, body, slug, f"Bench election {e}")
        await elections.open_nominations(ctx, sec, slug)
        for handle in CANDIDATES:
            await elections.nominate(ctx, await roster.actor_for_handle(ctx, handle), slug)
        await elections.open_voting(ctx, sec, slug, ctx.now() + timedelta(days=7))
    return people


async def _cast(ctx: Context, voters: list[Actor], tasks: int, n_elections: int, *, log_on: bool) -> float:
    """Ballots per second for ``voters`` (each voting once) cast by ``tasks`` tasks."""
    rng = random.Random(len(voters))
    work = iter(
        (voter, f"bench-{i % n_elections}", rng.sample(CANDIDATES, rng.randint(1, len(CANDIDATES))))
        for i, voter in enumerate(voters)
    )
    done = asyncio.Event()

    async def caster() -> None:
        for voter, slug, ballot in work:
            await elections.cast_ballot(ctx, voter, slug, ballot)

    async def chainer() -> None:
        while not done.is_set():
            await scheduling.seal_pending(ctx)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(done.wait(), INTERVAL)

    job = asyncio.create_task(chainer()) if log_on else None
    start = time.perf_counter()
    await asyncio.gather(*(caster() for _ in range(tasks)))
    seconds = time.perf_counter() - start
    done.set()
    if job is not None:
        await job
    return len(voters) / seconds


async def _count_events(db: Database) -> int:
    async with db.reading() as session:
        return int((await session.execute(select(func.count()).select_from(AuditEvent))).scalar_one())


async def _million(db: Database, n: int) -> str:
    """Bulk-insert one stream of ``n`` chained events (hashes computed as govbot does); return its head."""
    stream = "bench:million"
    at = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
    prev = audit.GENESIS
    batch: list[dict[str, object]] = []
    async with db.transaction() as session:
        for seq in range(1, n + 1):
            when = at + timedelta(microseconds=seq)
            payload = f'{{"n":{seq}}}'
            digest = audit.event_hash(prev, stream, seq, when, "scheduler", "bench.tick", "bench", payload)
            batch.append(
                {
                    "stream": stream,
                    "seq": seq,
                    "at": when,
                    "actor": "scheduler",
                    "kind": "bench.tick",
                    "subject": "bench",
                    "payload": payload,
                    "prev_hash": prev,
                    "hash": digest,
                }
            )
            prev = digest
            if len(batch) == 20_000:
                await session.execute(insert(AuditEvent), batch)
                batch = []
        if batch:
            await session.execute(insert(AuditEvent), batch)
        await session.execute(insert(AuditHead), {"stream": stream, "seq": n, "hash": prev})
    return prev


async def run(args: argparse.Namespace) -> int:
    """Run the three measurements on a scratch SQLite file and print figures and verdicts."""
    with tempfile.TemporaryDirectory() as scratch:
        url = f"sqlite+aiosqlite:///{Path(scratch) / 'bench.db'}"
        await asyncio.to_thread(schema.upgrade, url)
        db = Database(url)
        ctx = Context(db=db, secret=SECRET)
        try:
            people = await _setup(ctx, args.voters, args.elections)
            runs = 2 * args.rounds + 1
            size = len(people) // runs
            chunks = [people[i * size : (i + 1) * size] for i in range(runs)]
            await _cast(ctx, chunks[0], args.tasks, args.elections, log_on=False)  # warm-up
            rates: dict[bool, list[float]] = {False: [], True: []}
            appended, cast_seconds = 0, 0.0
            for r in range(args.rounds):
                for k, log_on in enumerate((False, True) if r % 2 == 0 else (True, False)):
                    chunk = chunks[1 + 2 * r + k]
                    await scheduling.seal_pending(ctx)  # untimed: no run seals another run's events
                    before = await _count_events(db)
                    start = time.perf_counter()
                    rates[log_on].append(await _cast(ctx, chunk, args.tasks, args.elections, log_on=log_on))
                    if log_on:
                        cast_seconds += time.perf_counter() - start
                        appended += await _count_events(db) - before
            async with db.reading() as session:
                checks = await audit.verify_deployment(session)
            baseline, logged = statistics.median(rates[False]), statistics.median(rates[True])
            print(f"casting: {args.tasks} tasks, {args.elections} elections, {size} ballots per run")
            runs_text = {k: " ".join(f"{v:.0f}" for v in rates[k]) for k in rates}
            print(
                f"  unchained appends only:     {baseline:9.0f} ballots/s median (runs: {runs_text[False]})"
            )
            print(f"  log on (sealed, anchored):  {logged:9.0f} ballots/s median (runs: {runs_text[True]})")
            print(
                f"  append rate with log on:    {appended / cast_seconds:9.0f} events/s ({appended} events)"
            )
            print(f"  chains verify afterwards:   {all(c.ok for c in checks)} ({len(checks)} chains)")

            t0 = time.perf_counter()
            head = await _million(db, args.events)
            print(f"\n{args.events} events bulk-inserted in {time.perf_counter() - t0:.1f} s")
            jsonl_path = Path(scratch) / "events.jsonl"
            t0 = time.perf_counter()
            async with db.reading() as session:
                with jsonl_path.open("wb") as out:
                    await export.write_stream_jsonl(session, "bench:million", out)
            export_seconds = time.perf_counter() - t0
            size_mb = jsonl_path.stat().st_size / 1e6
            t0 = time.perf_counter()
            with jsonl_path.open("rb") as jsonl:
                check = check_lines("bench:million", jsonl.read().split(b"\n")[:-1], head, args.events)
            verify_seconds = time.perf_counter() - t0
        finally:
            await db.dispose()
    export_rate = args.events / export_seconds
    verify_rate = args.events / verify_seconds
    print(f"  export: {export_rate:9.0f} events/s ({export_seconds:.2f} s, {size_mb:.0f} MB JSONL to a file)")
    print(f"  verify: {verify_rate:9.0f} events/s ({verify_seconds:.2f} s, chain ok: {check.ok})")
    verdicts = [
        ("export >= 100,000 events/s", export_rate >= TARGET_EXPORT),
        ("verify >= 200,000 events/s", verify_rate >= TARGET_VERIFY and check.ok),
        (
            f"casting with the log on >= {TARGET_RATIO:.0%} of unchained appends ({logged / baseline:.0%})",
            logged >= TARGET_RATIO * baseline and all(c.ok for c in checks),
        ),
    ]
    print()
    for name, ok in verdicts:
        print(f"{'PASS' if ok else 'FAIL'}  {name}")
    if args.report_only:
        return 0 if check.ok and all(c.ok for c in checks) else 1
    return 0 if all(ok for _, ok in verdicts) else 1


def main(argv: list[str] | None = None) -> int:
    """Parse the options and run the benchmark."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--voters", type=int, default=7000, help="voters in all (split over the runs)")
    parser.add_argument("--rounds", type=int, default=3, help="casting runs each way (after one warm-up)")
    parser.add_argument("--tasks", type=int, default=50)
    parser.add_argument("--elections", type=int, default=10)
    parser.add_argument(
        "--report-only", action="store_true", help="exit 0 when a speed target is missed (smoke runs)"
    )
    args = parser.parse_args(argv)
    if min(args.events, args.rounds, args.tasks, args.elections) < 1:
        parser.error("--events, --rounds, --tasks and --elections must be at least 1")
    if args.voters < (2 * args.rounds + 1) * args.elections:
        parser.error("--voters must give every run at least one ballot per election")
    return asyncio.run(run(args))


if __name__ == "__main__":
    raise SystemExit(main())
