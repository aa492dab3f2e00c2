"""Benchmark: the size of Slack ballot forms against Slack's 250 kB per view.

    .venv/bin/python bench/slack_forms.py [--counts 5,60,99,200] [--name-length 40]

For each number of candidates, on a fresh SQLite file seeded with the sample alliance, people stand in
the sample board election (ranked, Meek STV) until that many stand, their names padded to
``--name-length`` characters (as long as a real "First Last, Organisation" name), and voting opens. It
then builds the voter's ballot form (``bot.slack.ballots.election_modal``) twice: as it would be with
static selects in every rank (each rank lists every candidate), and as govbot sends it (type-ahead
selects once the static form would pass ``VIEW_BUDGET``). It prints both sizes as ``slack_sdk`` sends
them (JSON), the kind of select sent, and PASS/FAIL against the target: the form sent stays under
250,000 bytes. Exit status 1 if any failed. Sizes do not depend on the machine's load.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.slack import ballots
from governance import seed
from governance.db import Database
from governance.models import metadata
from governance.services import elections, roster
from governance.services.common import Actor, Context

LIMIT = 250_000
ORGS = ["acme", "globex", "initech", "univ-lyon", "opendata"]


async def sizes(count: int, name_length: int) -> tuple[int, int, str]:
    """(static form bytes, sent form bytes, select type sent) for ``count`` candidates standing."""
    with tempfile.TemporaryDirectory(prefix="govbot-bench-") as tmp:
        db = Database(f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}")
        try:
            async with db.engine.begin() as conn:
                await conn.run_sync(metadata.create_all)
            ctx = Context(db=db, secret=b"bench-secret")
            await seed.seed(ctx)
            system = Actor.system("bench")
            standing = len(ballots._standing((await elections.show(ctx, "board-2027")).candidates))
            for i in range(count - standing):
                handle = f"cand{i:03d}"
                name = f"Candidate {i:03d} ".ljust(name_length, "x")
                await roster.add_person(ctx, system, handle, name, organisation=ORGS[i % 5])
                await elections.nominate(ctx, await roster.actor_for_handle(ctx, handle), "board-2027")
            await elections.open_voting(ctx, system, "board-2027")
            budget = ballots.VIEW_BUDGET
            ballots.VIEW_BUDGET = sys.maxsize  # the form with static selects, as it was built before
            try:
                static = await ballots.election_modal(ctx, "board-2027", ZoneInfo("UTC"))
            finally:
                ballots.VIEW_BUDGET = budget
            sent = await ballots.election_modal(ctx, "board-2027", ZoneInfo("UTC"))
            kinds = {b["element"]["type"] for b in sent["blocks"] if b["type"] == "input"}
            return ballots.view_bytes(static), ballots.view_bytes(sent), ",".join(sorted(kinds))
        finally:
            await db.dispose()


async def run(counts: list[int], name_length: int) -> int:
    """Print the figures; 1 if any form sent is over the limit."""
    failed = 0
    print(f"ranked ballot form sizes (names {name_length} chars); target: sent < {LIMIT:,} bytes")
    for count in counts:
        static, sent, kind = await sizes(count, name_length)
        ok = sent < LIMIT
        failed += not ok
        print(
            f"{count:4d} candidates: static selects {static:9,d} B"
            f" | sent {sent:9,d} B ({kind}) {'PASS' if ok else 'FAIL'}"
        )
    return 1 if failed else 0


def main(argv: list[str] | None = None) -> int:
    """Parse the options and run."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--counts", default="5,60,99,200")
    parser.add_argument("--name-length", type=int, default=40)
    args = parser.parse_args(argv)
    return asyncio.run(run([int(c) for c in args.counts.split(",")], args.name_length))


if __name__ == "__main__":
    sys.exit(main())
