"""Outbox delivery to Slack: DMs and channel posts marked sent, 429s retried, failures retried later,
nothing dropped and nothing posted twice; and the renderer's limits."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.present.notices import render_pending
from bot.present.replies import Reply, Table
from bot.slack.ballots import Standing, select_element
from bot.slack.delivery import DeliveryReport, SlackDelivery, message_blocks
from bot.slack.render import MAX_BLOCKS, reply_blocks
from governance.clock import ManualClock
from governance.models import OutboxMessage
from tests.fakes.slack_harness import SlackHarness


def _to_bea(c: object) -> bool:
    return getattr(c, "args", {}).get("channel") == "D0BEA" and "approved" in getattr(c, "args", {}).get(
        "text", ""
    )


async def test_rate_limited_delivery_is_retried_after_retry_after(slack: SlackHarness) -> None:
    await slack.runtime.delivery.deliver_due()
    slack.api.rate_limit(1, retry_after=0)
    await slack.reply_text("bea", "wg join safety")
    await slack.reply_text("dana", "wg approve safety bea")
    row = await slack.outbox("membership.approved", sent=True)
    assert row.attempts == 1
    assert [c for c in slack.api.calls if c.method.endswith(":429")]
    assert len(slack.api.calls_to("chat.postMessage", _to_bea)) == 1


async def test_failed_delivery_is_retried_later_and_sent_once(
    slack: SlackHarness, clock: ManualClock
) -> None:
    await slack.reply_text("bea", "wg join safety")
    await slack.outbox("membership.requested", sent=True)
    slack.api.fail("chat.postMessage", "fatal_error", times=1)
    await slack.reply_text("dana", "wg approve safety bea")
    failed = await slack.outbox("membership.approved", sent=False)
    assert failed.sent_at is None and failed.last_error == "slack: fatal_error"
    assert len(slack.api.calls_to("chat.postMessage:fatal_error", _to_bea)) == 1
    report = await slack.runtime.delivery.deliver_due()  # not due yet: back-off
    assert len(slack.api.calls_to("chat.postMessage", _to_bea)) == 0
    clock.advance(timedelta(minutes=5))
    report = await slack.runtime.delivery.deliver_due()
    row = await slack.outbox("membership.approved", sent=True)
    assert row.attempts == 2 and report.failed == 0
    await slack.runtime.delivery.deliver_due()
    assert len(slack.api.calls_to("chat.postMessage", _to_bea)) == 1


async def test_body_without_channel_waits_and_is_not_dropped(slack: SlackHarness) -> None:
    await slack.reply_text("alice", 'motion propose toc "Adopt the model licence" --deadline +7d')
    row = await slack.outbox("motion.proposed", sent=False)
    assert row.sent_at is None and "no channel" in (row.last_error or "")
    assert row.next_attempt_at is not None


def test_long_replies_stay_within_slack_limits() -> None:
    rows = [[f"row{i}", "x" * 80, "y"] for i in range(2000)]
    blocks = reply_blocks(Reply(text="Big", tables=[Table(["a", "b", "c"], rows)], block="z\n" * 5000))
    assert len(blocks) <= MAX_BLOCKS
    assert all(len(b["text"]["text"]) <= 3000 for b in blocks if b["type"] == "section")
    small = reply_blocks(Reply(text="Roll", tables=[Table(["member", "vote"], [["A", "yes"], ["B", "no"]])]))
    assert small[1]["fields"][0]["text"] == "*member*" and len(small[1]["fields"]) == 6
    assert reply_blocks(Reply(text="a <b> & c"))[0]["text"]["text"] == "a &lt;b&gt; &amp; c"


def test_long_candidate_lists_become_type_ahead_selects() -> None:
    many = [Standing(f"c{i:03d}", f"Candidate {i:03d}", None) for i in range(250)]
    element = select_element(many, "Choose")
    assert element["type"] == "external_select" and "options" not in element
    assert element["min_query_length"] == 0
    exactly = select_element(many[:100], "Choose")
    assert exactly["type"] == "static_select" and len(exactly["options"]) == 100


def _outbox_id(call: object) -> int | None:
    metadata = getattr(call, "args", {}).get("metadata")
    return int(metadata["event_payload"]["outbox_id"]) if isinstance(metadata, dict) else None


def _outbox_ids(slack: SlackHarness) -> list[int]:
    return [
        int(c.args["metadata"]["event_payload"]["outbox_id"])
        for c in slack.api.calls_to("chat.postMessage")
        if isinstance(c.args.get("metadata"), dict)
    ]


async def test_two_concurrent_deliverers_send_each_message_exactly_once(slack: SlackHarness) -> None:
    from governance.services import bodies, outbox, roster

    await slack.runtime.delivery.deliver_due()
    ctx = slack.ctx
    for handle in ("bea", "chen", "emma", "carlos", "farid", "arjun"):
        await bodies.request_join(ctx, await roster.actor_for_handle(ctx, handle), "safety")
    async with ctx.db.reading() as session:
        queued = list(
            (
                await session.execute(
                    select(OutboxMessage.id).where(OutboxMessage.kind == "membership.requested")
                )
            ).scalars()
        )
    assert len(queued) == 6  # (the app's own deliverer may be running too: a third one)
    first = SlackDelivery(ctx, slack.runtime.client)
    second = SlackDelivery(ctx, slack.runtime.client)
    reports = await asyncio.gather(first.deliver_due(), second.deliver_due(), first.deliver_due())
    # the app's own deliverer may still be sending what it claimed: wait for every message once
    await slack.api.wait_for("chat.postMessage", lambda c: _outbox_id(c) in queued, count=len(queued))
    await second.deliver_due()  # a later round finds nothing left to send
    delivered = [i for i in _outbox_ids(slack) if i in queued]
    assert sorted(delivered) == sorted(queued)  # each exactly once, none twice
    assert sum(r.sent for r in reports) <= 6
    assert [m for m in await outbox.due(ctx) if m.id in queued] == []


async def _idle_round() -> DeliveryReport:
    """A delivery round that sends nothing (stands in for the app's deliverer while a test sets up)."""
    return DeliveryReport()


async def test_a_claimed_message_is_not_sent_by_another_deliverer_until_its_lease_ends(
    slack: SlackHarness, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    from governance.services import bodies, outbox, roster

    await slack.runtime.delivery.deliver_due()
    ctx = slack.ctx
    # the app's own deliverer (every 0.1 s) must not claim the message before the dying replica does
    monkeypatch.setattr(slack.runtime.delivery, "deliver_due", _idle_round)
    await bodies.request_join(ctx, await roster.actor_for_handle(ctx, "farid"), "safety")
    claimed = await outbox.claim(ctx)  # a replica took it, then died before sending
    monkeypatch.undo()
    assert len(claimed) == 1
    other = SlackDelivery(ctx, slack.runtime.client)
    assert (await other.deliver_due()).sent == 0
    assert claimed[0].id not in _outbox_ids(slack)
    clock.advance(outbox.DEFAULT_LEASE + timedelta(seconds=1))
    await other.deliver_due()  # (or the app's own deliverer, whichever comes first)
    assert _outbox_ids(slack).count(claimed[0].id) == 1


async def test_vote_buttons_come_from_the_notice_never_from_its_text(slack: SlackHarness) -> None:
    from governance import notices
    from governance.services.outbox import Pending

    closes, as_of = datetime(2026, 2, 1, 18, 0, tzinfo=UTC), datetime(2026, 1, 30, 18, 0, tzinfo=UTC)

    def pending(kind: str, params: dict[str, object] | str, text: str | None = None) -> Pending:
        payload = params if isinstance(params, str) else json.dumps(notices.encode(kind, params))
        return Pending(1, kind, None, 1, text, payload, 0)

    async def button(message: Pending) -> object:
        blocks = await message_blocks(slack.ctx, render_pending(message, locale="en", platform="slack"))
        actions = [b for b in blocks if b["type"] == "actions"]
        return actions[0]["elements"][0]["value"] if actions else None

    election = {"election": "board-2027", "title": "Board"}
    opened = pending("election.voting_opened", {**election, "closes": closes})
    assert await button(opened) == "election:board-2027"
    shown = render_pending(opened, locale="en", platform="slack").text
    assert (
        shown
        == "Voting is open in Board until 2026-02-01 18:00 UTC: `/gov vote board-2027 <first> <second> ...`."
    )
    reminder = pending("election.reminder", {**election, "closes": closes, "as_of": as_of})
    assert await button(reminder) == "election:board-2027"
    motion = {"motion": 12, "title": "Adopt", "body_name": "TOC", "deadline": closes}
    proposed = pending("motion.proposed", {**motion, "lazy_consensus": False, "secret": False})
    assert await button(proposed) == "motion:12"
    assert await button(pending("motion.reminder", {**motion, "as_of": as_of})) == "motion:12"
    approved = {"body": "toc", "body_name": "TOC", "actor_name": "Sam", "reason": None}
    assert await button(pending("membership.approved", approved)) is None
    # a row queued by an older version: its payload names the ballot; its text is never read for one
    old = "Voting is open in Board until 2026-02-01 18:00 UTC: `vote board-2027 <first> <second> ...`."
    assert await button(pending("election.voting_opened", '{"election": "e2"}', old)) == "election:e2"
    assert await button(pending("election.voting_opened", "{}", old)) is None
    assert await button(pending("motion.proposed", "not json", "Motion M7 before TOC: Adopt.")) is None


async def test_a_result_dm_is_all_in_its_readers_language(slack: SlackHarness) -> None:
    from governance.i18n import translate, using_locale
    from governance.services import elections, outbox
    from governance.services.common import Actor

    await slack.reply_text("sec", "election open-voting board-2027 --close +7d")
    await elections.close(slack.ctx, Actor.system("test"), "board-2027")
    result = outbox.Pending(1, "election.result", 5, None, "Result", '{"election": "board-2027"}', 0)
    opened = outbox.Pending(2, "election.voting_opened", 5, None, "Open", '{"election": "board-2027"}', 0)
    with using_locale("fr"):
        blocks = await message_blocks(slack.ctx, render_pending(result, locale="fr", platform="slack"))
        voting = render_pending(opened, locale="fr", platform="slack")
        button = (await message_blocks(slack.ctx, voting))[-1]["elements"][0]["text"]["text"]
    [verify] = [b["elements"][0]["text"] for b in blocks if b["type"] == "context"]
    assert verify == "Vérifiez par vous-même : `/gov audit verify election:board-2027`."
    assert button == translate("Vote", "fr")
    with using_locale("en"):
        blocks = await message_blocks(slack.ctx, render_pending(result, locale="en", platform="slack"))
    assert [b["elements"][0]["text"] for b in blocks if b["type"] == "context"] == [
        "Verify it yourself: `/gov audit verify election:board-2027`."
    ]
