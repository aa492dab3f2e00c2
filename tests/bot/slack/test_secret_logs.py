"""A ``/gov vote`` through slack-bolt with every logger at DEBUG (issue 21, item 7): neither the command
text Bolt and the SDK log, nor the receipt sent back in the acknowledgement and by DM, nor the stored
ballot and its tag appear in any log record."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from governance.models import Ballot, BallotSlot
from tests.factories import secrets_in
from tests.fakes.slack_harness import USERS, SlackHarness


async def test_a_slack_vote_at_debug_leaves_no_ballot_or_receipt_in_the_logs(
    slack: SlackHarness, everything_at_debug: pytest.LogCaptureFixture
) -> None:
    await slack.reply_text("sec", "election open-voting board-2027 --close +7d")
    everything_at_debug.clear()
    answer = await slack.reply_text("alice", "vote board-2027 chen arjun dana")
    assert "recorded" in answer
    async with slack.ctx.db.reading() as session:
        receipt = (await session.execute(select(Ballot.receipt))).scalar_one()  # type: ignore[call-overload]
        content = (await session.execute(select(Ballot.content))).scalar_one()  # type: ignore[call-overload]
        tag = (await session.execute(select(BallotSlot.tag))).scalar_one()  # type: ignore[call-overload]
    assert receipt in answer
    assert any(
        r.name.startswith(("slack_bolt", "slack_sdk", "bot.slack")) for r in everything_at_debug.records
    )
    typed = {"chen arjun dana", "chen+arjun+dana", "chen > arjun > dana", "chen%20arjun%20dana"}
    assert secrets_in(everything_at_debug.records, {receipt, content, tag, *typed}) == [], USERS["alice"]
