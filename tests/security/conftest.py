"""Fixtures for the security tests: the sample alliance, and the bot running against the Slack and
Discord fakes (``slack``, ``bot``, ``fake``) for the tests that try the adapters as an outsider would."""

from __future__ import annotations

import pytest

from governance import seed
from governance.services.common import Context
from tests.fakes.discord_harness import bot, fake  # noqa: F401  (fixtures)
from tests.fakes.slack_harness import slack  # noqa: F401  (fixture)


@pytest.fixture
async def alliance(ctx: Context) -> Context:
    """The sample alliance (board election in nominations, a committee, a working group)."""
    await seed.seed(ctx)
    return ctx
