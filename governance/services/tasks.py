"""A scheduled task as a worker holds it, and what running it did: shared by the runner and the services.

``governance.services.scheduling.runner`` claims due rows and runs each through its handler; the handlers
live in the services that own the change (``governance.services.meetings`` reminds a working group of a
meeting). Both sides speak the types here (and the two small rules every reminder applies), so a
service's handler never imports the runner that calls it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from governance.i18n import ngettext
from governance.services.common import Actor, Context

SCHEDULER = Actor.system("scheduler")  # the actor of every change the scheduler makes


@dataclass(frozen=True)
class Claimed:
    """A due row this worker holds until its lease ends."""

    id: int
    key: str
    kind: str
    subject: str
    due_at: datetime
    not_after: datetime | None
    payload: dict[str, Any]
    attempts: int


@dataclass(frozen=True)
class Ran:
    """What running a task did: ``result`` ("done", "skipped: ...", "refused: ..."), and for a
    transition the audit stream to record the due and actual times in; ``made_at`` when the transition
    was made by an earlier attempt that crashed before its row was marked done."""

    result: str
    stream: str | None = None
    sent: int = 0
    made_at: datetime | None = None


Handler = Callable[[Context, Claimed], Awaitable[Ran]]


def subject_id(subject: str) -> int:
    """The row id at the end of a task's subject (``election:12`` -> 12)."""
    return int(subject.rsplit(":", 1)[1])


def useless(task: Claimed, now: datetime) -> str | None:
    """Why a reminder is no longer worth sending (its deadline passed), or None."""
    if task.not_after is not None and now >= task.not_after:
        return f"skipped: its deadline ({task.not_after:%Y-%m-%d %H:%M} UTC) has passed"
    return None


def left_in_words(delta: timedelta) -> str:
    """Time left as people say it: "3 days", "24 hours", "45 minutes"."""
    minutes = max(1, int(delta.total_seconds() // 60))
    if minutes >= 48 * 60:
        return ngettext("{n} day", "{n} days", minutes // 1440)
    if minutes >= 90:
        return ngettext("{n} hour", "{n} hours", round(minutes / 60))
    return ngettext("{n} minute", "{n} minutes", minutes)
