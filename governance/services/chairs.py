"""Bodies keep someone in charge: the last chair in office of a body cannot leave, go emeritus, be
suspended there, lose the role or be removed until a successor is seated (rule ``last-chair``), and a
body left with no chair in office anyway (its chair's roster status changed) is flagged and the
secretariat told.

A chair is *in office* when they hold the chair or co-chair role as an active member and the body's
policy lets both their roster status and their state in the body ``"chair"`` (its member-states table).
Called from ``bodies`` (membership changes) and ``roster`` (status changes); the presentation asks
``orphaned`` for the flag shown in ``wg list`` and ``body show``.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from governance import labels
from governance.errors import Forbidden, suggest
from governance.i18n import N_, _
from governance.models import AuditEvent, Body, Membership, Person
from governance.policies.base import state_refusal
from governance.services.common import (
    Actor,
    Context,
    facts_columns,
    facts_from_row,
    facts_joins,
    notify,
    record,
)

CHAIR_ROLES = ("chair", "co_chair")

# One whole sentence per change that would leave the body with nobody in charge.
_CHANGES: Mapping[str, str] = {
    "leave": N_("{person_name} is the last chair of {body_name} in office, so cannot leave it yet."),
    "emeritus": N_(
        "{person_name} is the last chair of {body_name} in office, so cannot become emeritus yet."
    ),
    "state": N_(
        "{person_name} is the last chair of {body_name} in office, so cannot become {state_name} there yet."
    ),
    "role": N_("{person_name} is the last chair of {body_name} in office, so cannot give up the role yet."),
    "remove": N_("{person_name} is the last chair of {body_name} in office, so cannot be removed yet."),
}


async def _chairs_in_office(session: AsyncSession, ctx: Context, body: Body) -> list[int]:
    """The ids of the chairs and co-chairs of ``body`` whose states let them chair there now."""
    states = ctx.policy_for(body).member_states
    stmt = facts_joins(select(*facts_columns()).select_from(Person), None, body.id).where(
        col(Membership.role).in_(CHAIR_ROLES), col(Membership.status) == "active"
    )
    out = []
    for row in (await session.execute(stmt)).all():
        facts = facts_from_row(row)
        if facts is not None and state_refusal(facts, "chair", states) is None:
            out.append(facts.person_id)
    return out


async def check_not_last(
    session: AsyncSession,
    ctx: Context,
    body: Body,
    person: Person,
    membership: Membership,
    change: str,
    new_state: str | None = None,
) -> None:
    """Refuse (rule ``last-chair``, nothing written) a ``change`` that would take the last chair in office
    of ``body`` out of office; the hint says how to hand over. ``change`` is one of ``_CHANGES``; for a
    new state in the body, one the policy lets chair changes nothing."""
    if membership.status != "active" or membership.role not in CHAIR_ROLES:
        return
    states = ctx.policy_for(body).member_states
    if new_state is not None and "chair" in states.get(new_state, frozenset()):
        return
    await session.flush()
    in_office = await _chairs_in_office(session, ctx, body)
    if person.id not in in_office or len(in_office) > 1:
        return  # not in office already, or someone else stays in charge
    raise Forbidden(
        _(
            _CHANGES[change],
            person_name=person.name,
            body_name=body.name,
            state_name=labels.label(labels.MEMBER_STATES, new_state or ""),
        ),
        suggest=suggest(
            "hand_over", ("body", "seat", body.slug, "<handle>", "--role", "chair"), rule="last-chair"
        ),
        rule="last-chair",
    )


async def _flag_orphaned(
    session: AsyncSession,
    ctx: Context,
    actor: Actor,
    body: Body,
    payload: dict[str, str],
    person_name: str,
    election: str | None,
) -> None:
    """Record ``body`` as orphaned (``body.orphaned`` in its stream, read back by `wg list` and `body
    show`) and tell every active admin (whose chair ``person_name`` left office: by a roster change, or
    by the certification of ``election``), who decides its join requests until a chair is seated."""
    stream = f"body:{body.slug}"
    await record(session, ctx, actor, stream=stream, kind="body.orphaned", subject=body.slug, payload=payload)
    admins = await session.execute(
        select(col(Person.id)).where(col(Person.is_admin), col(Person.status) == "active")
    )
    for admin_id in admins.scalars().all():
        notify(
            session,
            ctx,
            kind="body.orphaned",
            person_id=admin_id,
            params={
                "body": body.slug,
                "body_name": body.name,
                "person_name": person_name,
                "election": election,
            },
        )


async def after_status_change(
    session: AsyncSession, ctx: Context, actor: Actor, person: Person
) -> list[Body]:
    """After ``person``'s roster status changed: each body they chaired that now has no chair in office
    is recorded as orphaned (audit event ``body.orphaned``) and every active admin is told, so the
    secretariat decides its join requests until a chair is seated. Returns those bodies."""
    await session.flush()
    bodies = (
        (
            await session.execute(
                select(Body)
                .join(Membership, col(Membership.body_id) == col(Body.id))
                .where(
                    col(Membership.person_id) == person.id,
                    col(Membership.status) == "active",
                    col(Membership.role).in_(CHAIR_ROLES),
                )
                .order_by(col(Body.slug))
            )
        )
        .scalars()
        .all()
    )
    orphaned = [body for body in bodies if not await _chairs_in_office(session, ctx, body)]
    if not orphaned:
        return []
    for body in orphaned:
        await _flag_orphaned(
            session,
            ctx,
            actor,
            body,
            {"chair": person.handle, "status": person.status},
            person.name,
            None,
        )
    return orphaned


async def after_terms_ended(
    session: AsyncSession, ctx: Context, actor: Actor, body: Body, chairs: list[Person], election: str
) -> bool:
    """After certification ended the terms of ``chairs`` (staggered seats not re-filled by them): when
    ``body`` has no chair in office now, record it as orphaned (``body.orphaned``, flagged in `wg list`
    and `body show`) and tell every active admin, as a roster change does. Whether it was orphaned."""
    if not chairs:
        return False
    await session.flush()
    if await _chairs_in_office(session, ctx, body):
        return False
    await _flag_orphaned(
        session,
        ctx,
        actor,
        body,
        {"chair": chairs[0].handle, "cause": "term-ended", "election": election},
        chairs[0].name,
        election,
    )
    return True


async def orphaned(ctx: Context) -> set[int]:
    """The ids of the active bodies with nobody in charge: a working group with no chair in office, or
    another body whose chairs are all out of office (a body that never had a chair is not flagged)."""
    async with ctx.db.reading() as session:
        bodies = (await session.execute(select(Body).where(col(Body.active)))).scalars().all()
        chaired = set(
            (
                await session.execute(
                    select(col(Membership.body_id)).where(
                        col(Membership.role).in_(CHAIR_ROLES), col(Membership.status) == "active"
                    )
                )
            )
            .scalars()
            .all()
        )
        flagged = set(  # bodies recorded as left without a chair (their chairs may no longer be seated)
            (
                await session.execute(
                    select(col(AuditEvent.subject)).where(col(AuditEvent.kind) == "body.orphaned").distinct()
                )
            )
            .scalars()
            .all()
        )
        out = set()
        for body in bodies:
            if body.id is None or (
                body.kind != "working_group" and body.id not in chaired and body.slug not in flagged
            ):
                continue
            if body.id not in chaired or not await _chairs_in_office(session, ctx, body):
                out.add(body.id)
        return out
