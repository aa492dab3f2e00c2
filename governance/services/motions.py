"""Motions: propose, vote yes/no/abstain (and change the vote before the deadline), close with quorum and
threshold applied. Roll-call motions are public (each ballot names its voter, as the policy says);
secret motions use the same secrecy layout as elections."""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from fractions import Fraction
from typing import Literal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from governance.errors import Closed, Conflict, Forbidden, InvalidInput, NotFound
from governance.models import Ballot, BallotSlot, Body, Membership, Motion, Person, RetiredReceipt, Voter
from governance.policies import LoadedPolicy
from governance.services import due
from governance.services.common import (
    Actor,
    Context,
    actor_facts,
    body_by_slug,
    body_facts,
    count_rows,
    enforce,
    governing_policy,
    notify,
    record,
    with_lock,
)
from governance.tally.motion import MotionResult, count_motion

CHOICES = ("yes", "no", "abstain")
KINDS = ("ordinary", "charter")
VOTING_ROLES = ("member", "chair", "co_chair", "voting_rep")


def _stream(motion: Motion) -> str:
    return f"motion:{motion.id}"


async def motion_by_ref(
    session: AsyncSession, ref: str | int, *, lock: Literal["share", "update"] | None = None
) -> Motion:
    """The motion numbered ``ref`` (``12`` or ``M12``), or a NotFound saying how to list motions.

    ``lock`` takes a row lock on PostgreSQL (SQLite's write transactions are already serial): "share"
    for a vote, so that votes proceed together; "update" for closing or withdrawing, which waits for
    the votes in flight (and counts them) and makes later ones see the motion closed.
    """
    text = str(ref).strip().lstrip("#").upper().removeprefix("M")
    if not text.isdigit():
        raise InvalidInput(f"{ref!r} is not a motion number.", "Motions are numbered: `motion show 12`.")
    stmt = with_lock(select(Motion).where(col(Motion.id) == int(text)), lock)
    motion = (await session.execute(stmt)).scalar_one_or_none()
    if motion is None:
        raise NotFound(f"No motion M{text}.", "See `motion list`.")
    return motion


def _policy_of(motion: Motion) -> LoadedPolicy:
    """The policy the motion opened with; refuses to go on if its source has changed since."""
    return governing_policy(
        motion.policy_name, motion.policy_version, motion.policy_hash, f"Motion M{motion.id}"
    )


async def _seated(session: AsyncSession, body_id: int) -> int:
    return await count_rows(
        session,
        select(col(Membership.id)).where(
            col(Membership.body_id) == body_id,
            col(Membership.status) == "active",
            col(Membership.role).in_(VOTING_ROLES),
        ),
    )


async def propose(
    ctx: Context,
    actor: Actor,
    body: str,
    title: str,
    text: str | None = None,
    *,
    kind: str = "ordinary",
    deadline: datetime | None = None,
    secret: bool | None = None,
) -> Motion:
    """Put a motion to a body's members; quorum, threshold and period come from the body's policy."""
    if kind not in KINDS:
        raise InvalidInput(f"Unknown kind of motion {kind!r}.", f"Kinds: {', '.join(KINDS)}.")
    if not title.strip():
        raise InvalidInput("A motion needs a title.")
    if deadline is not None and deadline <= ctx.now():
        raise InvalidInput(f"The deadline ({deadline:%Y-%m-%d %H:%M} UTC) is in the past.")
    async with ctx.db.transaction() as session:
        target = await body_by_slug(session, body)
        policy = ctx.policy_for(target)
        enforce(policy.may_propose(body_facts(target), await actor_facts(session, actor, target)), policy)
        rules = policy.motion_rules(body_facts(target), kind)
        assert target.id is not None
        seated = await _seated(session, target.id)
        if seated == 0:
            raise Conflict(f"{target.name} has no voting members, so it cannot vote on a motion.")
        motion = Motion(
            body_id=target.id,
            title=title.strip(),
            text=text,
            kind=kind,
            proposer_id=actor.person_id,
            threshold=str(rules.threshold),
            threshold_of=rules.threshold_of,
            threshold_strict=rules.strict,
            quorum=str(rules.quorum),
            quorum_counts_abstentions=rules.quorum_counts_abstentions,
            secret=rules.secret if secret is None else secret,
            phase="open",
            opened_at=ctx.now(),
            deadline=deadline or ctx.now() + timedelta(days=rules.voting_days),
            seated=seated,
            policy_name=policy.origin,
            policy_version=policy.version,
            policy_hash=policy.sha256,
        )
        session.add(motion)
        await session.flush()
        await record(
            session,
            ctx,
            actor,
            stream=_stream(motion),
            kind="motion.proposed",
            subject=f"M{motion.id}",
            payload={
                "body": target.slug,
                "title": motion.title,
                "kind": kind,
                "threshold": motion.threshold,
                "threshold_of": motion.threshold_of,
                "quorum": motion.quorum,
                "seated": seated,
                "secret": motion.secret,
                "deadline": motion.deadline.isoformat(),
                "strict": rules.strict,
                "policy": policy.identity,
            },
        )
        notify(
            session,
            ctx,
            kind="motion.proposed",
            body_id=target.id,
            payload={"motion": motion.id},
            text=f"Motion M{motion.id} before {target.name}: {motion.title}. Vote with "
            f"`motion vote {motion.id} yes|no|abstain` by {motion.deadline:%Y-%m-%d %H:%M} UTC "
            f"({'secret ballot' if motion.secret else 'roll-call: votes are public'}).",
        )
        await due.sync_motion(session, ctx, motion, rules)
        return motion


@dataclass(frozen=True)
class MotionVoteReceipt:
    """What a voter gets back after voting on a motion."""

    motion_id: int
    choice: str
    replaced: bool
    receipt: str
    public: bool


async def vote(ctx: Context, actor: Actor, ref: str | int, choice: str) -> MotionVoteReceipt:
    """Vote yes, no or abstain on an open motion; voting again before the deadline replaces the vote."""
    choice = choice.strip().lower()
    if choice not in CHOICES:
        raise InvalidInput(f"{choice!r} is not a vote on a motion.", "Vote yes, no or abstain.")
    if actor.person_id is None:
        raise Forbidden("Only a person can vote.")
    person_id = actor.person_id

    async def work(session: AsyncSession) -> MotionVoteReceipt:
        motion = await motion_by_ref(session, ref, lock="share")
        policy = _policy_of(motion)
        if motion.phase != "open":
            raise Closed(f"Motion M{motion.id} is {motion.phase}; votes are no longer taken.")
        if ctx.now() >= motion.deadline:
            raise Closed(
                f"Voting on M{motion.id} closed at {motion.deadline:%Y-%m-%d %H:%M} UTC; "
                "this vote was not counted."
            )
        body = await session.get(Body, motion.body_id)
        assert body is not None
        enforce(policy.may_vote_on_motion(body_facts(body), await actor_facts(session, actor, body)), policy)
        receipt = secrets.token_hex(4).upper()
        ballot = Ballot(
            id=secrets.token_hex(16),
            motion_id=motion.id,
            content=json.dumps(choice),
            receipt=receipt,
            voter_id=None if motion.secret else person_id,
        )
        tag = ctx.tag(f"motion:{motion.id}", person_id)
        # Lock the voter's slot so that a concurrent change of vote replaces the ballot standing now.
        slot = (
            await session.execute(
                select(BallotSlot)
                .where(col(BallotSlot.motion_id) == motion.id, col(BallotSlot.tag) == tag)
                .with_for_update()
            )
        ).scalar_one_or_none()
        session.add(ballot)
        await session.flush()
        if slot is not None:
            old = await session.get(Ballot, slot.ballot_id)
            slot.ballot_id = ballot.id
            await session.flush()
            if old is not None:  # its receipt now answers "replaced" and verifies nothing
                session.add(RetiredReceipt(poll=f"motion:{motion.id}", receipt=old.receipt))
                await session.delete(old)
            voter = (
                await session.execute(
                    select(Voter).where(col(Voter.motion_id) == motion.id, col(Voter.person_id) == person_id)
                )
            ).scalar_one()
            voter.last_voted_at = ctx.now()
            voter.times += 1
        else:
            session.add(BallotSlot(motion_id=motion.id, tag=tag, ballot_id=ballot.id))
            session.add(
                Voter(
                    motion_id=motion.id,
                    person_id=person_id,
                    first_voted_at=ctx.now(),
                    last_voted_at=ctx.now(),
                )
            )
        await session.flush()
        await record(
            session,
            ctx,
            actor,
            stream=_stream(motion),
            kind="motion.vote_changed" if slot else "motion.voted",
            subject=f"M{motion.id}",
            payload={} if motion.secret else {"voter": actor.handle, "choice": choice},
        )
        return MotionVoteReceipt(motion.id or 0, choice, slot is not None, receipt, not motion.secret)

    return await ctx.db.run(work, retry_integrity=True)


def _tally(motion: Motion, choices: list[str]) -> MotionResult:
    return count_motion(
        choices.count("yes"),
        choices.count("no"),
        choices.count("abstain"),
        seated=motion.seated,
        quorum=Fraction(motion.quorum),
        quorum_counts_abstentions=motion.quorum_counts_abstentions,
        threshold=Fraction(motion.threshold),
        threshold_of=motion.threshold_of,  # type: ignore[arg-type]
        strict=motion.threshold_strict,
    )


async def close(ctx: Context, actor: Actor, ref: str | int) -> MotionResult:
    """Close a motion and decide it. Before its deadline only the secretariat may close it early."""
    async with ctx.db.transaction() as session:
        motion = await motion_by_ref(session, ref, lock="update")
        policy = _policy_of(motion)
        if motion.phase != "open":
            raise Conflict(f"Motion M{motion.id} is already {motion.phase}.")
        body = await session.get(Body, motion.body_id)
        assert body is not None
        early = ctx.now() < motion.deadline
        if early:
            facts = await actor_facts(session, actor, body)
            if not facts.is_admin:
                raise Forbidden(
                    f"M{motion.id} is open until {motion.deadline:%Y-%m-%d %H:%M} UTC.",
                    "Only the secretariat may close a motion before its deadline.",
                )
        choices = [
            json.loads(c)
            for c in (
                await session.execute(select(col(Ballot.content)).where(col(Ballot.motion_id) == motion.id))
            ).scalars()
        ]
        # Whoever is seated now could vote, and a member who left keeps the quorum where it was:
        # the base is the larger figure (and never fewer than the votes cast).
        seated_at_proposal = motion.seated
        motion.seated = max(motion.seated, await _seated(session, body.id or 0), len(choices))
        outcome = _tally(motion, choices)
        motion.phase = "closed"
        motion.closed_at = ctx.now()
        motion.outcome = "passed" if outcome.passed else ("no_quorum" if not outcome.quorum_met else "failed")
        motion.result = json.dumps(outcome.to_json(), sort_keys=True)
        await record(
            session,
            ctx,
            actor,
            stream=_stream(motion),
            kind="motion.closed",
            subject=f"M{motion.id}",
            payload={
                "result": outcome.to_json(),
                "early": early,
                "policy": policy.identity,
                "seated_at_proposal": seated_at_proposal,
                "due_at": motion.deadline.isoformat(),
            },
        )
        notify(
            session,
            ctx,
            kind="motion.result",
            body_id=body.id,
            dedupe_key=f"motion:{motion.id}:result",
            text=f"Motion M{motion.id} ({motion.title}) {motion.outcome.replace('_', ' ')}: {outcome.reason}",
        )
        await due.sync_motion(session, ctx, motion, None)
        return outcome


async def withdraw(ctx: Context, actor: Actor, ref: str | int) -> Motion:
    """Withdraw an open motion (its proposer or the secretariat)."""
    async with ctx.db.transaction() as session:
        motion = await motion_by_ref(session, ref, lock="update")
        if motion.phase != "open":
            raise Conflict(f"Motion M{motion.id} is already {motion.phase}.")
        if actor.person_id != motion.proposer_id and not (await actor_facts(session, actor)).is_admin:
            raise Forbidden("Only the proposer or the secretariat may withdraw a motion.")
        motion.phase = "withdrawn"
        motion.closed_at = ctx.now()
        await record(
            session, ctx, actor, stream=_stream(motion), kind="motion.withdrawn", subject=f"M{motion.id}"
        )
        await due.sync_motion(session, ctx, motion, None)
        return motion


@dataclass(frozen=True)
class MotionView:
    """A motion as shown: settings, turnout so far, the roll call when public, the result when closed."""

    motion: Motion
    body: Body
    voters: int
    roll_call: list[tuple[str, str]]
    result: dict[str, object] | None


async def show(ctx: Context, ref: str | int) -> MotionView:
    """Everything public about a motion."""
    async with ctx.db.reading() as session:
        motion = await motion_by_ref(session, ref)
        body = await session.get(Body, motion.body_id)
        assert body is not None
        voters = await count_rows(session, select(col(Voter.id)).where(col(Voter.motion_id) == motion.id))
        roll: list[tuple[str, str]] = []
        if not motion.secret:
            rows = (
                await session.execute(
                    select(col(Person.name), col(Ballot.content))
                    .join(Person, col(Ballot.voter_id) == col(Person.id))
                    .where(col(Ballot.motion_id) == motion.id)
                    .order_by(col(Person.name))
                )
            ).all()
            roll = [(name, json.loads(content)) for name, content in rows]
        return MotionView(motion, body, voters, roll, json.loads(motion.result) if motion.result else None)


async def list_motions(ctx: Context, body: str | None = None) -> list[tuple[Motion, Body]]:
    """Motions, newest first, optionally of one body."""
    async with ctx.db.reading() as session:
        stmt = select(Motion, Body).join(Body, col(Motion.body_id) == col(Body.id))
        if body:
            target = await body_by_slug(session, body)
            stmt = stmt.where(col(Motion.body_id) == target.id)
        return [(m, b) for m, b in (await session.execute(stmt.order_by(col(Motion.id).desc()))).all()]
