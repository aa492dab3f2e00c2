"""Outbox delivery through the real client: DMs and channel posts, marked sent, retried, never doubled."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta

from sqlalchemy import update

from bot.discord.delivery import deliver_due
from bot.present.notices import render_pending
from governance.clock import ManualClock
from governance.models import OutboxMessage
from governance.services import bodies, elections, outbox, roster
from tests.fakes.discord_harness import Running, user_id


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


async def test_two_concurrent_deliverers_send_each_message_exactly_once(bot: Running) -> None:
    fake, ctx = bot.fake, bot.ctx
    await deliver_due(bot.client, ctx, guild_id=fake.guild_id)
    before = len(fake.messages)
    for handle in ("bea", "chen", "emma", "carlos", "farid", "arjun"):
        await bodies.request_join(ctx, await roster.actor_for_handle(ctx, handle), "safety")
    queued = {m.id for m in await outbox.due(ctx)}
    assert len(queued) == 6
    reports = await asyncio.gather(*(deliver_due(bot.client, ctx, guild_id=fake.guild_id) for _ in range(3)))
    sent = [i for r in reports for i in r.sent]
    assert sorted(sent) == sorted(queued) and not any(r.failed for r in reports)
    nonces = [m.payload["nonce"] for m in fake.messages[before:]]
    assert sorted(nonces) == sorted(f"gbo{i}" for i in queued)  # each posted once
    assert await outbox.due(ctx) == []


async def test_a_claimed_message_waits_for_its_lease(bot: Running, clock: ManualClock) -> None:
    fake, ctx = bot.fake, bot.ctx
    await deliver_due(bot.client, ctx, guild_id=fake.guild_id)
    await bodies.request_join(ctx, await roster.actor_for_handle(ctx, "farid"), "safety")
    claimed = await outbox.claim(ctx)  # another replica took it and died
    assert len(claimed) == 1
    assert (await deliver_due(bot.client, ctx, guild_id=fake.guild_id)).sent == []
    clock.advance(outbox.DEFAULT_LEASE + timedelta(seconds=1))
    assert (await deliver_due(bot.client, ctx, guild_id=fake.guild_id)).sent == [claimed[0].id]


async def test_vote_buttons_come_from_the_notice_never_from_its_text(bot: Running) -> None:
    from bot.discord.delivery import _extras
    from governance import notices
    from governance.services.outbox import Pending

    closes, as_of = datetime(2026, 2, 1, 18, 0, tzinfo=UTC), datetime(2026, 1, 30, 18, 0, tzinfo=UTC)

    def pending(kind: str, params: dict[str, object] | str, text: str | None = None) -> Pending:
        payload = params if isinstance(params, str) else json.dumps(notices.encode(kind, params))
        return Pending(1, kind, None, 1, text, payload, 0)

    async def buttons(message: Pending) -> list[str]:
        extras = await _extras(bot.ctx, render_pending(message, locale="en", platform="discord"))
        view = extras.get("view")
        return [item.custom_id for item in view.children] if view is not None else []

    election = {"election": "board-2027", "title": "Board", "closes": closes}
    opened = await buttons(pending("election.voting_opened", election))
    reminded = await buttons(pending("election.reminder", {**election, "as_of": as_of}))
    assert opened == reminded and len(opened) == 1 and "board-2027" in opened[0]
    motion = {"motion": 12, "title": "Adopt", "body_name": "TOC", "deadline": closes}
    proposed = await buttons(pending("motion.proposed", {**motion, "lazy_consensus": False, "secret": True}))
    assert proposed == await buttons(pending("motion.reminder", {**motion, "as_of": as_of}))
    assert len(proposed) == 3 and all(":mv:vote:12:" in i for i in proposed), proposed
    approved = {"body": "toc", "body_name": "TOC", "actor_name": "Sam", "reason": None}
    assert await buttons(pending("membership.approved", approved)) == []
    # a row queued by an older version: its payload names the ballot; its text is never read for one
    old = "Voting is open in Board until 2026-02-01 18:00 UTC: `vote board-2027 <first> <second> ...`."
    assert "e2" in (await buttons(pending("election.voting_opened", '{"election": "e2"}', old)))[0]
    assert await buttons(pending("election.voting_opened", "{}", old)) == []
    # end to end: the voting-opened post carries the button for the payload's election
    await deliver_due(bot.client, bot.ctx, guild_id=bot.fake.guild_id)
    sec = await roster.actor_for_handle(bot.ctx, "sec")
    await elections.open_voting(bot.ctx, sec, "board-2027")
    await deliver_due(bot.client, bot.ctx, guild_id=bot.fake.guild_id)
    posted = [m for m in bot.fake.messages if "Voting is open" in m.content]
    ids = [c["custom_id"] for row in posted[-1].payload["components"] for c in row["components"]]
    assert any("board-2027" in i for i in ids)
