"""Candidacies: nominated, accepted or declined, their statements, withdrawn; the end of nominations."""

from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from governance import labels
from governance import text as text_rules
from governance.errors import Closed, Conflict, Forbidden, NotFound
from governance.i18n import _
from governance.models import (
    Body,
    Candidate,
    Election,
    Person,
)
from governance.services.common import (
    Actor,
    Context,
    actor_facts,
    body_facts,
    enforce,
    notify,
    person_by_handle,
    person_facts,
    record,
)
from governance.services.elections.counting import _term_and_cap_refusal
from governance.services.elections.lookup import (
    _CANDIDACY_IS,
    _policy_of,
    _poll_facts,
    _require_runner,
    _stream,
    election_by_slug,
)


async def nominate(
    ctx: Context, actor: Actor, slug: str, nominee: str | None = None, statement: str | None = None
) -> Candidate:
    """Nominate someone (or oneself) while nominations are open; a self-nomination is accepted at once."""
    statement = text_rules.clean(statement, text_rules.STATEMENT, _("the statement"), required=False)
    if actor.person_id is None:
        raise Forbidden(_("Only a person can nominate."))
    async with ctx.db.transaction() as session:
        election = await election_by_slug(session, slug, lock="share")
        policy = _policy_of(election)
        body, poll = await _poll_facts(session, election)
        if election.phase != "nominating":
            raise Closed(
                _(
                    "Nominations for {slug} are not open (it is {phase}).",
                    slug=election.slug,
                    phase=labels.label(labels.ELECTION_PHASES, election.phase),
                )
            )
        if election.nominations_close_at and ctx.now() >= election.nominations_close_at:
            raise Closed(
                _(
                    "Nominations for {election_slug} closed at {election_nominations_close_at:%Y-%m-%d "
                    "%H:%M} UTC.",
                    election_slug=election.slug,
                    election_nominations_close_at=election.nominations_close_at,
                )
            )
        person = await person_by_handle(session, nominee or actor.handle)
        nominator_facts = await actor_facts(session, actor, body)
        nominee_facts = await person_facts(session, person, body)
        rules = policy.election_rules(body_facts(body))
        is_self = person.id == actor.person_id
        if is_self and not rules.self_nomination:
            raise Forbidden(_("Self-nomination is not allowed in this election."), rule="no-self-nomination")
        enforce(policy.may_nominate(poll, nominator_facts, nominee_facts), policy)
        enforce(policy.may_stand(poll, nominee_facts), policy)
        enforce(await _term_and_cap_refusal(session, election, body, person, nominee_facts, rules), policy)
        existing = (
            await session.execute(
                select(Candidate).where(
                    col(Candidate.election_id) == election.id, col(Candidate.person_id) == person.id
                )
            )
        ).scalar_one_or_none()
        if existing is not None and existing.status not in ("declined", "withdrawn"):
            raise Conflict(
                _(
                    "{person_name} is already a candidate in {slug} ({status}).",
                    person_name=person.name,
                    slug=election.slug,
                    status=labels.label(labels.CANDIDACIES, existing.status),
                )
            )
        status = "accepted" if is_self else "nominated"
        if existing is not None:
            existing.status = status
            existing.nominated_by_id = actor.person_id
            existing.statement = statement or existing.statement
            candidate = existing
        else:
            assert election.id is not None and person.id is not None
            candidate = Candidate(
                election_id=election.id,
                person_id=person.id,
                nominated_by_id=actor.person_id,
                statement=statement,
                status=status,
                created_at=ctx.now(),
            )
            session.add(candidate)
        await session.flush()
        await record(
            session,
            ctx,
            actor,
            stream=_stream(election),
            kind="candidate.nominated",
            subject=person.handle,
            payload={"by": actor.handle, "status": status, "policy": policy.identity},
        )
        if not is_self:
            notify(
                session,
                ctx,
                kind="candidate.nominated",
                person_id=person.id,
                params={"election": election.slug, "title": election.title, "actor_name": actor.name},
            )
        return candidate


async def _own_candidacy(session: AsyncSession, actor: Actor, election: Election) -> Candidate:
    candidate = (
        await session.execute(
            select(Candidate).where(
                col(Candidate.election_id) == election.id, col(Candidate.person_id) == actor.person_id
            )
        )
    ).scalar_one_or_none()
    if candidate is None:
        raise NotFound(_("You are not a candidate in {election_slug}.", election_slug=election.slug))
    return candidate


async def respond(
    ctx: Context, actor: Actor, slug: str, accept: bool, statement: str | None = None
) -> Candidate:
    """Accept (with an optional statement) or decline one's own nomination before voting opens."""
    statement = text_rules.clean(statement, text_rules.STATEMENT, _("the statement"), required=False)
    async with ctx.db.transaction() as session:
        election = await election_by_slug(session, slug, lock="share")
        if election.phase != "nominating":
            raise Closed(
                _(
                    "Nominations for {slug} are not open (it is {phase}).",
                    slug=election.slug,
                    phase=labels.label(labels.ELECTION_PHASES, election.phase),
                )
            )
        candidate = await _own_candidacy(session, actor, election)
        if candidate.status not in ("nominated", "accepted") or (accept and candidate.status == "accepted"):
            raise Conflict(
                _(
                    _CANDIDACY_IS.get(candidate.status, _CANDIDACY_IS[""]),
                    slug=election.slug,
                    status=labels.label(labels.CANDIDACIES, candidate.status),
                )
            )
        candidate.status = "accepted" if accept else "declined"
        if statement:
            candidate.statement = statement
        await record(
            session,
            ctx,
            actor,
            stream=_stream(election),
            kind=f"candidate.{candidate.status}",
            subject=actor.handle,
            payload={"statement": bool(statement)},
        )
        return candidate


async def set_statement(ctx: Context, actor: Actor, slug: str, statement: str) -> Candidate:
    """Write or replace one's candidate statement until voting closes."""
    statement = text_rules.clean(statement, text_rules.STATEMENT, _("the statement")) or ""
    async with ctx.db.transaction() as session:
        election = await election_by_slug(session, slug, lock="share")
        if election.phase not in ("nominating", "voting"):
            raise Closed(
                _(
                    "{slug} is {phase}; statements can no longer change.",
                    slug=election.slug,
                    phase=labels.label(labels.ELECTION_PHASES, election.phase),
                )
            )
        candidate = await _own_candidacy(session, actor, election)
        candidate.statement = statement.strip()
        await record(
            session,
            ctx,
            actor,
            stream=_stream(election),
            kind="candidate.statement",
            subject=actor.handle,
            payload={"sha256": hashlib.sha256(statement.encode()).hexdigest()},
        )
        return candidate


async def withdraw(ctx: Context, actor: Actor, slug: str, handle: str | None = None) -> Candidate:
    """Withdraw a candidacy (one's own, or anyone's by an admin) before voting closes."""
    async with ctx.db.transaction() as session:
        election = await election_by_slug(session, slug, lock="share")
        policy = _policy_of(election)
        if election.phase not in ("nominating", "voting"):
            raise Closed(
                _(
                    "{slug} is {phase}; candidacies can no longer change.",
                    slug=election.slug,
                    phase=labels.label(labels.ELECTION_PHASES, election.phase),
                )
            )
        person = await person_by_handle(session, handle or actor.handle)
        if person.id != actor.person_id:
            body = await session.get(Body, election.body_id)
            assert body is not None
            await _require_runner(session, actor, body, policy)
        candidate = (
            await session.execute(
                select(Candidate).where(
                    col(Candidate.election_id) == election.id, col(Candidate.person_id) == person.id
                )
            )
        ).scalar_one_or_none()
        if candidate is None or candidate.status in ("withdrawn", "declined"):
            raise NotFound(
                _(
                    "{person_name} is not standing in {election_slug}.",
                    person_name=person.name,
                    election_slug=election.slug,
                )
            )
        candidate.status = "withdrawn"
        await record(
            session, ctx, actor, stream=_stream(election), kind="candidate.withdrawn", subject=person.handle
        )
        return candidate


async def nominations_closed(
    session: AsyncSession,
    ctx: Context,
    actor: Actor,
    election: Election,
    *,
    due_at: datetime,
    dedupe_key: str,
) -> list[str]:
    """Record that nominations to ``election`` (locked, still nominating) ended at their deadline and tell
    its body, with the candidates standing, so people know who runs before voting opens; returns their
    names. The phase does not change: voting opens at its own time."""
    names = (
        await session.execute(
            select(col(Person.name))
            .join(Candidate, col(Candidate.person_id) == col(Person.id))
            .where(col(Candidate.election_id) == election.id, col(Candidate.status) == "accepted")
            .order_by(col(Person.name))
        )
    ).scalars()
    standing = list(names)
    await record(
        session,
        ctx,
        actor,
        stream=f"election:{election.slug}",
        kind="election.nominations_closed",
        subject=election.slug,
        payload={"candidates": len(standing), "due_at": due_at.isoformat()},
    )
    opens = election.voting_open_at
    notify(
        session,
        ctx,
        kind="election.nominations_closed",
        body_id=election.body_id,
        dedupe_key=dedupe_key,
        params={"election": election.slug, "title": election.title, "standing": standing, "opens": opens},
    )
    return standing
