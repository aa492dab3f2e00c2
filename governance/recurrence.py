"""Recurring meetings as people write them, turned into RFC 5545 rules and expanded in a time zone.

A series is a rule (``FREQ=WEEKLY;BYDAY=MO``) applied to a *local* start (09:00 on 2026-03-02) in an
IANA zone: occurrences are expanded as wall-clock times by ``dateutil.rrule`` and only then turned into
UTC, so a 09:00 meeting stays at 09:00 in Paris when the clocks change (and moves in UTC). A time that
does not exist locally (skipped by a spring-forward change) is read with the offset before the change,
i.e. an hour later on the wall; a time that occurs twice is its first occurrence.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel.dates import get_day_names
from dateutil.rrule import rrule, rrulestr

from governance.errors import InvalidInput
from governance.i18n import N_, _, current_locale, ngettext

DAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_DAY_WORDS = {name[:3].lower(): code for name, code in zip(DAY_NAMES, DAYS, strict=True)} | {
    name.lower(): code for name, code in zip(DAY_NAMES, DAYS, strict=True)
}
_ORDINALS = {
    "first": 1,
    "1st": 1,
    "second": 2,
    "2nd": 2,
    "third": 3,
    "3rd": 3,
    "fourth": 4,
    "4th": 4,
    "last": -1,
}
FREQS = ("DAILY", "WEEKLY", "MONTHLY", "YEARLY")  # a meeting recurs at most daily
SPEC_HELP = N_(
    "Write `weekly mon`, `mon,thu`, `biweekly tue`, `every 3 weeks fri`, `weekdays`, `daily`, "
    "`monthly first tue` / `monthly last fri`, or an RFC 5545 rule such as `FREQ=WEEKLY;BYDAY=MO`."
)


def zone(name: str) -> ZoneInfo:
    """The IANA time zone ``name`` (``Europe/Paris``), or an InvalidInput that says what is expected."""
    try:
        return ZoneInfo(name.strip())
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput(
            _("{name!r} is not a time zone I know.", name=name),
            _("Give an IANA zone such as Europe/Paris or America/New_York."),
        ) from None


def parse_time(text: str) -> time:
    """A wall-clock time ``HH:MM`` (24-hour)."""
    match = re.fullmatch(r"([01]?\d|2[0-3])[:h]([0-5]\d)", text.strip().lower())
    if not match:
        raise InvalidInput(
            _("{text!r} is not a time of day.", text=text),
            _("Write it as HH:MM on a 24-hour clock, e.g. 16:30."),
        )
    return time(int(match.group(1)), int(match.group(2)))


def _days(text: str) -> list[str]:
    codes = []
    for word in re.split(r"[,\s]+", text.strip().lower()):
        if not word:
            continue
        code = _DAY_WORDS.get(word)
        if code is None:
            raise InvalidInput(_("{word!r} is not a day of the week.", word=word), _(SPEC_HELP))
        if code not in codes:
            codes.append(code)
    if not codes:
        raise InvalidInput(_("Say which day(s) the meeting is on."), _(SPEC_HELP))
    return sorted(codes, key=DAYS.index)


def parse_spec(spec: str) -> str:
    """An RFC 5545 RRULE (without the ``RRULE:`` prefix) from a spec people type; see ``SPEC_HELP``.

    Rules more frequent than daily are refused (a meeting series, not a timer), as are rules that
    ``dateutil`` cannot read.
    """
    text = " ".join(spec.strip().split())
    lower = text.lower()
    if not text:
        raise InvalidInput(_("The meeting needs a recurrence."), _(SPEC_HELP))
    if "freq=" in lower:
        body = text.split(":", 1)[1] if lower.startswith("rrule:") else text
        body = body.upper().replace(" ", "")
        if "DTSTART" in body:
            raise InvalidInput(
                _("Give the start as the time argument, not DTSTART inside the rule."), _(SPEC_HELP)
            )
        try:
            parsed = rrulestr(body, dtstart=datetime(2026, 1, 1))
        except (ValueError, TypeError, KeyError) as exc:
            raise InvalidInput(
                _("{spec!r} is not a rule I can read: {exc}.", spec=spec, exc=exc), _(SPEC_HELP)
            ) from None
        fields = dict(p.split("=", 1) for p in body.split(";") if "=" in p)
        if not isinstance(parsed, rrule) or fields.get("FREQ") not in FREQS:
            raise InvalidInput(_("A meeting recurs at most daily."), _(SPEC_HELP))
        return body
    if lower == "daily":
        return "FREQ=DAILY"
    if lower in ("weekdays", "every weekday"):
        return "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR"
    monthly = re.fullmatch(r"monthly\s+(?:on\s+)?(\S+)\s+(\S+)", lower)
    if monthly:
        ordinal = _ORDINALS.get(monthly.group(1))
        days = _days(monthly.group(2))
        if ordinal is None or len(days) != 1:
            raise InvalidInput(
                _("{spec!r}: say e.g. `monthly first tue` or `monthly last fri`.", spec=spec), _(SPEC_HELP)
            )
        return f"FREQ=MONTHLY;BYDAY={ordinal}{days[0]}"
    interval = 1
    rest = lower
    every = re.fullmatch(r"every\s+(\d{1,2})\s+weeks?\s+(?:on\s+)?(.+)", lower)
    if every:
        interval, rest = int(every.group(1)), every.group(2)
    elif lower.startswith(("biweekly ", "fortnightly ")):
        interval, rest = 2, lower.split(" ", 1)[1]
    elif lower.startswith("weekly "):
        rest = lower.split(" ", 1)[1]
    if not 1 <= interval <= 52:
        raise InvalidInput(_("Meet at least once a year (every 1 to 52 weeks)."), _(SPEC_HELP))
    weekly = ",".join(_days(rest.removeprefix("on ")))
    return f"FREQ=WEEKLY;BYDAY={weekly}" + (f";INTERVAL={interval}" if interval > 1 else "")


def describe(rule_text: str) -> str:
    """A rule in words: "every Monday", "every 2 weeks on Tuesday", "monthly (1TU)"."""
    parts = dict(p.split("=", 1) for p in rule_text.split(";") if "=" in p)
    interval = int(parts.get("INTERVAL", "1"))
    byday = parts.get("BYDAY", "")
    freq = parts.get("FREQ", "")
    if freq == "WEEKLY" and byday and all(d in DAYS for d in byday.split(",")):
        wide = get_day_names("wide", locale=current_locale())
        names = [wide[DAYS.index(d)] for d in byday.split(",")]
        listed = (
            names[0]
            if len(names) == 1
            else _("{days} and {last}", days=", ".join(names[:-1]), last=names[-1])
        )
        if interval == 1:
            return _("every {days}", days=listed)
        return ngettext("every {n} week on {days}", "every {n} weeks on {days}", interval, days=listed)
    if freq == "DAILY" and interval == 1:
        return _("every day")
    return rule_text


def to_utc(local: datetime, tz: ZoneInfo) -> datetime:
    """A naive local wall time in ``tz`` as aware UTC (``fold=0``: see the module's note on gaps)."""
    return local.replace(tzinfo=tz, fold=0).astimezone(UTC)


def occurrences(
    rule_text: str, dtstart: datetime, tz: ZoneInfo, after: datetime, before: datetime
) -> list[datetime]:
    """The starts (aware UTC) of a series in ``[after, before)``: wall times expanded, then converted."""
    if dtstart.tzinfo is not None:
        raise ValueError("dtstart is a naive local wall time")
    rule = rrulestr(rule_text, dtstart=dtstart)
    lo = after.astimezone(tz).replace(tzinfo=None) - timedelta(days=1)
    hi = before.astimezone(tz).replace(tzinfo=None) + timedelta(days=1)
    out = []
    for local in rule.between(lo, hi, inc=True):
        start = to_utc(local, tz)
        if after <= start < before:
            out.append(start)
    return out


def first_start(rule_text: str, on_or_after: datetime, at: time, tz: ZoneInfo) -> datetime:
    """The naive local start of a series: the first day on or after ``on_or_after`` (aware) that the
    rule allows, at the wall time ``at``; so a rule's ``BYDAY`` need not match the creation day."""
    local_day = on_or_after.astimezone(tz).replace(tzinfo=None)
    base = datetime.combine(local_day.date(), at)
    # The first matching day comes from the rule without its interval ("biweekly tue" made on a
    # Wednesday starts next Tuesday, not in a fortnight); the interval then counts from that day.
    every = ";".join(p for p in rule_text.split(";") if not p.startswith(("INTERVAL=", "COUNT=")))
    candidate = rrulestr(every, dtstart=base).after(base, inc=True)
    if candidate is None:
        raise InvalidInput(_("That rule has no meeting from today on."), _(SPEC_HELP))
    if to_utc(candidate, tz) < on_or_after:  # today's time has passed: the next one
        later = rrulestr(every, dtstart=base).after(candidate, inc=False)
        if later is None:
            raise InvalidInput(_("That rule has no meeting from now on."), _(SPEC_HELP))
        candidate = later
    assert isinstance(candidate, datetime)
    return candidate
