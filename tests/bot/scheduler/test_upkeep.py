"""Periodic upkeep: term-expiry notices (once per offset), the review of inactive working-group members
that a chair confirms, the audit sealer, and the schedule commands end to end."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update

from bot.commands import dispatch
from governance import audit
from governance.clock import ManualClock
from governance.errors import Forbidden, InvalidInput
from governance.models import Membership
from governance.services import bodies, elections, roster, scheduling
from governance.services.common import Context
from tests.factories import SYSTEM, board_voting, outbox
from tests.fakes.notices import notice_text


async def _wg(ctx: Context) -> None:
    await roster.add_person(ctx, SYSTEM, "sec", "Sam Secretariat", admin=True)
    await roster.add_organisation(ctx, SYSTEM, "acme", "Acme AI", "premier")
    for handle in ("dana", "bob", "cy"):
        await roster.add_person(ctx, SYSTEM, handle, handle.title(), organisation="acme")
    await bodies.create_body(ctx, SYSTEM, "safety", "AI Safety WG", "working_group", chairs=["dana"])
    for handle in ("bob", "cy"):
        await bodies.seat(ctx, SYSTEM, "safety", handle)


async def test_term_notices_go_once_per_offset(ctx: Context, clock: ManualClock) -> None:
    await _wg(ctx)
    ends = clock.now() + timedelta(days=50)
    async with ctx.db.transaction() as session:
        await session.execute(update(Membership).values(term_ends_at=ends).where(Membership.role == "chair"))  # type: ignore[arg-type]
    assert await scheduling.notify_expiring_terms(ctx) == 1
    assert await scheduling.notify_expiring_terms(ctx) == 0  # the 60-day notice is not repeated
    clock.set(ends - timedelta(days=13))
    assert await scheduling.notify_expiring_terms(ctx) == 1  # the 14-day notice
    notices = await outbox(ctx, "term.expiring")
    assert [h for h, _ in notices] == ["dana", None, "dana"]
    clock.set(ends + timedelta(days=1))
    assert await scheduling.notify_expiring_terms(ctx) == 0


async def test_inactive_members_are_listed_for_the_chair_who_confirms_removal(
    ctx: Context, clock: ManualClock
) -> None:
    await _wg(ctx)
    clock.advance(scheduling.INACTIVE_AFTER + timedelta(days=1))
    assert await scheduling.post_reviews(ctx) == 1
    assert await scheduling.post_reviews(ctx) == 0  # once per period
    [(chair, note)] = await outbox(ctx, "wg.review")
    assert chair == "dana" and "bob, cy" in notice_text(note)
    dana = await roster.actor_for_handle(ctx, "dana")
    bob = await roster.actor_for_handle(ctx, "bob")
    _, inactive = await scheduling.review(ctx, dana, "safety")
    assert [m.handle for m in inactive] == ["bob", "cy"]
    with pytest.raises(Forbidden):
        await scheduling.review(ctx, bob, "safety")
    with pytest.raises(InvalidInput, match="not on the inactive list"):
        await scheduling.confirm_review(ctx, dana, "safety", ["bob", "dana"])
    assert [m.handle for m in (await scheduling.review(ctx, dana, "safety"))[1]] == ["bob", "cy"]  # unchanged
    assert await scheduling.confirm_review(ctx, dana, "safety", ["bob"]) == ["bob"]
    # the alliance keeps a confirmed inactive member, as emeritus
    _, members = await bodies.members(ctx, "safety")
    assert sorted((m.handle, m.state) for m in members) == [
        ("bob", "emeritus"),
        ("cy", "active"),
        ("dana", "active"),
    ]
    assert [m.handle for m in (await scheduling.review(ctx, dana, "safety"))[1]] == ["cy"]


async def test_the_sealer_chains_pending_ballot_events(ctx: Context, clock: ManualClock) -> None:
    await board_voting(ctx, clock)
    await elections.cast_ballot(ctx, await roster.actor_for_handle(ctx, "alice"), "board-2027", ["chen"])
    async with ctx.db.reading() as session:
        assert await audit.pending_streams(session) == ["election:board-2027"]
    sealed = await scheduling.seal_pending(ctx)
    assert list(sealed) == ["election:board-2027"]
    async with ctx.db.reading() as session:
        assert await audit.pending_streams(session) == []
        check = await audit.verify_stream(session, "election:board-2027")
        assert check.ok and check.pending == 0
    assert await scheduling.seal_pending(ctx) == {}


async def test_schedule_commands_answer_and_refuse(ctx: Context, clock: ManualClock) -> None:
    await board_voting(ctx, clock)
    sec = await roster.actor_for_handle(ctx, "sec")
    alice = await roster.actor_for_handle(ctx, "alice")
    reply = await dispatch(ctx, sec, "election timeline board-2027 --voting-close +10d")
    assert reply.ok and "close" in reply.to_text() and "72h before" in reply.to_text()
    shown = await dispatch(ctx, sec, "schedule show election:board-2027")
    assert shown.ok and "pending" in shown.to_text()
    refused = await dispatch(ctx, alice, "election timeline board-2027 --voting-close +12d")
    assert not refused.ok
    bad = await dispatch(ctx, sec, "schedule show board-2027")
    assert not bad.ok and "election:<id>" in (bad.hint or "")
    meeting = await dispatch(ctx, sec, 'wg schedule safety "weekly mon" 09:00 Europe/Paris')
    assert meeting.ok and meeting.attachments and meeting.attachments[0].data.startswith(b"BEGIN:VCALENDAR")
    listed = await dispatch(ctx, sec, "wg meetings safety --ics 1")
    assert listed.ok and listed.attachments[0].filename == "safety-meeting-1.ics"
    wrong = await dispatch(ctx, sec, 'wg schedule safety "weekly mon" 9am Europe/Paris')
    assert not wrong.ok and "HH:MM" in (wrong.hint or "")
