"""Reminders of a vote's deadline: one direct message per eligible person who has not voted yet.

A reminder that is no longer useful (its deadline passed, or a later reminder is due too) is skipped,
never sent late in a burst; each person's message is keyed by reminder, deadline and person, so a re-run
adds none.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from governance import notices
from governance.i18n import _
from governance.models import Body, Election, Motion, OutboxMessage, Person, ScheduledTask, Voter
from governance.policies import LoadedPolicy
from governance.policies.base import PersonFacts, PollFacts
from governance.services import due, electorate
from governance.services.common import (
    Context,
    body_facts,
    facts_columns,
    facts_from_row,
    facts_joins,
    governing_policy,
)
from governance.services.tasks import Claimed, Handler, Ran, subject_id, useless

_TASKS = ScheduledTask.__table__  # type: ignore[attr-defined]
_OUTBOX = OutboxMessage.__table__  # type: ignore[attr-defined]


async def _superseded(session: AsyncSession, task: Claimed, now: datetime) -> bool:
    """Whether a later reminder of the same subject is due too (then only the latest is sent)."""
    later = select(_TASKS.c.id).where(
        _TASKS.c.subject == task.subject,
        _TASKS.c.kind == task.kind,
        _TASKS.c.due_at > task.due_at,
        _TASKS.c.due_at <= now,
        _TASKS.c.id != task.id,
    )
    return bool((await session.execute(select(exists(later)))).scalar())


async def eligible_non_voters(
    session: AsyncSession,
    body: Body,
    may_vote: Callable[[Any], Any],
    voted: Any,
) -> list[PersonFacts]:
    """The people the policy lets vote (``may_vote(facts)`` returns None) who are not in ``voted``
    (a subquery of person ids), with the facts the policy saw."""
    stmt = select(*facts_columns()).select_from(Person).where(col(Person.id).not_in(voted))
    rows = (await session.execute(facts_joins(stmt, None, body.id))).all()
    out = []
    for row in rows:
        facts = facts_from_row(row)
        if facts is not None and may_vote(facts) is None:
            out.append(facts)
    return out


async def _fan_out(
    session: AsyncSession,
    ctx: Context,
    task: Claimed,
    kind: str,
    people: Sequence[Any],
    params: Mapping[str, object],
) -> int:
    """One outbox DM per person (the notice ``kind`` with ``params``, checked as ``notify`` checks
    them), keyed by reminder, deadline and person: a re-run adds none."""
    if not people:
        return 0
    payload = json.dumps(notices.encode(kind, params), sort_keys=True)
    now = ctx.now()
    stamp = task.payload.get("deadline", task.due_at.isoformat())
    values = [
        {
            "created_at": now,
            "kind": kind,
            "person_id": p.person_id,
            "body_id": None,
            "text": None,
            "payload": payload,
            "dedupe_key": f"{task.key}:{stamp}:{p.person_id}"[:200],
            "attempts": 0,
        }
        for p in people
    ]
    dialect: Any = sqlite if ctx.db.is_sqlite else postgresql
    stmt = dialect.insert(_OUTBOX).on_conflict_do_nothing(index_elements=["dedupe_key"])
    total = 0
    for start in range(0, len(values), 1000):
        result = await session.execute(stmt, values[start : start + 1000])
        total += max(0, getattr(result, "rowcount", 0) or 0)
    return total or len(values)


async def _remind_election(ctx: Context, task: Claimed) -> Ran:
    now = ctx.now()
    if skip := useless(task, now):
        return Ran(skip)
    async with ctx.db.transaction() as session:
        election = await session.get(Election, subject_id(task.subject))
        if election is None or election.phase != "voting":
            return Ran(f"skipped: voting is not open ({election.phase if election else 'deleted'})")
        if await _superseded(session, task, now):
            return Ran("skipped: a later reminder is due too")
        policy = governing_policy(
            election.policy_name,
            election.policy_version,
            election.policy_hash,
            _("Election {slug}", slug=election.slug),
        )
        body = await session.get(Body, election.body_id)
        assert body is not None and election.voting_close_at is not None
        poll = PollFacts(election.slug, body_facts(body), election.seats, election.phase)
        voted = select(col(Voter.person_id)).where(col(Voter.election_id) == election.id)
        listed = {e.person_id for e in await electorate.frozen(session, election) or []}
        people = await eligible_non_voters(
            session,
            body,
            lambda f: electorate.vote_refusal(
                policy, poll, f, fixed_at=election.electorate_fixed_at, listed=f.person_id in listed
            ),
            voted,
        )
        params = {
            "election": election.slug,
            "title": election.title,
            "closes": election.voting_close_at,
            "as_of": now,
        }
        sent = await _fan_out(session, ctx, task, "election.reminder", people, params)
    return Ran(f"done: {len(people)} reminded", sent=sent)


async def _remind_motion(ctx: Context, task: Claimed) -> Ran:
    now = ctx.now()
    if skip := useless(task, now):
        return Ran(skip)
    async with ctx.db.transaction() as session:
        motion = await session.get(Motion, subject_id(task.subject))
        if motion is None or motion.phase != "open":
            return Ran(f"skipped: the motion is not open ({motion.phase if motion else 'deleted'})")
        if await _superseded(session, task, now):
            return Ran("skipped: a later reminder is due too")
        policy: LoadedPolicy = governing_policy(
            motion.policy_name, motion.policy_version, motion.policy_hash, _("Motion M{id}", id=motion.id)
        )
        body = await session.get(Body, motion.body_id)
        assert body is not None
        facts = body_facts(body)
        voted = select(col(Voter.person_id)).where(col(Voter.motion_id) == motion.id)
        people = await eligible_non_voters(
            session, body, lambda f: policy.may_vote_on_motion(facts, f), voted
        )
        params = {
            "motion": motion.id,
            "title": motion.title,
            "body_name": body.name,
            "deadline": motion.deadline,
            "as_of": now,
        }
        sent = await _fan_out(session, ctx, task, "motion.reminder", people, params)
    return Ran(f"done: {len(people)} reminded", sent=sent)


HANDLERS: dict[str, Handler] = {
    due.ELECTION_REMINDER: _remind_election,
    due.MOTION_REMINDER: _remind_motion,
}
