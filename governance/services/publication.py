"""What the transparency site may publish: the use case behind ``govbot publish``.

A poll's ballots and result are published only once it is counted (an election closed or certified, a
motion closed): before that the site shows its settings, candidates and turnout, never a ballot, a
roll call or a tally, whatever the poll's secrecy (invariant 7: nothing that would give a running count
is public before the close). The audit bundle the site links to follows the same rule
(``export.withheld(..., until_counted=True)``). Every read is a read-only transaction; the site
builder (``bot.publish``) renders what it is given and reads no table.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace

from sqlalchemy import select
from sqlmodel import col

from governance import audit, export
from governance.charts import TierTurnout
from governance.models import AuditHead, Body, Election, Motion, Organisation, Person, Voter
from governance.policies import load_policy
from governance.policies.base import PollFacts
from governance.services import elections, electorate, motions
from governance.services.common import Actor, Context, body_facts, facts_columns, facts_from_row, facts_joins

NO_ORGANISATION = "no organisation"
PUBLISHER = Actor.system("publish")


@dataclass(frozen=True)
class ChainHead:
    """An audit stream's head as published: where it ends, and whether it verified when the site was built."""

    stream: str
    seq: int
    hash: str
    ok: bool
    problem: str | None


@dataclass(frozen=True)
class ElectionPage:
    """What the site may show of an election: its view (the result only once counted), turnout by tier
    and the head of its audit chain."""

    view: elections.ElectionView
    turnout: list[TierTurnout]
    head: ChainHead | None
    counted: bool


@dataclass(frozen=True)
class MotionPage:
    """What the site may show of a motion: its view (roll call and result only once counted) and the
    head of its audit chain."""

    view: motions.MotionView
    head: ChainHead | None
    counted: bool


def counted(poll: Election | Motion) -> bool:
    """Whether the poll's ballots were counted (closed or certified): only then are they published."""
    return poll.phase in export.COUNTED_PHASES


async def chain_head(ctx: Context, stream: str) -> ChainHead | None:
    """The head of an audit stream and whether the stream verifies now; None if it has no events."""
    async with ctx.db.reading() as session:
        head = await session.get(AuditHead, stream)
        check = await audit.verify_stream(session, stream)
    if head is None:
        return None
    return ChainHead(stream, head.seq, head.hash, check.ok, check.problem)


async def election_page(ctx: Context, slug: str) -> ElectionPage:
    """An election as the site may publish it (no result before it is counted)."""
    view = await elections.show(ctx, slug)
    done = counted(view.election)
    if not done:
        view = replace(view, result=None)
    turnout = await election_turnout(ctx, view.election, view.body)
    return ElectionPage(view, turnout, await chain_head(ctx, f"election:{view.election.slug}"), done)


async def motion_page(ctx: Context, motion_id: int) -> MotionPage:
    """A motion as the site may publish it: a roll call's names and votes, and the result, only once it
    is counted; before that, how many have voted."""
    view = await motions.show(ctx, motion_id)
    done = counted(view.motion)
    if not done:
        view = replace(view, roll_call=[], result=None)
    return MotionPage(view, await chain_head(ctx, f"motion:{motion_id}"), done)


async def bundle(ctx: Context, subject: export.Subject) -> dict[str, bytes]:
    """The audit bundle the site links to: sealed and anchored first (as ``govbot audit export`` does),
    so the chain heads read afterwards are the ones it carries; the ballots of a poll not counted yet
    are left out, secret or public."""
    return await export.export_bundle(ctx, PUBLISHER, subject, withhold=True)


async def election_turnout(ctx: Context, election: Election, body: Body) -> list[TierTurnout]:
    """Who voted in an election, by organisation tier, against who may vote under its policy.

    An election whose electorate was frozen (every election since the frozen record) reads it: each
    person counts in the tier they had at the cut-off. For an older election, the electorate is the
    roster at publication as the election's policy judges it, plus anyone who voted (so a voter who has
    since left still counts in both). Only the record of who voted is read, never a ballot. If the
    policy's source has changed since the election, the electorate is not guessed: each tier shows its
    voters only.
    """
    async with ctx.db.reading() as session:
        frozen = await electorate.turnout_by_tier(session, election)
    if frozen is not None:  # the electorate frozen at the cut-off: what was published never changes
        return [TierTurnout(t.tier or NO_ORGANISATION, t.voted, t.eligible) for t in frozen]
    async with ctx.db.reading() as session:
        stmt = facts_joins(select(*facts_columns()).select_from(Person), None, body.id)
        people = [f for f in (facts_from_row(row) for row in (await session.execute(stmt)).all()) if f]
        voted = set(
            (await session.execute(select(col(Voter.person_id)).where(col(Voter.election_id) == election.id)))
            .scalars()
            .all()
        )
        tiers = [t for t in (await session.execute(select(col(Organisation.tier)).distinct())).scalars()]
    policy = load_policy(election.policy_name)
    known = policy.sha256 == election.policy_hash
    poll = PollFacts(election.slug, body_facts(body), election.seats, election.phase)
    voters: Counter[str] = Counter()
    eligible: Counter[str] = Counter()
    for person in people:
        tier = person.organisation_tier or NO_ORGANISATION
        did_vote = person.person_id in voted
        voters[tier] += did_vote
        if known and (did_vote or policy.may_vote(poll, person) is None):
            eligible[tier] += 1
    order = sorted(set(tiers) | set(voters) | set(eligible), key=lambda t: (t == NO_ORGANISATION, t))
    return [
        TierTurnout(tier, voters[tier], eligible[tier] if known else None)
        for tier in order
        if eligible[tier] or voters[tier]
    ]
