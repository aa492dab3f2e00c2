"""Roster commands: member organisations, people, voting representatives, linked accounts, role maps."""

from __future__ import annotations

from pathlib import Path

from bot.grammar import REGISTRY as REGISTRY
from bot.grammar import Invocation, command
from bot.grammar import Spec as Spec
from bot.grammar import parse_when as parse_when
from bot.present.replies import Reply, Table
from governance import labels
from governance.errors import InvalidInput
from governance.i18n import _
from governance.services import roster

# ---------------------------------------------------------------- roster


@command("roster orgs", "", "List member organisations with tier and voting representative.", public=True)
async def roster_orgs(inv: Invocation) -> Reply:
    """roster orgs"""
    rows = await roster.list_organisations(inv.ctx)
    table = Table(
        [_("id"), _("name"), _("tier"), _("active"), _("voting rep"), _("people")],
        [
            [r.slug, r.name, r.tier, _("yes") if r.active else _("no"), r.voting_rep or "-", str(r.people)]
            for r in rows
        ],
    )
    return Reply(text=_("{len_rows} organisation(s).", len_rows=len(rows)), tables=[table])


@command(
    "roster org add",
    "<slug> <name>",
    "Add a member organisation (admins).",
    options={"tier": "value"},
    examples=('roster org add acme "Acme Corp" --tier premier',),
    admin_only=True,
)
async def roster_org_add(inv: Invocation) -> Reply:
    """roster org add"""
    org = await roster.add_organisation(
        inv.ctx, inv.actor, inv.arg("slug"), inv.arg("name"), inv.opt("tier") or "general"
    )
    return Reply(
        text=_(
            "Added {org_name} ({org_slug}, {org_tier}).",
            org_name=org.name,
            org_slug=org.slug,
            org_tier=org.tier,
        )
    )


def _yes_no(value: str | None, what: str) -> bool | None:
    if value is None:
        return None
    if value.lower() in ("yes", "true", "on", "1"):
        return True
    if value.lower() in ("no", "false", "off", "0"):
        return False
    raise InvalidInput(_("--{what} takes yes or no, not {value!r}.", what=what, value=value))


@command(
    "roster org set",
    "<slug>",
    "Rename, re-tier, or (de)activate an organisation (admins).",
    options={"name": "value", "tier": "value", "active": "value"},
    examples=("roster org set acme --active no",),
    admin_only=True,
)
async def roster_org_set(inv: Invocation) -> Reply:
    """roster org set"""
    org = await roster.update_organisation(
        inv.ctx,
        inv.actor,
        inv.arg("slug"),
        name=inv.opt("name"),
        tier=inv.opt("tier"),
        active=_yes_no(inv.opt("active"), "active"),
    )
    if org.active:
        return Reply(
            text=_("Updated {org_name}: tier {org_tier}, active.", org_name=org.name, org_tier=org.tier)
        )
    return Reply(
        text=_("Updated {org_name}: tier {org_tier}, inactive.", org_name=org.name, org_tier=org.tier)
    )


@command("roster people", "", "List people on the roster.", options={"org": "value"}, public=True)
async def roster_people(inv: Invocation) -> Reply:
    """roster people"""
    rows = await roster.list_people(inv.ctx, inv.opt("org"))
    table = Table(
        [_("handle"), _("name"), _("organisation"), _("status"), _("admin")],
        [
            [
                p.handle,
                p.name,
                o.name if o else "-",
                labels.label(labels.MEMBER_STATES, p.status),
                _("yes") if p.is_admin else "",
            ]
            for p, o in rows
        ],
    )
    return Reply(text=_("{len_rows} people.", len_rows=len(rows)), tables=[table])


@command(
    "roster person add",
    "<handle> <name>",
    "Add a person (admins).",
    options={"org": "value", "email": "value", "admin": "flag"},
    examples=('roster person add alice "Alice Martin" --org acme',),
    admin_only=True,
)
async def roster_person_add(inv: Invocation) -> Reply:
    """roster person add"""
    person = await roster.add_person(
        inv.ctx,
        inv.actor,
        inv.arg("handle"),
        inv.arg("name"),
        organisation=inv.opt("org"),
        email=inv.opt("email"),
        admin=inv.flag("admin"),
    )
    return Reply(
        text=_(
            "Added {person_name} (@{person_handle}).", person_name=person.name, person_handle=person.handle
        )
    )


@command(
    "roster person set",
    "<handle>",
    "Change a person's name, organisation, admin flag or state (admins).",
    options={"name": "value", "org": "value", "email": "value", "admin": "value", "status": "value"},
    examples=("roster person set bob --status suspended", "roster person set bob --org -"),
    admin_only=True,
    changes_identity=True,
)
async def roster_person_set(inv: Invocation) -> Reply:
    """roster person set"""
    person = await roster.update_person(
        inv.ctx,
        inv.actor,
        inv.arg("handle"),
        name=inv.opt("name"),
        email=inv.opt("email"),
        organisation=inv.opt("org"),
        admin=_yes_no(inv.opt("admin"), "admin"),
        status=inv.opt("status"),
    )
    return Reply(
        text=_(
            "Updated {person_name} (@{person_handle}): {status}.",
            person_name=person.name,
            person_handle=person.handle,
            status=labels.label(labels.MEMBER_STATES, person.status),
        )
    )


@command(
    "roster rep",
    "<org> <handle>",
    "Designate an organisation's voting representative (admins).",
    examples=("roster rep acme alice",),
    admin_only=True,
)
async def roster_rep(inv: Invocation) -> Reply:
    """roster rep"""
    await roster.set_voting_rep(inv.ctx, inv.actor, inv.arg("org"), inv.arg("handle"))
    return Reply(
        text=_(
            "@{inv_arg_handle_lstrip} now casts {inv_arg_org}'s vote.",
            inv_arg_handle_lstrip=inv.arg("handle").lstrip("@"),
            inv_arg_org=inv.arg("org"),
        )
    )


@command(
    "roster link",
    "<handle> <platform> <workspace> <user>",
    "Link a chat account to a person (admins).",
    examples=("roster link alice slack T0123 U0456",),
    admin_only=True,
    changes_identity=True,
)
async def roster_link(inv: Invocation) -> Reply:
    """roster link"""
    await roster.link_identity(
        inv.ctx, inv.actor, inv.arg("handle"), inv.arg("platform"), inv.arg("workspace"), inv.arg("user")
    )
    return Reply(
        text=_(
            "Linked that {inv_arg_platform} account to @{inv_arg_handle_lstrip}.",
            inv_arg_platform=inv.arg("platform"),
            inv_arg_handle_lstrip=inv.arg("handle").lstrip("@"),
        )
    )


@command(
    "roster unlink",
    "<handle> <platform> <workspace> <user>",
    "Unlink a chat account from a person (admins).",
    examples=("roster unlink alice slack T0123 U0456",),
    admin_only=True,
    changes_identity=True,
)
async def roster_unlink(inv: Invocation) -> Reply:
    """roster unlink"""
    handle = inv.arg("handle").strip().lstrip("@").lower()
    platform, workspace, user = inv.arg("platform"), inv.arg("workspace"), inv.arg("user")
    spoke_for = await roster.unlink_identity(inv.ctx, inv.actor, platform, workspace, user, handle=handle)
    return Reply(
        text=_(
            "Unlinked that {platform_strip_lower} account from @{spoke_for}.",
            platform_strip_lower=platform.strip().lower(),
            spoke_for=spoke_for,
        )
    )


@command(
    "roster role",
    "<platform> <workspace> <role-id> <role>",
    "Map a chat role in a workspace or guild to admin, chair or member; none removes it (admins).",
    options={"name": "value"},
    examples=(
        'roster role discord 800000000000000001 820000000000000001 admin --name "Secretariat"',
        "roster role discord 800000000000000001 820000000000000001 none",
    ),
    admin_only=True,
)
async def roster_role(inv: Invocation) -> Reply:
    """roster role"""
    mapped = await roster.map_platform_role(
        inv.ctx,
        inv.actor,
        inv.arg("platform"),
        inv.arg("workspace"),
        inv.arg("role-id"),
        inv.arg("role"),
        inv.opt("name"),
    )
    label = f"{mapped.role_name} ({mapped.role_id})" if mapped.role_name else mapped.role_id
    if mapped.govbot_role == "none":
        return Reply(
            text=_(
                "Removed the mapping of {mapped_platform} role {label} in {mapped_workspace}.",
                mapped_platform=mapped.platform,
                label=label,
                mapped_workspace=mapped.workspace,
            )
        )
    return Reply(
        text=_(
            "{mapped_platform_capitalize} role {label} in {mapped_workspace} now means govbot "
            "{mapped_govbot_role}.",
            mapped_platform_capitalize=mapped.platform.capitalize(),
            label=label,
            mapped_workspace=mapped.workspace,
            mapped_govbot_role=mapped.govbot_role,
        ),
        hint=_(
            "It narrows what the roster grants: admin-only commands there need the roster's admin flag and "
            "a role mapped to admin; chair-only ones need the chair role and, once a role is mapped to "
            "chair, that role."
        ),
    )


@command(
    "roster roles",
    "<platform> <workspace>",
    "List the chat roles mapped to govbot roles in a workspace or guild.",
    examples=("roster roles discord 800000000000000001",),
)
async def roster_roles(inv: Invocation) -> Reply:
    """roster roles"""
    platform, workspace = inv.arg("platform").strip().lower(), inv.arg("workspace").strip()
    rows = await roster.platform_roles(inv.ctx, platform, workspace)
    if not rows:
        return Reply(
            text=_(
                "No {platform} roles are mapped in {workspace}: the roster alone decides who is admin or "
                "chair there.",
                platform=platform,
                workspace=workspace,
            ),
            hint=_(
                "Map one with `roster role {platform} {workspace} <role-id> admin`.",
                platform=platform,
                workspace=workspace,
            ),
        )
    return Reply(
        text=_(
            "{platform_capitalize} roles mapped in {workspace}:",
            platform_capitalize=platform.capitalize(),
            workspace=workspace,
        ),
        tables=[
            Table(
                [_("role"), _("id"), _("govbot role")],
                [[m.role_name or "-", m.role_id, m.govbot_role] for m in rows],
            )
        ],
    )


@command(
    "roster import",
    "<file>",
    "Import people and organisations from a CSV file (admins; console only).",
    examples=("roster import members.csv",),
    admin_only=True,
    console_only=True,
)
async def roster_import(inv: Invocation) -> Reply:
    """roster import"""
    if inv.platform != "console":
        raise InvalidInput(
            _(
                "`roster import` reads a file on govbot's server, so it cannot run from {platform}; nothing "
                "was read or changed.",
                platform=inv.platform,
            ),
            _(
                "Run it on the server from the console: `govbot console --as <handle>`, then `roster import "
                "<file>` (or put that line in a `--script` file)."
            ),
        )
    await roster.check_admin(inv.ctx, inv.actor, _("import the roster"))
    path = Path(inv.arg("file")).expanduser()
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInput(
            _("{path} is not a UTF-8 text file.", path=path), _("Save the roster as CSV (UTF-8).")
        ) from None
    except (OSError, ValueError):
        raise InvalidInput(
            _("No file {path} that I can read.", path=path), _("Give the path of a CSV file.")
        ) from None
    report = await roster.import_roster_csv(inv.ctx, inv.actor, text)
    return Reply(
        text=_(
            "Imported: {report_people_added} people added, {report_people_updated} updated, "
            "{report_organisations_added} organisation(s) added, {report_reps_set} voting rep(s) set.",
            report_people_added=report.people_added,
            report_people_updated=report.people_updated,
            report_organisations_added=report.organisations_added,
            report_reps_set=report.reps_set,
        )
    )
