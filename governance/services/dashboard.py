"""What awaits a person now: the use case behind Slack's Home tab and the ``todo`` command.

One read transaction gathers, for one person, the open elections they may vote in and the open motions
they may vote on (each with whether they have voted), the nominations waiting for their answer, their
working groups, the join requests waiting for them as a chair, and their groups' next meetings.
Eligibility is decided by the code the cast paths apply (``electorate.may_vote_in`` over
``vote_refusal``, and the motion policy's ``may_vote_on_motion``), so a poll is listed only when a
ballot from this person would be taken. The number of queries does not grow with the number of open
polls: the person's policy facts are read for every body at once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from governance.errors import Forbidden, GovError
from governance.i18n import _
from governance.models import Body, Candidate, Election, MeetingSeries, Membership, Motion, Person, Voter
from governance.policies.base import PersonFacts
from governance.services import electorate, meetings
from governance.services.bodies import CHAIR_ROLES
from governance.services.common import (
    Actor,
    Context,
    body_facts,
    facts_columns,
    facts_from_row,
    facts_joins,
    governing_policy,
)

MEETINGS_PER_GROUP = 1  # the next meeting of each group; `wg meetings <wg>` lists more


@dataclass(frozen=True)
class OpenElection:
    """An election in its voting phase that the person may vote in."""

    slug: str
    title: str
    body: str
    closes_at: datetime | None
    voted: bool  # a ballot of theirs is counted (they may replace it until the close)


@dataclass(frozen=True)
class OpenMotion:
    """A motion open for votes that the person may vote on."""

    id: int
    title: str
    body: str
    closes_at: datetime
    voted: bool


@dataclass(frozen=True)
class PendingNomination:
    """A nomination of the person that waits for them to accept or decline it."""

    election: str
    title: str
    body: str
    nominations_close_at: datetime | None


@dataclass(frozen=True)
class GroupPlace:
    """The person's place in a working group: their role, or a request still waiting for a chair."""

    slug: str
    name: str
    role: str
    pending: bool


@dataclass(frozen=True)
class JoinRequest:
    """Someone asking to join a working group the person chairs."""

    group: str
    group_name: str
    handle: str
    name: str
    requested_at: datetime | None


@dataclass(frozen=True)
class NextMeeting:
    """The next meeting of one of the person's working groups."""

    group: str
    group_name: str
    title: str
    starts_at: datetime


@dataclass(frozen=True)
class Dashboard:
    """Everything that awaits one person now, each list in the order it is best acted on."""

    handle: str
    elections: list[OpenElection]
    motions: list[OpenMotion]
    nominations: list[PendingNomination]
    groups: list[GroupPlace]
    chaired: list[str]  # slugs of the working groups they chair (their join requests are below)
    join_requests: list[JoinRequest]
    meetings: list[NextMeeting]

    @property
    def votes_waiting(self) -> int:
        """Open polls they may vote in and have not voted in yet."""
        return sum(not e.voted for e in self.elections) + sum(not m.voted for m in self.motions)


async def for_person(ctx: Context, actor: Actor) -> Dashboard:
    """What ``actor`` may act on now (refused for an actor who is not a person on the roster)."""
    if actor.person_id is None:
        raise Forbidden(_("Only a person on the roster has ballots and requests waiting."))
    me = actor.person_id
    now = ctx.now()
    async with ctx.db.reading() as session:
        open_elections = (
            await session.execute(
                select(Election, Body)
                .join(Body, col(Election.body_id) == col(Body.id))
                .where(col(Election.phase) == "voting")
                .order_by(col(Election.voting_close_at), col(Election.id))
            )
        ).all()
        open_motions = (
            await session.execute(
                select(Motion, Body)
                .join(Body, col(Motion.body_id) == col(Body.id))
                .where(col(Motion.phase) == "open", col(Motion.deadline) > now)
                .order_by(col(Motion.deadline), col(Motion.id))
            )
        ).all()
        body_ids = {b.id for _e, b in open_elections} | {b.id for _m, b in open_motions}
        facts = await _facts_by_body(session, me, [i for i in body_ids if i is not None])
        voted = (
            await session.execute(
                select(col(Voter.election_id), col(Voter.motion_id)).where(col(Voter.person_id) == me)
            )
        ).all()
        elections_shown = await _elections(session, open_elections, facts, {e for e, _m in voted}, now)
        motions_shown = _motions(open_motions, facts, {m for _e, m in voted})
        mine = (
            await session.execute(
                select(Membership, Body)
                .join(Body, col(Membership.body_id) == col(Body.id))
                .where(col(Membership.person_id) == me, col(Membership.status).in_(("active", "pending")))
                .order_by(col(Body.name))
            )
        ).all()
        groups = [(m, b) for m, b in mine if b.kind == "working_group"]
        chaired = [b for m, b in groups if m.status == "active" and m.role in CHAIR_ROLES]
        return Dashboard(
            handle=actor.handle,
            elections=elections_shown,
            motions=motions_shown,
            nominations=await _nominations(session, me),
            groups=[GroupPlace(b.slug, b.name, m.role, m.status == "pending") for m, b in groups],
            chaired=[b.slug for b in chaired],
            join_requests=await _join_requests(session, [b.id for b in chaired if b.id is not None]),
            meetings=await _meetings(session, [b for m, b in groups if m.status == "active"], now),
        )


async def _facts_by_body(
    session: AsyncSession, person_id: int, body_ids: Sequence[int]
) -> dict[int, PersonFacts]:
    """The person's policy facts as each body sees them (body id -> facts), in one query."""
    if not body_ids:
        return {}
    stmt = (
        select(col(Body.id), *facts_columns())
        .select_from(Person)
        .join(Body, col(Body.id).in_(body_ids))
        .where(col(Person.id) == person_id)
    )
    out: dict[int, PersonFacts] = {}
    for row in (await session.execute(facts_joins(stmt, None, col(Body.id)))).all():
        seen = facts_from_row(row, 1)
        if seen is not None:
            out[row[0]] = seen
    return out


async def _elections(
    session: AsyncSession,
    rows: Sequence[tuple[Election, Body]],
    facts: dict[int, PersonFacts],
    voted: set[int | None],
    now: datetime,
) -> list[OpenElection]:
    """The open elections the person may vote in, as the cast path decides it. One whose policy changed
    mid-vote is stopped until the secretariat acts, and one past its close takes no ballot: neither is
    listed."""
    polls = []
    for election, body in rows:
        if election.voting_close_at is not None and election.voting_close_at <= now:
            continue
        try:
            policy = governing_policy(
                election.policy_name, election.policy_version, election.policy_hash, election.slug
            )
        except GovError:
            continue
        polls.append((election, body, policy))
    allowed = await electorate.may_vote_in(session, polls, facts)
    return [
        OpenElection(e.slug, e.title, b.name, e.voting_close_at, e.id in voted)
        for e, b, _p in polls
        if e.id in allowed
    ]


def _motions(
    rows: Sequence[tuple[Motion, Body]], facts: dict[int, PersonFacts], voted: set[int | None]
) -> list[OpenMotion]:
    """The open motions the person may vote on, by the motion's own policy (as ``motions.vote`` asks)."""
    out = []
    for motion, body in rows:
        seen = facts.get(body.id) if body.id is not None else None
        if seen is None or motion.id is None:
            continue
        try:
            policy = governing_policy(
                motion.policy_name, motion.policy_version, motion.policy_hash, f"M{motion.id}"
            )
        except GovError:
            continue
        if policy.may_vote_on_motion(body_facts(body), seen) is None:
            out.append(OpenMotion(motion.id, motion.title, body.name, motion.deadline, motion.id in voted))
    return out


async def _nominations(session: AsyncSession, person_id: int) -> list[PendingNomination]:
    """The person's nominations not yet accepted or declined, in elections still taking nominations."""
    rows = (
        await session.execute(
            select(Election, Body)
            .join(Candidate, col(Candidate.election_id) == col(Election.id))
            .join(Body, col(Election.body_id) == col(Body.id))
            .where(
                col(Candidate.person_id) == person_id,
                col(Candidate.status) == "nominated",
                col(Election.phase) == "nominating",
            )
            .order_by(col(Election.nominations_close_at), col(Election.id))
        )
    ).all()
    return [PendingNomination(e.slug, e.title, b.name, e.nominations_close_at) for e, b in rows]


async def _join_requests(session: AsyncSession, chaired: list[int]) -> list[JoinRequest]:
    """Requests to join the working groups the person chairs, oldest first within each group."""
    if not chaired:
        return []
    rows = (
        await session.execute(
            select(Membership, Person, Body)
            .join(Person, col(Membership.person_id) == col(Person.id))
            .join(Body, col(Membership.body_id) == col(Body.id))
            .where(col(Membership.status) == "pending", col(Membership.body_id).in_(chaired))
            .order_by(col(Body.name), col(Membership.requested_at))
        )
    ).all()
    return [JoinRequest(b.slug, b.name, p.handle, p.name, m.requested_at) for m, p, b in rows]


async def _meetings(session: AsyncSession, groups: list[Body], now: datetime) -> list[NextMeeting]:
    """The next meeting of each series of the person's working groups, soonest first."""
    by_id = {b.id: b for b in groups if b.id is not None}
    if not by_id:
        return []
    series = (
        await session.execute(
            select(MeetingSeries).where(col(MeetingSeries.body_id).in_(by_id), col(MeetingSeries.active))
        )
    ).scalars()
    out = [
        NextMeeting(by_id[s.body_id].slug, by_id[s.body_id].name, s.title, start)
        for s in series
        for start in meetings.upcoming(s, now, MEETINGS_PER_GROUP)
    ]
    return sorted(out, key=lambda m: (m.starts_at, m.group))
