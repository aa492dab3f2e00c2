"""Fixtures for the bot layer: a context holding the sample alliance, a way to speak as someone, and the
bot running against the Slack and Discord fakes (``slack``, ``bot``, ``fake``)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest

from bot.commands import dispatch
from bot.present.replies import Reply
from governance import seed
from governance.services import roster
from governance.services.common import Context
from tests.fakes.console import Say
from tests.fakes.discord_harness import bot, fake  # noqa: F401  (fixtures)
from tests.fakes.slack_harness import slack  # noqa: F401  (fixture)


@pytest.fixture
async def seeded(ctx: Context, request: pytest.FixtureRequest) -> Context:
    """The context with the sample alliance of ``governance.seed`` in its database.

    A test marked ``@pytest.mark.parametrize("seeded", [False], indirect=True)`` gets it without the
    sample board election, to run board elections of its own (the board's seats are staggered).
    """
    await seed.seed(ctx, sample_election=getattr(request, "param", True))
    return ctx


@pytest.fixture
def say(seeded: Context) -> Say:
    """``await say("alice", "wg join safety")``: run a command line as a person and return the reply."""

    async def run(handle: str, line: str, tz: str = "UTC") -> Reply:
        actor = await roster.actor_for_handle(seeded, handle)
        return await dispatch(seeded, actor, line, tz=ZoneInfo(tz))

    return run

