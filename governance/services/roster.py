"""The roster: member organisations, their people, chat identities and voting representatives."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from governance.errors import Conflict, InvalidInput, NotFound, suggest
from governance.i18n import N_, _
from governance.models import ChatIdentity, Organisation, Person, PlatformRoleMap, VotingRep
from governance.services import chairs
from governance.services.common import (
    Actor,
    Context,
    actor_facts,
    check_slug,
    check_text,
    enforce,
    organisation_by_slug,
    person_by_handle,
    record,
    write_transaction,
)

PERSON_STATES = ("active", "emeritus", "withdrawn", "suspended")
TIERS = ("premier", "general", "associate", "academic", "nonprofit")
PLATFORMS = ("slack", "discord", "console")
NAME_MAX = 200
EMAIL_MAX = 254
CHAT_ID_MAX = 64
ROLE_PLATFORMS = ("discord",)  # platforms whose adapter reads a member's roles and enforces the mapping
GOVBOT_ROLES = ("admin", "chair", "member")
ROLE_NAME_MAX = 100


# Why someone cannot be a voting representative, one whole sentence per roster state.
_NOT_ACTIVE_REP = {
    "emeritus": N_("{person_name} is emeritus; a voting representative must be active."),
    "withdrawn": N_("{person_name} is withdrawn; a voting representative must be active."),
    "suspended": N_("{person_name} is suspended; a voting representative must be active."),
    "": N_("{person_name} is not active; a voting representative must be active."),
}


async def _require_admin(session: AsyncSession, ctx: Context, actor: Actor, action: str) -> None:
    policy = ctx.policy_for_default()
    enforce(policy.may_administer(await actor_facts(session, actor), action), policy)


async def check_admin(ctx: Context, actor: Actor, action: str) -> None:
    """Refuse a non-admin before an adapter does anything on their behalf (e.g. reads a file)."""
    async with ctx.db.reading() as session:
        await _require_admin(session, ctx, actor, action)


def _check_tier(tier: str) -> str:
    tier = tier.strip().lower()
    if tier not in TIERS:
        raise InvalidInput(
            _("Unknown tier {tier!r}.", tier=tier), _("Tiers: {join_tiers}.", join_tiers=", ".join(TIERS))
        )
    return tier


def _check_name(name: str | None, what: str) -> str:
    checked = check_text(name, what, NAME_MAX)
    assert checked is not None
    return checked


def _check_email(email: str | None) -> str | None:
    value = check_text(email, _("the e-mail address"), EMAIL_MAX, required=False)
    if value is not None and (
        value.count("@") != 1 or any(ch.isspace() for ch in value) or value[0] == "@" or value[-1] == "@"
    ):
        raise InvalidInput(
            _("{value!r} is not an e-mail address.", value=value), _("Give it as name@example.org.")
        )
    return value


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
    tier = _check_tier(tier)
    name = _check_name(name, _("an organisation's name"))
    race = _("The organisation {slug!r} was just added by someone else.", slug=slug)
    async with write_transaction(ctx, race) as session:
        await _require_admin(session, ctx, actor, _("add organisations"))
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
        tier = _check_tier(tier)
    if name is not None:
        name = _check_name(name, _("an organisation's name"))
    async with write_transaction(
        ctx, _("Another organisation took that name at the same moment.")
    ) as session:
        await _require_admin(session, ctx, actor, _("change organisations"))
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
    name = _check_name(name, _("a person's name"))
    email = _check_email(email)
    async with write_transaction(
        ctx, _("Someone with handle {handle!r} was just added.", handle=handle)
    ) as session:
        await _require_admin(session, ctx, actor, _("add people"))
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
        name = _check_name(name, _("a person's name"))
    if email is not None:
        email = _check_email(email)
    async with write_transaction(ctx) as session:
        await _require_admin(session, ctx, actor, _("change people"))
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


async def set_voting_rep(ctx: Context, actor: Actor, organisation: str, handle: str) -> None:
    """Designate the person who casts an organisation's vote (admins only; the person must be its own)."""
    async with write_transaction(
        ctx, _("The voting representative was changed at the same moment.")
    ) as session:
        await _require_admin(session, ctx, actor, _("designate voting representatives"))
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
                _(_NOT_ACTIVE_REP.get(person.status, _NOT_ACTIVE_REP[""]), person_name=person.name)
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


def _check_identity(platform: str, workspace: str, user_id: str) -> tuple[str, str, str]:
    platform = platform.strip().lower()
    if platform not in PLATFORMS:
        raise InvalidInput(
            _("Unknown platform {platform!r}.", platform=platform),
            _("Platforms: {join_platforms}.", join_platforms=", ".join(PLATFORMS)),
        )
    space = check_text(workspace, _("the workspace (or guild) id"), CHAT_ID_MAX, required=False)
    user = check_text(user_id, _("the user id"), CHAT_ID_MAX, required=False)
    if space is None or user is None:
        raise InvalidInput(_("A chat identity needs a workspace (or guild) id and a user id."))
    return platform, space, user


async def _identity(
    session: AsyncSession, platform: str, workspace: str, user_id: str
) -> ChatIdentity | None:
    return (
        await session.execute(
            select(ChatIdentity).where(
                col(ChatIdentity.platform) == platform,
                col(ChatIdentity.workspace) == workspace,
                col(ChatIdentity.user_id) == user_id,
            )
        )
    ).scalar_one_or_none()


async def link_identity(
    ctx: Context, actor: Actor, handle: str, platform: str, workspace: str, user_id: str
) -> None:
    """Let a chat account (platform, workspace or guild, user id) speak for a person (admins only)."""
    platform, workspace, user_id = _check_identity(platform, workspace, user_id)
    async with write_transaction(
        ctx, _("That {platform} account was linked by someone else just now.", platform=platform)
    ) as session:
        await _require_admin(session, ctx, actor, _("link chat accounts"))
        person = await person_by_handle(session, handle)
        existing = await _identity(session, platform, workspace, user_id)
        if existing is not None:
            if existing.person_id == person.id:
                raise Conflict(
                    _(
                        "That {platform} account is already linked to {person_name}.",
                        platform=platform,
                        person_name=person.name,
                    )
                )
            other = await session.get(Person, existing.person_id)
            raise Conflict(
                _(
                    "That {platform} account is linked to {other_name}.",
                    platform=platform,
                    other_name=other.name,
                )
                if other
                else _("That {platform} account is linked to someone else.", platform=platform),
                suggest=suggest("unlink_first", "roster unlink"),
            )
        assert person.id is not None
        session.add(
            ChatIdentity(
                platform=platform,
                workspace=workspace,
                user_id=user_id,
                person_id=person.id,
                created_at=ctx.now(),
            )
        )
        await record(
            session,
            ctx,
            actor,
            stream="roster",
            kind="identity.linked",
            subject=person.handle,
            payload={"platform": platform, "workspace": workspace, "user_id": user_id},
        )


async def unlink_identity(ctx: Context, actor: Actor, platform: str, workspace: str, user_id: str) -> str:
    """Stop a chat account speaking for anyone (admins only); returns the handle it spoke for."""
    platform, workspace, user_id = _check_identity(platform, workspace, user_id)
    async with write_transaction(ctx) as session:
        await _require_admin(session, ctx, actor, _("unlink chat accounts"))
        existing = await _identity(session, platform, workspace, user_id)
        if existing is None:
            raise NotFound(_("That {platform} account is not linked to anyone.", platform=platform))
        person = await session.get(Person, existing.person_id)
        handle = person.handle if person else str(existing.person_id)
        await session.delete(existing)
        await record(
            session,
            ctx,
            actor,
            stream="roster",
            kind="identity.unlinked",
            subject=handle,
            payload={"platform": platform, "workspace": workspace, "user_id": user_id},
        )
        return handle


async def resolve_identity(ctx: Context, platform: str, workspace: str, user_id: str) -> Actor | None:
    """The actor a chat account speaks for, or None when it is not linked (or the person is gone)."""
    async with ctx.db.reading() as session:
        row = (
            await session.execute(
                select(Person)
                .join(ChatIdentity, col(ChatIdentity.person_id) == col(Person.id))
                .where(
                    col(ChatIdentity.platform) == platform.strip().lower(),
                    col(ChatIdentity.workspace) == workspace.strip(),
                    col(ChatIdentity.user_id) == user_id.strip(),
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


CSV_COLUMNS = ("handle", "name", "email", "organisation", "organisation_name", "tier", "admin", "voting_rep")
_TRUE = ("1", "yes", "y", "true", "x")
_FALSE = ("", "0", "no", "n", "false", "-")


@dataclass(frozen=True)
class ImportReport:
    """What a roster import did: organisations and people added or updated (or left as they were)."""

    organisations_added: int
    people_added: int
    people_updated: int
    reps_set: int
    people_unchanged: int = 0


@dataclass
class _CsvRow:
    line: int
    handle: str
    name: str
    email: str | None = None
    organisation: str | None = None
    organisation_name: str | None = None
    tier: str | None = None
    admin: bool | None = None
    voting_rep: bool = False
    problems: list[str] = field(default_factory=list)


def _csv_flag(value: str, column: str, problems: list[str]) -> bool | None:
    value = value.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return None if value == "" else False
    problems.append(_("{column} is {value!r}; write yes or no", column=column, value=value))
    return None


def _parse_row(line: int, values: dict[str, str]) -> _CsvRow:
    problems: list[str] = []
    raw_handle = values.get("handle", "").strip().lstrip("@")
    try:
        handle = check_slug(raw_handle, _("handle"))
    except InvalidInput as exc:
        problems.append(exc.message.rstrip("."))
        handle = raw_handle
    try:
        name = _check_name(values.get("name"), _("the name"))
    except InvalidInput as exc:
        problems.append(
            exc.message.rstrip(".")
            if values.get("name", "").strip()
            else _("{handle} has no name", handle=handle)
            if handle
            else _("this person has no name")
        )
        name = ""
    row = _CsvRow(line, handle, name, problems=problems)
    try:
        row.email = _check_email(values.get("email"))
    except InvalidInput as exc:
        problems.append(exc.message.rstrip("."))
    if values.get("organisation", "").strip():
        try:
            row.organisation = check_slug(values["organisation"], _("organisation id"))
        except InvalidInput as exc:
            problems.append(exc.message.rstrip("."))
    try:
        row.organisation_name = check_text(
            values.get("organisation_name"), _("the organisation name"), NAME_MAX, required=False
        )
    except InvalidInput as exc:
        problems.append(exc.message.rstrip("."))
    if values.get("tier", "").strip():
        try:
            row.tier = _check_tier(values["tier"])
        except InvalidInput as exc:
            problems.append(exc.message.rstrip("."))
    if (row.organisation_name or row.tier) and not values.get("organisation", "").strip():
        problems.append(_("organisation_name and tier need an organisation id in the organisation column"))
    row.admin = _csv_flag(values.get("admin", ""), "admin", problems)
    row.voting_rep = bool(_csv_flag(values.get("voting_rep", ""), "voting_rep", problems))
    if row.voting_rep and not values.get("organisation", "").strip():
        problems.append(_("a voting representative needs an organisation"))
    return row


def _parse_roster_csv(text: str) -> list[_CsvRow]:
    """Read and check every line of a roster CSV; raise one InvalidInput naming every bad line."""
    if "\x00" in text:
        lines = sorted({text.count("\n", 0, i) + 1 for i, ch in enumerate(text) if ch == "\x00"})
        raise InvalidInput(
            _(
                "The roster was not imported: the file is not text (NUL bytes on line {lines}).",
                lines=", ".join(map(str, lines[:20])),
            ),
            _("Export the spreadsheet as CSV (UTF-8) and import that."),
        )
    reader = csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline=""))
    errors: list[str] = []
    try:
        header_fields = next(reader, None)
    except csv.Error as exc:
        raise InvalidInput(
            _("Line 1 (header) cannot be read: {exc}.", exc=exc),
            _(
                "Its first line names the columns: {join_csv_columns}.",
                join_csv_columns=", ".join(CSV_COLUMNS),
            ),
        ) from exc
    if not header_fields or not any(f.strip() for f in header_fields):
        raise InvalidInput(
            _("The CSV file is empty, or its first line is blank."),
            _(
                "Its first line names the columns: {join_csv_columns}.",
                join_csv_columns=", ".join(CSV_COLUMNS),
            ),
        )
    header = [f.strip().lower() for f in header_fields]
    problems = []
    unknown = [f for f in header if f and f not in CSV_COLUMNS]
    unnamed = [str(i) for i, f in enumerate(header, start=1) if not f]
    twice = sorted({f for f in header if f and header.count(f) > 1})
    missing = [c for c in ("handle", "name") if c not in header]
    if unknown:
        problems.append(_("unknown column(s) {columns}", columns=", ".join(map(repr, unknown))))
    if unnamed:
        problems.append(_("column(s) {columns} have no name", columns=", ".join(unnamed)))
    if twice:
        problems.append(_("column(s) {columns} appear twice", columns=", ".join(twice)))
    if missing:
        problems.append(_("missing column(s) {columns}", columns=", ".join(missing)))
    if problems:
        raise InvalidInput(
            _(
                "The roster was not imported: line 1 (header): {join_problems}.",
                join_problems="; ".join(problems),
            ),
            _(
                "Columns: {join_csv_columns} (handle and name are required).",
                join_csv_columns=", ".join(CSV_COLUMNS),
            ),
        )
    rows: list[_CsvRow] = []
    seen: dict[str, int] = {}
    reps: dict[str, int] = {}
    org_names: dict[str, tuple[str, int]] = {}
    while True:
        start = reader.line_num + 1
        try:
            fields = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            errors.append(_("line {line}: {problem}", line=start, problem=exc))
            continue
        if not any(f.strip() for f in fields):
            continue  # blank line
        if len(fields) > len(header):
            errors.append(
                _(
                    "line {line}: {fields} fields but the header names {columns} columns",
                    line=start,
                    fields=len(fields),
                    columns=len(header),
                )
            )
            continue
        row = _parse_row(start, dict(zip(header, fields, strict=False)))
        if row.handle and row.handle in seen:
            row.problems.append(
                _("handle {handle} is already on line {line}", handle=row.handle, line=seen[row.handle])
            )
        elif row.handle:
            seen[row.handle] = start
        if row.organisation and row.voting_rep:
            if row.organisation in reps:
                row.problems.append(
                    _(
                        "{organisation} already has its voting representative on line {line}",
                        organisation=row.organisation,
                        line=reps[row.organisation],
                    )
                )
            else:
                reps[row.organisation] = start
        if row.organisation and row.organisation_name:
            named = org_names.setdefault(row.organisation, (row.organisation_name, start))
            if named[0] != row.organisation_name:
                row.problems.append(
                    _(
                        "{organisation} is named {name!r} on line {line}",
                        organisation=row.organisation,
                        name=named[0],
                        line=named[1],
                    )
                )
        errors.extend(_("line {line}: {problem}", line=start, problem=p) for p in row.problems)
        rows.append(row)
    if errors:
        _refuse(errors)
    if not rows:
        raise InvalidInput(_("The CSV file has a header but no people."), _("Add one line per person."))
    return rows


def _refuse(errors: list[str]) -> None:
    """Refuse the import: the message names the first problem, ``details`` lists every one."""
    summary = (
        errors[0]
        if len(errors) == 1
        else _("{n} problems, the first {first}", n=len(errors), first=errors[0])
    )
    raise InvalidInput(
        _("The roster was not imported: {summary}.", summary=summary),
        _("Fix these lines and import the whole file again; nothing was changed."),
        details=errors,
    )


async def import_roster_csv(ctx: Context, actor: Actor, text: str) -> ImportReport:
    """Import people and organisations from CSV; every bad line is reported and nothing is written then.

    Columns: handle, name, email, organisation, organisation_name, tier, admin, voting_rep (header row
    required; only handle and name are mandatory; admin and voting_rep take yes/no). An unknown
    organisation is created from organisation, organisation_name and tier (an existing one keeps its
    name and tier). A known handle is updated: its name, and its e-mail, organisation and admin flag
    when the line gives them (an empty cell keeps what the roster has). A person moved to another
    organisation stops being the voting representative of the old one.
    """
    async with write_transaction(ctx, _("The roster changed while it was being imported.")) as session:
        await _require_admin(session, ctx, actor, _("import the roster"))
        rows = _parse_roster_csv(text)
        orgs = {o.slug: o for o in (await session.execute(select(Organisation))).scalars()}
        orgs_by_name = {o.name.lower(): o for o in orgs.values()}
        people = {
            p.handle: p
            for p in (
                await session.execute(select(Person).where(col(Person.handle).in_([r.handle for r in rows])))
            ).scalars()
        }
        errors: list[str] = []
        new_names: dict[str, int] = {}
        for row in rows:
            if row.organisation and row.organisation not in orgs:
                org_name = (row.organisation_name or row.organisation).lower()
                other = orgs_by_name.get(org_name)
                if other is not None:
                    errors.append(
                        _(
                            "line {line}: an organisation named {name!r} already exists ({slug}); use its "
                            "id {slug}",
                            line=row.line,
                            name=other.name,
                            slug=other.slug,
                        )
                    )
                elif new_names.setdefault(org_name, row.line) != row.line and row.organisation_name:
                    errors.append(
                        _(
                            "line {line}: the name {name!r} is given to another new organisation on line "
                            "{other_line}",
                            line=row.line,
                            name=row.organisation_name,
                            other_line=new_names[org_name],
                        )
                    )
            person = people.get(row.handle)
            if person is not None and row.voting_rep and person.status != "active":
                reason = _(_NOT_ACTIVE_REP.get(person.status, _NOT_ACTIVE_REP[""]), person_name=row.handle)
                errors.append(_("line {line}: {problem}", line=row.line, problem=reason.rstrip(".")))
            if person is not None and row.admin is False and person.is_admin and person.id == actor.person_id:
                errors.append(_("line {line}: you cannot remove your own admin flag", line=row.line))
        if errors:
            _refuse(errors)
        orgs_added = added = updated = unchanged = reps_set = 0
        for row in rows:
            org: Organisation | None = None
            if row.organisation:
                org = orgs.get(row.organisation)
                if org is None:
                    org = Organisation(
                        slug=row.organisation,
                        name=row.organisation_name or row.organisation,
                        tier=row.tier or "general",
                        active=True,
                        created_at=ctx.now(),
                    )
                    session.add(org)
                    await session.flush()
                    orgs[org.slug] = org
                    orgs_added += 1
                    await record(
                        session,
                        ctx,
                        actor,
                        stream="roster",
                        kind="organisation.added",
                        subject=org.slug,
                        payload={"name": org.name, "tier": org.tier, "source": "csv"},
                    )
            person = people.get(row.handle)
            if person is None:
                person = Person(
                    handle=row.handle,
                    name=row.name,
                    email=row.email,
                    organisation_id=org.id if org else None,
                    is_admin=bool(row.admin),
                    status="active",
                    created_at=ctx.now(),
                )
                session.add(person)
                await session.flush()
                people[person.handle] = person
                added += 1
                await record(
                    session,
                    ctx,
                    actor,
                    stream="roster",
                    kind="person.added",
                    subject=person.handle,
                    payload={
                        "name": person.name,
                        "organisation": org.slug if org else None,
                        "admin": person.is_admin,
                        "source": "csv",
                    },
                )
            else:
                changes: dict[str, object] = {}
                if row.name != person.name:
                    person.name = row.name
                    changes["name"] = row.name
                if row.email is not None and row.email != person.email:
                    person.email = row.email
                    changes["email"] = row.email
                if org is not None and org.id != person.organisation_id:
                    await session.execute(delete(VotingRep).where(col(VotingRep.person_id) == person.id))
                    person.organisation_id = org.id
                    changes["organisation"] = org.slug
                if row.admin is not None and row.admin != person.is_admin:
                    person.is_admin = row.admin
                    changes["admin"] = row.admin
                if changes:
                    updated += 1
                    await record(
                        session,
                        ctx,
                        actor,
                        stream="roster",
                        kind="person.updated",
                        subject=person.handle,
                        payload={**changes, "source": "csv"},
                    )
                else:
                    unchanged += 1
            if row.voting_rep:
                assert org is not None and org.id is not None and person.id is not None
                rep = await session.get(VotingRep, org.id)
                if rep is not None and rep.person_id == person.id:
                    continue
                if rep is None:
                    session.add(VotingRep(organisation_id=org.id, person_id=person.id, since=ctx.now()))
                else:
                    rep.person_id = person.id
                    rep.since = ctx.now()
                await session.flush()
                reps_set += 1
                await record(
                    session,
                    ctx,
                    actor,
                    stream="roster",
                    kind="organisation.voting_rep",
                    subject=org.slug,
                    payload={"person": person.handle, "source": "csv"},
                )
        return ImportReport(orgs_added, added, updated, reps_set, unchanged)


async def get_person(ctx: Context, handle: str) -> Person:
    """One person by handle."""
    async with ctx.db.reading() as session:
        return await person_by_handle(session, handle)


# ---------------------------------------------------------------- platform roles


@dataclass(frozen=True)
class RoleMapping:
    """A platform role mapped to a govbot role (``govbot_role`` is "none" once it was removed)."""

    platform: str
    workspace: str
    role_id: str
    govbot_role: str
    role_name: str | None


def _check_role_key(platform: str, workspace: str, role_id: str) -> tuple[str, str, str]:
    platform = platform.strip().lower()
    if platform not in ROLE_PLATFORMS:
        raise InvalidInput(
            _("Roles on {platform!r} cannot be mapped.", platform=platform),
            _(
                "Only {join_role_platforms} roles can be mapped to govbot roles; the roster's admin flag "
                "and chair roles govern everywhere.",
                join_role_platforms=", ".join(ROLE_PLATFORMS),
            ),
        )
    space = check_text(workspace, _("the workspace (or guild) id"), CHAT_ID_MAX)
    role = check_text(role_id, _("the role id"), CHAT_ID_MAX)
    assert space is not None and role is not None
    return platform, space, role


async def _role_rows(session: AsyncSession, platform: str, workspace: str) -> list[PlatformRoleMap]:
    return list(
        (
            await session.execute(
                select(PlatformRoleMap)
                .where(
                    col(PlatformRoleMap.platform) == platform,
                    col(PlatformRoleMap.workspace) == workspace,
                )
                .order_by(col(PlatformRoleMap.govbot_role), col(PlatformRoleMap.role_id))
            )
        ).scalars()
    )


async def map_platform_role(
    ctx: Context,
    actor: Actor,
    platform: str,
    workspace: str,
    role_id: str,
    govbot_role: str,
    role_name: str | None = None,
) -> RoleMapping:
    """Map a platform role in one workspace (a Discord guild) to a govbot role, or remove it with "none".

    Admins only. Once a workspace has any mapping, its adapter asks for a role mapped to ``admin`` for
    admin-only commands (on top of the roster's admin flag), and for a role mapped to ``chair`` for
    chair-only commands when one is mapped. So that a mapping never locks every admin out, a workspace
    with mappings always keeps at least one role mapped to ``admin``: map that first, remove it last.
    """
    platform, workspace, role_id = _check_role_key(platform, workspace, role_id)
    target = govbot_role.strip().lower()
    if target not in (*GOVBOT_ROLES, "none"):
        raise InvalidInput(
            _("Unknown govbot role {govbot_role!r}.", govbot_role=govbot_role),
            _(
                "Give one of {join_govbot_roles}, or none to remove the mapping.",
                join_govbot_roles=", ".join(GOVBOT_ROLES),
            ),
        )
    name = check_text(role_name, _("the role name"), ROLE_NAME_MAX, required=False)
    race = _("The role mapping was changed by someone else at the same moment.")
    async with write_transaction(ctx, race) as session:
        await _require_admin(session, ctx, actor, _("map platform roles"))
        rows = await _role_rows(session, platform, workspace)
        existing = next((r for r in rows if r.role_id == role_id), None)
        others = [r for r in rows if r.role_id != role_id]
        label = name or (existing.role_name if existing else None) or role_id
        if target == "none":
            if existing is None:
                raise NotFound(
                    _("The role {label} is not mapped in {workspace}.", label=label, workspace=workspace),
                    suggest=suggest("see", ("roster", "roles", platform, workspace)),
                )
            if (
                existing.govbot_role == "admin"
                and others
                and not any(r.govbot_role == "admin" for r in others)
            ):
                raise Conflict(
                    _(
                        "The role {label} is the last role mapped to admin in {workspace}; without it no one "
                        "could run admin commands there.",
                        label=label,
                        workspace=workspace,
                    ),
                    _("Map another role to admin first, or remove the other mappings before this one."),
                )
            await session.delete(existing)
            kind = "role.unmapped"
            name = name or existing.role_name
        else:
            if target != "admin" and not any(r.govbot_role == "admin" for r in others):
                if existing is not None and existing.govbot_role == "admin":
                    raise Conflict(
                        _(
                            "The role {label} is the last role mapped to admin in {workspace}; without it no "
                            "one could run admin commands there.",
                            label=label,
                            workspace=workspace,
                        ),
                        _("Map another role to admin first."),
                    )
                raise Conflict(
                    _(
                        "{workspace} has no role mapped to admin yet; once a {platform} workspace has a "
                        "mapping, admin commands there need a role mapped to admin.",
                        workspace=workspace,
                        platform=platform,
                    ),
                    suggest=suggest(
                        "map_admin_first", ("roster", "role", platform, workspace, "<role-id>", "admin")
                    ),
                )
            if (
                existing is not None
                and existing.govbot_role == target
                and (name is None or name == existing.role_name)
            ):
                raise Conflict(
                    _(
                        "The role {label} is already mapped to {target} in {workspace}.",
                        label=label,
                        target=target,
                        workspace=workspace,
                    )
                )
            if existing is None:
                existing = PlatformRoleMap(
                    platform=platform,
                    workspace=workspace,
                    role_id=role_id,
                    govbot_role=target,
                    role_name=name,
                    created_at=ctx.now(),
                    created_by_id=actor.person_id,
                )
                session.add(existing)
            else:
                existing.govbot_role = target
                existing.role_name = name or existing.role_name
                existing.created_at = ctx.now()
                existing.created_by_id = actor.person_id
            name = existing.role_name
            kind = "role.mapped"
        await session.flush()
        await record(
            session,
            ctx,
            actor,
            stream="roster",
            kind=kind,
            subject=f"{platform}:{workspace}:{role_id}",
            payload={
                "platform": platform,
                "workspace": workspace,
                "role_id": role_id,
                "govbot_role": target,
                "role_name": name,
            },
        )
        return RoleMapping(platform, workspace, role_id, target, name)


async def platform_role_map(ctx: Context, platform: str, workspace: str) -> dict[str, str]:
    """The roles mapped in a workspace (a Discord guild): role id -> govbot role; empty when none is."""
    return {m.role_id: m.govbot_role for m in await platform_roles(ctx, platform, workspace)}


async def platform_roles(ctx: Context, platform: str, workspace: str) -> list[RoleMapping]:
    """The roles mapped in a workspace, admin first, with their names as last given."""
    async with ctx.db.reading() as session:
        rows = await _role_rows(session, platform.strip().lower(), workspace.strip())
    order = {r: i for i, r in enumerate(GOVBOT_ROLES)}
    return sorted(
        (RoleMapping(r.platform, r.workspace, r.role_id, r.govbot_role, r.role_name) for r in rows),
        key=lambda m: (order.get(m.govbot_role, 9), m.role_name or "", m.role_id),
    )


__all__ = [
    "ImportReport",
    "OrganisationRow",
    "RoleMapping",
    "actor_for_handle",
    "add_organisation",
    "add_person",
    "check_admin",
    "get_person",
    "import_roster_csv",
    "link_identity",
    "list_organisations",
    "list_people",
    "map_platform_role",
    "platform_role_map",
    "platform_roles",
    "resolve_identity",
    "set_voting_rep",
    "unlink_identity",
    "update_organisation",
    "update_person",
]
