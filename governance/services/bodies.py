"""Governance bodies and their membership: the board, committees and working groups (join, approve,
deny, leave, remove, seat), as the body's policy says."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from governance import labels
from governance.errors import Conflict, InvalidInput, NotFound, suggest
from governance.i18n import _
from governance.models import AuditEvent, Body, Membership, Organisation, Person
from governance.policies import LoadedPolicy, load_policy
from governance.policies.base import STATES, Refusal, state_refusal
from governance.policies.explain import explain
from governance.services import chairs
from governance.services.common import (
    Actor,
    Context,
    actor_facts,
    body_by_slug,
    body_facts,
    check_slug,
    check_text,
    enforce,
    notify,
    person_by_handle,
    person_facts,
    record,
    write_transaction,
)

KINDS = ("board", "committee", "working_group")
ROLES = ("member", "chair", "co_chair", "voting_rep", "observer", "emeritus")
CHAIR_ROLES = ("chair", "co_chair")
REASON_MAX = 500  # the longest reason a chair may give (governance.text.REASON)


def _stream(body: Body) -> str:
    return f"body:{body.slug}"


async def create_body(
    ctx: Context,
    actor: Actor,
    slug: str,
    name: str,
    kind: str,
    *,
    charter_url: str | None = None,
    chairs: list[str] | None = None,
    description: str | None = None,
    policy: str | None = None,
    channel: str | None = None,
) -> Body:
    """Create a board, committee or working group with its charter link and chair(s) (admins only)."""
    slug = check_slug(slug, _("body id"))
    kind = kind.strip().lower().replace("-", "_")
    if kind == "wg":
        kind = "working_group"
    if kind not in KINDS:
        raise InvalidInput(
            _("Unknown kind of body {kind!r}.", kind=kind),
            _("Kinds: {join_kinds}.", join_kinds=", ".join(KINDS)),
        )
    name = check_text(name, _("a body's name"), 200) or ""
    charter_url = check_text(charter_url, _("the charter link"), 500, required=False)
    if charter_url and not charter_url.startswith(("https://", "http://")):
        raise InvalidInput(
            _("{charter_url!r} is not a web link.", charter_url=charter_url),
            _("Give the charter as an https:// link."),
        )
    channel = check_text(channel, _("the channel"), 100, required=False)
    policy_spec = (policy or ctx.default_policy).strip()
    if len(policy_spec) > 200:
        raise InvalidInput(_("The policy name is too long."), _("Keep it to 200 characters."))
    loaded = load_policy(policy_spec)
    async with write_transaction(ctx, f"A body {slug!r} was just created by someone else.") as session:
        enforce(loaded.may_administer(await actor_facts(session, actor), _("create bodies")), loaded)
        if (await session.execute(select(col(Body.id)).where(col(Body.slug) == slug))).first():
            raise Conflict(
                _("A body {slug!r} already exists.", slug=slug), suggest=suggest("see", "body list")
            )
        body = Body(
            slug=slug,
            name=name,
            kind=kind,
            charter_url=charter_url,
            description=description,
            policy=policy_spec,
            channel=channel,
            active=True,
            created_at=ctx.now(),
        )
        session.add(body)
        await session.flush()
        assert body.id is not None
        seated: list[str] = []
        for handle in chairs or []:
            person = await person_by_handle(session, handle)
            if person.handle in seated:
                continue
            enforce(loaded.may_chair(body_facts(body), await person_facts(session, person, body)), loaded)
            assert person.id is not None
            session.add(
                Membership(
                    body_id=body.id, person_id=person.id, role="chair", status="active", since=ctx.now()
                )
            )
            seated.append(person.handle)
        await record(
            session,
            ctx,
            actor,
            stream=_stream(body),
            kind="body.created",
            subject=slug,
            payload={
                "name": body.name,
                "kind": kind,
                "charter": charter_url,
                "chairs": seated,
                "policy": loaded.identity,
            },
        )
        return body


async def _membership(session: AsyncSession, body: Body, person: Person) -> Membership | None:
    return (
        await session.execute(
            select(Membership).where(
                col(Membership.body_id) == body.id, col(Membership.person_id) == person.id
            )
        )
    ).scalar_one_or_none()


async def _check_room(session: AsyncSession, body: Body, policy: LoadedPolicy) -> None:
    """Refuse one more member when the working group is at its policy's size limit."""
    limit = policy.working_group_rules(body_facts(body)).max_members
    if limit is None:
        return
    seated = (
        await session.execute(
            select(func.count()).where(
                col(Membership.body_id) == body.id,
                col(Membership.status) == "active",
                col(Membership.state) == "active",
            )
        )
    ).scalar_one()
    if seated >= limit:
        enforce(
            Refusal(
                "max-members",
                _(
                    "{body_name} is full: its policy allows at most {limit} active members and it has "
                    "{seated}.",
                    body_name=body.name,
                    limit=limit,
                    seated=seated,
                ),
            ),
            policy,
        )


async def request_join(ctx: Context, actor: Actor, slug: str) -> Membership:
    """Ask to join a working group: joined at once when it is open, else pending a chair's approval."""
    if actor.person_id is None:
        raise InvalidInput(_("Only a person can join a working group."))
    async with write_transaction(ctx, "Your request to join was already being recorded.") as session:
        body = await body_by_slug(session, slug)
        if body.kind != "working_group":
            raise InvalidInput(
                _(
                    "{body_name} is not a working group; its seats are filled by election or appointment.",
                    body_name=body.name,
                )
            )
        if not body.active:
            raise Conflict(_("{body_name} is closed.", body_name=body.name))
        person = await session.get(Person, actor.person_id)
        if person is None or person.id is None or body.id is None:
            raise NotFound(_("{actor_handle} is no longer on the roster.", actor_handle=actor.handle))
        policy = ctx.policy_for(body)
        # The policy's member-states table says which roster states may join (no per-service copy of it).
        enforce(state_refusal(await person_facts(session, person), "join", policy.member_states), policy)
        rule = policy.join_rule(body_facts(body))
        existing = await _membership(session, body, person)
        if existing is not None and existing.status == "active" and existing.state == "emeritus":
            raise Conflict(
                _("You are an emeritus member of {body_name}.", body_name=body.name),
                suggest=suggest("chair_reactivates", ("body", "state", body.slug, person.handle, "active")),
            )
        if existing is not None and existing.status == "active":
            raise Conflict(
                _(
                    "You are already a member of {body_name} ({role}).",
                    body_name=body.name,
                    role=labels.label(labels.ROLES, existing.role),
                )
            )
        if existing is not None and existing.status == "pending":
            raise Conflict(
                _("Your request to join {body_name} is already waiting for a chair.", body_name=body.name)
            )
        status = "active" if rule == "open" else "pending"
        if status == "active":
            await _check_room(session, body, policy)
        if existing is None:
            existing = Membership(body_id=body.id, person_id=person.id, role="member", status=status)
            session.add(existing)
        existing.status = status
        existing.state = "active"
        existing.role = "member"
        existing.requested_at = ctx.now()
        existing.since = ctx.now() if status == "active" else None
        existing.until = None
        await session.flush()
        await record(
            session,
            ctx,
            actor,
            stream=_stream(body),
            kind="membership.joined" if status == "active" else "membership.requested",
            subject=person.handle,
            payload={"rule": rule, "policy": policy.identity},
        )
        if status == "pending":
            chairs = (
                (
                    await session.execute(
                        select(col(Membership.person_id)).where(
                            col(Membership.body_id) == body.id,
                            col(Membership.status) == "active",
                            col(Membership.role).in_(CHAIR_ROLES),
                        )
                    )
                )
                .scalars()
                .all()
            )
            for chair_id in chairs:
                notify(
                    session,
                    ctx,
                    kind="membership.requested",
                    person_id=chair_id,
                    params={
                        "body": body.slug,
                        "body_name": body.name,
                        "person": person.handle,
                        "person_name": person.name,
                    },
                )
        return existing


async def decide_join(
    ctx: Context, actor: Actor, slug: str, handle: str, approve: bool, reason: str | None = None
) -> Membership:
    """A chair (or the secretariat) approves or denies a pending join request."""
    reason = check_text(reason, _("the reason"), REASON_MAX, required=False)
    async with write_transaction(ctx) as session:
        body = await body_by_slug(session, slug)
        policy = ctx.policy_for(body)
        enforce(policy.may_approve_join(body_facts(body), await actor_facts(session, actor, body)), policy)
        person = await person_by_handle(session, handle)
        membership = await _membership(session, body, person)
        if membership is None or membership.status != "pending":
            raise NotFound(
                _(
                    "{person_name} has no pending request to join {body_name}.",
                    person_name=person.name,
                    body_name=body.name,
                ),
                suggest=suggest("see", ("wg", "pending", body.slug)),
            )
        if approve:
            await _check_room(session, body, policy)
        membership.status = "active" if approve else "denied"
        membership.state = "active"
        membership.since = ctx.now() if approve else None
        membership.note = reason
        await record(
            session,
            ctx,
            actor,
            stream=_stream(body),
            kind="membership.approved" if approve else "membership.denied",
            subject=person.handle,
            payload={"reason": reason, "policy": policy.identity},
        )
        verdict = "approved" if approve else "declined"
        notify(
            session,
            ctx,
            kind=f"membership.{verdict}",
            person_id=person.id,
            params={"body": body.slug, "body_name": body.name, "actor_name": actor.name, "reason": reason},
        )
        return membership


async def leave(ctx: Context, actor: Actor, slug: str) -> Membership:
    """Leave a body (or withdraw a pending request).

    Where the policy's ``on_leave`` is "emeritus", an active member stays on the body's list as emeritus
    (their membership kept, their vote gone); an emeritus member who leaves again, or any other, is gone.
    """
    async with write_transaction(ctx) as session:
        body = await body_by_slug(session, slug)
        person = await session.get(Person, actor.person_id) if actor.person_id else None
        if person is None:
            raise InvalidInput(_("Only a person can leave a body."))
        membership = await _membership(session, body, person)
        if membership is None or membership.status not in ("active", "pending"):
            raise NotFound(_("You are not a member of {body_name}.", body_name=body.name))
        policy = ctx.policy_for(body)
        await chairs.check_not_last(session, ctx, body, person, membership, "leave")
        if (
            membership.status == "active"
            and membership.state == "active"
            and policy.working_group_rules(body_facts(body)).on_leave == "emeritus"
        ):
            await _make_emeritus(session, ctx, actor, body, person, membership, policy, "left")
            return membership
        membership.status = "left"
        membership.until = ctx.now()
        await record(session, ctx, actor, stream=_stream(body), kind="membership.left", subject=person.handle)
        return membership


async def remove_member(
    ctx: Context, actor: Actor, slug: str, handle: str, reason: str | None = None
) -> Membership:
    """Remove a member (chairs of the group, or the secretariat)."""
    reason = check_text(reason, _("the reason"), REASON_MAX, required=False)
    async with write_transaction(ctx) as session:
        body = await body_by_slug(session, slug)
        policy = ctx.policy_for(body)
        enforce(policy.may_approve_join(body_facts(body), await actor_facts(session, actor, body)), policy)
        person = await person_by_handle(session, handle)
        membership = await _membership(session, body, person)
        if membership is None or membership.status != "active":
            raise NotFound(
                _(
                    "{person_name} is not a member of {body_name}.",
                    person_name=person.name,
                    body_name=body.name,
                )
            )
        await chairs.check_not_last(session, ctx, body, person, membership, "remove")
        await _remove(session, ctx, actor, body, person, membership, policy, reason)
        return membership


async def retire_inactive(
    ctx: Context, actor: Actor, slug: str, handle: str, reason: str | None = None
) -> Membership:
    """Retire a member a chair confirmed as inactive, as the policy's ``on_inactive`` says: remove them,
    or keep them as emeritus (chairs of the group, or the secretariat)."""
    reason = check_text(reason, _("the reason"), REASON_MAX, required=False)
    async with write_transaction(ctx) as session:
        body = await body_by_slug(session, slug)
        policy = ctx.policy_for(body)
        enforce(policy.may_approve_join(body_facts(body), await actor_facts(session, actor, body)), policy)
        person = await person_by_handle(session, handle)
        membership = await _membership(session, body, person)
        if membership is None or membership.status != "active":
            raise NotFound(
                _(
                    "{person_name} is not a member of {body_name}.",
                    person_name=person.name,
                    body_name=body.name,
                )
            )
        on_inactive = policy.working_group_rules(body_facts(body)).on_inactive
        await chairs.check_not_last(
            session, ctx, body, person, membership, "emeritus" if on_inactive == "emeritus" else "remove"
        )
        if on_inactive == "emeritus":
            await _make_emeritus(session, ctx, actor, body, person, membership, policy, "inactive", reason)
        else:
            await _remove(session, ctx, actor, body, person, membership, policy, reason)
        return membership


async def inactive_rule(ctx: Context, slug: str) -> str:
    """What the body's policy does with a member confirmed inactive: "remove" or "emeritus"."""
    async with ctx.db.reading() as session:
        body = await body_by_slug(session, slug)
    rule: str = ctx.policy_for(body).working_group_rules(body_facts(body)).on_inactive
    return rule


async def _make_emeritus(
    session: AsyncSession,
    ctx: Context,
    actor: Actor,
    body: Body,
    person: Person,
    membership: Membership,
    policy: LoadedPolicy,
    cause: str,
    reason: str | None = None,
) -> None:
    """Keep a member on the body's list as emeritus (after leaving, or confirmed inactive); a chair's role
    goes with it. Recorded as a state change, like ``set_state``, with its cause."""
    previous_role = membership.role
    membership.state = "emeritus"
    if membership.role in CHAIR_ROLES:
        membership.role = "member"
    membership.note = reason
    await record(
        session,
        ctx,
        actor,
        stream=_stream(body),
        kind="membership.state",
        subject=person.handle,
        payload={
            "state": "emeritus",
            "previous": "active",
            "reason": reason,
            "cause": cause,
            "role": membership.role,
            "previous_role": previous_role,
            "policy": policy.identity,
        },
    )
    if cause == "inactive":
        notify(
            session,
            ctx,
            kind="membership.state",
            person_id=person.id,
            params={
                "body": body.slug,
                "body_name": body.name,
                "state": "emeritus",
                "reason": reason,
                "inactive": True,
            },
        )


async def _remove(
    session: AsyncSession,
    ctx: Context,
    actor: Actor,
    body: Body,
    person: Person,
    membership: Membership,
    policy: LoadedPolicy,
    reason: str | None,
) -> None:
    """End a membership by a chair's decision: recorded, and the person told why."""
    membership.status = "removed"
    membership.until = ctx.now()
    membership.note = reason
    await record(
        session,
        ctx,
        actor,
        stream=_stream(body),
        kind="membership.removed",
        subject=person.handle,
        payload={"reason": reason, "policy": policy.identity},
    )
    notify(
        session,
        ctx,
        kind="membership.removed",
        person_id=person.id,
        params={"body": body.slug, "body_name": body.name, "reason": reason},
    )


async def seat(ctx: Context, actor: Actor, slug: str, handle: str, role: str = "member") -> Membership:
    """Seat a person in a body with a role, or change their role (secretariat; chairs within their group)."""
    role = role.strip().lower().replace("-", "_")
    if role not in ROLES:
        raise InvalidInput(
            _("Unknown role {role!r}.", role=role), _("Roles: {join_roles}.", join_roles=", ".join(ROLES))
        )
    async with write_transaction(ctx, "Someone seated that person at the same moment.") as session:
        body = await body_by_slug(session, slug)
        policy = ctx.policy_for(body)
        facts = await actor_facts(session, actor, body)
        if body.kind == "working_group" and role not in CHAIR_ROLES:
            enforce(policy.may_approve_join(body_facts(body), facts), policy)
        else:
            enforce(policy.may_administer(facts, _("seat people in {body}", body=body.name)), policy)
        person = await person_by_handle(session, handle)
        membership = await _membership(session, body, person)
        if membership is not None and membership.status == "active" and membership.role == role:
            raise Conflict(
                _(
                    "{person_name} is already {role} of {body_name}.",
                    person_name=person.name,
                    role=labels.label(labels.ROLES, role),
                    body_name=body.name,
                )
            )
        was_active = membership is not None and membership.status == "active"
        if membership is not None and role not in CHAIR_ROLES:
            await chairs.check_not_last(session, ctx, body, person, membership, "role")
        if role in CHAIR_ROLES:
            enforce(policy.may_chair(body_facts(body), await person_facts(session, person, body)), policy)
        if body.kind == "working_group" and not was_active:
            await _check_room(session, body, policy)
        if membership is None:
            assert body.id is not None and person.id is not None
            membership = Membership(body_id=body.id, person_id=person.id)
            session.add(membership)
        if not was_active:
            membership.state = "active"
        previous = membership.role if was_active else None
        membership.role = role
        membership.status = "active"
        membership.since = membership.since if was_active and membership.since else ctx.now()
        membership.until = None
        membership.note = None
        await session.flush()
        await record(
            session,
            ctx,
            actor,
            stream=_stream(body),
            kind="membership.seated",
            subject=person.handle,
            payload={"role": role, "previous_role": previous},
        )
        notify(
            session,
            ctx,
            kind="membership.seated",
            person_id=person.id,
            params={"body": body.slug, "body_name": body.name, "role": role},
        )
        return membership


async def set_state(
    ctx: Context, actor: Actor, slug: str, handle: str, state: str, reason: str | None = None
) -> Membership:
    """Set a member's state in a body (active, emeritus, withdrawn, suspended): what the policy's
    member-states table then lets them do there. Working-group chairs or the secretariat; audit-logged."""
    state = state.strip().lower()
    if state not in STATES:
        raise InvalidInput(
            _("Unknown member state {state!r}.", state=state),
            _("States: {join_states}.", join_states=", ".join(STATES)),
        )
    reason = check_text(reason, _("the reason"), REASON_MAX, required=False)
    async with write_transaction(ctx) as session:
        body = await body_by_slug(session, slug)
        policy = ctx.policy_for(body)
        facts = await actor_facts(session, actor, body)
        if body.kind == "working_group":
            enforce(policy.may_approve_join(body_facts(body), facts), policy)
        else:
            enforce(policy.may_administer(facts, _("set member states in {body}", body=body.name)), policy)
        person = await person_by_handle(session, handle)
        membership = await _membership(session, body, person)
        if membership is None or membership.status != "active":
            raise NotFound(
                _(
                    "{person_name} is not a member of {body_name}.",
                    person_name=person.name,
                    body_name=body.name,
                ),
                suggest=suggest("see", ("body", "show", body.slug)),
            )
        if membership.state == state:
            raise Conflict(
                _(
                    "{person_name} is already {state_name} in {body_name}.",
                    person_name=person.name,
                    state_name=labels.label(labels.MEMBER_STATES, state),
                    body_name=body.name,
                )
            )
        change = "emeritus" if state == "emeritus" else "state"
        await chairs.check_not_last(session, ctx, body, person, membership, change, state)
        if state == "active" and body.kind == "working_group":
            await _check_room(session, body, policy)
        previous = membership.state
        membership.state = state
        membership.note = reason
        await record(
            session,
            ctx,
            actor,
            stream=_stream(body),
            kind="membership.state",
            subject=person.handle,
            payload={"state": state, "previous": previous, "reason": reason, "policy": policy.identity},
        )
        notify(
            session,
            ctx,
            kind="membership.state",
            person_id=person.id,
            params={
                "body": body.slug,
                "body_name": body.name,
                "state": state,
                "reason": reason,
                "inactive": False,
            },
        )
        return membership


@dataclass(frozen=True)
class MemberRow:
    """A member (or applicant) as listed, with their state in the body and since when it holds."""

    handle: str
    name: str
    role: str
    status: str
    organisation: str | None
    state: str = "active"
    state_since: datetime | None = None  # when a state other than active was recorded, if it was


async def _state_dates(session: AsyncSession, body: Body, handles: list[str]) -> dict[str, datetime]:
    """When each of ``handles`` last had their state in ``body`` changed, from its audit stream."""
    if not handles:
        return {}
    rows = await session.execute(
        select(col(AuditEvent.subject), func.max(col(AuditEvent.at)))
        .where(
            col(AuditEvent.stream) == _stream(body),
            col(AuditEvent.kind) == "membership.state",
            col(AuditEvent.subject).in_(handles),
        )
        .group_by(col(AuditEvent.subject))
    )
    out = {}
    for handle, at in rows.all():
        if isinstance(at, str):  # SQLite returns an aggregate's timestamp as text
            at = datetime.fromisoformat(at)
        out[handle] = at if at.tzinfo else at.replace(tzinfo=UTC)
    return out


async def members(ctx: Context, slug: str, *, status: str = "active") -> tuple[Body, list[MemberRow]]:
    """The members of a body with the given status (``pending`` lists join requests); each row says the
    member's state in the body, and since when for a state other than active."""
    async with ctx.db.reading() as session:
        body = await body_by_slug(session, slug)
        rows = (
            await session.execute(
                select(Membership, Person, Organisation)
                .join(Person, col(Membership.person_id) == col(Person.id))
                .outerjoin(Organisation, col(Person.organisation_id) == col(Organisation.id))
                .where(col(Membership.body_id) == body.id, col(Membership.status) == status)
                .order_by(col(Membership.role), col(Person.name))
            )
        ).all()
        since = await _state_dates(session, body, [p.handle for m, p, _o in rows if m.state != "active"])
        return body, [
            MemberRow(
                p.handle,
                p.name,
                m.role,
                m.status,
                o.name if o else None,
                m.state,
                since.get(p.handle) if m.state != "active" else None,
            )
            for m, p, o in rows
        ]


async def pending(ctx: Context, actor: Actor, slug: str) -> tuple[Body, list[MemberRow]]:
    """Pending join requests, for those who may decide them."""
    async with ctx.db.reading() as session:
        body = await body_by_slug(session, slug)
        policy = ctx.policy_for(body)
        enforce(policy.may_approve_join(body_facts(body), await actor_facts(session, actor, body)), policy)
    return await members(ctx, slug, status="pending")


async def list_bodies(ctx: Context, kind: str | None = None) -> list[tuple[Body, int]]:
    """Bodies (optionally of one kind) with their active member counts."""
    async with ctx.db.reading() as session:
        stmt = select(Body).order_by(col(Body.kind), col(Body.name))
        if kind:
            kind = kind.strip().lower().replace("-", "_")
            stmt = stmt.where(col(Body.kind) == ("working_group" if kind == "wg" else kind))
        bodies = (await session.execute(stmt)).scalars().all()
        counted = await session.execute(
            select(col(Membership.body_id), func.count())
            .where(col(Membership.status) == "active")
            .group_by(col(Membership.body_id))
        )
        counts = {body_id: int(n) for body_id, n in counted.all()}
        return [(b, counts.get(b.id or 0, 0)) for b in bodies]


async def rules_of(ctx: Context, slug: str) -> list[str]:
    """The rules that govern a body, in plain sentences from its policy module (``policy <body>``): the
    first a summary, the others one rule each; refuses an unknown body."""
    async with ctx.db.reading() as session:
        body = await body_by_slug(session, slug)
    return explain(ctx.policy_for(body), body_facts(body))
