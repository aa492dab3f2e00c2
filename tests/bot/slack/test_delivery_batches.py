"""Batched delivery to Slack, on both backends, through the real ``AsyncWebClient`` to the loopback fake:
exactly once per message under concurrent deliverers, a failure mid-batch that leaves the rest marked
and itself pending, a 429 waited out and then delivered, DM channels opened once per user, and a round
cut short (or a database that cannot mark) that neither loses nor doubles a message."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import aiohttp
import pytest
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import insert, select
from sqlmodel import col

from bot.slack.delivery import SlackDelivery
from governance.clock import ManualClock
from governance.models import ChatIdentity, OutboxMessage, Person
from governance.services import outbox
from governance.services.common import Context, notify
from tests.fakes.slack_api import Call, FakeSlackAPI

TEAM = "T0BATCH"


@pytest.fixture
async def api() -> AsyncIterator[FakeSlackAPI]:
    """The fake Slack Web API."""
    fake = await FakeSlackAPI(team_id=TEAM).start()
    yield fake
    await fake.stop()
    assert not fake.refusals, f"Slack would have refused: {fake.refusals}"


@pytest.fixture
async def client(api: FakeSlackAPI) -> AsyncIterator[AsyncWebClient]:
    """A Web API client on one kept-alive session (as the app builds it), without a 429 handler: the
    deliverer's own handling is what is tested."""
    async with aiohttp.ClientSession() as session:
        yield AsyncWebClient(token="xoxb-test", base_url=api.base_url, session=session)


async def people(ctx: Context, n: int) -> list[int]:
    """``n`` people, each linked to Slack user ``U<person id>`` in the workspace; returns their ids."""
    now = ctx.now()
    async with ctx.db.transaction() as session:
        await session.execute(
            insert(Person),
            [
                {"handle": f"p{i:04d}", "name": f"Person {i}", "is_admin": False, "status": "active"}
                | {"created_at": now}
                for i in range(n)
            ],
        )
        ids = sorted(i for i in (await session.execute(select(col(Person.id)))).scalars() if i is not None)
        await session.execute(
            insert(ChatIdentity),
            [
                {"platform": "slack", "workspace": TEAM, "user_id": f"U{pid}", "person_id": pid}
                | {"created_at": now}
                for pid in ids
            ],
        )
    return ids


async def dms(ctx: Context, person_ids: list[int], what: str = "reminder") -> list[int]:
    """One DM per person; returns the outbox ids."""
    async with ctx.db.transaction() as session:
        for pid in person_ids:
            params = {"motion": 1, "title": f"{what} for {pid}", "body_name": "TOC", "deadline": ctx.now()}
            notify(session, ctx, kind="motion.reminder", person_id=pid, params={**params, "as_of": ctx.now()})
    async with ctx.db.reading() as session:
        rows = await session.execute(
            select(col(OutboxMessage.id))
            .where(col(OutboxMessage.sent_at).is_(None))
            .order_by(col(OutboxMessage.id))
        )
        return [i for i in rows.scalars() if i is not None]


async def rows(ctx: Context) -> dict[int, OutboxMessage]:
    """Every outbox row by id."""
    async with ctx.db.reading() as session:
        return {m.id or 0: m for m in (await session.execute(select(OutboxMessage))).scalars()}


def outbox_id(call: Call) -> int:
    """The outbox id a posted message carries in its metadata."""
    return int(call.args["metadata"]["event_payload"]["outbox_id"])


def posted_ids(api: FakeSlackAPI) -> list[int]:
    """The outbox ids of every accepted chat.postMessage, in order."""
    return [outbox_id(c) for c in api.calls_to("chat.postMessage")]


async def drain(delivery: SlackDelivery) -> int:
    """Rounds until one finds nothing due; returns how many messages this deliverer sent."""
    sent = 0
    while True:
        report = await delivery.deliver_due()
        sent += report.sent
        if report.sent == report.failed == report.waiting == 0:
            return sent


async def test_concurrent_deliverers_send_each_message_exactly_once(
    ctx: Context, api: FakeSlackAPI, client: AsyncWebClient
) -> None:
    queued = await dms(ctx, await people(ctx, 240))
    api.delay("chat.postMessage", 0.05)  # as a real platform takes time: no deliverer drains all alone
    deliverers = [SlackDelivery(ctx, client, team_id=TEAM, batch=25, concurrency=6) for _ in range(4)]
    counts = await asyncio.gather(*(drain(d) for d in deliverers))
    assert sum(counts) == 240 and sorted(posted_ids(api)) == queued  # each message posted once
    assert sum(1 for c in counts if c) >= 2  # the work was shared, not done by one deliverer
    assert all(m.sent_at == ctx.now() and m.attempts == 1 for m in (await rows(ctx)).values())
    assert await outbox.due(ctx) == []
    channels = [c.args["channel"] for c in api.calls_to("chat.postMessage")]
    assert len(set(channels)) == 240  # one DM channel each, one message in each


async def test_a_failure_mid_batch_leaves_the_sent_marked_and_the_failed_pending(
    ctx: Context,
    clock: ManualClock,
    api: FakeSlackAPI,
    client: AsyncWebClient,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    queued = await dms(ctx, await people(ctx, 10))
    delivery = SlackDelivery(ctx, client, team_id=TEAM, batch=10, concurrency=1)
    original = delivery.client.chat_postMessage
    calls = 0

    async def fail_the_fifth(**kwargs: object) -> object:
        nonlocal calls
        calls += 1
        if calls == 5:  # the fifth send of the batch is the one Slack refuses
            api.fail("chat.postMessage", "channel_not_found", times=1)
        return await original(**kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(client, "chat_postMessage", fail_the_fifth)
    report = await delivery.deliver_due()
    assert (report.sent, report.failed, report.waiting) == (9, 1, 0)
    state = await rows(ctx)
    [failed] = [m for m in state.values() if m.sent_at is None]
    assert failed.id == queued[4] and failed.last_error == "slack: channel_not_found"
    assert failed.attempts == 1 and failed.next_attempt_at == ctx.now() + timedelta(seconds=2)
    assert sorted(posted_ids(api)) == [i for i in queued if i != failed.id]
    assert all(m.sent_at == ctx.now() for m in state.values() if m.id != failed.id)
    assert (await delivery.deliver_due()).sent == 0  # backing off
    clock.advance(timedelta(seconds=2))
    assert (await delivery.deliver_due()).sent == 1
    assert sorted(posted_ids(api)) == queued  # the failed one once, the others not again
    assert [m.attempts for m in (await rows(ctx)).values() if m.id == failed.id] == [2]


async def test_a_429_waits_for_retry_after_then_delivers_everything(
    ctx: Context, api: FakeSlackAPI, client: AsyncWebClient
) -> None:
    queued = await dms(ctx, await people(ctx, 12))
    waited: list[float] = []

    async def sleep(seconds: float) -> None:
        waited.append(seconds)
        await asyncio.sleep(0)

    delivery = SlackDelivery(ctx, client, team_id=TEAM, batch=20, concurrency=4, sleep=sleep)
    api.rate_limit(2, retry_after=1)
    report = await delivery.deliver_due()
    assert (report.sent, report.failed, report.waiting) == (12, 0, 0)
    assert len([c for c in api.calls if c.method.endswith(":429")]) == 2
    assert waited and max(waited) == pytest.approx(1.0, abs=0.05)  # Retry-After, not a guess
    assert sorted(posted_ids(api)) == queued  # nothing lost, nothing doubled
    assert all(m.sent_at is not None and m.last_error is None for m in (await rows(ctx)).values())


async def test_a_429_really_holds_the_sends_for_retry_after(
    ctx: Context, api: FakeSlackAPI, client: AsyncWebClient
) -> None:
    await dms(ctx, await people(ctx, 3))
    delivery = SlackDelivery(ctx, client, team_id=TEAM, concurrency=1)
    api.rate_limit(1, retry_after=1)
    loop = asyncio.get_running_loop()
    started = loop.time()
    assert (await delivery.deliver_due()).sent == 3
    assert loop.time() - started >= 0.95
    limited = [i for i, c in enumerate(api.calls) if c.method.endswith(":429")]
    assert limited == [0] and len(api.calls_to("chat.postMessage")) == 3


async def test_dm_channels_are_opened_once_per_user_across_two_reminders(
    ctx: Context, api: FakeSlackAPI, client: AsyncWebClient
) -> None:
    who = await people(ctx, 5)
    delivery = SlackDelivery(ctx, client, team_id=TEAM)
    await dms(ctx, who, "first reminder")
    assert (await delivery.deliver_due()).sent == 5
    await dms(ctx, who, "second reminder")
    assert (await delivery.deliver_due()).sent == 5
    opened = [c.args["users"] for c in api.calls_to("conversations.open")]
    assert sorted(opened) == sorted(f"U{p}" for p in who)  # once each, not once per message
    posted = api.calls_to("chat.postMessage")
    assert len(posted) == 10 and {c.args["channel"] for c in posted} == {f"D{p}" for p in who}
    titles = [c.args["text"].split("(", 1)[1].split(" for ")[0] for c in posted]  # "… motion M1 (<title>) …"
    assert titles == ["first reminder"] * 5 + ["second reminder"] * 5


async def test_a_cached_channel_slack_refuses_is_opened_afresh(
    ctx: Context, clock: ManualClock, api: FakeSlackAPI, client: AsyncWebClient
) -> None:
    [who] = await people(ctx, 1)
    delivery = SlackDelivery(ctx, client, team_id=TEAM)
    await dms(ctx, [who])
    await delivery.deliver_due()
    await dms(ctx, [who], "again")
    api.fail("chat.postMessage", "channel_not_found")
    assert (await delivery.deliver_due()).failed == 1
    clock.advance(timedelta(seconds=2))
    assert (await delivery.deliver_due()).sent == 1
    assert len(api.calls_to("conversations.open")) == 2


async def test_an_unlinked_person_waits_and_the_others_go(
    ctx: Context, api: FakeSlackAPI, client: AsyncWebClient
) -> None:
    linked = await people(ctx, 2)
    async with ctx.db.transaction() as session:
        session.add(Person(handle="zoe", name="Zoe Unlinked", created_at=ctx.now()))
    async with ctx.db.reading() as session:
        zoe = (await session.execute(select(col(Person.id)).where(col(Person.handle) == "zoe"))).scalar_one()
    assert zoe is not None
    queued = await dms(ctx, [*linked, zoe])
    report = await SlackDelivery(ctx, client, team_id=TEAM).deliver_due()
    assert (report.sent, report.failed, report.waiting) == (2, 0, 1)
    waiting = (await rows(ctx))[queued[-1]]
    assert waiting.sent_at is None
    assert waiting.last_error == f"undeliverable: person {zoe} has no linked Slack account"


async def test_a_round_cut_short_marks_what_was_sent_and_leaves_the_rest(
    ctx: Context,
    clock: ManualClock,
    api: FakeSlackAPI,
    client: AsyncWebClient,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    queued = await dms(ctx, await people(ctx, 8))
    delivery = SlackDelivery(ctx, client, team_id=TEAM, concurrency=1)
    original = delivery.client.chat_postMessage
    hang = asyncio.Event()

    async def hang_on_the_fourth(**kwargs: object) -> object:
        if len(api.calls_to("chat.postMessage")) == 3:
            await hang.wait()  # the process is stopped while this send is in flight
        return await original(**kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(client, "chat_postMessage", hang_on_the_fourth)
    round_ = asyncio.ensure_future(delivery.deliver_due())
    await api.wait_for("chat.postMessage", count=3)
    await asyncio.sleep(0.05)
    round_.cancel()
    with pytest.raises(asyncio.CancelledError):
        await round_
    state = await rows(ctx)
    assert sorted(i for i, m in state.items() if m.sent_at is not None) == queued[:3]
    assert all(state[i].sent_at is None for i in queued[3:])  # pending, leased to the stopped round
    monkeypatch.setattr(client, "chat_postMessage", original)
    clock.advance(outbox.DEFAULT_LEASE + timedelta(seconds=1))
    other = SlackDelivery(ctx, client, team_id=TEAM)
    assert (await other.deliver_due()).sent == 5
    assert sorted(posted_ids(api)) == queued  # the first three were not sent again


async def test_a_delivery_that_cannot_be_marked_is_marked_next_round_and_not_resent(
    ctx: Context, api: FakeSlackAPI, client: AsyncWebClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    queued = await dms(ctx, await people(ctx, 4))
    delivery = SlackDelivery(ctx, client, team_id=TEAM)
    real = outbox.mark_sent_many

    async def database_away(*args: object, **kwargs: object) -> set[int]:
        raise OSError("connection to the database lost")

    monkeypatch.setattr(outbox, "mark_sent_many", database_away)
    assert (await delivery.deliver_due()).sent == 4  # Slack has them ...
    assert all(m.sent_at is None for m in (await rows(ctx)).values())  # ... the database does not
    assert delivery.outbox.unmarked == set(queued)
    monkeypatch.setattr(outbox, "mark_sent_many", real)
    assert (await delivery.deliver_due()).sent == 0  # marks them first; nothing left to send
    assert all(m.sent_at is not None for m in (await rows(ctx)).values())
    assert sorted(posted_ids(api)) == queued and delivery.outbox.unmarked == set()
