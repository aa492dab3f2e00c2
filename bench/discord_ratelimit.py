"""Discord outbox round under a long rate limit: how long one delivery round holds its lock when Discord
answers the first post with 429 and ``Retry-After: 30``.

The real client (``bot.discord.client.build_client``) runs against the loopback fake of ``tests/fakes``
(REST and gateway) on a fresh SQLite database holding the sample alliance, its people linked in the
fake guild. ``--notices`` DMs are queued (a join request each, to the working group's chair), the fake
answers the first post 429 with ``Retry-After: --retry-after`` seconds, and one ``deliver_due`` round is
timed; then a later round delivers what the first gave up. Target: the round returns within
``SEND_TIMEOUT`` + 2 s (before the cap, discord.py slept the whole ``Retry-After`` inside the round),
and every notice is delivered exactly once over the two rounds.

    .venv/bin/python bench/discord_ratelimit.py [--retry-after 30] [--notices 6]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import discord

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.config import Settings
from bot.discord import delivery
from bot.discord.client import build_client
from governance import seed
from governance.clock import ManualClock
from governance.db import Database
from governance.models import metadata
from governance.services import bodies, roster
from governance.services.common import Actor, Context
from tests.fakes.discord_api import FakeDiscord

HANDLES = ["sec", "alice", "arjun", "bea", "farid", "carlos", "chen", "dana", "emma"]


async def run(retry_after: float, notices: int) -> int:
    """Time one round with a long 429 and print the figures; 0 when the targets are met."""
    tmp = tempfile.TemporaryDirectory()
    db = Database(f"sqlite+aiosqlite:///{Path(tmp.name) / 'bench.db'}")
    async with db.engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    clock = ManualClock()
    ctx = Context(db=db, secret=b"bench-secret", clock=clock)
    await seed.seed(ctx)
    fake = FakeDiscord()
    await fake.start()
    for i, handle in enumerate(HANDLES):
        user = str(6 * 10**17 + i)
        await roster.link_identity(ctx, Actor.system("bench"), handle, "discord", fake.guild_id, user)
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        DISCORD_TOKEN="test-token",
        DISCORD_API_BASE_URL=fake.api_base,
        DISCORD_GUILD_ID=fake.guild_id,
        GOVBOT_SECRET="bench",
    )
    original = discord.http.Route.BASE
    client = build_client(ctx, settings, tz=ZoneInfo("UTC"), delivery_interval=None, guild_ready_timeout=0.05)
    task = asyncio.create_task(client.start("test-token"))
    try:
        await asyncio.wait_for(client.wait_until_ready(), 10)
        await delivery.deliver_due(client, ctx, guild_id=fake.guild_id)  # what seeding queued
        for n in range(notices):
            handle = f"bench{n:02d}"
            await roster.add_person(ctx, Actor.system("bench"), handle, f"Bench {n}", organisation="acme")
            await bodies.request_join(ctx, await roster.actor_for_handle(ctx, handle), "safety")
        fake.rate_limit_posts, fake.retry_after = 1, retry_after
        started = time.perf_counter()
        first = await delivery.deliver_due(client, ctx, guild_id=fake.guild_id)
        held = time.perf_counter() - started
        clock.advance(timedelta(minutes=5))
        second = await delivery.deliver_due(client, ctx, guild_id=fake.guild_id)
        delivered = sorted([*first.sent, *second.sent])
        nonces = [m.payload.get("nonce") for m in fake.messages]
        once = all(nonces.count(f"gbo{i}") == 1 for i in delivered)
    finally:
        await client.close()
        await asyncio.gather(task, return_exceptions=True)
        discord.http.Route.BASE = original
        await fake.stop()
        await db.dispose()
        tmp.cleanup()
    target = delivery.SEND_TIMEOUT + 2
    print(f"429 Retry-After {retry_after:g}s on the first of {notices} notices")
    print(f"round held its lock   {held:6.2f} s   (target <= {target:g} s; uncapped: {retry_after:g} s)")
    print(f"first round           sent {len(first.sent)}, gave up {len(first.failed)}")
    print(f"second round          sent {len(second.sent)}, failed {len(second.failed)}")
    print(f"delivered once each   {once} ({len(delivered)} of {notices})")
    ok = held <= target and once and len(delivered) == notices
    print("targets met" if ok else "TARGETS MISSED")
    return 0 if ok else 1


def main() -> int:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--retry-after", type=float, default=30.0)
    parser.add_argument("--notices", type=int, default=6)
    args = parser.parse_args()
    return asyncio.run(run(args.retry_after, args.notices))


if __name__ == "__main__":
    raise SystemExit(main())
