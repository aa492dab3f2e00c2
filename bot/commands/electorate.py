"""Electorate commands, registered on import by bot.commands: who may vote in an election, and exceptions.

``election voters`` counts the electorate by organisation and tier for everyone (names for those the
service lets see them); ``election exception`` asks to be added, ``election exception-grant`` /
``election exception-deny`` decide, each with a reason.
"""

from __future__ import annotations

from bot.grammar import Invocation, command
from bot.present.replies import Reply, Table
from governance.i18n import _, ngettext
from governance.services import electorate

_NONE = "—"


def _source(source: str) -> str:
    return _("exception") if source == electorate.EXCEPTION else _("roster")


def _status(status: str) -> str:
    return {"pending": _("pending"), "granted": _("granted"), "denied": _("denied")}.get(status, status)


@command(
    "election voters",
    "<election>",
    "Who may vote in an election: counts by organisation and tier (names for admins).",
    examples=("election voters board-2027",),
)
async def election_voters(inv: Invocation) -> Reply:
    """election voters"""
    view = await electorate.voters(inv.ctx, inv.actor, inv.arg("election"))
    e = view.election
    if view.fixed_at is not None:
        head = ngettext(
            "The electorate of {slug} was fixed on {when}: {n} person may vote.",
            "The electorate of {slug} was fixed on {when}: {n} people may vote.",
            view.count,
            slug=e.slug,
            when=inv.show_time(view.fixed_at),
        )
    elif view.cutoff_at is not None:
        head = ngettext(
            "The electorate of {slug} is not fixed yet; it will be on {when}. As it would be fixed now, "
            "{n} person may vote.",
            "The electorate of {slug} is not fixed yet; it will be on {when}. As it would be fixed now, "
            "{n} people may vote.",
            view.count,
            slug=e.slug,
            when=inv.show_time(view.cutoff_at),
        )
    else:
        head = ngettext(
            "The electorate of {slug} is not fixed yet; it will be when voting opens. As it would be fixed "
            "now, {n} person may vote.",
            "The electorate of {slug} is not fixed yet; it will be when voting opens. As it would be fixed "
            "now, {n} people may vote.",
            view.count,
            slug=e.slug,
        )
    lines = [head]
    if view.exceptions_granted:
        lines.append(
            ngettext(
                "{n} of them by an exception granted.",
                "{n} of them by exceptions granted.",
                view.exceptions_granted,
            )
        )
    if view.exceptions_due_at is not None:
        lines.append(
            _(
                "Left out? Ask for an exception before {when}: `election exception {slug} --reason ...`.",
                when=inv.show_time(view.exceptions_due_at),
                slug=e.slug,
            )
        )
    tables = [
        Table(
            [_("organisation"), _("tier"), _("people")],
            [[o or _NONE, t or _NONE, str(n)] for o, t, n in view.by_organisation],
        ),
        Table([_("tier"), _("people")], [[t or _NONE, str(n)] for t, n in view.by_tier]),
    ]
    if view.names is not None:
        tables.append(
            Table(
                [_("handle"), _("name"), _("organisation"), _("tier"), _("how")],
                [
                    [x.handle, x.name, x.organisation or _NONE, x.tier or _NONE, _source(x.source)]
                    for x in view.names
                ],
            )
        )
    if view.requests:
        tables.append(
            Table(
                [_("handle"), _("exception"), _("reason")],
                [[h, _status(status), reason[:80]] for h, status, reason in view.requests],
            )
        )
    return Reply(text="\n".join(lines), tables=tables)


@command(
    "election exception",
    "<election>",
    "Ask to be added to an election's electorate, with your reason.",
    options={"reason": "value"},
    examples=('election exception board-2027 --reason "I joined Acme in November"',),
)
async def election_exception(inv: Invocation) -> Reply:
    """election exception"""
    await electorate.request_exception(inv.ctx, inv.actor, inv.arg("election"), inv.opt("reason") or "")
    return Reply(
        text=_(
            "Your request to vote in {slug} is recorded; the secretariat will grant or deny it and tell you.",
            slug=inv.arg("election").lower(),
        )
    )


async def _decide(inv: Invocation, grant: bool) -> Reply:
    request = await electorate.decide_exception(
        inv.ctx, inv.actor, inv.arg("election"), inv.arg("handle"), grant, inv.opt("reason") or ""
    )
    assert request.status in ("granted", "denied")
    handle = inv.arg("handle").lstrip("@").lower()
    if grant:
        return Reply(
            text=_("{handle} may vote in {slug}; they are told.", handle=handle, slug=inv.arg("election"))
        )
    return Reply(
        text=_(
            "The exception of {handle} in {slug} is denied; they are told.",
            handle=handle,
            slug=inv.arg("election"),
        )
    )


@command(
    "election exception-grant",
    "<election> <handle>",
    "Grant a person's exception: they join the election's electorate (admins).",
    options={"reason": "value"},
    examples=('election exception-grant board-2027 zoe --reason "Acme\'s new representative"',),
    admin_only=True,
)
async def election_exception_grant(inv: Invocation) -> Reply:
    """election exception-grant"""
    return await _decide(inv, True)


@command(
    "election exception-deny",
    "<election> <handle>",
    "Deny a person's exception, with the reason they are told (admins).",
    options={"reason": "value"},
    examples=('election exception-deny board-2027 zoe --reason "Not a member organisation yet"',),
    admin_only=True,
)
async def election_exception_deny(inv: Invocation) -> Reply:
    """election exception-deny"""
    return await _decide(inv, False)
