"""The client stays up and delivery keeps moving when Discord misbehaves: an event discord.py cannot
parse, a 429 asking for a long wait."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

import pytest

from bot.discord import delivery
from bot.discord.delivery import deliver_due
from governance.clock import ManualClock
from governance.services import bodies, common, motions, outbox, roster
from tests.fakes.discord_harness import Running, user_id


async def test_an_event_discord_py_cannot_parse_does_not_end_the_client(
    bot: Running, caplog: pytest.LogCaptureFixture
) -> None:
    """An INTERACTION_CREATE without the fields discord.py reads (its parser raises) used to end the
    shard with ``terminate`` and so the whole client; now it is logged once and the client goes on."""
    caplog.set_level(logging.WARNING, logger="bot.discord.client")
    malformed = {"id": "1100000000000999999", "type": 2, "token": "tok-malformed"}
    await bot.fake.dispatch("INTERACTION_CREATE", malformed)
    payload = bot.fake.command_payload(["gov", "whoami"], {}, user_id=user_id("alice"), username="alice")
    answered = await bot.fake.interact(payload)  # the same connection, after the bad event
    assert "Alice" in answered.content
    assert not bot.client.is_closed() and bot.client.is_ready()
    assert bot.client.unparsed == {"INTERACTION_CREATE": 1}
    logged = [r for r in caplog.records if "could not be parsed" in r.getMessage()]
    assert len(logged) == 1 and logged[0].exc_info is not None
    assert "tok-malformed" not in caplog.text  # the payload is never logged
    await bot.fake.dispatch("INTERACTION_CREATE", malformed)
    await bot.fake.interact(
        bot.fake.command_payload(["gov", "whoami"], {}, user_id=user_id("bea"), username="bea")
    )
    assert bot.client.unparsed == {"INTERACTION_CREATE": 2}
    assert len([r for r in caplog.records if r.exc_info and "could not be parsed" in r.getMessage()]) == 1


async def test_a_429_asking_for_30_seconds_does_not_hold_the_round(bot: Running, clock: ManualClock) -> None:
    """One channel post answered 429 with ``Retry-After: 30``: discord.py would sleep 30 s inside the
    round, holding its lock. The round gives that message up after the send timeout, delivers the rest,
    and a later round delivers it, once."""
    fake, ctx = bot.fake, bot.ctx
    await deliver_due(bot.client, ctx, guild_id=fake.guild_id)
    sec = await roster.actor_for_handle(ctx, "sec")
    await bodies.create_body(
        ctx, sec, "wg2", "Second WG", "working_group", chairs=["alice"], channel="#safety"
    )
    await bodies.seat(ctx, sec, "wg2", "bea")
    await motions.propose(ctx, await roster.actor_for_handle(ctx, "alice"), "wg2", "Meet weekly")  # a post
    await bodies.request_join(ctx, await roster.actor_for_handle(ctx, "farid"), "safety")  # a DM to dana
    queued = {m.id for m in await outbox.due(ctx)}
    assert len(queued) >= 2
    fake.rate_limit_posts, fake.retry_after = 1, 30.0
    # a guard, not a measurement: without the cap the round would sleep 30 s
    first = await asyncio.wait_for(
        deliver_due(bot.client, ctx, guild_id=fake.guild_id, send_timeout=0.5), timeout=20
    )
    slow = [i for i, reason in first.failed.items() if "did not take the message within 0.5s" in reason]
    assert len(slow) == 1 and first.sent and set(first.sent) | set(first.failed) == queued
    assert delivery.SEND_TIMEOUT < 30
    clock.advance(timedelta(minutes=5))
    second = await deliver_due(bot.client, ctx, guild_id=fake.guild_id, send_timeout=0.5)
    assert sorted(second.sent) == sorted(first.failed) and not second.failed
    nonces = [
        m.payload["nonce"] for m in fake.messages if m.payload.get("nonce") in {f"gbo{i}" for i in queued}
    ]
    assert sorted(nonces) == sorted(f"gbo{i}" for i in queued)  # each delivered once
    assert await outbox.due(ctx) == []


async def test_a_notice_over_2000_characters_goes_whole_in_parts(bot: Running) -> None:
    """An outbox notice longer than a message (a long motion text quoted) is posted in parts cut at line
    boundaries, each with its own nonce, and marked sent once."""
    fake, ctx = bot.fake, bot.ctx
    await deliver_due(bot.client, ctx, guild_id=fake.guild_id)
    person = await roster.actor_for_handle(ctx, "dana")
    assert person.person_id is not None
    lines = [f"Line {i}: " + "z" * 70 for i in range(40)]
    async with ctx.db.transaction() as session:
        reason = "\n".join(lines)  # a long reason typed by a chair
        params = {"body": "safety", "body_name": "Safety WG", "actor_name": "Ann", "reason": reason}
        common.notify(session, ctx, kind="membership.declined", params=params, person_id=person.person_id)
    report = await deliver_due(bot.client, ctx, guild_id=fake.guild_id)
    assert len(report.sent) == 1
    parts = [
        m
        for m in fake.dms_to(user_id("dana"))
        if str(m.payload.get("nonce", "")).startswith(f"gbo{report.sent[0]}")
    ]
    assert len(parts) == 2 and [p.payload["nonce"] for p in parts] == [
        f"gbo{report.sent[0]}",
        f"gbo{report.sent[0]}p1",
    ]
    expected = "Ann declined your request to join Safety WG. " + "\n".join(lines)
    assert "\n".join(p.content for p in parts) == expected
