"""Importing the roster from a CSV file: every line checked first, then everything written at once."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from dataclasses import dataclass, field

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from governance.errors import InvalidInput
from governance.i18n import _
from governance.models import Organisation, Person, VotingRep
from governance.services.common import (
    Actor,
    Context,
    check_slug,
    check_text,
    record,
    write_transaction,
)
from governance.services.roster.rules import (
    NAME_MAX,
    NOT_ACTIVE_REP,
    check_email,
    check_name,
    check_tier,
    require_admin,
)

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
        name = check_name(values.get("name"), _("the name"))
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
        row.email = check_email(values.get("email"))
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
            row.tier = check_tier(values["tier"])
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


def _conflicts_with_roster(
    rows: list[_CsvRow], orgs: dict[str, Organisation], people: dict[str, Person], actor: Actor
) -> list[str]:
    """What in the checked lines the roster as it stands refuses: a new organisation named like one
    that exists or like another new one, an inactive person made representative, or the importer's
    own admin flag removed. One sentence per problem, naming its line."""
    orgs_by_name = {o.name.lower(): o for o in orgs.values()}
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
            reason = _(NOT_ACTIVE_REP.get(person.status, NOT_ACTIVE_REP[""]), person_name=row.handle)
            errors.append(_("line {line}: {problem}", line=row.line, problem=reason.rstrip(".")))
        if person is not None and row.admin is False and person.is_admin and person.id == actor.person_id:
            errors.append(_("line {line}: you cannot remove your own admin flag", line=row.line))
    return errors


def _person_changes(row: _CsvRow, person: Person, org: Organisation | None) -> dict[str, object]:
    """What a line changes in a known person (an empty cell keeps what the roster has): field -> value,
    the organisation by its id; empty when the line says what the roster already holds."""
    changes: dict[str, object] = {}
    if row.name != person.name:
        changes["name"] = row.name
    if row.email is not None and row.email != person.email:
        changes["email"] = row.email
    if org is not None and org.id != person.organisation_id:
        changes["organisation"] = org.slug
    if row.admin is not None and row.admin != person.is_admin:
        changes["admin"] = row.admin
    return changes


@dataclass
class _Import:
    """One import's transaction and what it has done so far."""

    session: AsyncSession
    ctx: Context
    actor: Actor
    orgs: dict[str, Organisation]
    people: dict[str, Person]
    orgs_added: int = 0
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    reps_set: int = 0

    async def record(self, kind: str, subject: str, payload: Mapping[str, object]) -> None:
        """The audit event of one change the import makes, marked as coming from the CSV."""
        await record(
            self.session,
            self.ctx,
            self.actor,
            stream="roster",
            kind=kind,
            subject=subject,
            payload={**payload, "source": "csv"},
        )

    async def organisation(self, row: _CsvRow) -> Organisation | None:
        """The line's organisation, created from its columns when the roster does not have it yet."""
        if not row.organisation:
            return None
        org = self.orgs.get(row.organisation)
        if org is not None:
            return org
        org = Organisation(
            slug=row.organisation,
            name=row.organisation_name or row.organisation,
            tier=row.tier or "general",
            active=True,
            created_at=self.ctx.now(),
        )
        self.session.add(org)
        await self.session.flush()
        self.orgs[org.slug] = org
        self.orgs_added += 1
        await self.record("organisation.added", org.slug, {"name": org.name, "tier": org.tier})
        return org

    async def person(self, row: _CsvRow, org: Organisation | None) -> Person:
        """The line's person, added, or updated as the line says (leaving a moved person's old
        organisation without them as representative)."""
        person = self.people.get(row.handle)
        if person is None:
            person = Person(
                handle=row.handle,
                name=row.name,
                email=row.email,
                organisation_id=org.id if org else None,
                is_admin=bool(row.admin),
                status="active",
                created_at=self.ctx.now(),
            )
            self.session.add(person)
            await self.session.flush()
            self.people[person.handle] = person
            self.added += 1
            payload = {
                "name": person.name,
                "organisation": org.slug if org else None,
                "admin": person.is_admin,
            }
            await self.record("person.added", person.handle, payload)
            return person
        changes = _person_changes(row, person, org)
        if not changes:
            self.unchanged += 1
            return person
        if "organisation" in changes:
            assert org is not None
            await self.session.execute(delete(VotingRep).where(col(VotingRep.person_id) == person.id))
            person.organisation_id = org.id
        person.name = row.name
        person.email = row.email if row.email is not None else person.email
        person.is_admin = row.admin if row.admin is not None else person.is_admin
        self.updated += 1
        await self.record("person.updated", person.handle, changes)
        return person

    async def voting_rep(self, org: Organisation, person: Person) -> None:
        """Make ``person`` the organisation's voting representative unless they already are."""
        assert org.id is not None and person.id is not None
        rep = await self.session.get(VotingRep, org.id)
        if rep is not None and rep.person_id == person.id:
            return
        if rep is None:
            self.session.add(VotingRep(organisation_id=org.id, person_id=person.id, since=self.ctx.now()))
        else:
            rep.person_id = person.id
            rep.since = self.ctx.now()
        await self.session.flush()
        self.reps_set += 1
        await self.record("organisation.voting_rep", org.slug, {"person": person.handle})


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
        await require_admin(session, ctx, actor, _("import the roster"))
        rows = _parse_roster_csv(text)
        orgs = {o.slug: o for o in (await session.execute(select(Organisation))).scalars()}
        handles = [r.handle for r in rows]
        people = {
            p.handle: p
            for p in (await session.execute(select(Person).where(col(Person.handle).in_(handles)))).scalars()
        }
        errors = _conflicts_with_roster(rows, orgs, people, actor)
        if errors:
            _refuse(errors)
        run = _Import(session, ctx, actor, orgs, people)
        for row in rows:
            org = await run.organisation(row)
            person = await run.person(row, org)
            if row.voting_rep:
                assert org is not None
                await run.voting_rep(org, person)
        return ImportReport(run.orgs_added, run.added, run.updated, run.reps_set, run.unchanged)
