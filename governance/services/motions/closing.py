"""Closing a motion: at its deadline, early by the secretariat, or as soon as its outcome is settled
(no remaining vote could change it); counting, recording and announcing the result. Also withdrawing."""

from __future__ import annotations

import json
from datetime import datetime
from fractions import Fraction

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from governance import checkpoints, labels, reconcile, secrecy
from governance.errors import Conflict, Forbidden, GovError
from governance.i18n import _
from governance.models import (
    Ballot,
    Body,
    Membership,
    Motion,
    Person,
    Voter,
)
from governance.policies import LoadedPolicy
from governance.services import due
from governance.services.common import (
    Actor,
    Context,
    actor_facts,
    count_rows,
    enforce,
    notify,
    record,
)
from governance.services.motions.lookup import (
    CHOICES,
    VOTING_ROLES,
    count_seated,
    motion_by_ref,
    policy_of,
    stream_of,
)
from governance.tally.motion import MotionResult, count_motion, lazy_reason, settled


def _tally(motion: Motion, choices: list[str]) -> MotionResult:
    if motion.lazy_consensus:
        return _lazy(motion, choices)
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


def _lazy(motion: Motion, choices: list[str]) -> MotionResult:
    """Lazy consensus: passes unless someone objected (voted no); quorum and threshold do not apply."""
    yes, no, abstain = (choices.count(c) for c in CHOICES)
    objected = no > 0
    reason = lazy_reason(no)
    return MotionResult(
        passed=not objected,
        quorum_met=True,
        yes=yes,
        no=no,
        abstain=abstain,
        seated=motion.seated,
        participation=yes + no + abstain,
        quorum=Fraction(0),
        quorum_needed=0,
        quorum_counts_abstentions=motion.quorum_counts_abstentions,
        threshold=Fraction(0),
        threshold_of="cast",
        strict=False,
        base=0,
        yes_needed=0,
        reason=reason,
    )


def _settled(
    motion: Motion, choices: list[str], yet_to_vote: int | None = None, seated: int | None = None
) -> bool:
    """Whether the remaining seated members (``yet_to_vote`` of them when known: a member who left cannot
    vote any more) can no longer change the outcome; ``seated`` is the base when not ``motion.seated``."""
    if motion.lazy_consensus:
        return "no" in choices
    base = motion.seated if seated is None else seated
    remaining = max(base - len(choices), 0)
    return settled(
        choices.count("yes"),
        choices.count("no"),
        choices.count("abstain"),
        seated=base,
        remaining=remaining if yet_to_vote is None else min(yet_to_vote, remaining),
        quorum=Fraction(motion.quorum),
        quorum_counts_abstentions=motion.quorum_counts_abstentions,
        threshold=Fraction(motion.threshold),
        threshold_of=motion.threshold_of,  # type: ignore[arg-type]
        strict=motion.threshold_strict,
    )


async def _choices(session: AsyncSession, motion: Motion) -> list[str]:
    return [
        json.loads(c)
        for c in (
            await session.execute(select(col(Ballot.content)).where(col(Ballot.motion_id) == motion.id))
        ).scalars()
    ]


def _possible_voters(body_id: int) -> Select[int | None]:
    """The memberships that could still vote before a deadline: every current holder of a voting role,
    whatever their member state or roster status (a suspension, emeritus or withdrawn state can be
    lifted before the deadline); only members who left or were removed are gone."""
    return select(col(Membership.id)).where(
        col(Membership.body_id) == body_id,
        col(Membership.status) == "active",
        col(Membership.role).in_(VOTING_ROLES),
    )


async def decide_if_settled(
    session: AsyncSession, ctx: Context, motion: Motion, body: Body, policy: LoadedPolicy
) -> None:
    """Close a motion early, in the vote's transaction, once no remaining vote could change its outcome.

    The rule is conservative, since a closed motion cannot be reopened. The base stays the members seated
    when it was proposed (or more if more may vote now). The votes still to come are those of every
    member who could still vote before the deadline and has not: a member who is suspended, emeritus or
    withdrawn now may be active again by then, so they still count as possible votes; only members who
    left the body or were removed are gone (``_possible_voters``).
    """
    choices = await _choices(session, motion)
    seated_at_proposal = motion.seated
    seated = max(motion.seated, await count_seated(session, body.id or 0, policy), len(choices))
    motion.seated = seated
    voted = select(col(Voter.person_id)).where(col(Voter.motion_id) == motion.id)
    yet_to_vote = await count_rows(
        session, _possible_voters(body.id or 0).where(col(Membership.person_id).not_in(voted))
    )
    if not _settled(motion, choices, yet_to_vote):
        motion.seated = seated_at_proposal
        return
    await _decide(
        session,
        ctx,
        Actor.system(),
        motion,
        body,
        policy,
        choices,
        reason="settled",
        seated_at_proposal=seated_at_proposal,
    )


async def close_if_settled(ctx: Context, motion_id: int) -> bool:
    """Close an open early-close motion whose outcome no remaining vote can change any more, although
    nobody voted since it became so (a member left or was removed); True when this
    call closed it. The scheduler's sweep calls it; a vote does the same in its own transaction."""
    async with ctx.db.transaction() as session:
        motion = await motion_by_ref(session, motion_id, lock="update")
        if motion.phase != "open" or not motion.early_close or ctx.now() >= motion.deadline:
            return False  # (at its deadline the close task decides it)
        body = await session.get(Body, motion.body_id)
        assert body is not None
        await decide_if_settled(session, ctx, motion, body, policy_of(motion))
        return bool(motion.phase == "closed")


async def settled_candidates(ctx: Context) -> list[tuple[int, datetime]]:
    """The open early-close motions (id, deadline) that look settled now, read in one read-only
    transaction (four queries however many motions are open), so a sweep with nothing to close writes
    nothing. Only a hint: ``close_if_settled`` decides each again under the motion's lock. A motion whose
    policy cannot be loaded is returned too, for ``close_if_settled`` to report."""
    async with ctx.db.reading() as session:
        open_motions = list(
            (
                await session.execute(
                    select(Motion).where(
                        col(Motion.phase) == "open",
                        col(Motion.early_close).is_(True),
                        col(Motion.deadline) > ctx.now(),
                    )
                )
            ).scalars()
        )
        if not open_motions:
            return []
        ids = [m.id for m in open_motions]
        choices: dict[int | None, list[str]] = {}
        for motion_id, content in await session.execute(
            select(col(Ballot.motion_id), col(Ballot.content)).where(col(Ballot.motion_id).in_(ids))
        ):
            choices.setdefault(motion_id, []).append(json.loads(content))
        voted: dict[int | None, set[int]] = {}
        for motion_id, person_id in await session.execute(
            select(col(Voter.motion_id), col(Voter.person_id)).where(col(Voter.motion_id).in_(ids))
        ):
            voted.setdefault(motion_id, set()).add(person_id)
        members: dict[int, list[tuple[int, str, str]]] = {}
        for body_id, person_id, state, status in await session.execute(
            select(
                col(Membership.body_id), col(Membership.person_id), col(Membership.state), col(Person.status)
            )
            .join(Person, col(Person.id) == col(Membership.person_id))
            .where(
                col(Membership.body_id).in_({m.body_id for m in open_motions}),
                col(Membership.status) == "active",
                col(Membership.role).in_(VOTING_ROLES),
            )
        ):
            members.setdefault(body_id, []).append((person_id, state, status))
    found = []
    for motion in open_motions:
        assert motion.id is not None
        try:
            policy = policy_of(motion)
        except GovError:  # close_if_settled raises it again, and the sweep logs its message
            found.append((motion.id, motion.deadline))
            continue
        voting = {state for state, actions in policy.member_states.items() if "vote" in actions}
        possible = members.get(motion.body_id, [])
        seated_now = sum(1 for _, state, status in possible if state in voting and status in voting)
        cast = choices.get(motion.id, [])
        yet_to_vote = sum(1 for person_id, _, _ in possible if person_id not in voted.get(motion.id, set()))
        if _settled(motion, cast, yet_to_vote, max(motion.seated, seated_now, len(cast))):
            found.append((motion.id, motion.deadline))
    return found


async def close(ctx: Context, actor: Actor, ref: str | int) -> MotionResult:
    """Close a motion and decide it. Before its deadline only the secretariat may close it early."""
    async with ctx.db.transaction() as session:
        motion = await motion_by_ref(session, ref, lock="update")
        policy = policy_of(motion)
        if motion.phase != "open":
            raise Conflict(
                _(
                    "Motion M{id} is already {phase}.",
                    id=motion.id,
                    phase=labels.label(labels.MOTION_PHASES, motion.phase),
                )
            )
        body = await session.get(Body, motion.body_id)
        assert body is not None
        early = ctx.now() < motion.deadline
        if early:
            facts = await actor_facts(session, actor, body)
            if not facts.is_admin:
                raise Forbidden(
                    _(
                        "M{motion_id} is open until {motion_deadline:%Y-%m-%d %H:%M} UTC.",
                        motion_id=motion.id,
                        motion_deadline=motion.deadline,
                    ),
                    _("Only the secretariat may close a motion before its deadline."),
                )
            enforce(policy.may_administer(facts, _("close a motion before its deadline")), policy)
        choices = await _choices(session, motion)
        # Whoever is seated now could vote, and a member who left keeps the quorum where it was:
        # the base is the larger figure (and never fewer than the votes cast).
        seated_at_proposal = motion.seated
        motion.seated = max(motion.seated, await count_seated(session, body.id or 0, policy), len(choices))
        return await _decide(
            session,
            ctx,
            actor,
            motion,
            body,
            policy,
            choices,
            reason="early" if early else "deadline",
            seated_at_proposal=seated_at_proposal,
        )


async def _decide(
    session: AsyncSession,
    ctx: Context,
    actor: Actor,
    motion: Motion,
    body: Body,
    policy: LoadedPolicy,
    choices: list[str],
    *,
    reason: str,
    seated_at_proposal: int,
) -> MotionResult:
    """Count, record and announce the outcome of a motion (its ``seated`` base already settled)."""
    ledger = await reconcile.require_reconciled(session, motion=motion)  # every ballot accounted for
    outcome = _tally(motion, choices)
    motion.phase = "closed"
    motion.closed_at = ctx.now()
    motion.outcome = "passed" if outcome.passed else ("no_quorum" if not outcome.quorum_met else "failed")
    motion.result = json.dumps(outcome.to_json(), sort_keys=True)
    if motion.secret:  # no storage trace pairs a ballot with its voter once counted
        await secrecy.shuffle_poll(session, motion_id=motion.id)
    await record(
        session,
        ctx,
        actor,
        stream=stream_of(motion),
        kind="motion.closed",
        subject=f"M{motion.id}",
        payload={
            "result": outcome.to_json(),
            "early": reason != "deadline",
            "closed_because": reason,
            "policy": policy.identity,
            "seated_at_proposal": seated_at_proposal,
            "due_at": motion.deadline.isoformat(),
            "ledger": ledger.to_json(),
        },
    )
    notify(
        session,
        ctx,
        kind="motion.result",
        body_id=body.id,
        dedupe_key=f"motion:{motion.id}:result",
        params={
            "motion": motion.id,
            "title": motion.title,
            "outcome": str(motion.outcome),
            "settled": reason == "settled",
            "result": outcome.to_json(),
        },
    )
    await due.sync_motion(session, ctx, motion, None)
    # Signed in the decision's transaction: the outcome never commits without the checkpoint pinning it.
    await checkpoints.make(session, ctx, reason="motion.closed", subject=stream_of(motion), body_id=body.id)
    return outcome


async def withdraw(ctx: Context, actor: Actor, ref: str | int) -> Motion:
    """Withdraw an open motion (its proposer or the secretariat)."""
    async with ctx.db.transaction() as session:
        motion = await motion_by_ref(session, ref, lock="update")
        if motion.phase != "open":
            raise Conflict(
                _(
                    "Motion M{id} is already {phase}.",
                    id=motion.id,
                    phase=labels.label(labels.MOTION_PHASES, motion.phase),
                )
            )
        if actor.person_id != motion.proposer_id:
            facts = await actor_facts(session, actor)
            if not facts.is_admin:
                raise Forbidden(_("Only the proposer or the secretariat may withdraw a motion."))
            enforce(policy_of(motion).may_administer(facts, _("withdraw a motion")), policy_of(motion))
        motion.phase = "withdrawn"
        motion.closed_at = ctx.now()
        await record(
            session, ctx, actor, stream=stream_of(motion), kind="motion.withdrawn", subject=f"M{motion.id}"
        )
        await due.sync_motion(session, ctx, motion, None)
        return motion
