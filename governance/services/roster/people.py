"""People on the roster: adding and changing them, looking them up, and the list."""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlmodel import col

from governance.errors import Conflict, InvalidInput, suggest
from governance.i18n import _
from governance.models import Organisation, Person, VotingRep
from governance.services import chairs
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
    PERSON_STATES,
    check_email,
    check_name,
    require_admin,
)


async def add_person(
    ctx: Context,
    actor: Actor,
    handle: str,
    name: str,
    *,
    organisation: str | None = None,
    email: str | None = None,
    admin: bool = False,
) -> Person:
    """Add a person to the roster, optionally affiliated with an organisation (admins only)."""
    handle = check_slug(handle.strip().lstrip("@"), _("handle"))
    name = check_name(name, _("a person's name"))
    email = check_email(email)
    async with write_transaction(
        ctx, _("Someone with handle {handle!r} was just added.", handle=handle)
    ) as session:
        await require_admin(session, ctx, actor, _("add people"))
        if (await session.execute(select(col(Person.id)).where(col(Person.handle) == handle))).first():
            raise Conflict(
                _("Someone with handle {handle!r} is already on the roster.", handle=handle),
                suggest=suggest("change_person", ("roster", "person", "set", handle, "…")),
            )
        org = await organisation_by_slug(session, organisation) if organisation else None
        person = Person(
            handle=handle,
            name=name,
            email=email,
            organisation_id=org.id if org else None,
            is_admin=admin,
            status="active",
            created_at=ctx.now(),
        )
        session.add(person)
        await session.flush()
        await record(
            session,
            ctx,
            actor,
            stream="roster",
            kind="person.added",
            subject=handle,
            payload={"name": person.name, "organisation": org.slug if org else None, "admin": admin},
        )
        return person


async def update_person(
    ctx: Context,
    actor: Actor,
    handle: str,
    *,
    name: str | None = None,
    email: str | None = None,
    organisation: str | None = None,
    admin: bool | None = None,
    status: str | None = None,
) -> Person:
    """Change a person's name, affiliation, admin flag or member state (admins only).

    ``organisation="-"`` removes the affiliation; leaving an organisation also ends being its voting
    representative.
    """
    if status is not None:
        status = status.strip().lower()
        if status not in PERSON_STATES:
            raise InvalidInput(
                _("Unknown member state {status!r}.", status=status),
                _("States: {join_person_states}.", join_person_states=", ".join(PERSON_STATES)),
            )
    if name is not None:
        name = check_name(name, _("a person's name"))
    if email is not None:
        email = check_email(email)
    async with write_transaction(ctx) as session:
        await require_admin(session, ctx, actor, _("change people"))
        person = await person_by_handle(session, handle)
        changes: dict[str, object] = {}
        if name is not None and name != person.name:
            person.name = name
            changes["name"] = name
        if email is not None and email != person.email:
            person.email = email
            changes["email"] = email
        if organisation is not None:
            org = await organisation_by_slug(session, organisation) if organisation.strip() != "-" else None
            new_id = org.id if org else None
            if new_id != person.organisation_id:
                await session.execute(delete(VotingRep).where(col(VotingRep.person_id) == person.id))
                person.organisation_id = new_id
                changes["organisation"] = org.slug if org else None
        if admin is not None and admin != person.is_admin:
            if not admin and actor.person_id == person.id:
                raise InvalidInput(_("You cannot remove your own admin flag."), _("Ask another admin."))
            person.is_admin = admin
            changes["admin"] = admin
        if status is not None and status != person.status:
            person.status = status
            changes["status"] = status
        if not changes:
            raise InvalidInput(
                _("Nothing to change for {person_name}.", person_name=person.name),
                _("Give --name, --email, --org, --admin or --status with a new value."),
            )
        await record(
            session,
            ctx,
            actor,
            stream="roster",
            kind="person.updated",
            subject=person.handle,
            payload=changes,
        )
        if "status" in changes:
            await chairs.after_status_change(session, ctx, actor, person)
        return person


async def actor_for_handle(ctx: Context, handle: str) -> Actor:
    """The actor for a roster handle (the console's ``--as``)."""
    async with ctx.db.reading() as session:
        return Actor.of(await person_by_handle(session, handle))


async def list_people(
    ctx: Context, organisation: str | None = None
) -> list[tuple[Person, Organisation | None]]:
    """Every person (optionally of one organisation) with their organisation."""
    async with ctx.db.reading() as session:
        stmt = select(Person, Organisation).outerjoin(
            Organisation, col(Person.organisation_id) == col(Organisation.id)
        )
        if organisation:
            org = await organisation_by_slug(session, organisation)
            stmt = stmt.where(col(Person.organisation_id) == org.id)
        rows = (await session.execute(stmt.order_by(col(Person.handle)))).all()
        return [(p, o) for p, o in rows]


async def get_person(ctx: Context, handle: str) -> Person:
    """One person by handle."""
    async with ctx.db.reading() as session:
        return await person_by_handle(session, handle)
