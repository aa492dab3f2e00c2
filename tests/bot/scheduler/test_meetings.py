"""Meeting series: a weekly meeting in a zone that changes to summer time fires at the same local time
(so an hour earlier in UTC), rescheduling moves its reminders without doubling them, the .ics file
carries the rule and zone, and bad input is refused with a message."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar

from governance import recurrence
from governance.clock import ManualClock
from governance.errors import Forbidden, InvalidInput
from governance.services import bodies, meetings, roster, scheduling
from governance.services.common import Context
from tests.factories import SYSTEM, outbox, tasks
from tests.fakes.notices import notice_text


async def _wg(ctx: Context) -> None:
    await roster.add_person(ctx, SYSTEM, "sec", "Sam Secretariat", admin=True)
    await roster.add_organisation(ctx, SYSTEM, "acme", "Acme AI", "premier")
    await roster.add_person(ctx, SYSTEM, "dana", "Dana Kowalski", organisation="acme")
    await roster.add_person(ctx, SYSTEM, "bob", "Bob Stone", organisation="acme")
    await bodies.create_body(
        ctx, SYSTEM, "safety", "AI Safety WG", "working_group", chairs=["dana"], channel="#wg-safety"
    )


@pytest.mark.parametrize(
    ("zone", "change", "before_utc", "after_utc"),
    [
        ("Europe/Paris", datetime(2026, 3, 29, tzinfo=UTC), 8, 7),  # CET -> CEST on the last Sunday of March
        ("America/New_York", datetime(2026, 3, 8, tzinfo=UTC), 14, 13),  # EST -> EDT on the second Sunday
    ],
)
async def test_a_weekly_meeting_keeps_its_local_time_across_a_daylight_saving_change(
    ctx: Context, clock: ManualClock, zone: str, change: datetime, before_utc: int, after_utc: int
) -> None:
    await _wg(ctx)
    clock.set(change - timedelta(days=10))
    dana = await roster.actor_for_handle(ctx, "dana")
    shown = await meetings.schedule_meeting(ctx, dana, "safety", "weekly mon", "09:00", zone)
    starts = shown.upcoming
    assert [s.astimezone(ZoneInfo(zone)).strftime("%a %H:%M") for s in starts] == ["Mon 09:00"] * 3
    assert [s.hour for s in starts if s < change] == [before_utc] * sum(s < change for s in starts)
    assert [s.hour for s in starts if s > change] == [after_utc] * sum(s > change for s in starts)
    assert {s < change for s in starts} == {True, False}

    fired: list[datetime] = []
    for start in starts:  # the scheduler fires each 1 h reminder at the right UTC instant
        clock.set(start - timedelta(hours=1))
        outcomes = await scheduling.run_due(ctx, "w")
        assert [o.result for o in outcomes] == ["skipped: a later reminder for this meeting is due too"] * (
            len(outcomes) - 1
        ) + ["done"]
        fired.append(clock.now())
        await meetings.plan_all(ctx)
    assert [f + timedelta(hours=1) for f in fired] == starts
    posts = await outbox(ctx, "meeting.reminder")
    assert all(handle is None and m.body_id is not None for handle, m in posts)
    assert [f"09:00 {zone}" in notice_text(m) for _, m in posts] == [True] * len(posts)
    assert [f"({s:%H:%M} UTC)" in notice_text(m) for s, (_, m) in zip(starts, posts[-3:], strict=True)] == [
        True
    ] * 3


async def test_the_ics_file_carries_the_rule_the_local_start_and_the_zone(
    ctx: Context, clock: ManualClock
) -> None:
    await _wg(ctx)
    clock.set(datetime(2026, 3, 18, 12, tzinfo=UTC))
    dana = await roster.actor_for_handle(ctx, "dana")
    shown = await meetings.schedule_meeting(
        ctx, dana, "safety", "biweekly tue", "16:30", "Europe/Paris", title="Safety sync", duration_minutes=45
    )
    [event] = Calendar.from_ical(shown.ics).walk("VEVENT")
    start = event.get("dtstart").dt
    assert start == datetime(2026, 3, 24, 16, 30, tzinfo=ZoneInfo("Europe/Paris"))
    assert str(event.get("summary")) == "Safety sync" and event.get("duration").dt == timedelta(minutes=45)
    rule = event.get("rrule")
    assert (rule["FREQ"], rule["BYDAY"], rule["INTERVAL"]) == (["WEEKLY"], ["TU"], [2])
    assert b"BEGIN:VTIMEZONE" in shown.ics and b"TZID:Europe/Paris" in shown.ics
    assert shown.summary == "every 2 weeks on Tuesday at 16:30 Europe/Paris (45 min)"


async def test_rescheduling_moves_reminders_and_cancelling_stops_them(
    ctx: Context, clock: ManualClock
) -> None:
    await _wg(ctx)
    clock.set(datetime(2026, 5, 4, 12, tzinfo=UTC))
    dana = await roster.actor_for_handle(ctx, "dana")
    shown = await meetings.schedule_meeting(ctx, dana, "safety", "weekly tue", "10:00", "Europe/Paris")
    series_id = shown.series.id or 0
    subject = f"meeting:{series_id}"
    first = {k for k, t in (await tasks(ctx, subject)).items() if t.done_at is None}
    assert len(first) == 2 * 5 - 1  # 24 h and 1 h before each meeting of five weeks; the first is tomorrow
    moved = await meetings.reschedule_meeting(
        ctx, dana, "safety", series_id, "weekly thu", "11:00", "Europe/Paris"
    )
    rows = await tasks(ctx, subject)
    pending = {k for k, t in rows.items() if t.done_at is None}
    assert pending.isdisjoint(first) and all(rows[k].result == "cancelled" for k in first)
    starts = {rows[k].due_at + timedelta(seconds=int(k.rsplit(":", 1)[1])) for k in pending}
    assert set(moved.upcoming) <= starts
    assert moved.upcoming[0].astimezone(ZoneInfo("Europe/Paris")).strftime("%a %H:%M") == "Thu 11:00"
    await meetings.plan_all(ctx)
    assert {k for k, t in (await tasks(ctx, subject)).items() if t.done_at is None} == pending  # no doubles
    await meetings.cancel_meeting(ctx, dana, "safety", series_id)
    assert all(t.done_at is not None for t in (await tasks(ctx, subject)).values())
    clock.advance(timedelta(days=30))
    assert await scheduling.run_due(ctx, "w") == []


async def test_bad_meeting_input_is_refused_with_a_message(ctx: Context, clock: ManualClock) -> None:
    await _wg(ctx)
    dana = await roster.actor_for_handle(ctx, "dana")
    bob = await roster.actor_for_handle(ctx, "bob")
    with pytest.raises(InvalidInput, match="not a time zone"):
        await meetings.schedule_meeting(ctx, dana, "safety", "weekly mon", "09:00", "Mars/Olympus")
    with pytest.raises(InvalidInput, match="not a time of day"):
        await meetings.schedule_meeting(ctx, dana, "safety", "weekly mon", "25:00", "UTC")
    with pytest.raises(InvalidInput, match="at most daily"):
        await meetings.schedule_meeting(ctx, dana, "safety", "FREQ=HOURLY", "09:00", "UTC")
    with pytest.raises(InvalidInput, match="not a day of the week"):
        await meetings.schedule_meeting(ctx, dana, "safety", "weekly funday", "09:00", "UTC")
    with pytest.raises(Forbidden):
        await meetings.schedule_meeting(ctx, bob, "safety", "weekly mon", "09:00", "UTC")
    assert await tasks(ctx) == {}
    assert (await meetings.list_meetings(ctx, "safety"))[1] == []


def test_a_time_skipped_by_the_clock_change_is_read_an_hour_later() -> None:
    paris = recurrence.zone("Europe/Paris")
    assert recurrence.to_utc(datetime(2026, 3, 29, 2, 30), paris) == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)
    starts = recurrence.occurrences(
        "FREQ=DAILY",
        datetime(2026, 3, 28, 2, 30),
        paris,
        datetime(2026, 3, 28, tzinfo=UTC),
        datetime(2026, 3, 31, tzinfo=UTC),
    )
    assert [s.astimezone(paris).strftime("%d %H:%M") for s in starts] == ["28 02:30", "29 03:30", "30 02:30"]
