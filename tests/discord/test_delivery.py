"""Outbox delivery through the real client: DMs and channel posts, marked sent, retried, never doubled."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update

from bot.discord.delivery import deliver_due
from governance.clock import ManualClock
from governance.models import OutboxMessage
from governance.services import bodies, outbox, roster
from tests.discord.conftest import Running, user_id


async def test_due_messages_go_to_channels_and_dms_once(bot: Running) -> None:
    fake, ctx = bot.fake, bot.ctx
    first = await deliver_due(bot.client, ctx, guild_id=fake.guild_id)
    assert first.sent and not first.failed  # seeding queued notices (nominations open, nominations)
    posted = len(fake.messages)
    farid = await roster.actor_for_handle(ctx, "farid")
    await bodies.request_join(ctx, farid, "safety")
    report = await deliver_due(bot.client, ctx, guild_id=fake.guild_id)
    assert len(report.sent) == 1
    dm = fake.dms_to(user_id("dana"))
    assert dm and "Farid Haddad asks to join AI Safety Working Group" in dm[-1].content
    assert dm[-1].payload["nonce"] == f"gbo{report.sent[0]}" and dm[-1].payload["enforce_nonce"] is True
    assert (await deliver_due(bot.client, ctx, guild_id=fake.guild_id)).sent == []
    assert len(fake.messages) == posted + 1


async def test_a_failed_post_is_retried_later_and_a_resend_is_not_doubled(
    bot: Running, clock: ManualClock
) -> None:
    fake, ctx = bot.fake, bot.ctx
    await deliver_due(bot.client, ctx, guild_id=fake.guild_id)
    sec = await roster.actor_for_handle(ctx, "sec")
    await bodies.create_body(
        ctx, sec, "wg2", "Second WG", "working_group", chairs=["alice"], channel="#safety"
    )
    alice = await roster.actor_for_handle(ctx, "alice")
    from governance.services import motions

    await bodies.seat(ctx, sec, "wg2", "bea")
    await motions.propose(ctx, alice, "wg2", "Meet weekly")
    fake.fail_channel_posts = 1
    failed = await deliver_due(bot.client, ctx, guild_id=fake.guild_id)
    assert len(failed.failed) == 1 and "Missing Access" in next(iter(failed.failed.values()))
    assert await outbox.due(ctx) == []  # backing off
    clock.advance(timedelta(seconds=5))
    retried = await deliver_due(bot.client, ctx, guild_id=fake.guild_id)
    assert retried.sent == list(failed.failed)
    safety = [m for m in fake.in_channel("810000000000000002") if "Motion M1" in m.content]
    assert len(safety) == 1 and "Motion M1 before Second WG" in safety[0].content
    assert {c["label"] for row in safety[0].payload["components"] for c in row["components"]} == {
        "Yes",
        "No",
        "Abstain",
    }
    # a crash between Discord accepting the post and mark_sent: the resend returns the same message
    async with ctx.db.transaction() as session:
        await session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == retried.sent[0])
            .values(sent_at=None, next_attempt_at=None)
        )
    again = await deliver_due(bot.client, ctx, guild_id=fake.guild_id)
    assert again.sent == retried.sent
    assert [m.id for m in fake.in_channel("810000000000000002") if "Motion M1" in m.content] == [safety[0].id]


async def test_an_unlinked_person_stays_queued(bot: Running) -> None:
    ctx = bot.ctx
    await deliver_due(bot.client, ctx, guild_id=bot.fake.guild_id)
    sec = await roster.actor_for_handle(ctx, "sec")
    await roster.add_person(ctx, sec, "zoe", "Zoe Unlinked", organisation="acme")
    await bodies.request_join(ctx, await roster.actor_for_handle(ctx, "zoe"), "safety")
    await bodies.decide_join(ctx, sec, "safety", "zoe", True)
    report = await deliver_due(bot.client, ctx, guild_id=bot.fake.guild_id)
    assert any("no Discord account linked" in reason for reason in report.failed.values())
