"""Body and working-group commands: list, create, seat, join, approve, members."""

from __future__ import annotations

from bot.grammar import REGISTRY as REGISTRY
from bot.grammar import Invocation, command
from bot.grammar import Spec as Spec
from bot.grammar import parse_when as parse_when
from bot.present.replies import Reply, Table
from governance import labels
from governance.errors import InvalidInput
from governance.i18n import N_, _, format_date
from governance.services import bodies, chairs

# ---------------------------------------------------------------- bodies and working groups


@command("body list", "", "List the board, committees and working groups.", public=True)
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
    admin_only=True,
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


@command("body show", "<body>", "Show a body's members.", examples=("body show board",), public=True)
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


@command("wg list", "", "List working groups.", public=True)
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
    admin_only=True,
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
    "wg approve",
    "<wg> <handle>",
    "Approve a join request (chairs).",
    examples=("wg approve safety bob",),
    chair_only=True,
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


@command(
    "wg deny",
    "<wg> <handle>",
    "Decline a join request (chairs).",
    options={"reason": "value"},
    chair_only=True,
)
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


@command(
    "wg remove", "<wg> <handle>", "Remove a member (chairs).", options={"reason": "value"}, chair_only=True
)
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


@command("wg members", "<wg>", "List a working group's members.", public=True)
async def wg_members(inv: Invocation) -> Reply:
    """wg members"""
    return await _members_reply(inv, inv.arg("wg"))


@command("wg pending", "<wg>", "List pending join requests (chairs).", chair_only=True)
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
