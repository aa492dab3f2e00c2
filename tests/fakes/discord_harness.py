"""Fixtures: the loopback fake of Discord, and the real discord.py client (govbot's ``GovBot``) connected
to it over REST and the gateway, on a seeded sample alliance with Discord accounts linked.

The ``fake`` and ``bot`` fixtures are defined here and offered by the conftests of the folders that use
them (``tests/bot``, ``tests/security``); ``slash`` runs a slash command through them."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import discord
import pytest

from bot.config import Settings
from bot.discord.client import GovBot, build_client
from governance import seed
from governance.services import roster
from governance.services.common import Actor, Context
from tests.fakes.discord_api import Callback, FakeDiscord

LINKED = ("sec", "alice", "arjun", "bea", "farid", "carlos", "chen", "dana", "emma")


def user_id(handle: str) -> str:
    """The Discord user id the tests give a roster handle."""
    return str(600_000_000_000_000_000 + LINKED.index(handle) + 1)


UNLINKED_USER = "600000000000000999"


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    """The strict fake Discord, listening on 127.0.0.1; ``discord.http.Route.BASE`` is restored afterwards.

    It refuses what Discord refuses (``tests/fakes/discord_limits.py``); a test that leaves a refusal it
    did not take (``fake.take_refusals()``) fails, so a message the bot lost to a limit cannot pass
    unnoticed.
    """
    server = FakeDiscord()
    await server.start()
    original = discord.http.Route.BASE
    try:
        yield server
    finally:
        discord.http.Route.BASE = original
        await server.stop()
    assert not server.refusals, f"Discord would have refused: {server.refusals}"


def settings_for(fake: FakeDiscord, *, guild: bool = True) -> Settings:
    """Settings as an operator would give them, pointing at the fake."""
    values = {
        "DISCORD_TOKEN": "test-token",
        "DISCORD_API_BASE_URL": fake.api_base,
        "GOVBOT_SECRET": "test",
        "DATABASE_URL": "sqlite+aiosqlite:///:memory:",
    }
    if guild:
        values["DISCORD_GUILD_ID"] = fake.guild_id
    return Settings(_env_file=None, **values)  # type: ignore[arg-type]


async def seeded(ctx: Context, fake: FakeDiscord, *, sample_election: bool = True) -> None:
    """The sample alliance, with each person's Discord account linked in the fake guild."""
    await seed.seed(ctx, sample_election=sample_election)
    system = Actor.system("test")
    for handle in LINKED:
        await roster.link_identity(ctx, system, handle, "discord", fake.guild_id, user_id(handle))


@dataclass
class Running:
    """A connected client and its fake."""

    client: GovBot
    fake: FakeDiscord
    ctx: Context


@contextlib.asynccontextmanager
async def running(ctx: Context, fake: FakeDiscord, settings: Settings) -> AsyncIterator[GovBot]:
    """Start the real client against the fake and wait until it is ready; close it afterwards."""
    client = build_client(
        ctx, settings, tz=ZoneInfo("Europe/Paris"), delivery_interval=None, guild_ready_timeout=0.05
    )
    task = asyncio.create_task(client.start("test-token"))
    try:
        done, _ = await asyncio.wait(
            {task, asyncio.ensure_future(client.wait_until_ready())},
            timeout=10,
            return_when=asyncio.FIRST_COMPLETED,
        )
        if task in done:
            task.result()
        assert client.is_ready(), "the client did not become ready"
        yield client
    finally:
        await client.close()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await asyncio.wait_for(task, 5)


@pytest.fixture
async def bot(ctx: Context, fake: FakeDiscord, request: pytest.FixtureRequest) -> AsyncIterator[Running]:
    """The seeded alliance and a client connected to the fake, commands synced to the guild.

    ``@pytest.mark.parametrize("bot", [False], indirect=True)`` leaves out the sample board election, for
    a test that creates board elections of its own (the board's seats are staggered).
    """
    await seeded(ctx, fake, sample_election=getattr(request, "param", True))
    async with running(ctx, fake, settings_for(fake)) as client:
        yield Running(client, fake, ctx)


async def slash(bot: Running, who: str | None, path: list[str], /, **options: object) -> Callback:
    """Run a slash command as ``who`` (None: an unlinked Discord user) and return the bot's answer."""
    uid = user_id(who) if who else UNLINKED_USER
    payload = bot.fake.command_payload(path, dict(options), user_id=uid, username=who or "stranger")
    return await bot.fake.interact(payload)
