"""Member organisations: adding and changing them, their voting representatives, and the list."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from governance.errors import Conflict, InvalidInput, suggest
from governance.i18n import _
from governance.models import Organisation, Person, VotingRep
from governance.services.common import (
    Actor,
    Context,
    check_slug,
    organisation_by_slug,
    person_by_handle,
    record,
    write_transaction,
)
from governance.services.roster.rules import (
    NOT_ACTIVE_REP,
    check_name,
    check_tier,
    require_admin,
)


async def _org_name_taken(
    session: AsyncSession, name: str, except_id: int | None = None
) -> Organisation | None:
    stmt = select(Organisation).where(func.lower(col(Organisation.name)) == name.lower())
    if except_id is not None:
        stmt = stmt.where(col(Organisation.id) != except_id)
    return (await session.execute(stmt)).scalars().first()


async def add_organisation(
    ctx: Context, actor: Actor, slug: str, name: str, tier: str = "general"
) -> Organisation:
    """Add a member organisation (admins only)."""
    slug = check_slug(slug, _("organisation id"))
    tier = check_tier(tier)
    name = check_name(name, _("an organisation's name"))
    race = _("The organisation {slug!r} was just added by someone else.", slug=slug)
    async with write_transaction(ctx, race) as session:
        await require_admin(session, ctx, actor, _("add organisations"))
        if (
            await session.execute(select(col(Organisation.id)).where(col(Organisation.slug) == slug))
        ).first():
            raise Conflict(
                _("An organisation {slug!r} already exists.", slug=slug),
                suggest=suggest("see", "roster orgs"),
            )
        if (other := await _org_name_taken(session, name)) is not None:
            raise Conflict(
                _(
                    "An organisation named {other_name!r} already exists ({other_slug}).",
                    other_name=other.name,
                    other_slug=other.slug,
                ),
                suggest=suggest("see", "roster orgs"),
            )
        org = Organisation(slug=slug, name=name, tier=tier, active=True, created_at=ctx.now())
        session.add(org)
        await session.flush()
        await record(
            session,
            ctx,
            actor,
            stream="roster",
            kind="organisation.added",
            subject=slug,
            payload={"name": org.name, "tier": tier},
        )
        return org


async def update_organisation(
    ctx: Context,
    actor: Actor,
    slug: str,
    *,
    name: str | None = None,
    tier: str | None = None,
    active: bool | None = None,
) -> Organisation:
    """Rename an organisation, change its tier, or (de)activate its membership (admins only)."""
    if tier is not None:
        tier = check_tier(tier)
    if name is not None:
        name = check_name(name, _("an organisation's name"))
    async with write_transaction(
        ctx, _("Another organisation took that name at the same moment.")
    ) as session:
        await require_admin(session, ctx, actor, _("change organisations"))
        org = await organisation_by_slug(session, slug)
        changes: dict[str, object] = {}
        if name is not None and name != org.name:
            if (other := await _org_name_taken(session, name, org.id)) is not None:
                raise Conflict(
                    _(
                        "Another organisation is named {other_name!r} ({other_slug}).",
                        other_name=other.name,
                        other_slug=other.slug,
                    )
                )
            org.name = name
            changes["name"] = name
        if tier is not None and tier != org.tier:
            org.tier = tier
            changes["tier"] = tier
        if active is not None and active != org.active:
            org.active = active
            changes["active"] = active
        if not changes:
            raise InvalidInput(
                _("Nothing to change for {org_name}.", org_name=org.name),
                _("Give --name, --tier or --active."),
            )
        await record(
            session,
            ctx,
            actor,
            stream="roster",
            kind="organisation.updated",
            subject=org.slug,
            payload=changes,
        )
        return org


async def set_voting_rep(ctx: Context, actor: Actor, organisation: str, handle: str) -> None:
    """Designate the person who casts an organisation's vote (admins only; the person must be its own)."""
    async with write_transaction(
        ctx, _("The voting representative was changed at the same moment.")
    ) as session:
        await require_admin(session, ctx, actor, _("designate voting representatives"))
        org = await organisation_by_slug(session, organisation)
        person = await person_by_handle(session, handle)
        if person.organisation_id != org.id:
            raise InvalidInput(
                _("{person_name} is not with {org_name}.", person_name=person.name, org_name=org.name),
                suggest=suggest(
                    "set_org_first", ("roster", "person", "set", person.handle, "--org", org.slug)
                ),
            )
        if person.status != "active":
            raise InvalidInput(
                _(NOT_ACTIVE_REP.get(person.status, NOT_ACTIVE_REP[""]), person_name=person.name)
            )
        assert org.id is not None and person.id is not None
        rep = await session.get(VotingRep, org.id)
        if rep is None:
            session.add(VotingRep(organisation_id=org.id, person_id=person.id, since=ctx.now()))
        elif rep.person_id == person.id:
            raise Conflict(
                _(
                    "{person_name} is already the voting representative of {org_name}.",
                    person_name=person.name,
                    org_name=org.name,
                )
            )
        else:
            rep.person_id = person.id
            rep.since = ctx.now()
        await record(
            session,
            ctx,
            actor,
            stream="roster",
            kind="organisation.voting_rep",
            subject=org.slug,
            payload={"person": person.handle},
        )


@dataclass(frozen=True)
class OrganisationRow:
    """An organisation as listed, with its voting representative."""

    slug: str
    name: str
    tier: str
    active: bool
    voting_rep: str | None
    people: int


async def list_organisations(ctx: Context) -> list[OrganisationRow]:
    """Every organisation with its tier, state, representative and head count."""
    async with ctx.db.reading() as session:
        orgs = (await session.execute(select(Organisation).order_by(col(Organisation.name)))).scalars().all()
        reps = {r.organisation_id: r.person_id for r in (await session.execute(select(VotingRep))).scalars()}
        people = (await session.execute(select(Person))).scalars().all()
        by_id = {p.id: p for p in people}
        rows = []
        for org in orgs:
            rep = by_id.get(reps[org.id]) if org.id in reps else None
            rows.append(
                OrganisationRow(
                    org.slug,
                    org.name,
                    org.tier,
                    org.active,
                    rep.handle if rep else None,
                    sum(1 for p in people if p.organisation_id == org.id),
                )
            )
        return rows
