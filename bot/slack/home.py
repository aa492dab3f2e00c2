"""The App Home tab: a person's open ballots with their deadlines, their working groups, and, for
chairs, the join requests waiting for them (with Approve / Deny buttons).

It reads the core's tables directly (read-only, one session) and asks each open election's policy whether
the person may vote in it, so only ballots they can cast are listed; every change it offers goes through
the services, from the button handlers in ``bot.slack.app``.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from bot.slack.render import Block, context, escape, plain, section
from governance import labels
from governance.errors import GovError
from governance.i18n import _, format_datetime
from governance.models import Body, Election, Membership, Motion, Person, Voter
from governance.services import electorate
from governance.services.bodies import CHAIR_ROLES
from governance.services.common import (
    Actor,
    Context,
    facts_columns,
    facts_from_row,
    facts_joins,
    governing_policy,
)
from governance.services.motions import VOTING_ROLES

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


async def _may_vote(session: AsyncSession, election: Election, body: Body, person_id: int) -> bool:
    """Whether the election's policy lets the person vote (the tab lists only ballots they can cast)."""
    try:
        policy = governing_policy(
            election.policy_name, election.policy_version, election.policy_hash, f"Election {election.slug}"
        )
    except GovError:  # its policy changed mid-vote: the election is stopped until the secretariat acts
        return False
    stmt = select(*facts_columns()).select_from(Person).where(col(Person.id) == person_id)
    row = (await session.execute(facts_joins(stmt, None, body.id))).first()
    facts = facts_from_row(row) if row is not None else None
    return facts is not None and await electorate.may_vote(session, election, body, policy, facts) is None


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
    me = actor.person_id
    async with ctx.db.reading() as session:
        voted_e = set(
            (await session.execute(select(Voter.election_id).where(Voter.person_id == me))).scalars()
        )
        voted_m = set((await session.execute(select(Voter.motion_id).where(Voter.person_id == me))).scalars())
        open_elections = [
            (e, b)
            for e, b in (
                await session.execute(
                    select(Election, Body)
                    .join(Body, Election.body_id == Body.id)
                    .where(Election.phase == "voting")
                    .order_by(Election.voting_close_at, Election.id)
                )
            ).all()
            if await _may_vote(session, e, b, me)
        ]
        mine = (
            await session.execute(
                select(Membership, Body)
                .join(Body, Membership.body_id == Body.id)
                .where(Membership.person_id == me, Membership.status.in_(("active", "pending")))
                .order_by(Body.name)
            )
        ).all()
        voting_bodies = [b.id for m, b in mine if m.status == "active" and m.role in VOTING_ROLES]
        open_motions = (
            (
                await session.execute(
                    select(Motion, Body)
                    .join(Body, Motion.body_id == Body.id)
                    .where(Motion.phase == "open", Motion.body_id.in_(voting_bodies or [-1]))
                    .order_by(Motion.deadline)
                )
            ).all()
            if voting_bodies
            else []
        )
        chaired = [
            b for m, b in mine if m.status == "active" and m.role in CHAIR_ROLES and b.kind == "working_group"
        ]
        pending = (
            (
                await session.execute(
                    select(Membership, Person, Body)
                    .join(Person, Membership.person_id == Person.id)
                    .join(Body, Membership.body_id == Body.id)
                    .where(
                        Membership.status == "pending",
                        Membership.body_id.in_([b.id for b in chaired] or [-1]),
                    )
                    .order_by(Body.name, Membership.requested_at)
                )
            ).all()
            if chaired
            else []
        )

    blocks.append(section("*" + _("Your open ballots") + "*"))
    if not open_elections and not open_motions:
        blocks.append(context(_("Nothing to vote on right now.")))
    for e, b in open_elections:
        when = _when(e.voting_close_at, tz)
        state = (
            _("closes {when}; you have voted (you may vote again until it closes).", when=when)
            if e.id in voted_e
            else _("closes {when}; *not voted yet*.", when=when)
        )
        blocks.append(
            {
                "type": "section",
                "text": {"type": "mrkdwn", "text": f"*{escape(e.title)}* ({escape(b.name)}) — {state}"},
                "accessory": _button(_("Vote"), OPEN_BALLOT_ACTION, f"election:{e.slug}", "primary"),
            }
        )
    for m, b in open_motions:
        when = _when(m.deadline, tz)
        state = (
            _("closes {when}; you have voted.", when=when)
            if m.id in voted_m
            else _("closes {when}; *not voted yet*.", when=when)
        )
        blocks.append(
            {
                "type": "section",
                "text": {
                    "type": "mrkdwn",
                    "text": f"*M{m.id}: {escape(m.title)}* ({escape(b.name)}) — {state}",
                },
                "accessory": _button(_("Vote"), OPEN_BALLOT_ACTION, f"motion:{m.id}", "primary"),
            }
        )

    blocks.append({"type": "divider"})
    blocks.append(section("*" + _("Your working groups") + "*"))
    groups = [(m, b) for m, b in mine if b.kind == "working_group"]
    if not groups:
        blocks.append(context(_("None yet: `/gov wg list`, then `/gov wg join <wg>`.")))
    for m, b in groups:
        role = (
            _("waiting for a chair's approval")
            if m.status == "pending"
            else labels.label(labels.ROLES, m.role)
        )
        blocks.append(section(f"*{escape(b.name)}* (`{b.slug}`): {role}"))

    if chaired:
        blocks.append({"type": "divider"})
        blocks.append(section("*" + _("Join requests waiting for you") + "*"))
        if not pending:
            blocks.append(context(_("No pending requests.")))
        for _membership, p, b in pending:
            value = json.dumps({"wg": b.slug, "handle": p.handle})
            asks = _(
                "*{name}* (@{handle}) asks to join *{wg}*.",
                name=escape(p.name),
                handle=p.handle,
                wg=escape(b.name),
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
    if len(blocks) > MAX_HOME_BLOCKS:
        blocks = blocks[: MAX_HOME_BLOCKS - 1]
        blocks.append(
            context("_" + _("More than fits here: see `/gov election list`, `/gov motion list`.") + "_")
        )
    return {"type": "home", "blocks": blocks}
