"""Schedule commands, registered on import by bot.commands: election dates, motion deadlines, what is
scheduled, working-group meetings (with their .ics file) and the review of inactive members."""

from __future__ import annotations

from datetime import date, timedelta

from bot.grammar import Invocation, command, parse_when
from bot.present.replies import Attachment, Reply, Table
from governance import text as text_rules
from governance.errors import InvalidInput
from governance.i18n import _
from governance.services import bodies, elections, meetings, scheduling
from governance.services.meetings import SeriesView


def _date(text: str | None) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput(_("{text!r} is not a date.", text=text), _("Write it as 2026-03-02.")) from None


def _minutes(text: str | None, default: int) -> int:
    if text is None:
        return default
    if not text_rules.NUMBER_RE.fullmatch(text.strip()):
        raise InvalidInput(
            _("--duration takes minutes, not {text!r}.", text=text_rules.echo(text)), _("E.g. --duration 45.")
        )
    return text_rules.parse_number(text, _("--duration"), high=24 * 60, hint=_("E.g. --duration 45."))


def _days(text: str | None) -> timedelta:
    if text is None:
        return scheduling.INACTIVE_AFTER
    if not text_rules.NUMBER_RE.fullmatch(text.strip()):
        raise InvalidInput(
            _("--days takes a number of days, not {text!r}.", text=text_rules.echo(text)),
            _("E.g. --days 90."),
        )
    return timedelta(
        days=text_rules.parse_number(text, _("--days"), low=0, high=36500, hint=_("E.g. --days 90."))
    )


def _series_id(text: str) -> int:
    if not text_rules.NUMBER_RE.fullmatch(text.strip()):
        raise InvalidInput(
            _("{text!r} is not a meeting series number.", text=text_rules.echo(text)),
            _("See `wg meetings <wg>`."),
        )
    return text_rules.parse_number(text, _("A meeting series number"), hint=_("See `wg meetings <wg>`."))


def _ics(shown: SeriesView) -> Attachment:
    return Attachment(
        filename=f"{shown.body.slug}-meeting-{shown.series.id}.ics",
        data=shown.ics,
        media_type="text/calendar",
        description=f"{shown.series.title}: {shown.summary}",
    )


def _next(inv: Invocation, shown: SeriesView) -> str:
    return ", ".join(f"{s.astimezone(inv.tz):%a %Y-%m-%d %H:%M %Z}" for s in shown.upcoming) or "-"


@command(
    "election timeline",
    "<election>",
    "Plan or move an election's dates; its deadlines and reminders move with them (admins).",
    options={
        "nominations-open": "value",
        "nominations-close": "value",
        "voting-open": "value",
        "voting-close": "value",
    },
    examples=(
        "election timeline board-2027 --voting-close 2027-02-07",
        "election timeline board-2028 --nominations-open +1d",
    ),
    admin_only=True,
)
async def election_timeline(inv: Invocation) -> Reply:
    """election timeline"""
    election = await scheduling.set_election_timeline(
        inv.ctx,
        inv.actor,
        inv.arg("election"),
        nominations_open_at=inv.when("nominations-open"),
        nominations_close_at=inv.when("nominations-close"),
        voting_open_at=inv.when("voting-open"),
        voting_close_at=inv.when("voting-close"),
    )
    return await _schedule_reply(
        inv, f"election:{election.id}", _("New dates for {election}.", election=election.slug)
    )


@command(
    "motion deadline",
    "<motion> <when>",
    "Move an open motion's deadline; its close and reminders move with it (admins).",
    examples=("motion deadline 3 +2d",),
    admin_only=True,
)
async def motion_deadline(inv: Invocation) -> Reply:
    """motion deadline"""
    when = parse_when(inv.arg("when"), inv.tz, inv.ctx.now())
    motion = await scheduling.set_motion_deadline(inv.ctx, inv.actor, inv.arg("motion"), when)
    return await _schedule_reply(
        inv,
        f"motion:{motion.id}",
        _("M{id} now closes {deadline}.", id=motion.id, deadline=inv.show_time(motion.deadline)),
    )


async def _schedule_reply(inv: Invocation, subject: str, text: str) -> Reply:
    rows = await scheduling.pending(inv.ctx, subject=subject)
    table = Table(
        [_("when"), _("what")],
        [[inv.show_time(t.due_at), _what(t.kind, t.key)] for t in rows],
        title=_("Scheduled"),
    )
    return Reply(text=text, tables=[table] if rows else [])


def _label(kind: str) -> str:
    return kind.partition(".")[2].replace("_", " ")


def _what(kind: str, key: str) -> str:
    """A scheduled task as a label, with how long before its deadline a reminder goes out."""
    if ":remind:" not in key:
        return _label(kind)
    from governance.services.due import offset_label

    offset = offset_label(timedelta(seconds=int(key.rsplit(":", 1)[1])))
    return _("{task} ({offset} before)", task=_label(kind), offset=offset)


@command(
    "schedule show",
    "<what>",
    "What is scheduled for an election or motion, and what already ran.",
    examples=("schedule show election:board-2027", "schedule show motion:3"),
)
async def schedule_show(inv: Invocation) -> Reply:
    """schedule show"""
    what = inv.arg("what").strip().lower()
    kind, _sep, ref = what.partition(":")
    if kind == "election" and ref:
        view = await elections.show(inv.ctx, ref)
        subject = f"election:{view.election.id}"
    elif kind == "motion" and text_rules.NUMBER_RE.fullmatch(ref.lstrip("m")):
        subject = f"motion:{text_rules.parse_number(ref.lstrip('m'), _('A motion number'))}"
    else:
        raise InvalidInput(
            _("{what!r} names no election or motion.", what=text_rules.echo(what)),
            _("Write election:<id> or motion:<n>."),
        )
    rows = await scheduling.history(inv.ctx, subject)
    table = Table(
        [_("when"), _("what"), _("done"), _("result")],
        [
            [
                inv.show_time(t.due_at),
                _what(t.kind, t.key),
                inv.show_time(t.done_at) if t.done_at else _("pending"),
                t.result or "",
            ]
            for t in rows
        ],
    )
    return Reply(
        text=_("{len_rows} scheduled item(s) for {what}.", len_rows=len(rows), what=what),
        tables=[table] if rows else [],
    )


@command(
    "wg schedule",
    "<wg> <recurrence> <time> <tz>",
    "Schedule a recurring meeting (chairs); reminders before each, and an .ics file for calendars.",
    options={"title": "value", "duration": "value", "starts": "value", "remind": "value"},
    examples=(
        'wg schedule safety "weekly mon" 09:00 Europe/Paris',
        'wg schedule safety "biweekly tue,thu" 16:30 America/New_York --duration 45 --remind 24h,15m',
        'wg schedule safety "FREQ=MONTHLY;BYDAY=1WE" 15:00 UTC --title "Monthly review"',
    ),
    chair_only=True,
)
async def wg_schedule(inv: Invocation) -> Reply:
    """wg schedule"""
    remind = inv.opt("remind")
    shown = await meetings.schedule_meeting(
        inv.ctx,
        inv.actor,
        inv.arg("wg"),
        inv.arg("recurrence"),
        inv.arg("time"),
        inv.arg("tz"),
        title=inv.opt("title"),
        duration_minutes=_minutes(inv.opt("duration"), 60),
        starts=_date(inv.opt("starts")),
        reminders=meetings.parse_offsets(remind) if remind is not None else None,
    )
    return Reply(
        text=_(
            "Scheduled {shown_series_title} (series {shown_series_id}): {shown_summary}. Next: "
            "{next_inv_shown}.",
            shown_series_title=shown.series.title,
            shown_series_id=shown.series.id,
            shown_summary=shown.summary,
            next_inv_shown=_next(inv, shown),
        ),
        hint=_("Add it to your calendar with the attached .ics file."),
        attachments=(_ics(shown),),
    )


@command(
    "wg reschedule",
    "<wg> <series> <recurrence> <time> <tz>",
    "Move a meeting series to a new day, time or zone (chairs); its reminders move with it.",
    examples=('wg reschedule safety 1 "weekly thu" 11:00 Europe/Paris',),
    chair_only=True,
)
async def wg_reschedule(inv: Invocation) -> Reply:
    """wg reschedule"""
    shown = await meetings.reschedule_meeting(
        inv.ctx,
        inv.actor,
        inv.arg("wg"),
        _series_id(inv.arg("series")),
        inv.arg("recurrence"),
        inv.arg("time"),
        inv.arg("tz"),
    )
    return Reply(
        text=_(
            "{shown_series_title} is now {shown_summary}. Next: {next_inv_shown}.",
            shown_series_title=shown.series.title,
            shown_summary=shown.summary,
            next_inv_shown=_next(inv, shown),
        ),
        attachments=(_ics(shown),),
    )


@command("wg unschedule", "<wg> <series>", "Cancel a meeting series (chairs).", chair_only=True)
async def wg_unschedule(inv: Invocation) -> Reply:
    """wg unschedule"""
    series = await meetings.cancel_meeting(inv.ctx, inv.actor, inv.arg("wg"), _series_id(inv.arg("series")))
    return Reply(text=_("Cancelled {series_title}; no more reminders.", series_title=series.title))


@command(
    "wg meetings",
    "<wg>",
    "List a working group's meeting series and their next dates; --ics N attaches series N's calendar file.",
    options={"ics": "value"},
    examples=("wg meetings safety", "wg meetings safety --ics 1"),
)
async def wg_meetings(inv: Invocation) -> Reply:
    """wg meetings"""
    body, series = await meetings.list_meetings(inv.ctx, inv.arg("wg"))
    wanted = inv.opt("ics")
    if wanted is not None:
        number = _series_id(wanted)
        chosen = [s for s in series if s.series.id == number]
        if not chosen:
            raise InvalidInput(
                _("{body_name} has no active meeting series {number}.", body_name=body.name, number=number),
                _("See `wg meetings {body_slug}`.", body_slug=body.slug),
            )
        return Reply(
            text=_(
                "Calendar file for {chosen_0_series_title}.", chosen_0_series_title=chosen[0].series.title
            ),
            attachments=(_ics(chosen[0]),),
        )
    table = Table(
        ["#", _("title"), _("when"), _("next")],
        [[str(s.series.id), s.series.title, s.summary, _next(inv, s)] for s in series],
    )
    return Reply(
        text=_("{len_series} meeting series in {body_name}.", len_series=len(series), body_name=body.name),
        tables=[table] if series else [],
    )


@command(
    "wg review",
    "<wg>",
    "List members with no activity in the group for the review period (chairs; --days, default 180).",
    options={"days": "value"},
    examples=("wg review safety", "wg review safety --days 90"),
)
async def wg_review(inv: Invocation) -> Reply:
    """wg review"""
    period = _days(inv.opt("days"))
    body, inactive = await scheduling.review(inv.ctx, inv.actor, inv.arg("wg"), period)
    if not inactive:
        return Reply(
            text=_(
                "Nobody in {body_name} has been inactive for {period_days} days.",
                body_name=body.name,
                period_days=period.days,
            )
        )
    table = Table(
        [_("handle"), _("name"), _("member since"), _("last vote")],
        [[m.handle, m.name, inv.show_time(m.since), inv.show_time(m.last_active)] for m in inactive],
    )
    return Reply(
        text=_(
            "{len_inactive} member(s) of {body_name} inactive for {period_days} days.",
            len_inactive=len(inactive),
            body_name=body.name,
            period_days=period.days,
        ),
        hint=_(
            "Remove them with `wg review-confirm {body_slug} <handle> ... --days {period_days}`, or leave "
            "them.",
            body_slug=body.slug,
            period_days=period.days,
        ),
        tables=[table],
    )


@command(
    "wg review-confirm",
    "<wg> <handle>...",
    "Retire members listed by `wg review` (chairs; the same --days): removed, or kept as emeritus where the "
    "policy says so; each is told why.",
    options={"days": "value"},
    examples=("wg review-confirm safety bob carol",),
)
async def wg_review_confirm(inv: Invocation) -> Reply:
    """wg review-confirm"""
    removed = await scheduling.confirm_review(
        inv.ctx, inv.actor, inv.arg("wg"), inv.rest("handle"), _days(inv.opt("days"))
    )
    if await bodies.inactive_rule(inv.ctx, inv.arg("wg")) == "emeritus":
        return Reply(
            text=_(
                "Now emeritus for inactivity (kept on the list, without a vote): {handles}.",
                handles=", ".join(removed),
            )
        )
    return Reply(text=_("Removed for inactivity: {join_removed}.", join_removed=", ".join(removed)))
