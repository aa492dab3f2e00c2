"""Proposing a motion: the procedure is fixed from the body's policy when it is proposed."""

from __future__ import annotations

from datetime import datetime, timedelta

from governance import labels
from governance import text as text_rules
from governance.errors import Conflict, Forbidden, InvalidInput
from governance.i18n import _
from governance.models import (
    Body,
    Motion,
)
from governance.policies import LoadedPolicy
from governance.services import bounds, due
from governance.services.common import (
    Actor,
    Context,
    actor_facts,
    body_by_slug,
    body_facts,
    enforce,
    notify,
    record,
)
from governance.services.motions.lookup import (
    KINDS,
    count_seated,
    stream_of,
)


def _roll_call_refusal(policy: LoadedPolicy, target: Body, kind: str) -> Forbidden:
    """The refusal of a secret motion where the policy votes that kind by roll call."""
    return Forbidden(
        _(
            "Motions of kind {kind} before {target_name} are voted by roll call: every vote is "
            "public, and a proposer cannot make it secret.",
            kind=labels.label(labels.MOTION_KINDS, kind),
            target_name=target.name,
        ),
        _(
            "(rule 'roll-call' of policy {policy_name} {policy_version}) Propose it without --secret.",
            policy_name=policy.name,
            policy_version=policy.version,
        ),
        rule="roll-call",
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
            raise _roll_call_refusal(policy, target, kind)
        choices = bounds.check_secret(rules, secret)
        if deadline is not None:
            choices |= bounds.check_period(policy, rules.bounds, rules.voting_days, deadline - ctx.now())
        assert target.id is not None
        seated = await count_seated(session, target.id, policy)
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
            stream=stream_of(motion),
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
