"""Votes on an open motion: yes, no or abstain, replaced before the deadline when the policy allows,
cast in person or by a proxy the voter named; a vote that settles the outcome closes the motion early."""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from governance import audit, labels
from governance.errors import Closed, Conflict, Forbidden, InvalidInput
from governance.i18n import _
from governance.models import (
    Ballot,
    BallotSlot,
    Body,
    Motion,
    Proxy,
    RetiredReceipt,
    Voter,
)
from governance.services import proxies
from governance.services.common import (
    Actor,
    Context,
    actor_facts,
    body_facts,
    enforce,
    notify,
    person_by_handle,
    person_facts,
    record,
    write_transaction,
)
from governance.services.elections import SECRET_VOTER
from governance.services.motions.closing import decide_if_settled
from governance.services.motions.lookup import (
    CHOICES,
    motion_by_ref,
    policy_of,
    stream_of,
)


@dataclass(frozen=True)
class MotionVoteReceipt:
    """What a voter gets back after voting on a motion."""

    motion_id: int
    choice: str
    replaced: bool
    receipt: str
    public: bool


async def vote(
    ctx: Context, actor: Actor, ref: str | int, choice: str, *, for_handle: str | None = None
) -> MotionVoteReceipt:
    """Vote yes, no or abstain on an open motion; voting again before the deadline replaces the vote
    (when the policy allows). ``for_handle``: vote as the proxy of that person, who named the actor.
    Voting in person revokes a proxy given for this motion and replaces any vote it cast."""
    choice = choice.strip().lower()
    if choice not in CHOICES:
        raise InvalidInput(
            _("{choice!r} is not a vote on a motion.", choice=choice), _("Vote yes, no or abstain.")
        )
    if actor.person_id is None:
        raise Forbidden(_("Only a person can vote."))
    person_id = actor.person_id

    async def work(session: AsyncSession) -> MotionVoteReceipt:
        motion = await motion_by_ref(session, ref, lock="share")
        policy = policy_of(motion)
        if motion.phase != "open":
            raise Closed(
                _(
                    "Motion M{id} is {phase}; votes are no longer taken.",
                    id=motion.id,
                    phase=labels.label(labels.MOTION_PHASES, motion.phase),
                )
            )
        if ctx.now() >= motion.deadline:
            raise Closed(
                _(
                    "Voting on M{motion_id} closed at {motion_deadline:%Y-%m-%d %H:%M} UTC; this vote was "
                    "not counted.",
                    motion_id=motion.id,
                    motion_deadline=motion.deadline,
                )
            )
        body = await session.get(Body, motion.body_id)
        assert body is not None and motion.id is not None
        enforce(policy.may_vote_on_motion(body_facts(body), await actor_facts(session, actor, body)), policy)
        voter_id, voter_handle = person_id, actor.handle
        poll = _proxy_poll(motion)
        proxy: Proxy | None
        if for_handle is not None:
            delegator = await person_by_handle(session, for_handle)
            assert delegator.id is not None
            proxy = await proxies.use_proxy(session, ctx, actor, poll, delegator, f"motion proxy {motion.id}")
            enforce(
                policy.may_vote_on_motion(body_facts(body), await person_facts(session, delegator, body)),
                policy,
            )
            voter_id, voter_handle = delegator.id, delegator.handle
        else:  # voting in person overrides the proxy
            proxy = await proxies.revoke_in_person(session, ctx, poll, person_id)
        receipt = secrets.token_hex(4).upper()
        ballot = Ballot(
            id=secrets.token_hex(16),
            motion_id=motion.id,
            content=json.dumps(choice),
            receipt=receipt,
            voter_id=None if motion.secret else voter_id,
        )
        tag = ctx.tag(f"motion:{motion.id}", voter_id)
        # Lock the voter's slot so that a concurrent change of vote replaces the ballot standing now.
        slot = (
            await session.execute(
                select(BallotSlot)
                .where(col(BallotSlot.motion_id) == motion.id, col(BallotSlot.tag) == tag)
                .with_for_update()
            )
        ).scalar_one_or_none()
        overriding_proxy = proxy is not None and for_handle is None
        if slot is not None and not motion.vote_replacement and not overriding_proxy:
            raise Conflict(
                _(
                    "You have already voted on M{motion_id}, and under {policy_name} a vote cannot be "
                    "changed.",
                    motion_id=motion.id,
                    policy_name=policy.name,
                ),
                _("(rule 'no-vote-replacement')"),
            )
        await _store(session, ctx, motion, ballot, slot, tag, voter_id)
        vote_kind = "motion.vote_changed" if slot else "motion.voted"
        if motion.secret:
            # Anonymous, as a secret election's ballot event: who voted stays in ``voters``. Written
            # pending (chained by the periodic sealer or the close, which rewrite it), so a secret vote
            # takes no place in the chain, and holds no head lock, while its transaction is the voter's.
            await audit.append_pending(
                session,
                stream=stream_of(motion),
                actor=SECRET_VOTER,
                kind=vote_kind,
                subject=f"M{motion.id}",
                payload={},
                at=ctx.now(),
            )
        else:
            await record(
                session,
                ctx,
                actor,
                stream=stream_of(motion),
                kind=vote_kind,
                subject=f"M{motion.id}",
                payload=_vote_payload(motion, voter_handle, choice, actor.handle if for_handle else None),
            )
        if motion.early_close or (motion.lazy_consensus and choice == "no"):
            await decide_if_settled(session, ctx, motion, body, policy)
        return MotionVoteReceipt(motion.id or 0, choice, slot is not None, receipt, not motion.secret)

    return await ctx.db.run(work, retry_integrity=True)


async def _store(
    session: AsyncSession,
    ctx: Context,
    motion: Motion,
    ballot: Ballot,
    slot: BallotSlot | None,
    tag: str,
    voter_id: int,
) -> None:
    """Store a ballot in the voter's slot: a new slot and who-voted row for a first vote; for a change,
    the slot points to the new ballot and the old one is deleted, its receipt retired."""
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
                select(Voter).where(col(Voter.motion_id) == motion.id, col(Voter.person_id) == voter_id)
            )
        ).scalar_one()
        voter.last_voted_at = ctx.now()
        voter.times += 1
    else:
        session.add(BallotSlot(motion_id=motion.id, tag=tag, ballot_id=ballot.id))
        session.add(
            Voter(
                motion_id=motion.id,
                person_id=voter_id,
                first_voted_at=ctx.now(),
                last_voted_at=ctx.now(),
            )
        )
    await session.flush()


def _vote_payload(motion: Motion, voter: str, choice: str, proxy: str | None) -> dict[str, str]:
    """What the audit log says of a vote: nothing for a secret motion (not even that a proxy voted)."""
    if motion.secret:
        return {}
    return {"voter": voter, "choice": choice, **({"by_proxy": proxy} if proxy else {})}


def _proxy_poll(motion: Motion) -> proxies.ProxyPoll:
    assert motion.id is not None
    return proxies.ProxyPoll(f"M{motion.id}", motion_id=motion.id)


async def delegate(ctx: Context, actor: Actor, ref: str | int, handle: str) -> Proxy:
    """Name another eligible voter to vote for the actor on one motion (when its policy allows proxies).

    Naming someone else replaces an unused proxy; voting in person later revokes it.
    """
    if actor.person_id is None:
        raise Forbidden(_("Only a person can name a proxy."))
    async with write_transaction(ctx, "A proxy was just named for you by a concurrent request.") as session:
        motion = await motion_by_ref(session, ref, lock="share")
        policy = policy_of(motion)
        if motion.phase != "open" or ctx.now() >= motion.deadline:
            raise Closed(_("Motion M{motion_id} is no longer open for votes.", motion_id=motion.id))
        poll = _proxy_poll(motion)
        proxies.refuse_without_proxies(motion.proxies, policy, poll)
        body = await session.get(Body, motion.body_id)
        assert body is not None and motion.id is not None
        enforce(policy.may_vote_on_motion(body_facts(body), await actor_facts(session, actor, body)), policy)
        target = await person_by_handle(session, handle)
        proxy = await proxies.name_proxy(
            session,
            ctx,
            actor,
            poll,
            policy,
            target,
            lambda facts: policy.may_vote_on_motion(body_facts(body), facts),
            await person_facts(session, target, body),
        )
        await record(
            session,
            ctx,
            actor,
            stream=stream_of(motion),
            kind="motion.proxy_named",
            subject=f"M{motion.id}",
            payload={"delegator": actor.handle, "delegate": target.handle},
        )
        notify(
            session,
            ctx,
            kind="motion.proxy",
            person_id=target.id,
            params={
                "motion": motion.id,
                "title": motion.title,
                "delegator": actor.handle,
                "delegator_name": actor.name,
            },
        )
        return proxy
