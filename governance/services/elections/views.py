"""An election as shown, its stored result read back, and the list of elections."""

from __future__ import annotations

import json
from dataclasses import dataclass

from sqlalchemy import select
from sqlmodel import col

from governance import labels, tally
from governance.errors import Conflict, InvalidInput
from governance.i18n import _
from governance.models import (
    Body,
    Candidate,
    Election,
    Person,
    Voter,
)
from governance.policies.base import (
    ElectionRules,
)
from governance.services import bounds, electorate, terms
from governance.services.common import (
    Context,
    body_by_slug,
    body_facts,
    count_rows,
)
from governance.services.elections.counting import recorded_electorate
from governance.services.elections.lookup import _policy_of, _stream, ballot_default_option, election_by_slug


@dataclass(frozen=True)
class ElectionView:
    """An election as shown to people: settings, candidates and turnout so far."""

    election: Election
    body: Body
    candidates: list[tuple[Candidate, Person]]
    voters: int
    result: dict[str, object] | None
    seat_plan: terms.SeatPlan | None = None  # how a staggered body's seat count was found
    default_option: str | None = None  # the label of the option every ballot offers besides the candidates
    electorate: int | None = None  # the quorum's base, counted when voting opened (a 3Q quorum)
    fixed: int | None = None  # the size of the frozen electorate (None: not fixed yet)
    choices: tuple[str, ...] = ()  # the per-election choices made, with the policy's bounds, in words


async def show(ctx: Context, slug: str) -> ElectionView:
    """Everything public about an election: phase, windows, candidates, turnout, result when closed."""
    async with ctx.db.reading() as session:
        election = await election_by_slug(session, slug)
        body = await session.get(Body, election.body_id)
        assert body is not None
        rows = (
            await session.execute(
                select(Candidate, Person)
                .join(Person, col(Candidate.person_id) == col(Person.id))
                .where(col(Candidate.election_id) == election.id)
                .order_by(col(Person.name))
            )
        ).all()
        voters = await count_rows(session, select(col(Voter.id)).where(col(Voter.election_id) == election.id))
        result = json.loads(election.result) if election.result else None
        plan = await terms.recorded_plan(session, _stream(election))
        return ElectionView(
            election,
            body,
            [(c, p) for c, p in rows],
            voters,
            result,
            plan,
            default_option=_default_option_of(election, body),
            electorate=await recorded_electorate(session, election),
            fixed=await electorate.frozen_count(session, election),
            choices=tuple(
                bounds.describe_election(
                    await bounds.recorded_choices(session, _stream(election)), _rules_of(election, body)
                )
            ),
        )


def _rules_of(election: Election, body: Body) -> ElectionRules | None:
    """The election's rules under the policy it opened with (None when that policy's source changed)."""
    try:
        rules: ElectionRules = _policy_of(election).election_rules(body_facts(body))
    except (Conflict, InvalidInput):
        return None
    return rules


def _default_option_of(election: Election, body: Body) -> str | None:
    """The default option of an election's ballots (None when its policy has changed since: voting is
    then refused anyway, with the reason)."""
    try:
        policy = _policy_of(election)
    except (Conflict, InvalidInput):
        return None
    return ballot_default_option(election.method, policy.election_rules(body_facts(body)))


async def list_elections(ctx: Context, body: str | None = None) -> list[tuple[Election, Body]]:
    """Elections, newest first, optionally of one body."""
    async with ctx.db.reading() as session:
        stmt = select(Election, Body).join(Body, col(Election.body_id) == col(Body.id))
        if body:
            target = await body_by_slug(session, body)
            stmt = stmt.where(col(Election.body_id) == target.id)
        return [(e, b) for e, b in (await session.execute(stmt.order_by(col(Election.id).desc()))).all()]


async def result(ctx: Context, slug: str) -> tally.Result:
    """The stored result of a closed election (re-read from its JSON)."""
    view = await show(ctx, slug)
    if view.election.result is None:
        raise Conflict(
            _(
                "{slug} has no result yet (it is {phase}).",
                slug=view.election.slug,
                phase=labels.label(labels.ELECTION_PHASES, view.election.phase),
            )
        )
    return result_from_json(view.election.result)


def result_from_json(text: str) -> tally.Result:
    """Rebuild a ``Result`` for display from its stored JSON (notes keep their message ids, if recorded)."""
    return tally.Result.from_json(json.loads(text))
