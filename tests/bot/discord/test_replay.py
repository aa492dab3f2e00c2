"""The same INTERACTION_CREATE delivered twice (as a gateway resume can) is acted on once (issue 21,
item 6), through the real discord.py client and the loopback gateway: one ballot, one motion, no
yes->yes change in the roll-call stream, no second answer."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest
from sqlalchemy import func, select

from governance.models import AuditEvent, Ballot, Motion
from governance.services import elections, roster
from governance.services.common import Context
from tests.fakes.discord_harness import Running, user_id


async def _count(ctx: Context, model: Any, *where: Any) -> int:
    async with ctx.db.reading() as session:
        query = select(func.count()).select_from(model)
        for clause in where:
            query = query.where(clause)
        return int((await session.execute(query)).scalar_one())


async def _deliver_twice(bot: Running, payload: dict[str, Any], caplog: pytest.LogCaptureFixture) -> str:
    """Dispatch ``payload`` on the gateway, then the very same event again; the first answer's text."""
    ignored = len([r for r in caplog.records if "repeated Discord interaction" in r.getMessage()])
    first = await bot.fake.interact(payload)
    await bot.fake.dispatch("INTERACTION_CREATE", payload)
    for _ in range(500):  # until the client has handled (and ignored) the second delivery
        if len([r for r in caplog.records if "repeated Discord interaction" in r.getMessage()]) > ignored:
            break
        await asyncio.sleep(0.01)
    else:
        raise AssertionError("the second delivery was not ignored")
    assert [c.interaction_id for c in bot.fake.callbacks].count(payload["id"]) == 1
    return first.content


def _slash(bot: Running, who: str, path: list[str], **options: object) -> dict[str, Any]:
    return bot.fake.command_payload(path, dict(options), user_id=user_id(who), username=who)


async def test_a_vote_delivered_twice_is_cast_once(bot: Running, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="bot.discord.replay")
    sec = await roster.actor_for_handle(bot.ctx, "sec")
    await elections.open_voting(bot.ctx, sec, "board-2027")
    answer = await _deliver_twice(
        bot, _slash(bot, "alice", ["vote"], election="board-2027", choices="chen dana"), caplog
    )
    assert "recorded" in answer and "replaced" not in answer
    assert await _count(bot.ctx, Ballot) == 1
    assert await _count(bot.ctx, AuditEvent, AuditEvent.kind == "ballot.replaced") == 0


async def test_a_motion_proposed_twice_by_the_gateway_is_proposed_once(
    bot: Running, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bot.discord.replay")
    payload = _slash(
        bot, "alice", ["motion", "propose"], body="toc", title="Adopt the licence", deadline="+7d"
    )
    assert "Motion M1 is open" in await _deliver_twice(bot, payload, caplog)
    assert await _count(bot.ctx, Motion) == 1


async def test_a_button_press_delivered_twice_writes_no_yes_to_yes_change(
    bot: Running, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bot.discord.replay")
    proposed = await bot.fake.interact(
        _slash(bot, "alice", ["motion", "propose"], body="toc", title="Adopt the licence", deadline="+7d")
    )
    yes = next(c["custom_id"] for c in proposed.components() if c["label"] == "Yes")
    press = bot.fake.component_payload(yes, user_id=user_id("bea"), username="bea")
    assert "recorded: yes" in await _deliver_twice(bot, press, caplog)
    assert await _count(bot.ctx, AuditEvent, AuditEvent.kind == "motion.vote_changed") == 0
    assert await _count(bot.ctx, AuditEvent, AuditEvent.kind == "motion.voted") == 1
