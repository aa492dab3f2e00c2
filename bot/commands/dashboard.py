"""``todo``: what awaits the person running it, registered on import by bot.commands.

The console and Discord counterpart of Slack's Home tab: both render ``governance.services.dashboard``,
so every platform lists the same polls, decided by the same rules.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bot.grammar import Invocation, command
from bot.present.replies import Reply, Table
from governance import labels
from governance.i18n import _, format_datetime, ngettext
from governance.services import dashboard


def _when(value: datetime | None, tz: ZoneInfo) -> str:
    return format_datetime(value, tz) if value else _("no deadline")


def _ballots(board: dashboard.Dashboard, tz: ZoneInfo) -> Table | None:
    """The open polls the person may vote in, with how to vote in each."""
    rows = [
        [
            e.title,
            e.body,
            _when(e.closes_at, tz),
            _("voted (you may vote again)") if e.voted else _("not voted yet"),
            f"vote {e.slug} ...",
        ]
        for e in board.elections
    ] + [
        [
            f"M{m.id}: {m.title}",
            m.body,
            _when(m.closes_at, tz),
            _("voted") if m.voted else _("not voted yet"),
            f"motion vote {m.id} yes|no|abstain",
        ]
        for m in board.motions
    ]
    if not rows:
        return None
    headers = [_("Poll"), _("Body"), _("Closes"), _("You"), _("Command")]
    return Table(headers, rows, title=_("Your open ballots"))


def _tables(board: dashboard.Dashboard, tz: ZoneInfo) -> list[Table]:
    """Everything that awaits the person, one table per kind, leaving out the empty ones."""
    tables = [t for t in (_ballots(board, tz),) if t is not None]
    if board.nominations:
        rows = [
            [n.title, n.body, _when(n.nominations_close_at, tz), f"election accept|decline {n.election}"]
            for n in board.nominations
        ]
        headers = [_("Election"), _("Body"), _("Nominations close"), _("Command")]
        tables.append(Table(headers, rows, title=_("Nominations waiting for your answer")))
    if board.join_requests:
        rows = [
            [r.group, f"@{r.handle}", r.name, f"wg approve|deny {r.group} {r.handle}"]
            for r in board.join_requests
        ]
        headers = [_("Working group"), _("Handle"), _("Name"), _("Command")]
        tables.append(Table(headers, rows, title=_("Join requests waiting for you")))
    if board.groups:
        rows = [
            [g.slug, _("waiting for a chair's approval") if g.pending else labels.label(labels.ROLES, g.role)]
            for g in board.groups
        ]
        tables.append(Table([_("Working group"), _("Role")], rows, title=_("Your working groups")))
    if board.meetings:
        rows = [[m.group, m.title, format_datetime(m.starts_at, tz)] for m in board.meetings]
        headers = [_("Working group"), _("Meeting"), _("Starts")]
        tables.append(Table(headers, rows, title=_("Next meetings")))
    return tables


@command("todo", "", "What awaits you: open ballots, nominations to answer, join requests, next meetings.")
async def todo(inv: Invocation) -> Reply:
    """todo: the same use case as Slack's Home tab, as a reply any platform can show."""
    board = await dashboard.for_person(inv.ctx, inv.actor)
    waiting = board.votes_waiting + len(board.nominations) + len(board.join_requests)
    text = (
        ngettext("{n} thing awaits you.", "{n} things await you.", waiting)
        if waiting
        else _("Nothing awaits you right now.")
    )
    return Reply(text=text, tables=_tables(board, inv.tz), ephemeral=True)
