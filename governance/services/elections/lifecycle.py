"""An election's phases: created, nominations opened, voting opened (the electorate fixed as the
policy says)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlmodel import col

from governance import labels
from governance import text as text_rules
from governance.errors import Conflict, InvalidInput, suggest
from governance.i18n import _
from governance.models import (
    Candidate,
    Election,
)
from governance.services import bounds, due, electorate, terms
from governance.services.common import (
    Actor,
    Context,
    body_by_slug,
    body_facts,
    check_slug,
    notify,
    record,
)
from governance.services.elections.lookup import (
    ELECTION_METHODS,
    NOMINATION_DEADLINE_PAST,
    VOTING_DEADLINE_PAST,
    _future,
    _load_for_change,
    _quorum_needs_electorate,
    _require_runner,
    _stream,
)
from governance.tally.count import METHODS


async def create_election(
    ctx: Context,
    actor: Actor,
    body: str,
    slug: str,
    title: str | None = None,
    *,
    seats: int | None = None,
    method: str | None = None,
    nominations_close_at: datetime | None = None,
    voting_close_at: datetime | None = None,
) -> Election:
    """Create an election to a body in the draft phase, with the body's policy's defaults."""
    slug = check_slug(slug, _("election id"))
    title = text_rules.clean(title, text_rules.TITLE, _("the election's title"), required=False)
    if method is not None and method not in ELECTION_METHODS:
        raise InvalidInput(
            _("Unknown counting method {method!r}.", method=method),
            _("Methods: {join_election_methods}.", join_election_methods=", ".join(ELECTION_METHODS)),
        )
    if seats is not None and seats < 1:
        raise InvalidInput(_("An election fills at least one seat."))
    _future(ctx, nominations_close_at, NOMINATION_DEADLINE_PAST)
    _future(ctx, voting_close_at, VOTING_DEADLINE_PAST)
    if nominations_close_at and voting_close_at and voting_close_at <= nominations_close_at:
        raise InvalidInput(_("Voting must close after nominations close."))
    async with ctx.db.transaction() as session:
        target = await body_by_slug(session, body)
        policy = ctx.policy_for(target)
        await _require_runner(session, actor, target, policy)
        if (await session.execute(select(col(Election.id)).where(col(Election.slug) == slug))).first():
            raise Conflict(_("An election {slug!r} already exists.", slug=slug), _("Choose another id."))
        assert target.id is not None
        rules = policy.election_rules(body_facts(target))
        chosen_method = method or rules.method
        if chosen_method not in METHODS:
            raise InvalidInput(
                _(
                    "Policy {policy_name} names an unknown counting method {chosen_method!r}.",
                    policy_name=policy.name,
                    chosen_method=chosen_method,
                )
            )
        plan = None
        seats_given = seats is not None
        asked = seats
        if rules.staggered:
            close = terms.planned_close(ctx.now(), rules, nominations_close_at, voting_close_at)
            plan = await terms.plan_for(session, target, rules, close)
            seats = terms.check_seats(plan, seats, target, policy)
        choices = bounds.check_election(
            policy, rules, target.name, method=method, seats_given=asked, seats=seats or rules.seats
        )
        if voting_close_at is not None:
            opens = max(ctx.now(), nominations_close_at or ctx.now())
            choices |= bounds.check_period(policy, rules.bounds, rules.voting_days, voting_close_at - opens)
        election = Election(
            slug=slug,
            body_id=target.id,
            title=(title or _("{body} election", body=target.name)).strip(),
            seats=seats or rules.seats,
            method=chosen_method,
            phase="draft",
            secret=rules.secret,
            nominations_close_at=nominations_close_at,
            voting_close_at=voting_close_at,
            policy_name=policy.origin,
            policy_version=policy.version,
            policy_hash=policy.sha256,
            seed="",
            created_by_id=actor.person_id,
            created_at=ctx.now(),
        )
        session.add(election)
        await session.flush()
        await record(
            session,
            ctx,
            actor,
            stream=_stream(election),
            kind="election.created",
            subject=slug,
            payload={
                "body": target.slug,
                "title": election.title,
                "seats": election.seats,
                "method": election.method,
                "secret": election.secret,
                "policy": policy.identity,
                "organisation_cap": rules.organisation_cap,
                **({"seat_plan": plan.to_json(), "seats_given": seats_given} if plan else {}),
                **({"choices": choices} if choices else {}),
            },
        )
        await due.sync_election(session, ctx, election, rules)
        return election


async def open_nominations(
    ctx: Context, actor: Actor, slug: str, close_at: datetime | None = None
) -> Election:
    """Open nominations (from draft); they close at ``close_at`` or after the policy's nomination period."""
    _future(ctx, close_at, NOMINATION_DEADLINE_PAST)
    async with ctx.db.transaction() as session:
        election, body, policy = await _load_for_change(session, actor, slug)
        if election.phase != "draft":
            raise Conflict(
                _(
                    "Nominations for {slug} can only open from draft; it is {phase}.",
                    slug=election.slug,
                    phase=labels.label(labels.ELECTION_PHASES, election.phase),
                )
            )
        rules = policy.election_rules(body_facts(body))
        election.phase = "nominating"
        election.nominations_open_at = ctx.now()
        planned = election.nominations_close_at
        election.nominations_close_at = close_at or (
            planned
            if planned is not None and planned > ctx.now()
            else ctx.now() + timedelta(days=rules.nomination_days)
        )
        plan = None
        if rules.staggered:
            voting_close = election.voting_close_at
            close = terms.planned_close(
                ctx.now(),
                rules,
                election.nominations_close_at,
                voting_close if voting_close and voting_close > ctx.now() else None,
            )
            plan = await terms.replan(session, ctx, actor, election, body, rules, policy, close)
        await record(
            session,
            ctx,
            actor,
            stream=_stream(election),
            kind="election.nominations_opened",
            subject=election.slug,
            payload={
                "close_at": election.nominations_close_at.isoformat(),
                **({"seats": election.seats, "seat_plan": plan.to_json()} if plan else {}),
            },
        )
        notify(
            session,
            ctx,
            kind="election.nominations_opened",
            body_id=body.id,
            params={
                "election": election.slug,
                "title": election.title,
                "seats": election.seats,
                "closes": election.nominations_close_at,
            },
        )
        await due.sync_election(session, ctx, election, rules)
        return election


async def open_voting(ctx: Context, actor: Actor, slug: str, close_at: datetime | None = None) -> Election:
    """Close nominations and open voting until ``close_at`` (or the policy's voting period)."""
    _future(ctx, close_at, VOTING_DEADLINE_PAST)
    async with ctx.db.transaction() as session:
        election, body, policy = await _load_for_change(session, actor, slug)
        if election.phase not in ("draft", "nominating"):
            raise Conflict(
                _(
                    "Voting in {slug} can only open from draft or nominating; it is {phase}.",
                    slug=election.slug,
                    phase=labels.label(labels.ELECTION_PHASES, election.phase),
                )
            )
        candidates = (
            (await session.execute(select(Candidate).where(col(Candidate.election_id) == election.id)))
            .scalars()
            .all()
        )
        standing = [c for c in candidates if c.status == "accepted"]
        if not standing:
            raise Conflict(
                _("{election_slug} has no accepted candidate.", election_slug=election.slug),
                suggest=suggest("accept", "election accept"),
            )
        for c in candidates:
            if c.status == "nominated":
                c.status = "lapsed"
        rules = policy.election_rules(body_facts(body))
        choices = bounds.opening_period(ctx.now(), policy, rules, election, close_at)
        election.phase = "voting"
        election.voting_open_at = ctx.now()
        election.voting_close_at = close_at or (
            election.voting_close_at
            if election.voting_close_at and election.voting_close_at > ctx.now()
            else ctx.now() + timedelta(days=rules.voting_days)
        )
        plan = (
            await terms.replan(session, ctx, actor, election, body, rules, policy, election.voting_close_at)
            if rules.staggered
            else None
        )
        fixed = await electorate.fix(session, ctx, actor, election, body, policy)
        quorum_base = fixed if _quorum_needs_electorate(election, rules) else None
        await record(
            session,
            ctx,
            actor,
            stream=_stream(election),
            kind="election.voting_opened",
            subject=election.slug,
            payload={
                "close_at": election.voting_close_at.isoformat(),
                "candidates": len(standing),
                **({"seats": election.seats, "seat_plan": plan.to_json()} if plan else {}),
                **({"electorate": quorum_base} if quorum_base is not None else {}),
                **({"choices": choices} if choices else {}),
            },
        )
        notify(
            session,
            ctx,
            kind="election.voting_opened",
            body_id=body.id,
            params={"election": election.slug, "title": election.title, "closes": election.voting_close_at},
        )
        await due.sync_election(session, ctx, election, rules)
        return election
