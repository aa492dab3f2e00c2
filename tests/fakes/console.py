"""The simplest adapter: a person typing a command line, answered the way every chat adapter answers
(``bot.commands.dispatch``), for tests that speak as someone without a platform in between."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from zoneinfo import ZoneInfo

from bot.commands import dispatch
from bot.present.replies import Reply
from governance.services import roster
from governance.services.common import Context

Say = Callable[..., Awaitable[Reply]]
"""``await say("alice", "wg join safety")``: a command line run as a person (the ``say`` fixture)."""


async def say(ctx: Context, handle: str, line: str) -> Reply:
    """Run a command line as someone, the way every adapter does."""
    return await dispatch(ctx, await roster.actor_for_handle(ctx, handle), line, tz=ZoneInfo("UTC"))
