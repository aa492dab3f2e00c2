"""Closing an election and counting it: the ballot profile, the quorum, terms and seat caps, the result
recorded and pinned by a checkpoint in the close's transaction.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from datetime import datetime
from typing import Any

from dateutil.relativedelta import relativedelta
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from governance import checkpoints, labels, reconcile, secrecy, tally
from governance.errors import Conflict
from governance.i18n import _, ngettext
from governance.models import (
    AuditEvent,
    Ballot,
    Body,
    Candidate,
    Election,
    Membership,
    Organisation,
    Person,
)
from governance.policies import LoadedPolicy
from governance.policies.base import (
    DEFAULT_OPTION_ALIAS,
    DEFAULT_OPTION_KEY,
    ElectionRules,
    PersonFacts,
    PollFacts,
    Refusal,
)
from governance.services import due, electorate, terms
from governance.services.common import (
    Actor,
    Context,
    body_facts,
    facts_columns,
    facts_from_row,
    facts_joins,
    notify,
    record,
)
from governance.services.elections.lookup import (
    SEATED_ROLES,
    _load_for_change,
    _stream,
    ballot_default_option,
)
from governance.tally.caps import GroupCap
from governance.tally.debian import quorum_multiple
from governance.tally.seed import SEED_RULE, ballot_seed


def _candidate_names(rows: list[tuple[Candidate, Person]]) -> dict[int, str]:
    """Display names for the count: the person's name, made unique with the handle when two clash."""
    clashes = Counter(p.name for _, p in rows)
    return {p.id: (p.name if clashes[p.name] == 1 else f"{p.name} ({p.handle})") for _, p in rows if p.id}


async def _held_seats(session: AsyncSession, election: Election) -> dict[str, int]:
    """Seats the body's continuing members hold, per organisation (they count against the cap)."""
    rows = (
        await session.execute(
            select(Membership, Person)
            .join(Person, col(Membership.person_id) == col(Person.id))
            .where(
                col(Membership.body_id) == election.body_id,
                col(Membership.status) == "active",
                col(Membership.role).in_(SEATED_ROLES),  # an observer holds no seat
                col(Membership.state).not_in(terms.VACATED_STATES),  # nor one who vacated it
            )
        )
    ).all()
    standing = set(
        (
            await session.execute(
                select(col(Candidate.person_id)).where(col(Candidate.election_id) == election.id)
            )
        ).scalars()
    )
    held: Counter[str] = Counter()
    orgs = {o.id: o.slug for o in (await session.execute(select(Organisation))).scalars()}
    for membership, person in rows:
        if person.id in standing or person.organisation_id is None:
            continue
        ends = membership.until or membership.term_ends_at
        if ends is not None and election.voting_close_at and ends <= election.voting_close_at:
            continue
        held[orgs[person.organisation_id]] += 1
    return dict(held)


async def _term_and_cap_refusal(
    session: AsyncSession,
    election: Election,
    body: Body,
    person: Person,
    facts: PersonFacts,
    rules: ElectionRules,
) -> Refusal | None:
    """The policy's term limit and per-organisation seat cap, applied to a nominee (issue 4)."""
    membership = (
        await session.execute(
            select(Membership).where(
                col(Membership.body_id) == body.id, col(Membership.person_id) == person.id
            )
        )
    ).scalar_one_or_none()
    if (
        rules.term_limit is not None
        and membership is not None
        and membership.status == "active"
        and membership.terms_served >= rules.term_limit
    ):
        return Refusal(
            "term-limit",
            _(
                "{person_name} has served {membership_terms_served} consecutive terms on {body_name}, the "
                "limit of {rules_term_limit}; they may stand again after a term off.",
                person_name=person.name,
                membership_terms_served=membership.terms_served,
                body_name=body.name,
                rules_term_limit=rules.term_limit,
            ),
        )
    cap = rules.cap_for(facts.organisation_tier)
    if cap is None or facts.organisation is None:
        return None
    held = (await _held_seats(session, election)).get(facts.organisation, 0)
    if membership is not None and membership.status == "active" and membership.role in SEATED_ROLES:
        ends = membership.until or membership.term_ends_at
        if ends is None or election.voting_close_at is None or ends > election.voting_close_at:
            held -= 1  # counted as continuing, but their own seat is the one they stand for again
    if held < cap:
        return None
    if facts.organisation_tier in rules.tier_caps:
        why = ngettext(
            "{org} already holds the {n} {body} seat its tier allows, through members who stay on; "
            "{person} could not take a seat.",
            "{org} already holds the {n} {body} seats its tier allows, through members who stay on; "
            "{person} could not take a seat.",
            cap,
            org=facts.organisation_name,
            body=body.name,
            person=person.name,
        )
    else:
        why = ngettext(
            "{org} already holds the {n} {body} seat an organisation may hold, through members who stay "
            "on; {person} could not take a seat.",
            "{org} already holds the {n} {body} seats an organisation may hold, through members who stay "
            "on; {person} could not take a seat.",
            cap,
            org=facts.organisation_name,
            body=body.name,
            person=person.name,
        )
    return Refusal("organisation-cap", why)


def _term_start(election: Election, membership: Membership | None, now: datetime) -> datetime:
    """When a term won in ``election`` starts: at its voting close (not at certification, so a yearly
    cycle with the same dates does not drift), or at the end of the winner's own current term when that
    is later (a seated member re-elected early serves their term out first)."""
    start = election.voting_close_at or now
    current = membership.term_ends_at if membership is not None and membership.status == "active" else None
    if current is not None and membership is not None and membership.role in SEATED_ROLES and current > start:
        return current
    return start


def add_months(when: datetime, months: int) -> datetime:
    """``when`` plus a number of calendar months (a term's end)."""
    return when + relativedelta(months=months)


async def _ballot_profile(
    session: AsyncSession,
    election: Election,
    options: list[str],
    handle_index: dict[str, int],
    withdrawn: list[int],
) -> tuple[tally.Profile, int, str]:
    """The profile the close counts, the number of ballots and the SHA-256 of their sorted texts.

    The database groups identical ballots (``GROUP BY content``), so only each distinct ballot
    crosses to Python and is decoded once, whatever the turnout; distinct ballots are taken in the
    order of their text, so the profile does not depend on the order rows are stored in. The digest
    is that of every ballot's text, sorted, joined by newlines (``ballots_sha256`` of the close),
    hashed a distinct ballot at a time.
    """
    rows = (
        await session.execute(
            select(col(Ballot.content), func.count())
            .where(col(Ballot.election_id) == election.id)
            .group_by(col(Ballot.content))
        )
    ).all()
    distinct = sorted(rows, key=lambda row: str(row[0]))
    digest = hashlib.sha256()
    for i, (content, n) in enumerate(distinct):
        chunk = (b"\n" + str(content).encode()) * int(n)
        digest.update(chunk[1:] if i == 0 else chunk)
    ballots = [
        ([[handle_index[h] for h in tier if h in handle_index] for tier in json.loads(content)], int(n))
        for content, n in distinct
    ]
    profile = tally.Profile.build(
        options, ballots, withdrawn=withdrawn, title=election.title, seats=election.seats
    )
    return profile, sum(int(n) for _, n in distinct), digest.hexdigest()


async def _group_cap(
    session: AsyncSession,
    election: Election,
    rules: ElectionRules,
    rows: list[tuple[Candidate, Person]],
    names: dict[int, str],
) -> GroupCap | None:
    """The cap on seats per organisation (or per tier) the policy sets, with the seats already held;
    None when the policy sets none."""
    if rules.organisation_cap or rules.tier_caps:
        all_orgs = list((await session.execute(select(Organisation))).scalars())
        orgs = {o.id: o.slug for o in all_orgs}
        limits = {o.slug: rules.cap_for(o.tier) for o in all_orgs}
        return GroupCap(
            groups={
                names[p.id]: orgs[p.organisation_id]
                for _, p in rows
                if p.id and p.organisation_id is not None and limits[orgs[p.organisation_id]] is not None
            },
            cap=rules.organisation_cap or max(rules.tier_caps.values()),
            held=await _held_seats(session, election),
            limits={slug: limit for slug, limit in limits.items() if limit is not None},
        )
    return None


async def _standing(session: AsyncSession, election: Election) -> list[tuple[Candidate, Person]]:
    """The candidates on the ballot (accepted or withdrawn since), in nomination order."""
    return [
        (c, p)
        for c, p in (
            await session.execute(
                select(Candidate, Person)
                .join(Person, col(Candidate.person_id) == col(Person.id))
                .where(
                    col(Candidate.election_id) == election.id,
                    col(Candidate.status).in_(("accepted", "withdrawn")),
                )
                .order_by(col(Candidate.id))
            )
        ).all()
    ]


async def close(ctx: Context, actor: Actor, slug: str) -> tally.Result:
    """Close voting and count; the result, its seed and the policy go into the audit log and the outbox."""
    async with ctx.db.transaction() as session:
        election, body, policy = await _load_for_change(session, actor, slug)
        if election.phase != "voting":
            raise Conflict(
                _(
                    "{slug} is {phase}; only an election in voting can be closed.",
                    slug=election.slug,
                    phase=labels.label(labels.ELECTION_PHASES, election.phase),
                )
            )
        ledger = await reconcile.require_reconciled(session, election=election)  # every ballot accounted for
        rows = await _standing(session, election)
        names = _candidate_names(rows)
        handle_index = {p.handle: i for i, (_, p) in enumerate(rows)}
        withdrawn = [i for i, (c, _) in enumerate(rows) if c.status == "withdrawn"]
        label = ballot_default_option(election.method, policy.election_rules(body_facts(body)))
        options = [names[p.id] for _, p in rows if p.id]
        if label is not None:  # the default option counts as the last option, under its label
            handle_index[DEFAULT_OPTION_KEY] = len(options)
            options.append(label if label not in options else f"{label} ({DEFAULT_OPTION_ALIAS})")
        profile, n_ballots, ballot_digest = await _ballot_profile(
            session, election, options, handle_index, withdrawn
        )
        seed = ballot_seed(profile)  # the one rule `govbot tally` repeats on the exported ballots
        rules = policy.election_rules(body_facts(body))
        caps = await _group_cap(session, election, rules, rows, names)
        if len(rows) == len(withdrawn):
            raise Conflict(
                _(
                    "Every candidate in {election_slug} has withdrawn; there is nobody to elect.",
                    election_slug=election.slug,
                ),
                _("Ask the secretariat to re-open nominations in a new election."),
            )
        default = len(options) - 1 if label is not None else None
        count_options = await _count_options(session, election, body, policy, rules, default)
        try:
            result = tally.count(
                election.method,
                profile,
                min(election.seats, len(rows) - len(withdrawn)),
                seed=seed,
                caps=caps,
                **count_options,
            )
        except tally.TallyInputError as exc:
            raise Conflict(
                _("{election_slug} cannot be counted: {exc}.", election_slug=election.slug, exc=exc),
                _("Nothing was changed; tell the secretariat."),
            ) from exc
        elected = set(result.elected)
        for c, p in rows:
            if c.status == "accepted":
                c.status = "elected" if names[p.id or 0] in elected else "not_elected"
        election.phase = "closed"
        election.closed_at = ctx.now()
        election.seed = seed
        election.result = result.dumps()
        if election.secret:  # no storage trace pairs a ballot with its voter once counted
            await secrecy.shuffle_poll(session, election_id=election.id)
        await record(
            session,
            ctx,
            actor,
            stream=_stream(election),
            kind="election.closed",
            subject=election.slug,
            payload={
                "elected": result.elected,
                "ballots": n_ballots,
                "seed": seed,
                "seed_rule": SEED_RULE,
                "ballots_sha256": ballot_digest,
                "ledger": ledger.to_json(),
                "method": election.method,
                "policy": policy.identity,
                "due_at": election.voting_close_at.isoformat() if election.voting_close_at else None,
                **({"count_options": count_options} if count_options else {}),
            },
        )
        notify(
            session,
            ctx,
            kind="election.result",
            body_id=body.id,
            dedupe_key=f"election:{election.id}:result",
            params={
                "election": election.slug,
                "title": election.title,
                "elected": list(result.elected),
                "ballots": n_ballots,
                "method": election.method,
                "option": None if result.elected else label,
            },
        )
        await due.sync_election(session, ctx, election, rules)
        # Signed in the close's transaction: the result never commits without the checkpoint pinning it.
        await checkpoints.make(
            session, ctx, reason="election.closed", subject=_stream(election), body_id=body.id
        )
        return result


async def _electorate(session: AsyncSession, election: Election, body: Body, policy: LoadedPolicy) -> int:
    """How many people the policy lets vote in the election now (as voting opens): a quorum's base."""
    poll = PollFacts(election.slug, body_facts(body), election.seats, election.phase)
    stmt = facts_joins(select(*facts_columns()).select_from(Person), None, body.id)
    people = (facts_from_row(row) for row in (await session.execute(stmt)).all())
    return sum(1 for facts in people if facts is not None and policy.may_vote(poll, facts) is None)


async def recorded_electorate(session: AsyncSession, election: Election) -> int | None:
    """The electorate counted when the election's voting opened (Debian fixes the number of Developers
    then, so roster changes during voting do not move the quorum); None when none was recorded.

    Only a count with a quorum rule records one; it is then the size of the frozen record
    (``governance.services.electorate``, exceptions granted included) when the election has one."""
    payloads = (
        await session.execute(
            select(col(AuditEvent.payload))
            .where(
                col(AuditEvent.stream) == _stream(election),
                col(AuditEvent.kind) == "election.voting_opened",
            )
            .order_by(col(AuditEvent.id).desc())
            .limit(1)
        )
    ).scalars()
    for payload in payloads:
        data = json.loads(payload)
        if isinstance(data, dict) and isinstance(data.get("electorate"), int):
            frozen = await electorate.frozen_count(session, election)
            return frozen if frozen is not None else int(data["electorate"])
    return None


async def _count_options(
    session: AsyncSession,
    election: Election,
    body: Body,
    policy: LoadedPolicy,
    rules: ElectionRules,
    default: int | None,
) -> dict[str, Any]:
    """The debian count's options for an election, from its policy's ``method_params``: the default
    option (``default``, its place among the options), the quorum (a rule such as 3Q is computed from
    the electorate counted when voting opened) and the majority ratio. JSON values only: the result
    records them, and an audit bundle re-counts with them."""
    if election.method != "debian":
        return {}
    if default is None:
        return {"no_default": True}
    params = rules.method_params
    options: dict[str, Any] = {"default": default, "default_elects_nobody": True}
    quorum = params.get("quorum")
    if quorum is not None:
        options["quorum"] = str(quorum)
        if quorum_multiple(quorum) is not None:
            recorded = await recorded_electorate(session, election)
            options["electorate"] = (
                recorded if recorded is not None else await _electorate(session, election, body, policy)
            )
    if params.get("supermajority") is not None:
        options["supermajority"] = str(params["supermajority"])
    return options
