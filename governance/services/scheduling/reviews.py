"""The review of inactive working-group members: asked of the chairs periodically, confirmed by them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from governance.errors import InvalidInput, suggest
from governance.i18n import _
from governance.models import Body, Membership, Motion, OutboxMessage, Person, Voter
from governance.services import bodies
from governance.services.common import Actor, Context, actor_facts, body_by_slug, body_facts, enforce, notify

INACTIVE_AFTER = timedelta(days=180)


@dataclass(frozen=True)
class InactiveMember:
    """A working-group member with no recorded activity in the group for the review period."""

    handle: str
    name: str
    since: datetime | None
    last_active: datetime | None


async def inactive_members(
    session: AsyncSession, body: Body, now: datetime, after: timedelta = INACTIVE_AFTER
) -> list[InactiveMember]:
    """Active members of ``body`` who joined before the period and cast no vote on its motions in it."""
    cutoff = now - after
    last_vote = (
        select(func.max(col(Voter.last_voted_at)))
        .join(Motion, col(Motion.id) == col(Voter.motion_id))
        .where(col(Motion.body_id) == body.id, col(Voter.person_id) == col(Person.id))
        .scalar_subquery()
    )
    rows = (
        await session.execute(
            select(col(Person.handle), col(Person.name), col(Membership.since), last_vote)
            .join(Membership, col(Membership.person_id) == col(Person.id))
            .where(
                col(Membership.body_id) == body.id,
                col(Membership.status) == "active",
                col(Membership.state) == "active",  # emeritus or suspended members are not reviewed again
                col(Membership.role).not_in(bodies.CHAIR_ROLES),
                or_(col(Membership.since).is_(None), col(Membership.since) <= cutoff),
            )
            .order_by(col(Person.handle))
        )
    ).all()
    out = []
    for handle, name, since, last in rows:
        if isinstance(last, str):  # SQLite returns an aggregate's timestamp as text
            last = datetime.fromisoformat(last).replace(tzinfo=since.tzinfo if since else None)
        if last is not None and last.tzinfo is None:
            last = last.replace(tzinfo=now.tzinfo)
        if last is None or last <= cutoff:
            out.append(InactiveMember(handle, name, since, last))
    return out


async def review(
    ctx: Context, actor: Actor, slug: str, after: timedelta = INACTIVE_AFTER
) -> tuple[Body, list[InactiveMember]]:
    """The members of a working group inactive for ``after``, for its chair (or the secretariat) to review."""
    if not timedelta(0) <= after <= timedelta(days=3650):
        raise InvalidInput(_("The review period is between 0 and 3650 days."))
    async with ctx.db.reading() as session:
        body = await body_by_slug(session, slug)
        policy = ctx.policy_for(body)
        enforce(policy.may_approve_join(body_facts(body), await actor_facts(session, actor, body)), policy)
        return body, await inactive_members(session, body, ctx.now(), after)


async def confirm_review(
    ctx: Context, actor: Actor, slug: str, handles: Sequence[str], after: timedelta = INACTIVE_AFTER
) -> list[str]:
    """Retire the named members, each of whom must still be inactive (chairs or the secretariat): removed,
    or kept as emeritus where the group's policy says so (``WorkingGroupRules.on_inactive``).

    All or nothing: a handle that is not an inactive member refuses the whole request.
    """
    if not handles:
        raise InvalidInput(
            _("Name the members to remove."), suggest=suggest("see_inactive", ("wg", "review", slug))
        )
    body, inactive = await review(ctx, actor, slug, after)
    known = {m.handle for m in inactive}
    wanted = []
    for handle in handles:
        person_handle = handle.strip().lstrip("@").lower()
        if person_handle not in known:
            raise InvalidInput(
                _(
                    "{person_handle} is not on the inactive list of {body_name}.",
                    person_handle=person_handle,
                    body_name=body.name,
                ),
                suggest=suggest("see_review", ("wg", "review", body.slug)),
            )
        wanted.append(person_handle)
    for handle in wanted:
        await bodies.retire_inactive(  # removed, or kept as emeritus, as the group's policy says
            ctx,
            actor,
            body.slug,
            handle,
            reason=_("Inactive in {body} for {days} days.", body=body.name, days=after.days),
        )
    return wanted


async def post_reviews(ctx: Context, every: timedelta = timedelta(days=30)) -> int:
    """Ask each working group's chairs, once per period, to review members with no recent activity."""
    now = ctx.now()
    period = int(now.timestamp() // every.total_seconds())
    queued = 0
    async with ctx.db.transaction() as session:
        groups = (
            await session.execute(
                select(Body).where(col(Body.kind) == "working_group", col(Body.active).is_(True))
            )
        ).scalars()
        for body in list(groups):
            days = ctx.policy_for(body).working_group_rules(body_facts(body)).inactivity_days
            if days is None:  # the group's policy has no inactivity rule
                continue
            inactive = await inactive_members(session, body, now, timedelta(days=days))
            if not inactive:
                continue
            chairs = (
                await session.execute(
                    select(col(Membership.person_id)).where(
                        col(Membership.body_id) == body.id,
                        col(Membership.status) == "active",
                        col(Membership.role).in_(bodies.CHAIR_ROLES),
                    )
                )
            ).scalars()
            for chair in list(chairs):
                key = f"wg-review:{body.id}:{period}:{chair}"
                if (
                    await session.execute(
                        select(col(OutboxMessage.id)).where(col(OutboxMessage.dedupe_key) == key)
                    )
                ).first():
                    continue
                notify(
                    session,
                    ctx,
                    kind="wg.review",
                    person_id=chair,
                    dedupe_key=key,
                    params={
                        "body": body.slug,
                        "body_name": body.name,
                        "count": len(inactive),
                        "days": days,
                        "names": [m.handle for m in inactive[:20]],
                    },
                )
                queued += 1
    return queued
