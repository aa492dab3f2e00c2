"""Motions: propose, vote yes/no/abstain (and change the vote before the deadline), close with quorum and
threshold applied. Roll-call motions are public (each ballot names its voter, as the policy says);
secret motions use the same secrecy layout as elections.

The procedure is fixed from the body's policy when the motion is proposed: lazy consensus (passes at
the deadline unless someone votes no, i.e. objects), early close (the motion closes as soon as its
outcome can no longer change: conservatively, counting as votes still to come every member who could
vote before the deadline, suspended, emeritus or withdrawn ones included; only members who left or were
removed are gone), vote replacement, and proxies (a voter names another eligible voter to
vote for them on this motion; voting in person afterwards revokes the proxy and replaces its vote)."""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from fractions import Fraction
from typing import Literal

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from governance import audit, checkpoints, labels, reconcile, secrecy
from governance import text as text_rules
from governance.errors import Closed, Conflict, Forbidden, GovError, InvalidInput, NotFound, suggest
from governance.i18n import _
from governance.models import (
    Ballot,
    BallotSlot,
    Body,
    Membership,
    Motion,
    Person,
    Proxy,
    RetiredReceipt,
    Voter,
)
from governance.policies import LoadedPolicy
from governance.policies.base import MotionRules
from governance.services import bounds, due, proxies
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
    person_by_handle,
    person_facts,
    record,
    with_lock,
    write_transaction,
)
from governance.services.elections import SECRET_VOTER
from governance.tally.motion import MotionResult, count_motion, lazy_reason, settled

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
    if not text_rules.NUMBER_RE.fullmatch(text):
        raise InvalidInput(
            _("{ref!r} is not a motion number.", ref=text_rules.echo(ref)),
            suggest=suggest("motion_numbered", "motion show 12"),
        )
    number = text_rules.parse_number(text, _("A motion number"), suggest=suggest("see", "motion list"))
    stmt = with_lock(select(Motion).where(col(Motion.id) == number), lock)
    motion = (await session.execute(stmt)).scalar_one_or_none()
    if motion is None:
        raise NotFound(_("No motion M{text}.", text=number), suggest=suggest("see", "motion list"))
    return motion


def _policy_of(motion: Motion) -> LoadedPolicy:
    """The policy the motion opened with; refuses to go on if its source has changed since."""
    return governing_policy(
        motion.policy_name, motion.policy_version, motion.policy_hash, _("Motion M{id}", id=motion.id)
    )


def _seated_members(body_id: int, policy: LoadedPolicy) -> Select[int | None]:
    """The memberships counted by ``_seated`` (a select of their ids, to count or narrow)."""
    voting = [state for state, actions in policy.member_states.items() if "vote" in actions]
    return (
        select(col(Membership.id))
        .join(Person, col(Person.id) == col(Membership.person_id))
        .where(
            col(Membership.body_id) == body_id,
            col(Membership.status) == "active",
            col(Membership.role).in_(VOTING_ROLES),
            col(Membership.state).in_(voting),
            col(Person.status).in_(voting),
        )
    )


async def _seated(session: AsyncSession, body_id: int, policy: LoadedPolicy) -> int:
    """The members of a body who may vote on its motions: the quorum and threshold base.

    A voting role is not enough: their state in the body and their roster status must both allow voting
    under the policy's member-states table (emeritus, withdrawn and suspended members are not counted).
    """
    return await count_rows(session, _seated_members(body_id, policy))


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
        raise InvalidInput(
            _("Unknown kind of motion {kind!r}.", kind=kind),
            _("Kinds: {join_kinds}.", join_kinds=", ".join(KINDS)),
        )
    if not title.strip():
        raise InvalidInput(_("A motion needs a title."))
    title = text_rules.clean(title, text_rules.TITLE, _("the motion's title")) or ""
    text = text_rules.clean(text, text_rules.MOTION_TEXT, _("the motion's text"), required=False)
    if deadline is not None and deadline <= ctx.now():
        raise InvalidInput(
            _("The deadline ({deadline:%Y-%m-%d %H:%M} UTC) is in the past.", deadline=deadline)
        )
    async with ctx.db.transaction() as session:
        target = await body_by_slug(session, body)
        policy = ctx.policy_for(target)
        enforce(policy.may_propose(body_facts(target), await actor_facts(session, actor, target)), policy)
        rules = policy.motion_rules(body_facts(target), kind)
        if secret and not bounds.secret_allowed(rules):
            raise Forbidden(
                _(
                    "Motions of kind {kind} before {target_name} are voted by roll call: every vote is "
                    "public, and a proposer cannot make it secret.",
                    kind=labels.label(labels.MOTION_KINDS, kind),
                    target_name=target.name,
                ),
                _(
                    "(rule 'roll-call' of policy {policy_name} {policy_version}) Propose it without "
                    "--secret.",
                    policy_name=policy.name,
                    policy_version=policy.version,
                ),
                rule="roll-call",
            )
        choices = bounds.check_secret(rules, secret)
        if deadline is not None:
            choices |= bounds.check_period(policy, rules.bounds, rules.voting_days, deadline - ctx.now())
        assert target.id is not None
        seated = await _seated(session, target.id, policy)
        if seated == 0:
            raise Conflict(
                _(
                    "{target_name} has no voting members, so it cannot vote on a motion.",
                    target_name=target.name,
                )
            )
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
            secret=rules.secret or bool(secret),
            lazy_consensus=rules.lazy_consensus,
            early_close=rules.early_close,
            vote_replacement=rules.vote_replacement,
            proxies=rules.proxies,
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
                "lazy_consensus": motion.lazy_consensus,
                "early_close": motion.early_close,
                "vote_replacement": motion.vote_replacement,
                "proxies": motion.proxies,
                "policy": policy.identity,
                **({"choices": choices} if choices else {}),
            },
        )
        notify(
            session,
            ctx,
            kind="motion.proposed",
            body_id=target.id,
            params={
                "motion": motion.id,
                "title": motion.title,
                "body_name": target.name,
                "deadline": motion.deadline,
                "lazy_consensus": motion.lazy_consensus,
                "secret": motion.secret,
            },
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
        policy = _policy_of(motion)
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
        vote_kind = "motion.vote_changed" if slot else "motion.voted"
        if motion.secret:
            # Anonymous, as a secret election's ballot event: who voted stays in ``voters``. Written
            # pending (chained by the periodic sealer or the close, which rewrite it), so a secret vote
            # takes no place in the chain, and holds no head lock, while its transaction is the voter's.
            await audit.append_pending(
                session,
                stream=_stream(motion),
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
                stream=_stream(motion),
                kind=vote_kind,
                subject=f"M{motion.id}",
                payload=_vote_payload(motion, voter_handle, choice, actor.handle if for_handle else None),
            )
        if motion.early_close or (motion.lazy_consensus and choice == "no"):
            await _close_if_settled(session, ctx, motion, body, policy)
        return MotionVoteReceipt(motion.id or 0, choice, slot is not None, receipt, not motion.secret)

    return await ctx.db.run(work, retry_integrity=True)


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
        policy = _policy_of(motion)
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
            stream=_stream(motion),
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


async def _close_if_settled(
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
    seated = max(motion.seated, await _seated(session, body.id or 0, policy), len(choices))
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
        await _close_if_settled(session, ctx, motion, body, _policy_of(motion))
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
            policy = _policy_of(motion)
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
        policy = _policy_of(motion)
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
        motion.seated = max(motion.seated, await _seated(session, body.id or 0, policy), len(choices))
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
        stream=_stream(motion),
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
    await checkpoints.make(session, ctx, reason="motion.closed", subject=_stream(motion), body_id=body.id)
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
            enforce(_policy_of(motion).may_administer(facts, _("withdraw a motion")), _policy_of(motion))
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
    choices: tuple[str, ...] = ()  # the per-motion choices made, with the policy's bounds, in words


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
        try:
            rules: MotionRules | None = _policy_of(motion).motion_rules(body_facts(body), motion.kind)
        except (Conflict, InvalidInput):
            rules = None
        choices = bounds.describe_motion(await bounds.recorded_choices(session, _stream(motion)), rules)
        result = json.loads(motion.result) if motion.result else None
        return MotionView(motion, body, voters, roll, result, tuple(choices))


async def list_motions(ctx: Context, body: str | None = None) -> list[tuple[Motion, Body]]:
    """Motions, newest first, optionally of one body."""
    async with ctx.db.reading() as session:
        stmt = select(Motion, Body).join(Body, col(Motion.body_id) == col(Body.id))
        if body:
            target = await body_by_slug(session, body)
            stmt = stmt.where(col(Motion.body_id) == target.id)
        return [(m, b) for m, b in (await session.execute(stmt.order_by(col(Motion.id).desc()))).all()]
