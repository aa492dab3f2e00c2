"""The outbox on both backends: notifications ride in the transaction of the change that caused them,
and delivery is marked once, with back-off after failures and leases between concurrent deliverers."""

from __future__ import annotations

import asyncio
import itertools
import json
from datetime import timedelta
from typing import Any

import pytest

from governance.clock import ManualClock
from governance.errors import Forbidden
from governance.services import bodies, outbox
from governance.services.common import Actor, Context, notify
from tests.factories import outbox_rows, small_roster, snapshot


@pytest.fixture
async def who(ctx: Context) -> dict[str, Actor]:
    actors = await small_roster(ctx)
    await bodies.create_body(ctx, actors["sec"], "safety", "AI Safety WG", "wg", chairs=["alice"])
    return actors


def _checkpoint(i: int) -> dict[str, object]:
    """The parameters of a notice of kind ``audit.checkpoint`` (any kind would do)."""
    return {"checkpoint": i, "subject": "test", "hash": f"h{i}", "key_id": "k"}


async def queue(ctx: Context, n: int) -> list[int]:
    async with ctx.db.transaction() as session:
        for i in range(n):
            notify(session, ctx, kind="audit.checkpoint", params=_checkpoint(i))
    return [m.id or 0 for m in await outbox_rows(ctx)][-n:]


async def test_notification_is_written_with_the_change(ctx: Context, who: dict[str, Actor]) -> None:
    await bodies.request_join(ctx, who["bea"], "safety")
    [message] = await outbox_rows(ctx)
    assert (message.kind, message.person_id, message.sent_at, message.attempts) == (
        "membership.requested",
        who["alice"].person_id,
        None,
        0,
    )
    assert message.created_at == ctx.now()
    # no prose is stored: the kind and its parameters (ids, handles, names), written at delivery
    assert message.text is None
    assert json.loads(message.payload) == {
        "body": "safety",
        "body_name": "AI Safety WG",
        "person": "bea",
        "person_name": "Béatrice Dubois",
    }
    [due] = await outbox.due(ctx)
    assert (due.id, due.kind, due.text, due.payload) == (message.id, message.kind, None, message.payload)


async def test_a_failure_after_queueing_rolls_the_notification_back(
    ctx: Context, who: dict[str, Actor], monkeypatch: pytest.MonkeyPatch
) -> None:
    before = await snapshot(ctx)

    def notify_then_crash(*args: Any, **kwargs: Any) -> None:
        notify(*args, **kwargs)
        raise RuntimeError("crash after the notification was queued")

    monkeypatch.setattr(bodies, "notify", notify_then_crash)
    with pytest.raises(RuntimeError):
        await bodies.request_join(ctx, who["bea"], "safety")
    assert await snapshot(ctx) == before  # no request, no event, no message


async def test_a_refused_command_queues_nothing(ctx: Context, who: dict[str, Actor]) -> None:
    await bodies.request_join(ctx, who["bea"], "safety")
    count = len(await outbox_rows(ctx))
    with pytest.raises(Forbidden) as refusal:
        await bodies.decide_join(ctx, who["arjun"], "safety", "bea", approve=True)
    assert refusal.value.rule == "chairs-approve"
    with pytest.raises(Forbidden) as refusal:
        await bodies.remove_member(ctx, who["arjun"], "safety", "alice")
    assert refusal.value.rule == "chairs-approve"
    assert len(await outbox_rows(ctx)) == count


async def test_mark_sent_once(ctx: Context, clock: ManualClock) -> None:
    first, second = await queue(ctx, 2)
    assert [m.id for m in await outbox.due(ctx)] == [first, second]
    assert await outbox.mark_sent(ctx, first) is True
    assert await outbox.mark_sent(ctx, first) is False  # a second deliverer does not count it again
    assert await outbox.mark_failed(ctx, first, "late failure") is False  # nor mark a sent one failed
    assert await outbox.mark_sent(ctx, 999_999) is False
    assert await outbox.mark_failed(ctx, 999_999, "x") is False
    assert [m.id for m in await outbox.due(ctx)] == [second]
    sent = (await outbox_rows(ctx))[0]
    assert (sent.sent_at, sent.attempts, sent.last_error) == (clock.now(), 1, None)


async def test_mark_failed_backs_off(ctx: Context, clock: ManualClock) -> None:
    [message] = await queue(ctx, 1)
    delays = []
    for _ in range(14):
        assert await outbox.mark_failed(ctx, message, "platform said 503" * 100)
        row = (await outbox_rows(ctx))[0]
        assert row.next_attempt_at is not None and row.last_error is not None
        assert len(row.last_error) == 500
        delays.append(row.next_attempt_at - clock.now())
        assert await outbox.due(ctx) == []  # not due during the back-off
        clock.advance(delays[-1] - timedelta(seconds=1))
        assert await outbox.due(ctx) == []
        clock.advance(timedelta(seconds=1))
        assert [m.id for m in await outbox.due(ctx)] == [message]
    assert [int(d.total_seconds()) for d in delays[:5]] == [2, 4, 8, 16, 32]
    assert max(delays) == outbox.MAX_BACKOFF == delays[-1]
    assert all(a <= b for a, b in itertools.pairwise(delays))
    assert await outbox.mark_sent(ctx, message)
    assert (await outbox_rows(ctx))[0].attempts == 15


async def test_claims_do_not_overlap_and_leases_expire(ctx: Context, clock: ManualClock) -> None:
    ids = await queue(ctx, 30)
    claims = await asyncio.gather(*(outbox.claim(ctx, limit=10) for _ in range(5)))
    claimed = [m.id for batch in claims for m in batch]
    assert sorted(claimed) == ids  # each message went to exactly one deliverer
    assert await outbox.claim(ctx) == [] and await outbox.due(ctx) == []
    for message_id in ids[:20]:
        assert await outbox.mark_sent(ctx, message_id)
    # the deliverer holding the last ten crashed: once its lease ends they are due again
    clock.advance(outbox.DEFAULT_LEASE + timedelta(seconds=1))
    assert [m.id for m in await outbox.claim(ctx)] == ids[20:]


async def queue_to(ctx: Context, destinations: list[tuple[int | None, int | None]]) -> list[int]:
    """Queue one message per (person id, body id), in order; returns their ids."""
    async with ctx.db.transaction() as session:
        for i, (person_id, body_id) in enumerate(destinations):
            notify(
                session,
                ctx,
                kind="audit.checkpoint",
                params=_checkpoint(i),
                person_id=person_id,
                body_id=body_id,
            )
    return [m.id or 0 for m in await outbox_rows(ctx)][-len(destinations) :]


async def test_messages_to_one_destination_arrive_in_order(ctx: Context, who: dict[str, Actor]) -> None:
    alice, bea = who["alice"].person_id, who["bea"].person_id
    ids = await queue_to(
        ctx, [(alice, None), (alice, None), (bea, None), (None, 1), (None, 1), (alice, None)]
    )
    arrived: list[int] = []
    started: list[int] = []

    async def send(message: outbox.Pending) -> int:
        started.append(message.id)
        # the earlier a message, the slower its send: concurrent sends would arrive in reverse
        await asyncio.sleep(0.01 * (ids[-1] - message.id + 1))
        arrived.append(message.id)
        return message.id

    deliverer = outbox.Deliverer(ctx, concurrency=16)
    done = await deliverer.send(await deliverer.claim(), send)
    assert sorted(done.sent) == ids
    to_alice = [i for i in arrived if i in (ids[0], ids[1], ids[5])]
    to_body = [i for i in arrived if i in (ids[3], ids[4])]
    assert to_alice == [ids[0], ids[1], ids[5]] and to_body == [ids[3], ids[4]]
    assert started[:3] == [ids[0], ids[2], ids[3]]  # different destinations still go at once


async def test_a_failed_message_holds_back_later_ones_to_the_same_destination(
    ctx: Context, who: dict[str, Actor]
) -> None:
    alice, bea = who["alice"].person_id, who["bea"].person_id
    first, second, other = await queue_to(ctx, [(alice, None), (alice, None), (bea, None)])

    async def send(message: outbox.Pending) -> None:
        if message.id == first:
            raise ValueError("platform said 500")

    deliverer = outbox.Deliverer(ctx)
    done = await deliverer.send(await deliverer.claim(), send)
    assert list(done.sent) == [other]
    assert done.failed == {
        first: "ValueError: platform said 500",
        second: f"held behind outbox {first} (same destination)",
    }
    rows = {m.id: m for m in await outbox_rows(ctx)}
    assert rows[second].sent_at is None and rows[second].next_attempt_at == rows[first].next_attempt_at


async def test_readers_are_the_earliest_link_with_the_language_last_stored(
    ctx: Context, who: dict[str, Actor]
) -> None:
    from governance.services import roster

    for workspace, user in (("T1", "U1"), ("T1", "U2"), ("T2", "U3")):
        await roster.link_identity(ctx, who["sec"], "alice", "slack", workspace, user)
    alice = who["alice"].person_id or 0
    assert await outbox.readers_of(ctx, "slack", [alice, 999]) == {alice: outbox.Reader("U1")}
    assert await outbox.readers_of(ctx, "slack", [alice], "T2") == {alice: outbox.Reader("U3")}
    assert await outbox.readers_of(ctx, "discord", [alice]) == {}
    assert await outbox.remember_locale(ctx, "slack", None, "U1", "fr") is True
    assert await outbox.remember_locale(ctx, "slack", None, "U1", "fr") is False  # unchanged: no write
    assert await outbox.remember_locale(ctx, "slack", None, "U9", "fr") is False  # nobody linked
    assert await outbox.readers_of(ctx, "slack", [alice]) == {alice: outbox.Reader("U1", "fr")}
