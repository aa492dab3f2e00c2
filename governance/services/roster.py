"""The roster: member organisations, their people, chat identities and voting representatives."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from governance.errors import Conflict, InvalidInput
from governance.models import ChatIdentity, Organisation, Person, VotingRep
from governance.services.common import (
    Actor,
    Context,
    actor_facts,
    check_slug,
    enforce,
    organisation_by_slug,
    person_by_handle,
    record,
)

PERSON_STATES = ("active", "emeritus", "withdrawn", "suspended")
TIERS = ("premier", "general", "associate", "academic", "nonprofit")
PLATFORMS = ("slack", "discord", "console")


async def _require_admin(session: AsyncSession, ctx: Context, actor: Actor, action: str) -> None:
    policy = ctx.policy_for_default()
    enforce(policy.may_administer(await actor_facts(session, actor), action), policy)


def _check_tier(tier: str) -> str:
    tier = tier.strip().lower()
    if tier not in TIERS:
        raise InvalidInput(f"Unknown tier {tier!r}.", f"Tiers: {', '.join(TIERS)}.")
    return tier


async def add_organisation(ctx: Context, actor: Actor, slug: str, name: str, tier: str = "general") -> Organisation:
    """Add a member organisation (admins only)."""
    slug = check_slug(slug, "organisation id")
    tier = _check_tier(tier)
    if not name.strip():
        raise InvalidInput("An organisation needs a name.")
    async with ctx.db.transaction() as session:
        await _require_admin(session, ctx, actor, "add organisations")
        clash = await session.execute(
            select(Organisation).where((Organisation.slug == slug) | (Organisation.name == name.strip()))
        )
        if clash.first() is not None:
            raise Conflict(f"An organisation {slug!r} or named {name.strip()!r} already exists.")
        org = Organisation(slug=slug, name=name.strip(), tier=tier, active=True, created_at=ctx.now())
        session.add(org)
        await session.flush()
        await record(session, ctx, actor, stream="roster", kind="organisation.added", subject=slug,
                     payload={"name": org.name, "tier": tier})
        return org


async def update_organisation(
    ctx: Context, actor: Actor, slug: str, *, name: str | None = None, tier: str | None = None,
    active: bool | None = None,
) -> Organisation:
    """Rename an organisation, change its tier, or (de)activate its membership (admins only)."""
    if tier is not None:
        tier = _check_tier(tier)
    async with ctx.db.transaction() as session:
        await _require_admin(session, ctx, actor, "change organisations")
        org = await organisation_by_slug(session, slug)
        changes: dict[str, object] = {}
        if name is not None and name.strip() != org.name:
            org.name = changes["name"] = name.strip()
        if tier is not None and tier != org.tier:
            org.tier = changes["tier"] = tier
        if active is not None and active != org.active:
            org.active = changes["active"] = active
        if not changes:
            raise InvalidInput(f"Nothing to change for {org.name}.")
        await record(session, ctx, actor, stream="roster", kind="organisation.updated", subject=org.slug,
                     payload=changes)
        return org


async def add_person(
    ctx: Context, actor: Actor, handle: str, name: str, *, organisation: str | None = None,
    email: str | None = None, admin: bool = False,
) -> Person:
    """Add a person to the roster, optionally affiliated with an organisation (admins only)."""
    handle = check_slug(handle.lstrip("@"), "handle")
    if not name.strip():
        raise InvalidInput("A person needs a name.")
    async with ctx.db.transaction() as session:
        await _require_admin(session, ctx, actor, "add people")
        if (await session.execute(select(Person.id).where(Person.handle == handle))).first():
            raise Conflict(f"Someone with handle {handle!r} is already on the roster.")
        org = await organisation_by_slug(session, organisation) if organisation else None
        person = Person(handle=handle, name=name.strip(), email=email, organisation_id=org.id if org else None,
                        is_admin=admin, status="active", created_at=ctx.now())
        session.add(person)
        await session.flush()
        await record(session, ctx, actor, stream="roster", kind="person.added", subject=handle,
                     payload={"name": person.name, "organisation": org.slug if org else None, "admin": admin})
        return person


async def update_person(
    ctx: Context, actor: Actor, handle: str, *, name: str | None = None, email: str | None = None,
    organisation: str | None = None, admin: bool | None = None, status: str | None = None,
) -> Person:
    """Change a person's name, affiliation, admin flag or member state (admins only)."""
    if status is not None and status not in PERSON_STATES:
        raise InvalidInput(f"Unknown member state {status!r}.", f"States: {', '.join(PERSON_STATES)}.")
    async with ctx.db.transaction() as session:
        await _require_admin(session, ctx, actor, "change people")
        person = await person_by_handle(session, handle)
        changes: dict[str, object] = {}
        if name is not None and name.strip() != person.name:
            person.name = changes["name"] = name.strip()
        if email is not None and email != person.email:
            person.email = changes["email"] = email
        if organisation is not None:
            org = await organisation_by_slug(session, organisation) if organisation != "-" else None
            new_id = org.id if org else None
            if new_id != person.organisation_id:
                await session.execute(VotingRep.__table__.delete().where(VotingRep.person_id == person.id))
                person.organisation_id = new_id
                changes["organisation"] = org.slug if org else None
        if admin is not None and admin != person.is_admin:
            if not admin and actor.person_id == person.id:
                raise InvalidInput("You cannot remove your own admin flag.", "Ask another admin.")
            person.is_admin = changes["admin"] = admin
        if status is not None and status != person.status:
            person.status = changes["status"] = status
        if not changes:
            raise InvalidInput(f"Nothing to change for {person.name}.")
        await record(session, ctx, actor, stream="roster", kind="person.updated", subject=person.handle,
                     payload=changes)
        return person


async def set_voting_rep(ctx: Context, actor: Actor, organisation: str, handle: str) -> None:
    """Designate the person who casts an organisation's vote (admins only; the person must be its own)."""
    async with ctx.db.transaction() as session:
        await _require_admin(session, ctx, actor, "designate voting representatives")
        org = await organisation_by_slug(session, organisation)
        person = await person_by_handle(session, handle)
        if person.organisation_id != org.id:
            raise InvalidInput(f"{person.name} is not with {org.name}.",
                               f"Set their organisation first: `roster person set {person.handle} --org {org.slug}`.")
        if person.status != "active":
            raise InvalidInput(f"{person.name} is {person.status}; a voting representative must be active.")
        assert org.id is not None and person.id is not None
        rep = await session.get(VotingRep, org.id)
        if rep is None:
            session.add(VotingRep(organisation_id=org.id, person_id=person.id, since=ctx.now()))
        elif rep.person_id == person.id:
            raise Conflict(f"{person.name} is already the voting representative of {org.name}.")
        else:
            rep.person_id = person.id
            rep.since = ctx.now()
        await record(session, ctx, actor, stream="roster", kind="organisation.voting_rep", subject=org.slug,
                     payload={"person": person.handle})


async def link_identity(ctx: Context, actor: Actor, handle: str, platform: str, workspace: str, user_id: str) -> None:
    """Let a chat account (platform, workspace or guild, user id) speak for a person (admins only)."""
    platform = platform.strip().lower()
    if platform not in PLATFORMS:
        raise InvalidInput(f"Unknown platform {platform!r}.", f"Platforms: {', '.join(PLATFORMS)}.")
    if not workspace.strip() or not user_id.strip():
        raise InvalidInput("A chat identity needs a workspace (or guild) id and a user id.")
    async with ctx.db.transaction() as session:
        await _require_admin(session, ctx, actor, "link chat accounts")
        person = await person_by_handle(session, handle)
        existing = (
            await session.execute(
                select(ChatIdentity).where(
                    ChatIdentity.platform == platform,
                    ChatIdentity.workspace == workspace,
                    ChatIdentity.user_id == user_id,
                )
            )
        ).scalar_one_or_none()
        if existing is not None:
            if existing.person_id == person.id:
                raise Conflict(f"That {platform} account is already linked to {person.name}.")
            other = await session.get(Person, existing.person_id)
            raise Conflict(
                f"That {platform} account is linked to {other.name if other else 'someone else'}.",
                "Unlink it first with `roster unlink`.",
            )
        assert person.id is not None
        session.add(ChatIdentity(platform=platform, workspace=workspace, user_id=user_id, person_id=person.id,
                                 created_at=ctx.now()))
        await record(session, ctx, actor, stream="roster", kind="identity.linked", subject=person.handle,
                     payload={"platform": platform, "workspace": workspace, "user_id": user_id})


async def resolve_identity(ctx: Context, platform: str, workspace: str, user_id: str) -> Actor | None:
    """The actor a chat account speaks for, or None when it is not linked (or the person is gone)."""
    async with ctx.db.reading() as session:
        row = (
            await session.execute(
                select(Person)
                .join(ChatIdentity, ChatIdentity.person_id == Person.id)
                .where(
                    ChatIdentity.platform == platform,
                    ChatIdentity.workspace == workspace,
                    ChatIdentity.user_id == user_id,
                )
            )
        ).scalar_one_or_none()
        return Actor.of(row) if row is not None else None


async def actor_for_handle(ctx: Context, handle: str) -> Actor:
    """The actor for a roster handle (the console's ``--as``)."""
    async with ctx.db.reading() as session:
        return Actor.of(await person_by_handle(session, handle))


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
        orgs = (await session.execute(select(Organisation).order_by(Organisation.name))).scalars().all()
        reps = {r.organisation_id: r.person_id for r in (await session.execute(select(VotingRep))).scalars()}
        people = (await session.execute(select(Person))).scalars().all()
        by_id = {p.id: p for p in people}
        rows = []
        for org in orgs:
            rep = by_id.get(reps.get(org.id)) if org.id in reps else None
            rows.append(OrganisationRow(org.slug, org.name, org.tier, org.active, rep.handle if rep else None,
                                        sum(1 for p in people if p.organisation_id == org.id)))
        return rows


async def list_people(ctx: Context, organisation: str | None = None) -> list[tuple[Person, Organisation | None]]:
    """Every person (optionally of one organisation) with their organisation."""
    async with ctx.db.reading() as session:
        stmt = select(Person, Organisation).outerjoin(Organisation, Person.organisation_id == Organisation.id)
        if organisation:
            org = await organisation_by_slug(session, organisation)
            stmt = stmt.where(Person.organisation_id == org.id)
        rows = (await session.execute(stmt.order_by(Person.handle))).all()
        return [(p, o) for p, o in rows]


CSV_COLUMNS = ("handle", "name", "email", "organisation", "organisation_name", "tier", "admin", "voting_rep")


@dataclass(frozen=True)
class ImportReport:
    """What a roster import did: organisations and people added or updated."""

    organisations_added: int
    people_added: int
    people_updated: int
    reps_set: int


def _truthy(value: str) -> bool:
    return value.strip().lower() in ("1", "yes", "y", "true", "x")


async def import_roster_csv(ctx: Context, actor: Actor, text: str) -> ImportReport:
    """Import people and organisations from CSV; every bad line is reported and nothing is written then.

    Columns: handle, name, email, organisation, organisation_name, tier, admin, voting_rep (header row
    required; only handle and name are mandatory). An unknown organisation is created from
    organisation/organisation_name/tier; a known handle is updated.
    """
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    if reader.fieldnames is None:
        raise InvalidInput("The CSV file is empty.", f"Its first line names the columns: {', '.join(CSV_COLUMNS)}.")
    header = [f.strip().lower() for f in reader.fieldnames]
    unknown = [f for f in header if f not in CSV_COLUMNS]
    missing = [c for c in ("handle", "name") if c not in header]
    if unknown or missing:
        problems = []
        if unknown:
            problems.append(f"unknown column(s) {', '.join(unknown)}")
        if missing:
            problems.append(f"missing column(s) {', '.join(missing)}")
        raise InvalidInput(f"Line 1 (header): {'; '.join(problems)}.", f"Columns: {', '.join(CSV_COLUMNS)}.")
    reader.fieldnames = header
    errors: list[str] = []
    rows: list[dict[str, str]] = []
    seen: dict[str, int] = {}
    reps: dict[str, int] = {}
    for line_no, raw in enumerate(reader, start=2):
        row = {k: (v or "").strip() for k, v in raw.items() if k is not None}
        if None in raw:
            errors.append(f"line {line_no}: more fields than columns")
            continue
        try:
            row["handle"] = check_slug(row.get("handle", "").lstrip("@"), "handle")
        except InvalidInput as exc:
            errors.append(f"line {line_no}: {exc.message}")
            continue
        if not row.get("name"):
            errors.append(f"line {line_no}: {row['handle']} has no name")
        if row["handle"] in seen:
            errors.append(f"line {line_no}: handle {row['handle']} already on line {seen[row['handle']]}")
        seen[row["handle"]] = line_no
        if row.get("organisation"):
            try:
                row["organisation"] = check_slug(row["organisation"], "organisation id")
            except InvalidInput as exc:
                errors.append(f"line {line_no}: {exc.message}")
        if row.get("tier"):
            try:
                row["tier"] = _check_tier(row["tier"])
            except InvalidInput as exc:
                errors.append(f"line {line_no}: {exc.message}")
        if _truthy(row.get("voting_rep", "")):
            if not row.get("organisation"):
                errors.append(f"line {line_no}: a voting representative needs an organisation")
            elif row["organisation"] in reps:
                errors.append(
                    f"line {line_no}: {row['organisation']} already has a voting representative on line "
                    f"{reps[row['organisation']]}"
                )
            else:
                reps[row["organisation"]] = line_no
        rows.append(row)
    if errors:
        raise InvalidInput("The roster was not imported: " + "; ".join(errors) + ".",
                           "Fix these lines and import the whole file again.")
    if not rows:
        raise InvalidInput("The CSV file has a header but no people.")
    async with ctx.db.transaction() as session:
        await _require_admin(session, ctx, actor, "import the roster")
        orgs = {o.slug: o for o in (await session.execute(select(Organisation))).scalars()}
        orgs_added = added = updated = reps_set = 0
        for row in rows:
            slug = row.get("organisation") or ""
            if slug and slug not in orgs:
                org = Organisation(slug=slug, name=row.get("organisation_name") or slug,
                                   tier=row.get("tier") or "general", active=True, created_at=ctx.now())
                session.add(org)
                await session.flush()
                orgs[slug] = org
                orgs_added += 1
                await record(session, ctx, actor, stream="roster", kind="organisation.added", subject=slug,
                             payload={"name": org.name, "tier": org.tier, "source": "csv"})
            org_id = orgs[slug].id if slug else None
            person = (await session.execute(select(Person).where(Person.handle == row["handle"]))).scalar_one_or_none()
            if person is None:
                person = Person(handle=row["handle"], name=row["name"], email=row.get("email") or None,
                                organisation_id=org_id, is_admin=_truthy(row.get("admin", "")), status="active",
                                created_at=ctx.now())
                session.add(person)
                added += 1
                kind = "person.added"
            else:
                person.name = row["name"]
                person.email = row.get("email") or person.email
                person.organisation_id = org_id
                if "admin" in row and row["admin"]:
                    person.is_admin = _truthy(row["admin"])
                updated += 1
                kind = "person.updated"
            await session.flush()
            await record(session, ctx, actor, stream="roster", kind=kind, subject=person.handle,
                         payload={"name": person.name, "organisation": slug or None, "source": "csv"})
            if _truthy(row.get("voting_rep", "")):
                assert org_id is not None and person.id is not None
                rep = await session.get(VotingRep, org_id)
                if rep is None:
                    session.add(VotingRep(organisation_id=org_id, person_id=person.id, since=ctx.now()))
                else:
                    rep.person_id = person.id
                reps_set += 1
                await record(session, ctx, actor, stream="roster", kind="organisation.voting_rep", subject=slug,
                             payload={"person": person.handle, "source": "csv"})
        return ImportReport(orgs_added, added, updated, reps_set)


async def get_person(ctx: Context, handle: str) -> Person:
    """One person by handle."""
    async with ctx.db.reading() as session:
        return await person_by_handle(session, handle)


__all__ = [
    "ImportReport",
    "OrganisationRow",
    "actor_for_handle",
    "add_organisation",
    "add_person",
    "get_person",
    "import_roster_csv",
    "link_identity",
    "list_organisations",
    "list_people",
    "resolve_identity",
    "set_voting_rep",
    "update_organisation",
    "update_person",
]
