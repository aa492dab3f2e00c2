"""Certifying a counted election: the elected take their seats for their terms."""

from __future__ import annotations

from sqlalchemy import select
from sqlmodel import col

from governance import checkpoints, labels
from governance.errors import Conflict
from governance.i18n import _
from governance.models import (
    Candidate,
    Election,
    Membership,
)
from governance.services import monitors, terms
from governance.services.common import (
    Actor,
    Context,
    body_facts,
    notify,
    record,
)
from governance.services.elections.counting import _term_start, add_months
from governance.services.elections.lookup import SEATED_ROLES, _load_for_change, _stream


async def certify(ctx: Context, actor: Actor, slug: str) -> Election:
    """Certify a closed election's result and seat the elected in the body."""
    async with ctx.db.transaction() as session:
        election, body, policy = await _load_for_change(session, actor, slug)
        if election.phase != "closed":
            raise Conflict(
                _(
                    "{slug} is {phase}; only a closed election can be certified.",
                    slug=election.slug,
                    phase=labels.label(labels.ELECTION_PHASES, election.phase),
                )
            )
        election.phase = "certified"
        election.certified_at = ctx.now()
        election.certified_by_id = actor.person_id
        rules = policy.election_rules(body_facts(body))
        winners = (
            (
                await session.execute(
                    select(Candidate).where(
                        col(Candidate.election_id) == election.id, col(Candidate.status) == "elected"
                    )
                )
            )
            .scalars()
            .all()
        )
        for winner in winners:
            membership = (
                await session.execute(
                    select(Membership).where(
                        col(Membership.body_id) == body.id, col(Membership.person_id) == winner.person_id
                    )
                )
            ).scalar_one_or_none()
            term_ends_at = (
                add_months(_term_start(election, membership, ctx.now()), rules.term_months)
                if rules.term_months
                else None
            )
            if membership is None:
                assert body.id is not None
                session.add(
                    Membership(
                        body_id=body.id,
                        person_id=winner.person_id,
                        role="member",
                        status="active",
                        since=ctx.now(),
                        term_ends_at=term_ends_at,
                        terms_served=1,
                    )
                )
            else:
                # Re-elected while seated: a consecutive term; after a gap the count starts again.
                consecutive = membership.status == "active" and membership.role in SEATED_ROLES
                membership.terms_served = membership.terms_served + 1 if consecutive else 1
                membership.term_ends_at = term_ends_at
                membership.state = "active"
                membership.status = "active"
                if membership.role not in SEATED_ROLES:  # an observer or emeritus elected takes a seat
                    membership.role = "member"
                membership.since = membership.since or ctx.now()
                membership.until = None
        await monitors.require_cosignatures(session, election, rules)  # k monitors co-signed the close
        if rules.staggered:  # the seats it filled: the members whose terms ended and were not re-elected go
            await terms.end_replaced_terms(session, ctx, actor, election, body, policy)
            await session.flush()
            await terms.check_not_overfilled(session, election, body, rules.seats)
        await record(
            session,
            ctx,
            actor,
            stream=_stream(election),
            kind="election.certified",
            subject=election.slug,
            payload={
                "policy": policy.identity,
                "seated": len(winners),
                **({"empty_seats": empty} if (empty := max(0, election.seats - len(winners))) else {}),
            },
        )
        notify(
            session,
            ctx,
            kind="election.certified",
            body_id=body.id,
            params={
                "election": election.slug,
                "title": election.title,
                "body_name": body.name,
                "empty": 0 if winners else empty,
            },
        )
        await checkpoints.make(
            session, ctx, reason="election.certified", subject=_stream(election), body_id=body.id
        )
        return election
