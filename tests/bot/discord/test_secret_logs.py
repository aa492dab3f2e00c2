"""A ``/vote`` through discord.py with every logger at DEBUG (issue 21, item 7): the gateway event that
carries the choices, the REST callback and DM that carry the receipt, the stored ballot and its tag —
none appears in any log record."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from governance.models import Ballot, BallotSlot
from governance.services import elections, roster
from tests.factories import secrets_in
from tests.fakes.discord_harness import Running, user_id


async def test_a_discord_vote_at_debug_leaves_no_ballot_or_receipt_in_the_logs(
    bot: Running, everything_at_debug: pytest.LogCaptureFixture
) -> None:
    await elections.open_voting(bot.ctx, await roster.actor_for_handle(bot.ctx, "sec"), "board-2027")
    everything_at_debug.clear()
    payload = bot.fake.command_payload(
        ["vote"],
        {"election": "board-2027", "choices": "chen arjun dana"},
        user_id=user_id("alice"),
        username="alice",
    )
    answer = await bot.fake.interact(payload)
    assert "recorded" in answer.content
    await bot.fake.wait_for(lambda: bot.fake.dms_to(user_id("alice")))
    async with bot.ctx.db.reading() as session:
        receipt = (await session.execute(select(Ballot.receipt))).scalar_one()  # type: ignore[call-overload]
        content = (await session.execute(select(Ballot.content))).scalar_one()  # type: ignore[call-overload]
        tag = (await session.execute(select(BallotSlot.tag))).scalar_one()  # type: ignore[call-overload]
    assert receipt in answer.content
    assert any(r.name.startswith("discord.") for r in everything_at_debug.records)
    typed = {"chen arjun dana", "chen > arjun > dana"}
    assert secrets_in(everything_at_debug.records, {receipt, content, tag, *typed}) == []
