"""Working-group meetings: a chair schedules a series (``wg schedule``), the group is reminded before each
meeting, and anyone can add the series to a calendar from its .ics file.

A series is stored as an RRULE with a local start and an IANA zone (``governance.recurrence``), so it
keeps its wall-clock time across daylight-saving changes. Reminders are ordinary due rows
(``scheduled_tasks``) for the occurrences of the coming weeks, one per occurrence and offset, keyed by the
occurrence's start: ``plan_series`` keeps them in step when a series is created, moved or cancelled, and
the scheduler calls ``plan_all`` periodically to roll the window forward.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from governance import ics, recurrence
from governance import text as text_rules
from governance.errors import Conflict, InvalidInput, NotFound, suggest
from governance.i18n import _
from governance.models import Body, MeetingSeries, ScheduledTask
from governance.services import due
from governance.services.common import (
    Actor,
    Context,
    actor_facts,
    body_by_slug,
    body_facts,
    check_text,
    enforce,
    notify,
    record,
)
from governance.services.tasks import Claimed, Ran, useless

HORIZON = timedelta(days=35)
DEFAULT_REMINDERS = (timedelta(hours=24), timedelta(hours=1))
MAX_DURATION_MINUTES = 12 * 60


@dataclass(frozen=True)
class SeriesView:
    """A series with its body, its next starts (UTC) and its .ics file."""

    series: MeetingSeries
    body: Body
    upcoming: list[datetime]
    ics: bytes

    @property
    def summary(self) -> str:
        """ "every Monday at 09:00 Europe/Paris (60 min)"."""
        s = self.series
        return _(
            "{rule} at {time} {zone} ({minutes} min)",
            rule=recurrence.describe(s.rrule),
            time=s.dtstart[11:16],
            zone=s.timezone,
            minutes=s.duration_minutes,
        )


def _offsets(series: MeetingSeries) -> list[timedelta]:
    return [timedelta(seconds=int(x)) for x in series.reminder_offsets.split(",") if x.strip()]


def parse_offsets(text: str) -> tuple[timedelta, ...]:
    """Reminder offsets as people type them: ``24h,1h``, ``2d``, ``30m``."""
    out = []
    for word in text.replace(" ", "").split(","):
        if not word:
            continue
        unit = word[-1:].lower()
        amount = word[:-1]
        if (
            unit not in ("d", "h", "m")
            or not text_rules.NUMBER_RE.fullmatch(amount)
            or len(amount) > 6
            or int(amount) == 0
        ):
            raise InvalidInput(
                _("{word!r} is not a reminder offset.", word=word),
                _("Write e.g. --remind 24h,1h (d, h or m)."),
            )
        out.append(timedelta(**{{"d": "days", "h": "hours", "m": "minutes"}[unit]: int(amount)}))
    if len(out) > 5 or any(o > timedelta(days=14) for o in out):
        raise InvalidInput(_("Give at most 5 reminders, each at most 14 days before the meeting."))
    return tuple(sorted(set(out), reverse=True))


def upcoming(series: MeetingSeries, now: datetime, count: int = 3) -> list[datetime]:
    """The series' next ``count`` starts after ``now`` (UTC; none once it is cancelled)."""
    if not series.active:
        return []
    start = datetime.fromisoformat(series.dtstart)
    tz = recurrence.zone(series.timezone)
    return recurrence.occurrences(series.rrule, start, tz, now, now + timedelta(days=400))[:count]


def view(series: MeetingSeries, body: Body, now: datetime, count: int = 3) -> SeriesView:
    """A series as shown: its next ``count`` starts and its calendar file."""
    start = datetime.fromisoformat(series.dtstart)
    calendar = ics.series_calendar(
        uid=f"meeting-{series.id}@govbot",
        title=series.title,
        rule=series.rrule,
        dtstart=start,
        timezone=series.timezone,
        duration_minutes=series.duration_minutes,
        stamp=series.created_at,
        description=f"{body.name} meeting, scheduled with govbot.",
        url=body.charter_url,
    )
    return SeriesView(series, body, upcoming(series, now, count), calendar)


def wanted(series: MeetingSeries, now: datetime, horizon: timedelta = HORIZON) -> list[due.Due]:
    """The reminder rows a series should have for meetings starting in ``[now, now + horizon)`` (pure)."""
    if not series.active:
        return []
    tz = recurrence.zone(series.timezone)
    subject = f"meeting:{series.id}"
    out = []
    for start in recurrence.occurrences(
        series.rrule, datetime.fromisoformat(series.dtstart), tz, now, now + horizon
    ):
        for offset in _offsets(series):
            at = start - offset
            if at < series.created_at:
                continue
            seconds = int(offset.total_seconds())
            out.append(
                due.Due(
                    f"{subject}:{start:%Y%m%dT%H%MZ}:remind:{seconds}",
                    due.MEETING_REMINDER,
                    subject,
                    at,
                    start,
                    {"start": start.isoformat(), "offset": seconds},
                )
            )
    return out


async def plan_series(session: AsyncSession, ctx: Context, series: MeetingSeries) -> None:
    """Bring a series' reminder rows in step with its rule (same transaction as the change)."""
    await session.flush()
    await due.sync(session, ctx, f"meeting:{series.id}", wanted(series, ctx.now()))


async def plan_all(ctx: Context) -> int:
    """Roll every active series' reminder window forward; returns how many series were planned."""
    async with ctx.db.reading() as session:
        ids = list(
            (
                await session.execute(
                    select(col(MeetingSeries.id)).where(col(MeetingSeries.active).is_(True))
                )
            ).scalars()
        )
    for series_id in ids:
        async with ctx.db.transaction() as session:
            series = await session.get(MeetingSeries, series_id)
            if series is not None and series.active:
                await plan_series(session, ctx, series)
    return len(ids)


async def _chair_body(session: AsyncSession, actor: Actor, slug: str, ctx: Context) -> Body:
    body = await body_by_slug(session, slug)
    policy = ctx.policy_for(body)
    enforce(policy.may_approve_join(body_facts(body), await actor_facts(session, actor, body)), policy)
    return body


def _series_fields(
    ctx: Context, spec: str, at: str, tz_name: str, starts: date | None
) -> tuple[str, datetime, str]:
    rule = recurrence.parse_spec(spec)
    wall = recurrence.parse_time(at)
    tz = recurrence.zone(tz_name)
    now = ctx.now()
    begin = now
    if starts is not None:
        local_midnight = recurrence.to_utc(datetime.combine(starts, time(0, 0)), tz)
        begin = max(now, local_midnight)
    first = recurrence.first_start(rule, begin, wall, tz)
    return rule, first, tz.key


async def schedule_meeting(
    ctx: Context,
    actor: Actor,
    slug: str,
    spec: str,
    at: str,
    tz_name: str,
    *,
    title: str | None = None,
    duration_minutes: int = 60,
    starts: date | None = None,
    reminders: Sequence[timedelta] | None = None,
) -> SeriesView:
    """Schedule a recurring meeting of a body (its chairs or the secretariat), with reminders before each."""
    rule, first, zone_name = _series_fields(ctx, spec, at, tz_name, starts)
    if not 5 <= duration_minutes <= MAX_DURATION_MINUTES:
        raise InvalidInput(
            _("A meeting lasts between 5 minutes and 12 hours."), _("Give --duration in minutes.")
        )
    offsets = tuple(reminders) if reminders is not None else DEFAULT_REMINDERS
    async with ctx.db.transaction() as session:
        body = await _chair_body(session, actor, slug, ctx)
        name = check_text(title, _("the meeting's title"), 200, required=False) or _(
            "{body} meeting", body=body.name
        )
        assert body.id is not None
        series = MeetingSeries(
            body_id=body.id,
            title=name,
            rrule=rule,
            dtstart=first.strftime("%Y-%m-%dT%H:%M"),
            timezone=zone_name,
            duration_minutes=duration_minutes,
            reminder_offsets=",".join(str(int(o.total_seconds())) for o in offsets),
            active=True,
            created_by_id=actor.person_id,
            created_at=ctx.now(),
        )
        session.add(series)
        await session.flush()
        shown = view(series, body, ctx.now())
        await record(
            session,
            ctx,
            actor,
            stream=f"body:{body.slug}",
            kind="meeting.scheduled",
            subject=f"meeting:{series.id}",
            payload={"rrule": rule, "dtstart": series.dtstart, "timezone": zone_name, "title": name},
        )
        notify(
            session,
            ctx,
            kind="meeting.scheduled",
            body_id=body.id,
            params={"body": body.slug, **_series_params(series)},
        )
        await plan_series(session, ctx, series)
        return shown


def _series_params(series: MeetingSeries) -> dict[str, object]:
    """What a notice about ``series`` carries (``governance.notices``): its rule, local start and zone,
    length, and its first start as a local wall time."""
    assert series.id is not None
    return {
        "series": series.id,
        "title": series.title,
        "rrule": series.rrule,
        "time": series.dtstart[11:16],
        "zone": series.timezone,
        "minutes": series.duration_minutes,
        "first": series.dtstart,
    }


async def _series(session: AsyncSession, body: Body, series_id: int) -> MeetingSeries:
    series = await session.get(MeetingSeries, series_id)
    if series is None or series.body_id != body.id:
        raise NotFound(
            _("{body_name} has no meeting series {series_id}.", body_name=body.name, series_id=series_id),
            suggest=suggest("see", ("wg", "meetings", body.slug)),
        )
    return series


async def reschedule_meeting(
    ctx: Context, actor: Actor, slug: str, series_id: int, spec: str, at: str, tz_name: str
) -> SeriesView:
    """Move a series to a new rule, time or zone; its reminders move with it (none is doubled)."""
    rule, first, zone_name = _series_fields(ctx, spec, at, tz_name, None)
    async with ctx.db.transaction() as session:
        body = await _chair_body(session, actor, slug, ctx)
        series = await _series(session, body, series_id)
        if not series.active:
            raise Conflict(
                _("Meeting series {series_id} was cancelled.", series_id=series_id),
                suggest=suggest("schedule_new", "wg schedule"),
            )
        series.rrule, series.dtstart, series.timezone = rule, first.strftime("%Y-%m-%dT%H:%M"), zone_name
        shown = view(series, body, ctx.now())
        await record(
            session,
            ctx,
            actor,
            stream=f"body:{body.slug}",
            kind="meeting.rescheduled",
            subject=f"meeting:{series.id}",
            payload={"rrule": rule, "dtstart": series.dtstart, "timezone": zone_name},
        )
        notify(
            session,
            ctx,
            kind="meeting.rescheduled",
            body_id=body.id,
            params=_series_params(series),
        )
        await plan_series(session, ctx, series)
        return shown


async def cancel_meeting(ctx: Context, actor: Actor, slug: str, series_id: int) -> MeetingSeries:
    """Cancel a series: no more reminders (those pending are marked cancelled)."""
    async with ctx.db.transaction() as session:
        body = await _chair_body(session, actor, slug, ctx)
        series = await _series(session, body, series_id)
        if not series.active:
            raise Conflict(_("Meeting series {series_id} is already cancelled.", series_id=series_id))
        series.active = False
        series.cancelled_at = ctx.now()
        await record(
            session,
            ctx,
            actor,
            stream=f"body:{body.slug}",
            kind="meeting.cancelled",
            subject=f"meeting:{series.id}",
        )
        notify(
            session,
            ctx,
            kind="meeting.cancelled",
            body_id=body.id,
            params={"series": series.id, "title": series.title, "body_name": body.name},
        )
        await plan_series(session, ctx, series)
        return series


async def list_meetings(ctx: Context, slug: str) -> tuple[Body, list[SeriesView]]:
    """A body's active meeting series with their next starts and calendar files (anyone may look)."""
    async with ctx.db.reading() as session:
        body = await body_by_slug(session, slug)
        rows = (
            await session.execute(
                select(MeetingSeries)
                .where(col(MeetingSeries.body_id) == body.id, col(MeetingSeries.active).is_(True))
                .order_by(col(MeetingSeries.id))
            )
        ).scalars()
        return body, [view(s, body, ctx.now()) for s in rows]


async def remind(ctx: Context, task: Claimed) -> Ran:
    """Post a meeting reminder to the body's channel, unless it is no longer useful."""
    now = ctx.now()
    if skip := useless(task, now):
        return Ran(skip)
    start = datetime.fromisoformat(str(task.payload["start"]))
    async with ctx.db.transaction() as session:
        series = await session.get(MeetingSeries, int(task.subject.rsplit(":", 1)[1]))
        if series is None or not series.active:
            return Ran("skipped: the series was cancelled")
        prefix = task.key.rsplit(":remind:", 1)[0] + ":remind:"
        later = select(col(ScheduledTask.id)).where(
            col(ScheduledTask.key).startswith(prefix),
            col(ScheduledTask.due_at) > task.due_at,
            col(ScheduledTask.due_at) <= now,
        )
        if (await session.execute(select(exists(later)))).scalar():
            return Ran("skipped: a later reminder for this meeting is due too")
        body = await session.get(Body, series.body_id)
        assert body is not None
        notify(
            session,
            ctx,
            kind="meeting.reminder",
            body_id=body.id,
            dedupe_key=task.key,
            params={
                "series": series.id,
                "title": series.title,
                "start": start,
                "zone": series.timezone,
                "as_of": now,
            },
        )
    return Ran("done", sent=1)
