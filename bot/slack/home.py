"""The App Home tab: a person's open ballots with their deadlines, their nominations waiting for an
answer, their working groups and next meetings, and, for chairs, the join requests waiting for them
(with Approve / Deny buttons).

It renders ``governance.services.dashboard`` (what the person may act on now, decided by the core with
the cast path's own eligibility rules) and reads no table itself; every change it offers goes through the
services, from the button handlers in ``bot.slack.app``.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.slack.render import Block, context, escape, plain, section
from governance import labels
from governance.i18n import _, format_datetime
from governance.services import dashboard
from governance.services.common import Actor, Context

OPEN_BALLOT_ACTION = "gov_open_ballot"
WG_APPROVE_ACTION = "gov_wg_approve"
WG_DENY_ACTION = "gov_wg_deny"
MAX_HOME_BLOCKS = 100


def _when(value: datetime | None, tz: ZoneInfo) -> str:
    return format_datetime(value, tz) if value else _("no deadline")


def _button(text: str, action_id: str, value: str, style: str | None = None) -> dict[str, Any]:
    button: dict[str, Any] = {"type": "button", "action_id": action_id, "value": value, "text": plain(text)}
    if style:
        button["style"] = style
    return button


def _ballots(board: dashboard.Dashboard, tz: ZoneInfo) -> list[Block]:
    """The open elections and motions the person may vote in, each with a Vote button."""
    blocks: list[Block] = [section("*" + _("Your open ballots") + "*")]
    if not board.elections and not board.motions:
        blocks.append(context(_("Nothing to vote on right now.")))
    for e in board.elections:
        when = _when(e.closes_at, tz)
        state = (
            _("closes {when}; you have voted (you may vote again until it closes).", when=when)
            if e.voted
            else _("closes {when}; *not voted yet*.", when=when)
        )
        blocks.append(
            {
                "type": "section",
                "text": {"type": "mrkdwn", "text": f"*{escape(e.title)}* ({escape(e.body)}) — {state}"},
                "accessory": _button(_("Vote"), OPEN_BALLOT_ACTION, f"election:{e.slug}", "primary"),
            }
        )
    for m in board.motions:
        when = _when(m.closes_at, tz)
        state = (
            _("closes {when}; you have voted.", when=when)
            if m.voted
            else _("closes {when}; *not voted yet*.", when=when)
        )
        blocks.append(
            {
                "type": "section",
                "text": {
                    "type": "mrkdwn",
                    "text": f"*M{m.id}: {escape(m.title)}* ({escape(m.body)}) — {state}",
                },
                "accessory": _button(_("Vote"), OPEN_BALLOT_ACTION, f"motion:{m.id}", "primary"),
            }
        )
    return blocks


def _nominations(board: dashboard.Dashboard, tz: ZoneInfo) -> list[Block]:
    """Nominations waiting for the person's answer (nothing when there are none)."""
    if not board.nominations:
        return []
    blocks: list[Block] = [{"type": "divider"}, section("*" + _("Nominations waiting for your answer") + "*")]
    for n in board.nominations:
        asks = _(
            "*{title}* ({body}): nominations close {when}. `/gov election accept {slug}` or "
            "`/gov election decline {slug}`.",
            title=escape(n.title),
            body=escape(n.body),
            when=_when(n.nominations_close_at, tz),
            slug=n.election,
        )
        blocks.append(section(asks))
    return blocks


def _groups(board: dashboard.Dashboard, tz: ZoneInfo) -> list[Block]:
    """The person's working groups with their role, then their groups' next meetings."""
    blocks: list[Block] = [{"type": "divider"}, section("*" + _("Your working groups") + "*")]
    if not board.groups:
        blocks.append(context(_("None yet: `/gov wg list`, then `/gov wg join <wg>`.")))
    for g in board.groups:
        role = _("waiting for a chair's approval") if g.pending else labels.label(labels.ROLES, g.role)
        blocks.append(section(f"*{escape(g.name)}* (`{g.slug}`): {role}"))
    for meeting in board.meetings:
        line = _(
            "Next meeting of *{group}*: {title}, {when}.",
            group=escape(meeting.group_name),
            title=escape(meeting.title),
            when=format_datetime(meeting.starts_at, tz),
        )
        blocks.append(context(line))
    return blocks


def _join_requests(board: dashboard.Dashboard) -> list[Block]:
    """For a chair: the requests to join their groups, each with Approve and Deny buttons."""
    if not board.chaired:
        return []
    blocks: list[Block] = [{"type": "divider"}, section("*" + _("Join requests waiting for you") + "*")]
    if not board.join_requests:
        blocks.append(context(_("No pending requests.")))
    for request in board.join_requests:
        value = json.dumps({"wg": request.group, "handle": request.handle})
        asks = _(
            "*{name}* (@{handle}) asks to join *{wg}*.",
            name=escape(request.name),
            handle=request.handle,
            wg=escape(request.group_name),
        )
        blocks.append(section(asks))
        blocks.append(
            {
                "type": "actions",
                "elements": [
                    _button(_("Approve"), WG_APPROVE_ACTION, value, "primary"),
                    _button(_("Deny"), WG_DENY_ACTION, value, "danger"),
                ],
            }
        )
    return blocks


async def home_view(
    ctx: Context, actor: Actor | None, tz: ZoneInfo, *, notice: str | None = None, linking_hint: str = ""
) -> dict[str, Any]:
    """The Home tab for ``actor`` (or, for an unlinked Slack user, how to get linked)."""
    blocks: list[Block] = [{"type": "header", "text": plain(_("Alliance governance"), 150)}]
    if notice:
        blocks.append(section(notice))
    if actor is None or actor.person_id is None:
        blocks.append(
            section(
                _("Your Slack account is not linked to anyone on the alliance roster yet.")
                + " "
                + linking_hint
            )
        )
        return {"type": "home", "blocks": blocks}
    board = await dashboard.for_person(ctx, actor)
    blocks += _ballots(board, tz) + _nominations(board, tz) + _groups(board, tz) + _join_requests(board)
    if len(blocks) > MAX_HOME_BLOCKS:
        blocks = blocks[: MAX_HOME_BLOCKS - 1]
        blocks.append(
            context("_" + _("More than fits here: see `/gov election list`, `/gov motion list`.") + "_")
        )
    return {"type": "home", "blocks": blocks}
