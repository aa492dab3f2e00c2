"""Elections: create, nominate, accept or decline, open voting, cast and replace ballots, close, certify.

An election runs to its end under the policy it opened with: its name, version and source hash are
stored on the election when it is created and recorded with each decision. Ballots follow the
secrecy layout described in ``governance.models``.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from dateutil.relativedelta import relativedelta
from sqlalchemy import bindparam, delete, func, insert, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased
from sqlmodel import col

from governance import audit, checkpoints, labels, reconcile, secrecy, tally
from governance import text as text_rules
from governance.db import driver_fetch, note_write, sqlite_execute
from governance.errors import Closed, Conflict, Forbidden, InvalidInput, NotFound, suggest
from governance.i18n import N_, _, ngettext
from governance.models import (
    AuditEvent,
    Ballot,
    BallotSlot,
    Body,
    Candidate,
    Election,
    ElectorateEntry,
    Membership,
    Organisation,
    Person,
    Proxy,
    RetiredReceipt,
    Voter,
)
from governance.policies import LoadedPolicy, load_policy
from governance.policies.base import (
    DEFAULT_OPTION_ALIAS,
    DEFAULT_OPTION_KEY,
    BodyFacts,
    ElectionRules,
    PersonFacts,
    PollFacts,
    Refusal,
)
from governance.services import ballot_batch, bounds, due, electorate, monitors, proxies, terms
from governance.services.common import (
    Actor,
    Context,
    actor_facts,
    body_by_slug,
    body_facts,
    check_slug,
    count_rows,
    election_policy,
    election_stream,
    enforce,
    facts_columns,
    facts_from_row,
    facts_joins,
    notify,
    person_by_handle,
    person_facts,
    record,
    with_lock,
    write_transaction,
)
from governance.tally.caps import GroupCap
from governance.tally.count import METHODS
from governance.tally.debian import quorum_multiple
from governance.tally.seed import SEED_RULE, ballot_seed

PHASES = ("draft", "nominating", "voting", "closed", "certified", "cancelled")
RANKED_METHODS = frozenset({"irv", "stv-scottish", "stv-meek", "schulze", "ranked-pairs", "debian"})
TIES_ALLOWED = frozenset({"schulze", "ranked-pairs", "debian"})  # Debian: equal ranks allowed (§A.6(1))
SEATED_ROLES = frozenset({"member", "chair", "co_chair", "voting_rep"})
ELECTION_METHODS = ("plurality", "approval", "irv", "stv-scottish", "stv-meek", "schulze", "ranked-pairs")
RECEIPT_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
SECRET_VOTER = "voter"  # the actor of a secret ballot's audit event: it names no one


# Why a candidacy cannot be accepted or declined, one sentence per where it stands (a translation then
# agrees with the word); a status not listed takes the general sentence.
_CANDIDACY_IS = {
    "nominated": N_("Your candidacy in {slug} is nominated."),
    "accepted": N_("Your candidacy in {slug} is accepted."),
    "declined": N_("Your candidacy in {slug} is declined."),
    "withdrawn": N_("Your candidacy in {slug} is withdrawn."),
    "elected": N_("Your candidacy in {slug} is elected."),
    "not_elected": N_("Your candidacy in {slug} is not elected."),
    "": N_("Your candidacy in {slug} is {status}."),
}


_stream = election_stream


assert len(RECEIPT_ALPHABET) == 32  # a random byte's low five bits pick a character without bias


def _receipt() -> str:
    # One read of the system's randomness, not one per character (``secrets.choice``): ten system calls
    # per ballot showed in the cast path's profile.
    code = "".join(RECEIPT_ALPHABET[b & 31] for b in secrets.token_bytes(10))
    return f"{code[:5]}-{code[5:]}"


def ballot_default_option(method: str, rules: ElectionRules) -> str | None:
    """The label of the default option every ballot of an election offers besides the candidates, or None.

    Only a debian count has one, when the policy names it (``DebianParams.default_option``, e.g. the
    Debian preset's "None Of The Above"); an election created with another ``--method`` has none.
    """
    return rules.default_option if method == "debian" else None


def default_option_words(label: str) -> frozenset[str]:
    """What a voter may type for the default option: its label in any case (quoted, or with dashes for
    spaces), its label in the reader's language, ``nota``, or the stored key."""
    words = {DEFAULT_OPTION_KEY, DEFAULT_OPTION_ALIAS}
    for spelling in (label, _(label)):
        folded = spelling.casefold()
        words |= {folded, "-".join(folded.split())}
    return frozenset(words)


async def election_by_slug(
    session: AsyncSession, slug: str, *, lock: Literal["share", "update"] | None = None
) -> Election:
    """The election with this slug, or a NotFound that says how to list elections.

    ``lock`` takes a row lock on PostgreSQL (SQLite's write transactions are already serial): "share"
    for a ballot, so that many ballots proceed together; "update" for a phase change, which waits for
    the ballots in flight and makes later ones see the new phase.
    """
    slug = slug.strip().lower()
    stmt = with_lock(select(Election).where(col(Election.slug) == slug), lock)
    election = (await session.execute(stmt)).scalar_one_or_none()
    if election is None:
        raise NotFound(
            _("No election {slug!r}.", slug=text_rules.echo(slug)), suggest=suggest("see", "election list")
        )
    return election


_policy_of = election_policy


async def _poll_facts(session: AsyncSession, election: Election) -> tuple[Body, PollFacts]:
    body = await session.get(Body, election.body_id)
    assert body is not None
    return body, PollFacts(election.slug, body_facts(body), election.seats, election.phase)


async def _require_runner(session: AsyncSession, actor: Actor, body: Body, policy: LoadedPolicy) -> None:
    enforce(policy.may_run_elections(await actor_facts(session, actor, body), body_facts(body)), policy)


NOMINATION_DEADLINE_PAST = N_("The nomination deadline ({when:%Y-%m-%d %H:%M} UTC) is in the past.")
VOTING_DEADLINE_PAST = N_("The voting deadline ({when:%Y-%m-%d %H:%M} UTC) is in the past.")


def _future(ctx: Context, when: datetime | None, sentence: str) -> None:
    """Refuse a deadline already gone, in ``sentence`` (one of the ``*_DEADLINE_PAST`` messages): a whole
    sentence per kind of deadline, so no English word goes into a translated one."""
    if when is not None and when <= ctx.now():
        raise InvalidInput(_(sentence, when=when), _("Give a time in the future."))


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


async def _load_for_change(
    session: AsyncSession, actor: Actor, slug: str
) -> tuple[Election, Body, LoadedPolicy]:
    election = await election_by_slug(session, slug, lock="update")
    policy = _policy_of(election)
    body = await session.get(Body, election.body_id)
    assert body is not None
    await _require_runner(session, actor, body, policy)
    return election, body, policy


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


@dataclass(frozen=True)
class CastReceipt:
    """What a voter gets back: a receipt code to find their ballot in the published list."""

    election: str
    receipt: str
    replaced: bool
    ranking: list[list[str]]  # as the voter reads it back: the default option by its label
    for_handle: str | None = None  # the delegator, when cast as their proxy


async def _candidate_handles(
    session: AsyncSession, election: Election
) -> dict[str, tuple[Candidate, Person]]:
    rows = (
        await session.execute(
            select(Candidate, Person)
            .join(Person, col(Candidate.person_id) == col(Person.id))
            .where(col(Candidate.election_id) == election.id)
        )
    ).all()
    return {p.handle: (c, p) for c, p in rows}


def parse_ranking(choices: list[str]) -> list[list[str]]:
    """Split ballot words into tiers: ``alice bob=carol dan`` ranks bob and carol equal second."""
    tiers = []
    for word in choices:
        names = [n.strip().lstrip("@").lower() for n in word.split("=")]
        if any(not n for n in names):
            raise InvalidInput(_("{word!r} is not a candidate or a tie like alice=bob.", word=word))
        tiers.append(names)
    return tiers


_CANDIDATE_PERSON = aliased(Person, name="candidate_person")
_CAST_QUERIES: dict[bool, Any] = {}
_BALLOTS = Ballot.__table__  # type: ignore[attr-defined]
_SLOTS = BallotSlot.__table__  # type: ignore[attr-defined]
_RETIRED = RetiredReceipt.__table__  # type: ignore[attr-defined]
_VOTERS = Voter.__table__  # type: ignore[attr-defined]
_EVENTS = AuditEvent.__table__  # type: ignore[attr-defined]
_CAST_FIRST_PG = text(
    # A voter's first ballot as one statement (so one transaction): it share-locks the election and
    # writes only while the election is open; a second ballot of the same voter fails on the slot's
    # unique constraint (after waiting for the first to commit) and is retried as a replacement.
    # (Parameters in a SELECT list are typed explicitly: PostgreSQL would take them for text.)
    "WITH e AS (SELECT id FROM elections WHERE id = :election_id AND phase = 'voting' "
    "AND (voting_close_at IS NULL OR voting_close_at > CAST(:now AS TIMESTAMP)) FOR KEY SHARE), "
    "b AS (INSERT INTO ballots (id, election_id, content, receipt, voter_id) "
    "SELECT CAST(:ballot_id AS VARCHAR), e.id, CAST(:content AS TEXT), CAST(:receipt AS VARCHAR), "
    "CAST(:voter_id AS INTEGER) FROM e RETURNING id, election_id), "
    "s AS (INSERT INTO ballot_slots (election_id, tag, ballot_id) "
    "SELECT b.election_id, CAST(:tag AS VARCHAR), b.id FROM b), "
    "v AS (INSERT INTO voters (election_id, person_id, first_voted_at, last_voted_at, times) "
    "SELECT e.id, CAST(:person_id AS INTEGER), CAST(:now AS TIMESTAMP), CAST(:now AS TIMESTAMP), 1 FROM e) "
    "INSERT INTO audit_events (stream, seq, at, actor, kind, subject, payload, prev_hash, hash) "
    "SELECT CAST(:stream AS VARCHAR), NULL, CAST(:now AS TIMESTAMP), CAST(:actor AS VARCHAR), "
    "CAST(:kind AS VARCHAR), CAST(:subject AS VARCHAR), CAST(:payload AS TEXT), NULL, CAST(:hash AS VARCHAR) "
    "FROM e RETURNING id"
)


def _cast_query(postgres: bool) -> Any:
    """Everything a ballot needs to know, in one query: the election and its body, the voter's policy
    facts, and the candidates (one row each).

    On PostgreSQL it share-locks the election row: a concurrent close (which locks it for update) waits
    for this ballot to commit and then counts it, or runs first and this ballot sees the closed phase.
    SQLite's write transactions are serial already.
    """
    stmt: Any = _CAST_QUERIES.get(postgres)
    if stmt is None:
        stmt = select(
            col(Election.id),
            col(Election.title),
            col(Election.phase),
            col(Election.voting_close_at),
            col(Election.secret),
            col(Election.method),
            col(Election.seats),
            col(Election.policy_name),
            col(Election.policy_version),
            col(Election.policy_hash),
            col(Body.slug).label("body_slug"),
            col(Body.name).label("body_name"),
            col(Body.kind),
            col(_CANDIDATE_PERSON.handle).label("candidate_handle"),
            col(Candidate.status).label("candidate_status"),
            *facts_columns(),
            col(Election.electorate_fixed_at),
            col(ElectorateEntry.id).label("electorate_entry"),
        ).select_from(Election)
        stmt = stmt.join(Body, col(Body.id) == col(Election.body_id))
        stmt = facts_joins(stmt, bindparam("person_id"), col(Election.body_id))
        stmt = (
            stmt.outerjoin(Candidate, col(Candidate.election_id) == col(Election.id))
            .outerjoin(_CANDIDATE_PERSON, col(_CANDIDATE_PERSON.id) == col(Candidate.person_id))
            .outerjoin(
                ElectorateEntry,
                (col(ElectorateEntry.election_id) == col(Election.id))
                & (col(ElectorateEntry.person_id) == bindparam("person_id")),
            )
            .where(col(Election.slug) == bindparam("slug"))
        )
        if postgres:
            stmt = stmt.with_for_update(read=True, key_share=True, of=Election)
        _CAST_QUERIES[postgres] = stmt
    return stmt


_SQLITE_CAST: dict[str, tuple[str, tuple[str, ...]]] = {}


def _sqlite_time(when: datetime) -> str:
    """A time as SQLAlchemy stores it in SQLite (naive UTC, always with microseconds)."""
    return when.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def _sqlite_cast_sql(dialect: Any, slug: str, person_id: int) -> tuple[str, list[Any]]:
    """``_cast_query`` compiled once for SQLite's driver (``?`` placeholders), with its parameters."""
    key = dialect.name if dialect is not None else "sqlite"
    compiled = _SQLITE_CAST.get(key)
    if compiled is None:
        statement = _cast_query(False).compile(dialect=dialect)
        compiled = _SQLITE_CAST[key] = (str(statement), tuple(statement.positiontup or ()))
    sql, names = compiled
    params = {"slug": slug, "person_id": person_id}
    return sql, [params[n] for n in names]


async def _cast_rows(session: AsyncSession, postgres: bool, slug: str, person_id: int) -> list[Any]:
    """The rows of ``_cast_query``; on SQLite read in one hop and given their Python types here."""
    if postgres:
        return list((await session.execute(_cast_query(True), {"slug": slug, "person_id": person_id})).all())
    sql, params = _sqlite_cast_sql(
        session.bind.dialect if session.bind is not None else None, slug, person_id
    )
    return _sqlite_typed(await sqlite_execute(session, sql, params, fetch=True))


def _sqlite_typed(rows: list[Any]) -> list[Any]:
    """A driver's raw rows of ``_cast_query`` (SQLite's or asyncpg's) with the Python types
    ``_check_ballot`` reads: times as aware UTC datetimes (from text or naive), flags as booleans."""
    out = []
    for row in rows:
        values = list(row)
        for i in (3, 28):  # voting_close_at, electorate_fixed_at
            value = values[i]
            if isinstance(value, str):
                values[i] = datetime.fromisoformat(value).replace(tzinfo=UTC)
            elif value is not None and value.tzinfo is None:
                values[i] = value.replace(tzinfo=UTC)
        values[4] = bool(values[4])  # secret
        out.append(values)
    return out


_PG_CAST: dict[str, tuple[str, tuple[str, ...], str, tuple[str, ...]]] = {}


def _pg_cast_sql(dialect: Any) -> tuple[str, tuple[str, ...], str, tuple[str, ...]]:
    """The first ballot's read and write compiled once for asyncpg (``$n`` placeholders): each with the
    names of its parameters in order."""
    compiled = _PG_CAST.get(dialect.name)
    if compiled is None:
        read = _cast_query(False).compile(dialect=dialect)
        write = _CAST_FIRST_PG.compile(dialect=dialect)
        compiled = _PG_CAST[dialect.name] = (
            str(read),
            tuple(read.positiontup or ()),
            str(write),
            tuple(write.positiontup or ()),
        )
    return compiled


def _check_policy(slug: str, name: str, version: str, sha256: str) -> LoadedPolicy:
    policy = load_policy(name)
    if policy.sha256 != sha256:
        raise Conflict(
            _(
                "Election {slug} opened under policy {name} {version} (source {sha256_12}), but the policy "
                "loaded now is {policy_version} (source {policy_sha256_12}).",
                slug=slug,
                name=name,
                version=version,
                sha256_12=sha256[:12],
                policy_version=policy.version,
                policy_sha256_12=policy.sha256[:12],
            ),
            _("An election runs to its end under the policy it opened with: restore that policy version."),
        )
    return policy


def _naive_utc(when: datetime) -> datetime:
    return when.astimezone(UTC).replace(tzinfo=None)


@dataclass(frozen=True)
class _Ballot:
    """A ballot checked against the election, ready to be written."""

    election_id: int
    ballot_id: str
    content: str
    receipt: str
    voter_id: int | None
    tag: str
    tiers: list[list[str]]
    payload: dict[str, object]
    now: datetime
    policy: LoadedPolicy
    poll: PollFacts
    shown: list[list[str]]  # the tiers as the voter reads them back (the default option by its label)


def _with_default_option(
    tiers: list[list[str]], label: str, candidates: dict[str, str]
) -> tuple[list[list[str]], list[str]]:
    """The ballot with each way of writing the default option turned into its stored key (a candidate's
    handle stays theirs, even ``nota``), and its words in order; refuses the option ranked twice."""
    words = default_option_words(label) - set(candidates)
    keyed = [[DEFAULT_OPTION_KEY if w in words else w for w in tier] for tier in tiers]
    flat = [w for tier in keyed for w in tier]
    if flat.count(DEFAULT_OPTION_KEY) > 1:
        raise InvalidInput(
            _("{option} is ranked more than once.", option=_(label)), _("Rank each candidate at most once.")
        )
    return keyed, flat


def _check_ballot(
    ctx: Context,
    actor: Actor,
    slug: str,
    rows: list[Any],
    tiers: list[list[str]],
    flat: list[str],
    by_proxy: str | None = None,
) -> _Ballot:
    """Check a ballot against the rows of ``_cast_query``: phase, deadline, policy, candidates, method.

    ``actor`` is the voter the ballot stands for; ``by_proxy`` the handle of the proxy casting it for them
    (named in a public ballot's audit event, as a roll-call motion's is)."""
    assert actor.person_id is not None
    if not rows:
        raise NotFound(
            _("No election {slug!r}.", slug=text_rules.echo(slug)), suggest=suggest("see", "election list")
        )
    first = rows[0]
    (
        election_id,
        title,
        phase,
        voting_close_at,
        secret,
        method,
        seats,
        policy_name,
        policy_version,
        policy_hash,
        body_slug,
        body_name,
        body_kind,
    ) = tuple(first)[:13]
    policy = _check_policy(slug, policy_name, policy_version, policy_hash)
    now = ctx.now()
    if phase != "voting":
        raise Closed(
            _(
                "{title} is not open for voting (it is {phase}).",
                title=title,
                phase=labels.label(labels.ELECTION_PHASES, phase),
            )
        )
    if voting_close_at is not None and now >= voting_close_at:
        raise Closed(
            _(
                "Voting in {title} closed at {voting_close_at:%Y-%m-%d %H:%M} UTC; this ballot was not "
                "counted.",
                title=title,
                voting_close_at=voting_close_at,
            )
        )
    facts = facts_from_row(first, 15)
    if facts is None:
        raise NotFound(_("{actor_handle} is no longer on the roster.", actor_handle=actor.handle))
    poll = PollFacts(slug, BodyFacts(slug=body_slug, name=body_name, kind=body_kind), seats, phase)
    rules: ElectionRules = policy.election_rules(poll.body)
    if by_proxy is not None:
        proxies.refuse_without_proxies(rules.proxies, policy, _proxy_poll(slug, election_id))
    fixed_at, listed = tuple(first)[28:30]
    if isinstance(fixed_at, str):  # SQLite's raw row
        fixed_at = datetime.fromisoformat(fixed_at).replace(tzinfo=UTC)
    refusal = electorate.vote_refusal(policy, poll, facts, fixed_at=fixed_at, listed=listed is not None)
    enforce(refusal, policy)
    candidates = {r[13]: r[14] for r in rows if r[13] is not None}
    label = ballot_default_option(method, rules)
    if label is not None:
        tiers, flat = _with_default_option(tiers, label, candidates)
    unknown = [
        n for n in flat if candidates.get(n) != "accepted" and (label is None or n != DEFAULT_OPTION_KEY)
    ]
    if unknown:
        detail = []
        for n in unknown:
            if n in candidates:
                detail.append(f"{n} is not standing ({candidates[n]})")
            else:
                detail.append(f"{n} is not a candidate")
        standing = sorted(h for h, status in candidates.items() if status == "accepted")
        raise InvalidInput(
            _("{join_detail} in {slug}.", join_detail="; ".join(detail), slug=slug),
            _("Candidates: {join_standing}.", join_standing=", ".join(standing))
            if label is None
            else _(
                "Candidates: {join_standing}; or {alias} for {option}.",
                join_standing=", ".join(standing),
                alias=DEFAULT_OPTION_ALIAS,
                option=_(label),
            ),
        )
    ballot_tiers: list[list[str]]
    if method == "approval":
        ballot_tiers = [flat]
    elif method == "plurality":
        if len(flat) > seats:
            raise InvalidInput(_("Vote for at most {seats} candidate(s) in {slug}.", seats=seats, slug=slug))
        ballot_tiers = [flat] if seats > 1 else tiers
    else:
        if any(len(t) > 1 for t in tiers) and method not in TIES_ALLOWED:
            raise InvalidInput(
                _("{method} ballots cannot rank candidates equally.", method=labels.method_name(method)),
                _("Give each candidate its own rank."),
            )
        ballot_tiers = tiers
    return _Ballot(
        election_id=election_id,
        ballot_id=secrets.token_hex(16),
        content=json.dumps(ballot_tiers),
        receipt=_receipt(),
        voter_id=None if secret else actor.person_id,
        tag=ctx.tag(f"election:{election_id}", actor.person_id),
        tiers=ballot_tiers,
        payload={}
        if secret
        else {"ballot": ballot_tiers, "voter": actor.handle, **({"by_proxy": by_proxy} if by_proxy else {})},
        now=now,
        policy=policy,
        poll=poll,
        shown=[[_(label) if label and w == DEFAULT_OPTION_KEY else w for w in t] for t in ballot_tiers],
    )


def _ballot_event(actor: Actor, slug: str, ballot: _Ballot, kind: str) -> dict[str, Any]:
    # A secret ballot's event is anonymous: the log (and its public export) counts ballots, while who
    # voted stays in the voters table; a public ballot's event names its voter and their choice.
    return audit.pending_values(
        stream=f"election:{slug}",
        actor=actor.label if ballot.voter_id is not None else SECRET_VOTER,
        kind=kind,
        subject=slug,
        payload=ballot.payload,
        at=ballot.now,
    )


async def _first_ballot_postgres(
    ctx: Context, actor: Actor, slug: str, tiers: list[list[str]], flat: list[str]
) -> CastReceipt | None:
    """A voter's first ballot on PostgreSQL in two statements and no explicit transaction.

    The read is not locked: the write is one statement (its own transaction) that share-locks the
    election and inserts only while it is still open, so a concurrent close either waits for it and
    counts it, or commits first and the ballot is not written. Returns None when the ballot was not
    written (the voter has a ballot already, or the election changed): the caller takes the locking path,
    which replaces the ballot or says why it cannot.
    """
    assert actor.person_id is not None
    read_sql, read_names, write_sql, write_names = _pg_cast_sql(ctx.db.engine.dialect)
    async with ctx.db.autocommit() as conn:
        found = {"slug": slug, "person_id": actor.person_id}
        rows = _sqlite_typed(await driver_fetch(conn, read_sql, [found[n] for n in read_names]))
        ballot = _check_ballot(ctx, actor, slug, rows, tiers, flat)
        event = _ballot_event(actor, slug, ballot, "ballot.cast")
        values = {
            "ballot_id": ballot.ballot_id,
            "election_id": ballot.election_id,
            "content": ballot.content,
            "receipt": ballot.receipt,
            "voter_id": ballot.voter_id,
            "tag": ballot.tag,
            "person_id": actor.person_id,
            "now": _naive_utc(ballot.now),
            "stream": event["stream"],
            "actor": event["actor"],
            "kind": event["kind"],
            "subject": event["subject"],
            "payload": event["payload"],
            "hash": event["hash"],
        }
        try:
            written = await driver_fetch(conn, write_sql, [values[n] for n in write_names])
        except IntegrityError:
            return None
    if not written:
        return None
    note_write()
    return CastReceipt(slug, ballot.receipt, False, ballot.shown)


async def _first_ballot_sqlite(
    ctx: Context, actor: Actor, slug: str, tiers: list[list[str]], flat: list[str]
) -> CastReceipt | None:
    """A voter's first ballot on SQLite: read and checked outside the write lock, written in a batch.

    The same bargain as ``_first_ballot_postgres``: one unlocked read, then a write that re-checks, in
    its transaction, that the election is still open and the voter has no ballot yet
    (``ballot_batch``). Returns None when the ballot was not written: the caller takes the locking path.
    """
    assert actor.person_id is not None
    sql, params = _sqlite_cast_sql(ctx.db.engine.dialect, slug, actor.person_id)
    rows = _sqlite_typed(await ctx.db.sqlite_read(sql, params))
    ballot = _check_ballot(ctx, actor, slug, rows, tiers, flat)
    event = _ballot_event(actor, slug, ballot, "ballot.cast")
    stamp = _sqlite_time(ballot.now)
    item = ballot_batch.FirstBallot(
        election_id=ballot.election_id,
        person_id=actor.person_id,
        now=ballot.now,
        ballot=(ballot.ballot_id, ballot.election_id, ballot.content, ballot.receipt, ballot.voter_id),
        slot=(ballot.election_id, ballot.tag, ballot.ballot_id),
        event=(event["stream"], stamp, event["actor"], event["kind"], slug, event["payload"], event["hash"]),
        stamp=stamp,
    )
    if await ballot_batch.write_first_ballot(ctx.db, item):
        return CastReceipt(slug, ballot.receipt, False, ballot.shown)
    return None


def _proxy_poll(slug: str, election_id: int) -> proxies.ProxyPoll:
    return proxies.ProxyPoll(slug, election_id=election_id)


def _proxies_allowed(ballot: _Ballot) -> bool:
    rules: ElectionRules = ballot.policy.election_rules(ballot.poll.body)
    return rules.proxies


async def _use_proxy(
    session: AsyncSession, ctx: Context, actor: Actor, delegator: Person, ballot: _Ballot
) -> None:
    """Check that ``actor`` may cast ``ballot`` as ``delegator``'s proxy, and mark the proxy used."""
    poll = _proxy_poll(ballot.poll.slug, ballot.election_id)
    body = await body_by_slug(session, ballot.poll.body.slug)
    election = await session.get(Election, ballot.election_id)
    assert election is not None
    facts = await actor_facts(session, actor, body)
    enforce(await electorate.may_vote(session, election, body, ballot.policy, facts), ballot.policy)
    await proxies.use_proxy(session, ctx, actor, poll, delegator, f"election proxy {ballot.poll.slug}")


async def _revoke_proxy(
    session: AsyncSession, ctx: Context, slug: str, ballot: _Ballot, person_id: int
) -> None:
    """A vote in person revokes the voter's proxy in this election (where the policy has proxies)."""
    if _proxies_allowed(ballot):
        await proxies.revoke_in_person(session, ctx, _proxy_poll(slug, ballot.election_id), person_id)


async def delegate(ctx: Context, actor: Actor, slug: str, handle: str) -> Proxy:
    """Name another voter to cast the actor's ballot in one election (when its policy allows proxies).

    Allowed until voting closes; naming someone else replaces an unused proxy, and voting in person
    (before or after the proxy votes) overrides it. The proxy must be able to vote in the election.
    """
    if actor.person_id is None:
        raise Forbidden(_("Only a person can name a proxy."))
    async with write_transaction(ctx, "A proxy was just named for you by a concurrent request.") as session:
        election = await election_by_slug(session, slug, lock="share")
        policy = _policy_of(election)
        body, _facts = await _poll_facts(session, election)
        closes = election.voting_close_at
        if election.phase not in ("draft", "nominating", "voting") or (
            election.phase == "voting" and closes is not None and ctx.now() >= closes
        ):
            raise Closed(
                _(
                    "Voting in {title} has closed; a proxy can no longer be named.",
                    title=election.title,
                )
            )
        assert election.id is not None
        poll = _proxy_poll(election.slug, election.id)
        proxies.refuse_without_proxies(policy.election_rules(body_facts(body)).proxies, policy, poll)
        own = await actor_facts(session, actor, body)
        enforce(await electorate.may_vote(session, election, body, policy, own), policy)
        target = await person_by_handle(session, handle)
        target_facts = await person_facts(session, target, body)
        target_refusal = await electorate.may_vote(session, election, body, policy, target_facts)
        proxy = await proxies.name_proxy(
            session, ctx, actor, poll, policy, target, lambda facts: target_refusal, target_facts
        )
        await record(
            session,
            ctx,
            actor,
            stream=_stream(election),
            kind="election.proxy_named",
            subject=election.slug,
            payload={"delegator": actor.handle, "delegate": target.handle},
        )
        notify(
            session,
            ctx,
            kind="election.proxy",
            person_id=target.id,
            params={
                "election": election.slug,
                "title": election.title,
                "delegator": actor.handle,
                "delegator_name": actor.name,
            },
        )
        return proxy


async def cast_ballot(
    ctx: Context, actor: Actor, slug: str, choices: list[str], *, for_handle: str | None = None
) -> CastReceipt:
    """Cast (or replace, before the deadline) a ranked or approval ballot; returns its receipt.

    Two ballots from the same voter at the same moment end as one: the second replaces the first.
    ``for_handle``: cast it as the proxy of that person, who named the actor (``delegate``); the ballot
    stands for them exactly as their own would, and their own vote in person later replaces it (the
    proxy's receipt then answers "replaced") and revokes the proxy.

    The hot path of a poll, so it is written for round trips: one unlocked query reads the election, the
    voter's policy facts and the candidates; a first ballot is then written in one statement on
    PostgreSQL (``_first_ballot_postgres``) and on SQLite in a batch of the first ballots that arrived
    together, one write transaction for all (``_first_ballot_sqlite``, ``ballot_batch``); either write
    re-checks that the election is still open and the voter has no ballot yet. Its audit event is
    *pending* (``audit.append_pending``) so that voters do not queue on the election's chain head. A
    replacement, a proxy's ballot, or a first ballot the write turned back takes the locking path.
    """
    tiers = parse_ranking(choices)
    if not tiers:
        raise InvalidInput(_("The ballot is empty."), _("List at least one candidate, most preferred first."))
    flat = [n for tier in tiers for n in tier]
    twice = [n for n, k in Counter(flat).items() if k > 1]
    if twice:
        raise InvalidInput(
            _("{join_twice} ranked more than once.", join_twice=", ".join(twice)),
            _("Rank each candidate at most once."),
        )
    if actor.person_id is None:
        raise Forbidden(_("Only a person can vote."))
    slug = slug.strip().lower()
    postgres = not ctx.db.is_sqlite
    if for_handle is None:
        first = _first_ballot_postgres if postgres else _first_ballot_sqlite
        receipt = await first(ctx, actor, slug, tiers, flat)
        if receipt is not None:
            return receipt
    # Not written as a first ballot (or cast by a proxy): the locking path below, which replaces the
    # voter's ballot or says why it cannot.

    async def work(session: AsyncSession) -> CastReceipt:
        voter, delegator = actor, None
        if for_handle is not None:
            delegator = await person_by_handle(session, for_handle)
            voter = Actor.of(delegator)
        person_id = voter.person_id
        assert person_id is not None
        rows = await _cast_rows(session, postgres, slug, person_id)
        ballot = _check_ballot(
            ctx, voter, slug, rows, tiers, flat, by_proxy=actor.handle if delegator is not None else None
        )
        election_id = ballot.election_id
        if delegator is not None:
            await _use_proxy(session, ctx, actor, delegator, ballot)
        else:  # voting in person revokes a proxy (a first ballot: see use_proxy)
            await _revoke_proxy(session, ctx, slug, ballot, person_id)
        # Lock the voter's slot: a concurrent replacement waits, then replaces the ballot standing now
        # (never one already replaced, which would leave an orphan ballot to be counted twice).
        slot = (
            await session.execute(
                select(_SLOTS.c.tag, _SLOTS.c.ballot_id)
                .where(_SLOTS.c.election_id == election_id, _SLOTS.c.tag == ballot.tag)
                .with_for_update()
            )
        ).first()
        await session.execute(
            insert(_BALLOTS),
            {
                "id": ballot.ballot_id,
                "election_id": election_id,
                "content": ballot.content,
                "receipt": ballot.receipt,
                "voter_id": ballot.voter_id,
            },
        )
        if slot is not None:
            await session.execute(
                update(_SLOTS).where(_SLOTS.c.tag == slot[0]).values(ballot_id=ballot.ballot_id)
            )
            retired = (
                await session.execute(
                    delete(_BALLOTS).where(_BALLOTS.c.id == slot[1]).returning(_BALLOTS.c.receipt)
                )
            ).scalar_one_or_none()
            if retired is not None:  # the old receipt now answers "replaced" and verifies nothing
                await session.execute(
                    insert(_RETIRED), {"poll": f"election:{election_id}", "receipt": retired}
                )
            await session.execute(
                update(_VOTERS)
                .where(_VOTERS.c.election_id == election_id, _VOTERS.c.person_id == person_id)
                .values(last_voted_at=ballot.now, times=_VOTERS.c.times + 1)
            )
        else:
            await session.execute(
                insert(_SLOTS), {"election_id": election_id, "tag": ballot.tag, "ballot_id": ballot.ballot_id}
            )
            await session.execute(
                insert(_VOTERS),
                {
                    "election_id": election_id,
                    "person_id": person_id,
                    "first_voted_at": ballot.now,
                    "last_voted_at": ballot.now,
                    "times": 1,
                },
            )
        kind = "ballot.replaced" if slot is not None else "ballot.cast"
        await session.execute(insert(_EVENTS), _ballot_event(actor, slug, ballot, kind))
        if delegator is not None:
            notify(
                session,
                ctx,
                kind="election.proxy_voted",
                person_id=delegator.id,
                params={"election": slug, "proxy_name": actor.name},
            )
        return CastReceipt(
            slug, ballot.receipt, slot is not None, ballot.shown, delegator.handle if delegator else None
        )

    return await ctx.db.run(work, retry_integrity=True)


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
        rows = [
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
        caps = None
        if rules.organisation_cap or rules.tier_caps:
            all_orgs = list((await session.execute(select(Organisation))).scalars())
            orgs = {o.id: o.slug for o in all_orgs}
            limits = {o.slug: rules.cap_for(o.tier) for o in all_orgs}
            caps = GroupCap(
                groups={
                    names[p.id]: orgs[p.organisation_id]
                    for _, p in rows
                    if p.id and p.organisation_id is not None and limits[orgs[p.organisation_id]] is not None
                },
                cap=rules.organisation_cap or max(rules.tier_caps.values()),
                held=await _held_seats(session, election),
                limits={slug: limit for slug, limit in limits.items() if limit is not None},
            )
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


def _quorum_needs_electorate(election: Election, rules: ElectionRules) -> bool:
    """Whether the election's count takes a quorum rule such as 3Q, computed from the electorate."""
    quorum = rules.method_params.get("quorum")
    return election.method == "debian" and quorum is not None and quorum_multiple(quorum) is not None


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
