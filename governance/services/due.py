"""Due work derived from the timelines of elections and motions, kept in ``scheduled_tasks``.

The services that set or change a timeline (create an election, open nominations or voting, close,
propose or close a motion, edit a deadline) call ``sync_election`` / ``sync_motion`` in the same
transaction: the rows a poll should have are worked out from its phase and times (``election_due``,
``motion_due``, pure), then upserted by their deterministic keys. A moved deadline moves its rows (and
re-arms a reminder already sent for the old deadline); work that no longer applies (an election closed
by hand) is marked done as "cancelled". Nothing here runs the work: ``governance.services.scheduling`` does.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from governance.models import Election, Motion, ScheduledTask
from governance.policies.base import DEFAULT_REMINDER_OFFSETS
from governance.services.common import Context

ELECTION_OPEN_NOMINATIONS = "election.open_nominations"
ELECTION_CLOSE_NOMINATIONS = "election.close_nominations"
ELECTION_OPEN_VOTING = "election.open_voting"
ELECTION_FIX_ELECTORATE = "election.fix_electorate"
ELECTION_CLOSE = "election.close"
ELECTION_REMINDER = "election.reminder"
MOTION_CLOSE = "motion.close"
MOTION_REMINDER = "motion.reminder"
MEETING_REMINDER = "meeting.reminder"


@dataclass(frozen=True)
class Due:
    """A piece of work a subject should have: its key, kind, time, and until when it is useful."""

    key: str
    kind: str
    subject: str
    due_at: datetime
    not_after: datetime | None = None
    payload: dict[str, Any] = field(default_factory=dict)


def reminder_offsets(rules: object | None) -> tuple[timedelta, ...]:
    """The policy's reminder cadence (``rules.reminder_offsets``), largest first; none without rules."""
    offsets = getattr(rules, "reminder_offsets", DEFAULT_REMINDER_OFFSETS) if rules is not None else ()
    return tuple(sorted({o for o in offsets if o > timedelta(0)}, reverse=True))


def offset_label(offset: timedelta) -> str:
    """An offset as people say it: ``72h``, ``1h``, ``90m``, ``2d`` when a whole number of days over 3."""
    seconds = int(offset.total_seconds())
    if seconds % 86400 == 0 and seconds // 86400 > 3:
        return f"{seconds // 86400}d"
    if seconds % 3600 == 0:
        return f"{seconds // 3600}h"
    return f"{seconds // 60}m"


def _reminders(
    prefix: str, kind: str, subject: str, deadline: datetime, start: datetime, offsets: Iterable[timedelta]
) -> list[Due]:
    out = []
    for offset in offsets:
        at = deadline - offset
        if at <= start:  # before the poll opened: nobody could have voted yet
            continue
        out.append(
            Due(
                f"{prefix}:remind:{int(offset.total_seconds())}",
                kind,
                subject,
                at,
                deadline,
                {"offset": int(offset.total_seconds()), "deadline": deadline.isoformat()},
            )
        )
    return out


def election_due(
    election: Election, offsets: Sequence[timedelta], cutoff: timedelta | None = None
) -> list[Due]:
    """The due work an election's phase and timeline call for (pure).

    Draft with a planned nominations opening: open nominations then. Draft or nominating with a
    nominations deadline: voting opens at ``voting_open_at`` when planned, else at the nominations
    deadline when a voting deadline is planned (the timeline runs on); otherwise the deadline closes
    nominations and says so. Voting: close at ``voting_close_at``, reminders before it at ``offsets``.
    With a policy's electorate ``cutoff``, the electorate is fixed that long before voting opens.
    """
    prefix = f"election:{election.id}"
    subject = prefix
    out: list[Due] = []
    phase = election.phase
    if phase == "draft" and election.nominations_open_at is not None:
        out.append(
            Due(
                f"{prefix}:open-nominations", ELECTION_OPEN_NOMINATIONS, subject, election.nominations_open_at
            )
        )
    if phase in ("draft", "nominating"):
        opens = election.voting_open_at or (
            election.nominations_close_at if election.voting_close_at is not None else None
        )
        if opens is not None:
            out.append(Due(f"{prefix}:open-voting", ELECTION_OPEN_VOTING, subject, opens))
            if cutoff and election.electorate_fixed_at is None:
                out.append(Due(f"{prefix}:fix-electorate", ELECTION_FIX_ELECTORATE, subject, opens - cutoff))
        if election.nominations_close_at is not None and opens != election.nominations_close_at:
            out.append(
                Due(
                    f"{prefix}:close-nominations",
                    ELECTION_CLOSE_NOMINATIONS,
                    subject,
                    election.nominations_close_at,
                )
            )
    if phase == "voting" and election.voting_close_at is not None:
        out.append(Due(f"{prefix}:close", ELECTION_CLOSE, subject, election.voting_close_at))
        start = election.voting_open_at or election.voting_close_at - max(offsets, default=timedelta(0))
        out += _reminders(prefix, ELECTION_REMINDER, subject, election.voting_close_at, start, offsets)
    return out


def motion_due(motion: Motion, offsets: Sequence[timedelta]) -> list[Due]:
    """The due work of a motion (pure): close at its deadline and remind before it, while it is open."""
    if motion.phase != "open":
        return []
    prefix = f"motion:{motion.id}"
    return [
        Due(f"{prefix}:close", MOTION_CLOSE, prefix, motion.deadline),
        *_reminders(prefix, MOTION_REMINDER, prefix, motion.deadline, motion.opened_at, offsets),
    ]


async def sync(session: AsyncSession, ctx: Context, subject: str, desired: Sequence[Due]) -> None:
    """Make ``subject``'s pending rows match ``desired``, in the caller's transaction.

    A row whose time changed is moved and re-armed (a reminder sent for the old deadline is due again
    for the new one); a row with the same time keeps its done marker; a pending row no longer desired is
    marked done, "cancelled". Keys are deterministic, so this never duplicates.
    """
    rows = {
        t.key: t
        for t in (
            await session.execute(select(ScheduledTask).where(col(ScheduledTask.subject) == subject))
        ).scalars()
    }
    now = ctx.now()
    wanted = {d.key for d in desired}
    for due in desired:
        payload = json.dumps(due.payload, sort_keys=True)
        row = rows.get(due.key)
        if row is None:
            session.add(
                ScheduledTask(
                    key=due.key,
                    kind=due.kind,
                    subject=due.subject,
                    due_at=due.due_at,
                    not_after=due.not_after,
                    payload=payload,
                    created_at=now,
                )
            )
        elif row.due_at != due.due_at or row.not_after != due.not_after or row.payload != payload:
            rearm = row.due_at != due.due_at or row.not_after != due.not_after or row.result == "cancelled"
            row.due_at, row.not_after, row.payload, row.kind = due.due_at, due.not_after, payload, due.kind
            if rearm:
                row.done_at = row.claimed_by = row.claimed_until = row.result = None
        elif row.result == "cancelled":  # wanted again (e.g. an election re-opened) with the same time
            row.done_at = row.result = None
    for key, row in rows.items():
        held = row.claimed_until is not None and row.claimed_until > now  # a worker is running it now
        if key not in wanted and row.done_at is None and not held:
            row.done_at, row.result = now, "cancelled"
    await session.flush()


async def sync_election(
    session: AsyncSession, ctx: Context, election: Election, rules: object | None
) -> None:
    """Upsert an election's due rows after its phase or timeline changed (same transaction)."""
    await session.flush()
    cutoff = getattr(rules, "electorate_cutoff", None)
    desired = election_due(election, reminder_offsets(rules), cutoff)
    await sync(session, ctx, f"election:{election.id}", desired)


async def sync_motion(session: AsyncSession, ctx: Context, motion: Motion, rules: object | None) -> None:
    """Upsert a motion's due rows after it was proposed, re-timed, closed or withdrawn (same transaction)."""
    await session.flush()
    await sync(session, ctx, f"motion:{motion.id}", motion_due(motion, reminder_offsets(rules)))
