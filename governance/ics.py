"""iCalendar (RFC 5545) files for meeting series, written with the ``icalendar`` library.

One VEVENT per series with its RRULE and a start in the series' own zone (``DTSTART;TZID=...``), plus
the VTIMEZONE it needs, so a calendar keeps the meeting at the same local time across daylight-saving
changes, as the bot does.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from icalendar import Calendar, Event, vRecur

from governance.recurrence import zone

PRODID = "-//govbot//meetings//EN"


def series_calendar(
    *,
    uid: str,
    title: str,
    rule: str,
    dtstart: datetime,
    timezone: str,
    duration_minutes: int,
    stamp: datetime,
    description: str | None = None,
    url: str | None = None,
) -> bytes:
    """The .ics bytes of one recurring meeting: ``dtstart`` is the naive local start in ``timezone``."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    event = Event()
    event.add("uid", uid)
    event.add("dtstamp", stamp)
    event.add("summary", title)
    event.add("dtstart", dtstart.replace(tzinfo=zone(timezone)))
    event.add("duration", timedelta(minutes=duration_minutes))
    event.add("rrule", vRecur.from_ical(rule))
    if description:
        event.add("description", description)
    if url:
        event.add("url", url)
    calendar.add_component(event)
    calendar.add_missing_timezones()
    return bytes(calendar.to_ical())
