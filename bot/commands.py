"""One command grammar for every platform: text -> ``Command`` -> service -> ``Reply``.

Slack's ``/gov``, Discord's app commands and the console all end here. A command is a path of words
(``election create``) followed by positional arguments and ``--options``; quotes group words
(``"Acme Corp"``). Every command answers; every failure says what was wrong and what to do, and
the service it calls has written nothing.

The grammar itself (``Spec``, ``REGISTRY``, ``command``, reading a line) lives in ``bot.grammar``, which
every handler module imports; this module holds the general, roster, body, working-group, election and
motion handlers, imports the other handler modules so that their commands are registered, and
dispatches. Its grammar names are re-exported for the adapters that look commands up.
"""

from __future__ import annotations

import logging
import uuid
from pathlib import Path
from zoneinfo import ZoneInfo

from bot import election_final
from bot.grammar import REGISTRY as REGISTRY
from bot.grammar import Invocation, command, find, parse_arguments, tokenize
from bot.grammar import Spec as Spec
from bot.grammar import parse_when as parse_when
from bot.present import errors as present_errors
from bot.replies import Reply, Table, error
from governance import labels, logsafe
from governance import text as text_rules
from governance.db import count_writes
from governance.errors import GovError, InvalidInput
from governance.i18n import N_, _, current_locale, format_date, ngettext, using_locale
from governance.policies.base import DEFAULT_OPTION_ALIAS
from governance.services import bodies, chairs, elections, motions, roster, terms
from governance.services.common import Actor, Context, person_by_handle
from governance.tally.motion import reason_text

log = logging.getLogger(__name__)


async def dispatch(
    ctx: Context,
    actor: Actor,
    text: str,
    *,
    tz: ZoneInfo | None = None,
    platform: str = "console",
    locale: str | None = None,
) -> Reply:
    """Run one command line for ``actor`` and answer it, in ``locale``; never raises.

    ``platform`` says where the line came from (``console``, ``slack``, ``discord``): a few commands,
    such as ``roster import`` that reads a file on the server, only run from the console. ``locale`` is
    the reader's language as the platform negotiated it (see ``governance.i18n.negotiate``); every
    message the command builds, refusals included, is in that language.
    """
    with using_locale(locale or current_locale()):
        return await _dispatch(ctx, actor, text, tz, platform)


async def _dispatch(ctx: Context, actor: Actor, text: str, tz: ZoneInfo | None, platform: str) -> Reply:
    written = count_writes()  # a failure after a commit must not claim that nothing changed
    try:
        words = tokenize(text)
        if not words:
            return await _help(ctx, actor, [], tz)
        spec, rest = find(words)
        if spec is None:
            return _unknown(words)
        positional, options = parse_arguments(spec, rest)
        invocation = Invocation(ctx, actor, spec, positional, options, tz or ZoneInfo("UTC"), platform)
        return await spec.handler(invocation)
    except GovError as exc:
        return error(*text_rules.capped(exc.message, present_errors.hint(exc, platform), exc.details))
    except Exception:
        ref = uuid.uuid4().hex[:8]
        log.exception("command failed (ref %s): %r", ref, logsafe.command_for_log(text))
        if written[0]:
            return error(
                _(
                    "Your command was carried out, but govbot failed while writing its answer (reference "
                    "{ref}): the change is saved.",
                    ref=ref,
                ),
                _("Check with the matching `show` or `list` command before running it again."),
            )
        return error(
            _("Something went wrong on our side (reference {ref}); nothing was changed.", ref=ref),
            _("Try again; if it persists, give the reference to the secretariat."),
        )


def _unknown(words: list[str]) -> Reply:
    first = words[0].lower()
    groups = sorted({s.path[0] for s in REGISTRY})
    close = [" ".join(s.path) for s in REGISTRY if s.path[0] == first]
    if close:
        return error(
            _("`{join_words_2}` is not a command.", join_words_2=text_rules.echo(" ".join(words[:2]))),
            _("Try: {commands}", commands=", ".join(f"`{c}`" for c in close)),
        )
    return error(
        _("Unknown command {first!r}.", first=text_rules.echo(first)),
        _("Commands start with: {join_groups}. Try `help`.", join_groups=", ".join(groups)),
    )


async def _help(ctx: Context, actor: Actor, words: list[str], tz: ZoneInfo | None) -> Reply:
    if words:
        matching = [s for s in REGISTRY if list(s.path[: len(words)]) == [w.lower() for w in words]]
        if not matching:
            return error(
                _("No help for {join_words!r}: no such command.", join_words=" ".join(words)),
                _("Try `help`."),
            )
        lines = []
        for s in matching:
            lines.append(f"{s.usage}\n    {_(s.summary)}")
            lines += ["    " + _("e.g. {example}", example=e) for e in s.examples]
        return Reply(
            text=_("Help for {join_words}:", join_words=" ".join(words)),
            block="\n".join(lines),
            ephemeral=True,
        )
    rows = [[" ".join(s.path), _(s.summary)] for s in REGISTRY]
    return Reply(
        text=_("Commands (`help <command>` for details and examples):"),
        tables=[Table([_("command"), _("what it does")], rows)],
        ephemeral=True,
    )


# ---------------------------------------------------------------- general


@command("help", "[command...]", "List the commands, or explain one.", examples=("help election create",))
async def help_cmd(inv: Invocation) -> Reply:
    """help [command...]"""
    return await _help(inv.ctx, inv.actor, inv.positional, inv.tz)


@command("whoami", "", "Show who govbot thinks you are.")
async def whoami(inv: Invocation) -> Reply:
    """whoami"""
    person = await roster.get_person(inv.ctx, inv.actor.handle)
    if person.is_admin:
        text = _(
            "You are {person_name} (@{person_handle}), admin (secretariat), {status}.",
            person_name=person.name,
            person_handle=person.handle,
            status=labels.label(labels.MEMBER_STATES, person.status),
        )
    else:
        text = _(
            "You are {person_name} (@{person_handle}), member, {status}.",
            person_name=person.name,
            person_handle=person.handle,
            status=labels.label(labels.MEMBER_STATES, person.status),
        )
    return Reply(text=text, ephemeral=True)


# ---------------------------------------------------------------- roster


@command("roster orgs", "", "List member organisations with tier and voting representative.")
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


@command("roster people", "", "List people on the roster.", options={"org": "value"})
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
)
async def roster_unlink(inv: Invocation) -> Reply:
    """roster unlink"""
    handle = inv.arg("handle").strip().lstrip("@").lower()
    await roster.check_admin(inv.ctx, inv.actor, _("unlink chat accounts"))
    async with inv.ctx.db.reading() as session:
        await person_by_handle(session, handle)  # a clear NotFound for a mistyped handle
    platform, workspace, user = inv.arg("platform"), inv.arg("workspace"), inv.arg("user")
    linked = await roster.resolve_identity(inv.ctx, platform, workspace, user)
    if linked is not None and linked.handle != handle:
        raise InvalidInput(
            _(
                "That {platform_strip_lower} account is linked to @{linked_handle}, not @{handle}; nothing "
                "was changed.",
                platform_strip_lower=platform.strip().lower(),
                linked_handle=linked.handle,
                handle=handle,
            ),
            _(
                "To unlink it anyway: `roster unlink {linked_handle} {platform} {workspace} {user}`.",
                linked_handle=linked.handle,
                platform=platform,
                workspace=workspace,
                user=user,
            ),
        )
    spoke_for = await roster.unlink_identity(inv.ctx, inv.actor, platform, workspace, user)
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


# ---------------------------------------------------------------- bodies and working groups


@command("body list", "", "List the board, committees and working groups.")
async def body_list(inv: Invocation) -> Reply:
    """body list"""
    rows = await bodies.list_bodies(inv.ctx)
    table = Table(
        [_("id"), _("name"), _("kind"), _("members"), _("policy")],
        [[b.slug, b.name, b.kind.replace("_", " "), str(n), b.policy] for b, n in rows],
    )
    return Reply(text=_("{len_rows} bodies.", len_rows=len(rows)), tables=[table])


@command(
    "body create",
    "<slug> <name>",
    "Create a board, committee or working group (admins).",
    options={"kind": "value", "charter": "value", "chair": "multi", "policy": "value", "channel": "value"},
    examples=('body create toc "Technical Oversight Committee" --kind committee',),
)
async def body_create(inv: Invocation) -> Reply:
    """body create"""
    kind = inv.opt("kind")
    if not kind:
        raise InvalidInput(_("Say which kind of body: --kind board, committee or working_group."))
    body = await bodies.create_body(
        inv.ctx,
        inv.actor,
        inv.arg("slug"),
        inv.arg("name"),
        kind,
        charter_url=inv.opt("charter"),
        chairs=inv.many("chair"),
        policy=inv.opt("policy"),
        channel=inv.opt("channel"),
    )
    return Reply(
        text=_(
            "Created {body_name} ({body_slug}, {kind}).",
            body_name=body.name,
            body_slug=body.slug,
            kind=labels.label(labels.BODY_KINDS, body.kind),
        )
    )


@command("body show", "<body>", "Show a body's members.", examples=("body show board",))
async def body_show(inv: Invocation) -> Reply:
    """body show"""
    return await _members_reply(inv, inv.arg("body"))


@command(
    "body seat",
    "<body> <handle>",
    "Seat a person in a body or change their role.",
    options={"role": "value"},
    examples=("body seat toc alice --role chair",),
)
async def body_seat(inv: Invocation) -> Reply:
    """body seat"""
    m = await bodies.seat(inv.ctx, inv.actor, inv.arg("body"), inv.arg("handle"), inv.opt("role") or "member")
    return Reply(
        text=_(
            "@{handle} is now {role} of {body}.",
            handle=inv.arg("handle").lstrip("@"),
            role=labels.label(labels.ROLES, m.role),
            body=inv.arg("body"),
        )
    )


# A member's name with their state in the body, one whole phrase per state so a translation agrees with it.
_MEMBER_STATES: dict[tuple[str, bool], str] = {
    ("emeritus", True): N_("{name} (emeritus since {since})"),
    ("emeritus", False): N_("{name} (emeritus)"),
    ("withdrawn", True): N_("{name} (withdrawn since {since})"),
    ("withdrawn", False): N_("{name} (withdrawn)"),
    ("suspended", True): N_("{name} (suspended since {since})"),
    ("suspended", False): N_("{name} (suspended)"),
}


def _member_name(inv: Invocation, row: bodies.MemberRow) -> str:
    """A member's name, followed by their state in the body when it is not active (and since when)."""
    phrase = _MEMBER_STATES.get((row.state, row.state_since is not None))
    if phrase is None:
        return row.name
    since = format_date(row.state_since, inv.tz) if row.state_since else ""
    return _(phrase, name=row.name, since=since)


async def _members_reply(inv: Invocation, slug: str) -> Reply:
    body, rows = await bodies.members(inv.ctx, slug)
    table = Table(
        [_("handle"), _("name"), _("role"), _("organisation")],
        [
            [r.handle, _member_name(inv, r), labels.label(labels.ROLES, r.role), r.organisation or "-"]
            for r in rows
        ],
    )
    if body.charter_url:
        text = _(
            "{body_name}: {len_rows} member(s). Charter: {charter_url}",
            body_name=body.name,
            len_rows=len(rows),
            charter_url=body.charter_url,
        )
    else:
        text = _("{body_name}: {len_rows} member(s).", body_name=body.name, len_rows=len(rows))
    if body.id in await chairs.orphaned(inv.ctx):
        text += " " + _(
            "No chair in office: the secretariat decides its join requests until one is seated "
            "(`body seat {slug} <handle> --role chair`).",
            slug=body.slug,
        )
    return Reply(text=text, tables=[table])


@command("wg list", "", "List working groups.")
async def wg_list(inv: Invocation) -> Reply:
    """wg list"""
    rows = await bodies.list_bodies(inv.ctx, "working_group")
    orphans = await chairs.orphaned(inv.ctx)
    table = Table(
        [_("id"), _("name"), _("members"), _("charter")],
        [
            [
                b.slug,
                _("{name} (no chair)", name=b.name) if b.id in orphans else b.name,
                str(n),
                b.charter_url or "-",
            ]
            for b, n in rows
        ],
    )
    return Reply(text=_("{len_rows} working group(s).", len_rows=len(rows)), tables=[table])


@command(
    "wg create",
    "<slug> <name>",
    "Create a working group with its charter and chair(s) (admins).",
    options={"charter": "value", "chair": "multi", "channel": "value"},
    examples=('wg create safety "AI Safety WG" --charter https://example.org/safety --chair alice',),
)
async def wg_create(inv: Invocation) -> Reply:
    """wg create"""
    if not inv.many("chair"):
        raise InvalidInput(_("A working group needs at least one chair: --chair <handle>."))
    body = await bodies.create_body(
        inv.ctx,
        inv.actor,
        inv.arg("slug"),
        inv.arg("name"),
        "working_group",
        charter_url=inv.opt("charter"),
        chairs=inv.many("chair"),
        channel=inv.opt("channel"),
    )
    return Reply(
        text=_(
            "Created working group {body_name} ({body_slug}), chaired by {chairs}.",
            body_name=body.name,
            body_slug=body.slug,
            chairs=", ".join("@" + c.lstrip("@") for c in inv.many("chair")),
        )
    )


@command("wg join", "<wg>", "Ask to join a working group.", examples=("wg join safety",))
async def wg_join(inv: Invocation) -> Reply:
    """wg join"""
    m = await bodies.request_join(inv.ctx, inv.actor, inv.arg("wg"))
    if m.status == "active":
        return Reply(text=_("You joined {inv_arg_wg}.", inv_arg_wg=inv.arg("wg")))
    return Reply(
        text=_(
            "Your request to join {inv_arg_wg} is waiting for a chair's approval.", inv_arg_wg=inv.arg("wg")
        )
    )


@command(
    "wg approve", "<wg> <handle>", "Approve a join request (chairs).", examples=("wg approve safety bob",)
)
async def wg_approve(inv: Invocation) -> Reply:
    """wg approve"""
    await bodies.decide_join(inv.ctx, inv.actor, inv.arg("wg"), inv.arg("handle"), True)
    return Reply(
        text=_(
            "@{inv_arg_handle_lstrip} is now a member of {inv_arg_wg}.",
            inv_arg_handle_lstrip=inv.arg("handle").lstrip("@"),
            inv_arg_wg=inv.arg("wg"),
        )
    )


@command("wg deny", "<wg> <handle>", "Decline a join request (chairs).", options={"reason": "value"})
async def wg_deny(inv: Invocation) -> Reply:
    """wg deny"""
    await bodies.decide_join(inv.ctx, inv.actor, inv.arg("wg"), inv.arg("handle"), False, inv.opt("reason"))
    return Reply(
        text=_(
            "Declined @{inv_arg_handle_lstrip}'s request to join {inv_arg_wg}.",
            inv_arg_handle_lstrip=inv.arg("handle").lstrip("@"),
            inv_arg_wg=inv.arg("wg"),
        )
    )


@command("wg leave", "<wg>", "Leave a working group.")
async def wg_leave(inv: Invocation) -> Reply:
    """wg leave"""
    membership = await bodies.leave(inv.ctx, inv.actor, inv.arg("wg"))
    if membership.status == "active":  # the policy keeps those who leave as emeritus
        return Reply(
            text=_(
                "You left {wg}; as its policy says, you stay on its list as an emeritus member, without a "
                "vote.",
                wg=inv.arg("wg"),
            )
        )
    return Reply(text=_("You left {inv_arg_wg}.", inv_arg_wg=inv.arg("wg")))


@command("wg remove", "<wg> <handle>", "Remove a member (chairs).", options={"reason": "value"})
async def wg_remove(inv: Invocation) -> Reply:
    """wg remove"""
    await bodies.remove_member(inv.ctx, inv.actor, inv.arg("wg"), inv.arg("handle"), inv.opt("reason"))
    return Reply(
        text=_(
            "Removed @{inv_arg_handle_lstrip} from {inv_arg_wg}.",
            inv_arg_handle_lstrip=inv.arg("handle").lstrip("@"),
            inv_arg_wg=inv.arg("wg"),
        )
    )


@command("wg members", "<wg>", "List a working group's members.")
async def wg_members(inv: Invocation) -> Reply:
    """wg members"""
    return await _members_reply(inv, inv.arg("wg"))


@command("wg pending", "<wg>", "List pending join requests (chairs).")
async def wg_pending(inv: Invocation) -> Reply:
    """wg pending"""
    body, rows = await bodies.pending(inv.ctx, inv.actor, inv.arg("wg"))
    table = Table(
        [_("handle"), _("name"), _("organisation")], [[r.handle, r.name, r.organisation or "-"] for r in rows]
    )
    return Reply(
        text=_("{len_rows} pending request(s) to join {body_name}.", len_rows=len(rows), body_name=body.name),
        tables=[table],
    )


# ---------------------------------------------------------------- elections


@command("election list", "", "List elections.", options={"body": "value"})
async def election_list(inv: Invocation) -> Reply:
    """election list"""
    rows = await elections.list_elections(inv.ctx, inv.opt("body"))
    table = Table(
        [_("id"), _("title"), _("body"), _("seats"), _("method"), _("phase"), _("voting closes")],
        [
            [e.slug, e.title, b.slug, str(e.seats), e.method, e.phase, inv.show_time(e.voting_close_at)]
            for e, b in rows
        ],
    )
    return Reply(text=_("{len_rows} election(s).", len_rows=len(rows)), tables=[table])


@command(
    "election create",
    "<slug>",
    "Create an election to a body (admins). Where terms are staggered it fills the seats free by its voting "
    "close; --seats may leave a vacant one for later.",
    options={
        "body": "value",
        "seats": "value",
        "method": "value",
        "title": "value",
        "nominations-close": "value",
        "voting-close": "value",
    },
    examples=('election create board-2027 --body board --seats 3 --title "Board 2027"',),
)
async def election_create(inv: Invocation) -> Reply:
    """election create"""
    body = inv.opt("body")
    if not body:
        raise InvalidInput(_("Say which body the election fills: --body <body>."), _("See `body list`."))
    seats_text = inv.opt("seats")
    if seats_text is not None and not text_rules.NUMBER_RE.fullmatch(seats_text):
        raise InvalidInput(
            _("--seats takes a whole number, not {seats_text!r}.", seats_text=text_rules.echo(seats_text))
        )
    election = await elections.create_election(
        inv.ctx,
        inv.actor,
        body,
        inv.arg("slug"),
        inv.opt("title"),
        seats=text_rules.parse_number(seats_text, _("--seats"), high=1000) if seats_text else None,
        method=inv.opt("method"),
        nominations_close_at=inv.when("nominations-close"),
        voting_close_at=inv.when("voting-close"),
    )
    params = {
        "election_title": election.title,
        "election_slug": election.slug,
        "election_seats": election.seats,
        "election_method": labels.method_name(election.method),
        "election_policy_name": election.policy_name,
        "election_policy_version": election.policy_version,
    }
    if election.secret:
        text = _(
            "Created {election_title} ({election_slug}): {election_seats} seat(s), {election_method}, "
            "secret ballot, policy {election_policy_name} {election_policy_version}. Next: "
            "`election open-nominations {election_slug}`.",
            **params,
        )
    else:
        text = _(
            "Created {election_title} ({election_slug}): {election_seats} seat(s), {election_method}, "
            "public ballot, policy {election_policy_name} {election_policy_version}. Next: "
            "`election open-nominations {election_slug}`.",
            **params,
        )
    return Reply(text=text)


@command("election show", "<election>", "Show an election: phase, deadlines, candidates, turnout.")
async def election_show(inv: Invocation) -> Reply:
    """election show"""
    view = await elections.show(inv.ctx, inv.arg("election"))
    e = view.election
    lines = [
        _(
            "{title} ({slug}) — {body}: {seats} seat(s), {method}, phase {phase}.",
            title=e.title,
            slug=e.slug,
            body=view.body.name,
            seats=e.seats,
            method=labels.method_name(e.method),
            phase=labels.label(labels.ELECTION_PHASES, e.phase),
        ),
        _(
            "Nominations close {nominations_close}; voting closes {voting_close}. {voters} ballot(s) cast "
            "so far.",
            nominations_close=inv.show_time(e.nominations_close_at),
            voting_close=inv.show_time(e.voting_close_at),
            voters=view.voters,
        ),
        _(
            "Policy: {policy} {version} (sha256 {digest}…).",
            policy=e.policy_name,
            version=e.policy_version,
            digest=e.policy_hash[:12],
        ),
    ]
    if e.phase in election_final.FINISHED:  # its final state: no "so far", no stale plan
        lines[1:2] = election_final.final_lines(view, inv.show_time)
    elif view.seat_plan is not None:
        lines[1:1] = [" ".join(terms.describe(view.seat_plan, e.seats, view.body.name))]
    if (fixed := election_final.electorate_line(view)) is not None:
        lines.append(fixed)
    lines[1:1] = view.choices  # what was chosen within the policy's bounds
    if view.default_option is not None:
        lines.append(
            _(
                "Every ballot also offers {option} (type `{alias}`): rank it above the candidates you would "
                "rather not see elected; if it wins, no one is elected.",
                option=_(view.default_option),
                alias=DEFAULT_OPTION_ALIAS,
            )
        )
    if view.electorate is not None:
        lines.append(
            ngettext(
                "Quorum base: {n} person could vote when voting opened; later roster changes do not move it.",
                "Quorum base: {n} people could vote when voting opened; later roster changes do not move it.",
                view.electorate,
            )
        )
    table = Table(
        [_("candidate"), _("handle"), _("status"), _("statement")],
        [
            [p.name, p.handle, labels.label(labels.CANDIDACIES, c.status), (c.statement or "")[:60]]
            for c, p in view.candidates
        ],
    )
    return Reply(text="\n".join(lines), tables=[table])


@command("election open-nominations", "<election>", "Open nominations (admins).", options={"close": "value"})
async def election_open_nominations(inv: Invocation) -> Reply:
    """election open-nominations"""
    e = await elections.open_nominations(inv.ctx, inv.actor, inv.arg("election"), inv.when("close"))
    return Reply(
        text=_(
            "Nominations for {e_title} are open until {inv_show_time_e_nominations_clos}.",
            e_title=e.title,
            inv_show_time_e_nominations_clos=inv.show_time(e.nominations_close_at),
        )
    )


@command(
    "election nominate",
    "<election> [handle]",
    "Nominate someone, or yourself.",
    options={"statement": "value"},
    examples=("election nominate board-2027 alice", "election nominate board-2027"),
)
async def election_nominate(inv: Invocation) -> Reply:
    """election nominate"""
    c = await elections.nominate(
        inv.ctx, inv.actor, inv.arg("election"), inv.arg("handle") or None, inv.opt("statement")
    )
    who = inv.arg("handle").lstrip("@") or inv.actor.handle
    if c.status == "accepted":
        return Reply(
            text=_("@{who} is standing in {inv_arg_election}.", who=who, inv_arg_election=inv.arg("election"))
        )
    return Reply(
        text=_(
            "Nominated @{who} in {inv_arg_election}; they must accept.",
            who=who,
            inv_arg_election=inv.arg("election"),
        )
    )


@command("election accept", "<election>", "Accept your nomination.", options={"statement": "value"})
async def election_accept(inv: Invocation) -> Reply:
    """election accept"""
    await elections.respond(inv.ctx, inv.actor, inv.arg("election"), True, inv.opt("statement"))
    return Reply(text=_("You are standing in {inv_arg_election}.", inv_arg_election=inv.arg("election")))


@command("election decline", "<election>", "Decline your nomination.")
async def election_decline(inv: Invocation) -> Reply:
    """election decline"""
    await elections.respond(inv.ctx, inv.actor, inv.arg("election"), False)
    return Reply(
        text=_("You declined the nomination in {inv_arg_election}.", inv_arg_election=inv.arg("election"))
    )


@command(
    "election statement",
    "<election> <text>",
    "Write your candidate statement.",
    examples=('election statement board-2027 "Open models, open governance."',),
)
async def election_statement(inv: Invocation) -> Reply:
    """election statement"""
    await elections.set_statement(inv.ctx, inv.actor, inv.arg("election"), inv.arg("text"))
    return Reply(text=_("Statement saved."))


@command("election withdraw", "<election> [handle]", "Withdraw your candidacy (admins: anyone's).")
async def election_withdraw(inv: Invocation) -> Reply:
    """election withdraw"""
    c = await elections.withdraw(inv.ctx, inv.actor, inv.arg("election"), inv.arg("handle") or None)
    return Reply(text=_("Candidacy withdrawn ({status}).", status=labels.label(labels.CANDIDACIES, c.status)))


@command(
    "election open-voting",
    "<election>",
    "Close nominations and open voting (admins).",
    options={"close": "value"},
    examples=("election open-voting board-2027 --close +7d",),
)
async def election_open_voting(inv: Invocation) -> Reply:
    """election open-voting"""
    e = await elections.open_voting(inv.ctx, inv.actor, inv.arg("election"), inv.when("close"))
    return Reply(
        text=_(
            "Voting in {e_title} is open until {inv_show_time_e_voting_close_at}.",
            e_title=e.title,
            inv_show_time_e_voting_close_at=inv.show_time(e.voting_close_at),
        )
    )


@command(
    "vote",
    "<election> <choice>...",
    "Cast or replace your ballot: candidates in order of preference. --proxy-for H: cast H's ballot as "
    "their proxy (see `election proxy`).",
    options={"proxy-for": "value"},
    examples=(
        "vote board-2027 alice carol bob",
        "vote tc-chair alice=bob carol  (ties, Condorcet only)",
        "vote board-2027 alice carol --proxy-for dana",
    ),
)
async def vote(inv: Invocation) -> Reply:
    """vote"""
    receipt = await elections.cast_ballot(
        inv.ctx, inv.actor, inv.arg("election"), inv.rest("choice"), for_handle=inv.opt("proxy-for")
    )
    order = " > ".join(" = ".join(t) for t in receipt.ranking)
    if receipt.for_handle is not None:
        text = _(
            "Ballot cast for @{delegator} in {election} as their proxy: {order}. Receipt: {receipt}. Their "
            "own vote before voting closes replaces it.",
            delegator=receipt.for_handle,
            election=receipt.election,
            order=order,
            receipt=receipt.receipt,
        )
    elif receipt.replaced:
        text = _(
            "Ballot replaced your earlier ballot in {receipt_election}: {order}. Your receipt: "
            "{receipt_receipt} (keep it to check your ballot in the published list).",
            receipt_election=receipt.election,
            order=order,
            receipt_receipt=receipt.receipt,
        )
    else:
        text = _(
            "Ballot recorded in {receipt_election}: {order}. Your receipt: {receipt_receipt} (keep it to "
            "check your ballot in the published list).",
            receipt_election=receipt.election,
            order=order,
            receipt_receipt=receipt.receipt,
        )
    return Reply(text=text, ephemeral=True)


@command("election close", "<election>", "Close voting and count (admins).")
async def election_close(inv: Invocation) -> Reply:
    """election close"""
    result = await elections.close(inv.ctx, inv.actor, inv.arg("election"))
    if not result.elected and result.params.get("default_elects_nobody"):
        default = result.candidates[int(result.params["default"]) - 1]
        return Reply(
            text=_("Closed. {option} won: no one is elected.", option=_(default)),
            block=result.to_text(current_locale()),
        )
    if not result.elected:
        return Reply(text=_("Closed. Elected: nobody."), block=result.to_text(current_locale()))
    return Reply(
        text=_("Closed. Elected: {elected}.", elected=", ".join(result.elected)),
        block=result.to_text(current_locale()),
    )


@command("election result", "<election>", "Show the result with every round of the count.")
async def election_result(inv: Invocation) -> Reply:
    """election result"""
    result = await elections.result(inv.ctx, inv.arg("election"))
    if not result.elected:
        return Reply(text=_("Elected: nobody."), block=result.to_text(current_locale()))
    return Reply(
        text=_("Elected: {elected}.", elected=", ".join(result.elected)),
        block=result.to_text(current_locale()),
    )


@command("election certify", "<election>", "Certify the result and seat the elected (admins).")
async def election_certify(inv: Invocation) -> Reply:
    """election certify"""
    e = await elections.certify(inv.ctx, inv.actor, inv.arg("election"))
    if e.result and not elections.result_from_json(e.result).elected:
        return Reply(
            text=ngettext(
                "{e_title} is certified; no one was elected, so the seat stays empty.",
                "{e_title} is certified; no one was elected, so the {n} seats stay empty.",
                e.seats,
                e_title=e.title,
            )
        )
    return Reply(text=_("{e_title} is certified; the elected now sit on the body.", e_title=e.title))


# ---------------------------------------------------------------- motions


@command("motion list", "", "List motions.", options={"body": "value"})
async def motion_list(inv: Invocation) -> Reply:
    """motion list"""
    rows = await motions.list_motions(inv.ctx, inv.opt("body"))
    table = Table(
        ["#", _("title"), _("body"), _("phase"), _("outcome"), _("deadline")],
        [
            [f"M{m.id}", m.title, b.slug, m.phase, m.outcome or "-", inv.show_time(m.deadline)]
            for m, b in rows
        ],
    )
    return Reply(text=_("{len_rows} motion(s).", len_rows=len(rows)), tables=[table])


@command(
    "motion propose",
    "<body> <title>",
    "Propose a motion to a body.",
    options={"text": "value", "kind": "value", "deadline": "value", "secret": "flag"},
    examples=(
        'motion propose toc "Adopt the model licence" --deadline +7d',
        'motion propose toc "Amend the charter" --kind charter',
    ),
)
async def motion_propose(inv: Invocation) -> Reply:
    """motion propose"""
    m = await motions.propose(
        inv.ctx,
        inv.actor,
        inv.arg("body"),
        inv.arg("title"),
        inv.opt("text"),
        kind=inv.opt("kind") or "ordinary",
        deadline=inv.when("deadline"),
        secret=True if inv.flag("secret") else None,
    )
    params = {
        "id": m.id,
        "deadline": inv.show_time(m.deadline),
        "threshold": m.threshold,
        "base": labels.label(labels.THRESHOLD_BASES, m.threshold_of),
        "quorum": m.quorum,
        "seated": m.seated,
    }
    if m.secret:
        text = _(
            "Motion M{id} is open until {deadline}: needs {threshold} ({base}) with a quorum of {quorum} of "
            "{seated} seated; secret ballot.",
            **params,
        )
    else:
        text = _(
            "Motion M{id} is open until {deadline}: needs {threshold} ({base}) with a quorum of {quorum} of "
            "{seated} seated; roll-call (public).",
            **params,
        )
    return Reply(text=text, vote=f"motion:{m.id}")


@command(
    "motion vote",
    "<motion> <choice>",
    "Vote yes, no or abstain; voting again replaces your vote. --proxy-for H: vote as H's proxy.",
    options={"proxy-for": "value"},
    examples=("motion vote 3 yes", "motion vote 3 no --proxy-for alice"),
)
async def motion_vote(inv: Invocation) -> Reply:
    """motion vote"""
    r = await motions.vote(
        inv.ctx, inv.actor, inv.arg("motion"), inv.arg("choice"), for_handle=inv.opt("proxy-for")
    )
    if r.replaced and r.public:
        text = _(
            "Your vote on M{id} changed to {choice}. This is a roll-call vote: your vote is public.",
            id=r.motion_id,
            choice=labels.label(labels.CHOICES, r.choice),
        )
    elif r.replaced:
        text = _(
            "Your vote on M{id} changed to {choice}. Receipt: {receipt}.",
            id=r.motion_id,
            choice=labels.label(labels.CHOICES, r.choice),
            receipt=r.receipt,
        )
    elif r.public:
        text = _(
            "Your vote on M{id} recorded: {choice}. This is a roll-call vote: your vote is public.",
            id=r.motion_id,
            choice=labels.label(labels.CHOICES, r.choice),
        )
    else:
        text = _(
            "Your vote on M{id} recorded: {choice}. Receipt: {receipt}.",
            id=r.motion_id,
            choice=labels.label(labels.CHOICES, r.choice),
            receipt=r.receipt,
        )
    return Reply(text=text, ephemeral=True)


@command("motion show", "<motion>", "Show a motion, its roll call and result.")
async def motion_show(inv: Invocation) -> Reply:
    """motion show"""
    view = await motions.show(inv.ctx, inv.arg("motion"))
    m = view.motion
    phase = labels.label(labels.MOTION_PHASES, m.phase)
    if m.outcome:
        heading = _(
            "M{id} {title} — {body}, {phase}, {outcome}.",
            id=m.id,
            title=m.title,
            body=view.body.name,
            phase=phase,
            outcome=labels.label(labels.OUTCOMES, m.outcome),
        )
    else:
        heading = _(
            "M{id} {title} — {body}, {phase}.", id=m.id, title=m.title, body=view.body.name, phase=phase
        )
    lines = [
        heading,
        _(
            "Needs {threshold} of {base}, quorum {quorum} of {seated} seated; deadline {deadline}; "
            "{voters} voted.",
            threshold=m.threshold,
            base=labels.label(labels.THRESHOLD_BASES, m.threshold_of),
            quorum=m.quorum,
            seated=m.seated,
            deadline=inv.show_time(m.deadline),
            voters=view.voters,
        ),
    ]
    lines.extend(view.choices)  # what the proposer chose within the policy's bounds
    if m.text:
        lines.append(m.text)
    if view.result:
        lines.append(reason_text(view.result, current_locale()))
    tables = (
        [
            Table(
                [_("member"), _("vote")],
                [[n, labels.label(labels.CHOICES, c)] for n, c in view.roll_call],
                _("Roll call"),
            )
        ]
        if view.roll_call
        else []
    )
    return Reply(text="\n".join(lines), tables=tables)


@command("motion close", "<motion>", "Close a motion and decide it (after its deadline; admins earlier).")
async def motion_close(inv: Invocation) -> Reply:
    """motion close"""
    outcome = await motions.close(inv.ctx, inv.actor, inv.arg("motion"))
    if outcome.passed:
        return Reply(
            text=_("Motion passed: {reason}", reason=reason_text(outcome.to_json(), current_locale()))
        )
    return Reply(
        text=_("Motion did not pass: {reason}", reason=reason_text(outcome.to_json(), current_locale()))
    )


@command("motion withdraw", "<motion>", "Withdraw a motion (its proposer or admins).")
async def motion_withdraw(inv: Invocation) -> Reply:
    """motion withdraw"""
    m = await motions.withdraw(inv.ctx, inv.actor, inv.arg("motion"))
    return Reply(text=_("Motion M{m_id} withdrawn.", m_id=m.id))


# Command groups kept in modules of their own register themselves when imported.
from bot import (  # noqa: E402,F401
    audit_commands,
    electorate_commands,
    monitor_commands,
    policy_commands,
    schedule_commands,
)
