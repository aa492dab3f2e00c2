"""Deadlines edited after creation: an election's timeline, an open motion's deadline.

The scheduled work moves with the dates (``governance.services.due``), never duplicated.
"""

from __future__ import annotations

import itertools
from datetime import datetime
from typing import Any

from governance import labels
from governance.errors import Conflict, InvalidInput
from governance.i18n import N_, _
from governance.models import Body, Election, Motion
from governance.services import bounds, due, elections, motions, terms
from governance.services.common import (
    Actor,
    Context,
    actor_facts,
    body_facts,
    enforce,
    governing_policy,
    notify,
    record,
)


def _future(ctx: Context, when: datetime | None, what: str) -> None:
    if when is not None and when <= ctx.now():
        raise InvalidInput(
            _("The {what} ({when:%Y-%m-%d %H:%M} UTC) is in the past.", what=_(what), when=when),
            _("Give a time in the future."),
        )


def _check_phase(
    election: Election,
    nominations_open_at: datetime | None,
    nominations_close_at: datetime | None,
    voting_open_at: datetime | None,
) -> None:
    """Refuse to move a date the election's phase has already passed."""
    phase = election.phase
    if phase in ("closed", "certified", "cancelled"):
        raise Conflict(
            _(
                "{slug} is {phase}; its dates can no longer change.",
                slug=election.slug,
                phase=labels.label(labels.ELECTION_PHASES, phase),
            )
        )
    if nominations_open_at is not None and phase != "draft":
        raise Conflict(
            _(
                "Nominations for {slug} already opened ({phase}).",
                slug=election.slug,
                phase=labels.label(labels.ELECTION_PHASES, phase),
            )
        )
    if (nominations_close_at is not None or voting_open_at is not None) and phase == "voting":
        raise Conflict(
            _(
                "Voting in {election_slug} is already open; only --voting-close can change.",
                election_slug=election.slug,
            )
        )


def _check_order(election: Election) -> None:
    """Refuse dates out of order (of those still ahead of the election's phase)."""
    phase = election.phase
    order = [
        (N_("nominations opening"), election.nominations_open_at if phase == "draft" else None),
        (N_("nomination deadline"), election.nominations_close_at if phase != "voting" else None),
        (N_("voting opening"), election.voting_open_at if phase != "voting" else None),
        (N_("voting deadline"), election.voting_close_at),
    ]
    known = [(w, t) for w, t in order if t is not None]
    for (first, a), (second, b) in itertools.pairwise(known):
        if b < a:
            raise InvalidInput(
                _("The {second} must come after the {first}.", second=_(second), first=_(first))
            )


async def set_election_timeline(
    ctx: Context,
    actor: Actor,
    slug: str,
    *,
    nominations_open_at: datetime | None = None,
    nominations_close_at: datetime | None = None,
    voting_open_at: datetime | None = None,
    voting_close_at: datetime | None = None,
) -> Election:
    """Plan or move an election's dates; its scheduled work moves with them (never duplicated).

    Only dates still ahead of the election's phase can change (nominations dates before voting opens;
    the voting deadline until it closes); each must be in the future and the whole must be in order.
    """
    given = {
        N_("nominations opening"): nominations_open_at,
        N_("nomination deadline"): nominations_close_at,
        N_("voting opening"): voting_open_at,
        N_("voting deadline"): voting_close_at,
    }
    if all(v is None for v in given.values()):
        raise InvalidInput(
            _("Give at least one date to change."),
            _("Options: --nominations-open, --nominations-close, --voting-open, --voting-close."),
        )
    for what, when in given.items():
        _future(ctx, when, what)
    async with ctx.db.transaction() as session:
        election = await elections.election_by_slug(session, slug, lock="update")
        policy = governing_policy(
            election.policy_name,
            election.policy_version,
            election.policy_hash,
            _("Election {slug}", slug=election.slug),
        )
        body = await session.get(Body, election.body_id)
        assert body is not None
        enforce(policy.may_run_elections(await actor_facts(session, actor, body), body_facts(body)), policy)
        phase = election.phase
        _check_phase(election, nominations_open_at, nominations_close_at, voting_open_at)
        changed: dict[str, str] = {}
        for field_name, value in (
            ("nominations_open_at", nominations_open_at),
            ("nominations_close_at", nominations_close_at),
            ("voting_open_at", voting_open_at),
            ("voting_close_at", voting_close_at),
        ):
            if value is not None:
                setattr(election, field_name, value)
                changed[field_name] = value.isoformat()
        _check_order(election)
        rules = policy.election_rules(body_facts(body))
        planned: dict[str, Any] = {}
        choices = bounds.planned_period(ctx.now(), policy, rules, election)  # refused outside the bounds
        if choices and voting_close_at is not None:
            planned["choices"] = choices
        if rules.staggered and (voting_close_at is not None or nominations_close_at is not None):
            # The seats free by the close follow it: plan again (a count fixed by open voting may not change).
            now, voting_close = ctx.now(), election.voting_close_at
            close = terms.planned_close(
                now,
                rules,
                election.nominations_close_at,
                voting_close if voting_close is not None and voting_close > now else None,
            )
            plan = await terms.replan(
                session, ctx, actor, election, body, rules, policy, close, fixed=phase == "voting"
            )
            planned = {"seats": election.seats, "seat_plan": plan.to_json()}
        await record(
            session,
            ctx,
            actor,
            stream=f"election:{election.slug}",
            kind="election.timeline_changed",
            subject=election.slug,
            payload={**changed, **planned},
        )
        if phase in ("nominating", "voting"):
            notify(
                session,
                ctx,
                kind="election.timeline_changed",
                body_id=body.id,
                params={"election": election.slug, "title": election.title, "changes": dict(changed)},
            )
        await due.sync_election(session, ctx, election, rules)
        return election


async def set_motion_deadline(ctx: Context, actor: Actor, ref: str | int, deadline: datetime) -> Motion:
    """Move an open motion's deadline (the secretariat); its close and reminders move with it."""
    _future(ctx, deadline, N_("deadline"))
    async with ctx.db.transaction() as session:
        motion = await motions.motion_by_ref(session, ref, lock="update")
        policy = governing_policy(
            motion.policy_name, motion.policy_version, motion.policy_hash, _("Motion M{id}", id=motion.id)
        )
        if motion.phase != "open":
            raise Conflict(
                _(
                    "Motion M{id} is {phase}; its deadline can no longer change.",
                    id=motion.id,
                    phase=labels.label(labels.MOTION_PHASES, motion.phase),
                )
            )
        body = await session.get(Body, motion.body_id)
        assert body is not None
        facts = await actor_facts(session, actor, body)
        enforce(policy.may_administer(facts, _("move a motion's deadline")), policy)
        rules = policy.motion_rules(body_facts(body), motion.kind)
        choices = bounds.check_period(policy, rules.bounds, rules.voting_days, deadline - motion.opened_at)
        before = motion.deadline
        motion.deadline = deadline
        await record(
            session,
            ctx,
            actor,
            stream=f"motion:{motion.id}",
            kind="motion.deadline_changed",
            subject=f"M{motion.id}",
            payload={"from": before.isoformat(), "to": deadline.isoformat(), "choices": choices},
        )
        notify(
            session,
            ctx,
            kind="motion.deadline_changed",
            body_id=body.id,
            params={"motion": motion.id, "title": motion.title, "deadline": deadline},
        )
        await due.sync_motion(session, ctx, motion, rules)
        return motion


# ---------------------------------------------------------------- periodic upkeep
