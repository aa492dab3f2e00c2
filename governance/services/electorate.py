"""An election's electorate as one frozen record: who could vote, fixed at the policy's cut-off.

Until the cut-off, who may vote follows the roster as the policy judges it. At the cut-off
(``ElectionRules.electorate_cutoff`` before voting opens, run by the scheduler, or when voting opens at
the latest) every person the policy lets vote is written to ``electorate`` with their organisation and
tier, in the same transaction as an ``election.electorate_fixed`` audit event that carries the count and
``digest`` of the sorted list. From then on:

* a ballot is accepted only from a person in the record, whose member state (roster and body) must
  still allow voting (``vote_refusal``); a person added to the roster later cannot vote;
* every view (``election show`` and ``voters``, the site's turnout, charts, bundles, the quorum base of
  a count) reads the record, so a roster change never moves a published figure.

A person left out may ask for an exception until ``ElectionRules.exceptions_due`` before voting closes;
the secretariat grants or denies it with a reason. A grant adds the person to the record (at once, or
when it is fixed) with the source "exception"; each request and decision is an audit event and the
requester is told the decision through the outbox.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from governance import labels
from governance import text as text_rules
from governance.errors import Closed, Conflict, Forbidden, NotFound, suggest
from governance.i18n import _
from governance.models import (
    Body,
    Election,
    ElectionMonitor,
    ElectorateEntry,
    ElectorateException,
    Person,
    Voter,
)
from governance.policies import LoadedPolicy
from governance.policies.base import (
    DEFAULT_MEMBER_STATES,
    ElectionRules,
    PersonFacts,
    PollFacts,
    Refusal,
    acts_as_admin,
    state_refusal,
)
from governance.services.common import (
    Actor,
    Context,
    actor_facts,
    body_facts,
    check_text,
    election_policy,
    election_stream,
    enforce,
    facts_columns,
    facts_from_row,
    facts_joins,
    notify,
    person_by_handle,
    record,
    with_lock,
    write_transaction,
)

ROSTER = "roster"
EXCEPTION = "exception"
OPEN_PHASES = ("draft", "nominating", "voting")
_ENTRIES = ElectorateEntry.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Entry:
    """One person of an electorate (frozen, or as it would be fixed now)."""

    person_id: int
    handle: str
    name: str
    organisation: str | None
    tier: str | None
    source: str  # "roster" or "exception"


def digest(entries: Iterable[Entry]) -> str:
    """SHA-256 of the electorate: one line per person, ``handle<TAB>organisation<TAB>tier<TAB>source``
    (``-`` for none), sorted and joined by newlines. Recorded with each change of the record, so whoever
    holds the list (an admin's `election voters`) can check it against the audit log."""
    lines = sorted(f"{e.handle}\t{e.organisation or '-'}\t{e.tier or '-'}\t{e.source}" for e in entries)
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


_stream = election_stream
_policy = election_policy


def _poll(election: Election, body: Body) -> PollFacts:
    return PollFacts(election.slug, body_facts(body), election.seats, election.phase)


def planned_opening(election: Election) -> datetime | None:
    """When voting opens: when it did, else when the timeline plans it (as the scheduler reads it)."""
    if election.voting_open_at is not None or election.phase not in ("draft", "nominating"):
        return election.voting_open_at
    return election.nominations_close_at if election.voting_close_at is not None else None


def cutoff_at(election: Election, rules: ElectionRules) -> datetime | None:
    """When the electorate is (or was) fixed: the policy's cut-off before the planned opening, else the
    opening itself; None while no opening is planned."""
    opens = planned_opening(election)
    if opens is None:
        return None
    return opens - rules.electorate_cutoff if rules.electorate_cutoff else opens


def exceptions_due_at(election: Election, rules: ElectionRules) -> datetime | None:
    """The last moment to ask for an exception (None: no deadline planned yet, or no exceptions)."""
    if rules.exceptions_due is None or election.voting_close_at is None:
        return None
    return election.voting_close_at - rules.exceptions_due


def vote_refusal(
    policy: LoadedPolicy,
    poll: PollFacts,
    facts: PersonFacts,
    *,
    fixed_at: datetime | None,
    listed: bool,
) -> Refusal | None:
    """Whether ``facts``' person may vote in ``poll``: before the cut-off, the policy's ``may_vote`` on
    today's roster; after it, only a person in the frozen record, whose member states still allow voting
    (one left out gets the policy's own refusal when it has one, else the rule "electorate")."""
    if listed and fixed_at is not None:
        return state_refusal(facts, "vote", policy.member_states)
    refusal: Refusal | None = policy.may_vote(poll, facts)
    if fixed_at is None or refusal is not None:  # a person left out is told the charter's reason first
        return refusal
    return Refusal(
        "electorate",
        _(
            "{person_name} is not in the electorate of {slug}, fixed on {when:%Y-%m-%d %H:%M} UTC; only "
            "the people in it may vote.",
            person_name=facts.name,
            slug=poll.slug,
            when=fixed_at,
        ),
        suggest("ask_exception", ("election", "exception", poll.slug, "--reason", "...")),
    )


async def is_listed(session: AsyncSession, election: Election, person_id: int) -> bool:
    """Whether the person is in the election's frozen electorate."""
    found = (
        await session.execute(
            select(col(ElectorateEntry.id)).where(
                col(ElectorateEntry.election_id) == election.id, col(ElectorateEntry.person_id) == person_id
            )
        )
    ).first()
    return found is not None


async def may_vote(
    session: AsyncSession, election: Election, body: Body, policy: LoadedPolicy, facts: PersonFacts
) -> Refusal | None:
    """``vote_refusal`` for a person, reading the frozen record when there is one."""
    listed = election.electorate_fixed_at is not None and await is_listed(session, election, facts.person_id)
    return vote_refusal(
        policy, _poll(election, body), facts, fixed_at=election.electorate_fixed_at, listed=listed
    )


async def may_vote_in(
    session: AsyncSession,
    polls: Sequence[tuple[Election, Body, LoadedPolicy]],
    facts: dict[int, PersonFacts],
) -> set[int]:
    """The elections, among ``polls``, one person may vote in now: the same ``vote_refusal`` the cast
    path applies, with every frozen record read in one query. ``facts`` holds the person's facts as each
    election's body sees them (body id -> facts); an election whose body is missing there is left out."""
    person_ids = {f.person_id for f in facts.values()}
    frozen = [e.id for e, _b, _p in polls if e.electorate_fixed_at is not None]
    listed: set[int] = set()
    if frozen and person_ids:
        listed = set(
            (
                await session.execute(
                    select(col(ElectorateEntry.election_id)).where(
                        col(ElectorateEntry.election_id).in_(frozen),
                        col(ElectorateEntry.person_id).in_(person_ids),
                    )
                )
            ).scalars()
        )
    allowed: set[int] = set()
    for election, body, policy in polls:
        assert election.id is not None and body.id is not None
        seen = facts.get(body.id)
        if seen is not None and (
            vote_refusal(
                policy,
                _poll(election, body),
                seen,
                fixed_at=election.electorate_fixed_at,
                listed=election.id in listed,
            )
            is None
        ):
            allowed.add(election.id)
    return allowed


async def _roster(session: AsyncSession, body: Body) -> list[tuple[PersonFacts, str]]:
    stmt = facts_joins(select(*facts_columns()).select_from(Person), None, body.id)
    out = []
    for row in (await session.execute(stmt)).all():
        facts = facts_from_row(row)
        if facts is not None:
            out.append((facts, facts.name))
    return out


async def _granted(session: AsyncSession, election: Election) -> set[int]:
    return set(
        (
            await session.execute(
                select(col(ElectorateException.person_id)).where(
                    col(ElectorateException.election_id) == election.id,
                    col(ElectorateException.status) == "granted",
                )
            )
        ).scalars()
    )


async def as_it_would_be(
    session: AsyncSession, election: Election, body: Body, policy: LoadedPolicy
) -> list[Entry]:
    """The electorate as it would be fixed now: whom the policy lets vote, plus granted exceptions."""
    poll = _poll(election, body)
    granted = await _granted(session, election)
    out = []
    for facts, name in await _roster(session, body):
        if policy.may_vote(poll, facts) is None:
            source = ROSTER
        elif facts.person_id in granted:
            source = EXCEPTION
        else:
            continue
        out.append(
            Entry(facts.person_id, facts.handle, name, facts.organisation, facts.organisation_tier, source)
        )
    return out


async def frozen(session: AsyncSession, election: Election) -> list[Entry] | None:
    """The frozen record of the election's electorate, or None when it is not fixed yet."""
    if election.electorate_fixed_at is None:
        return None
    rows = (
        await session.execute(
            select(ElectorateEntry, col(Person.name))
            .join(Person, col(Person.id) == col(ElectorateEntry.person_id))
            .where(col(ElectorateEntry.election_id) == election.id)
            .order_by(col(ElectorateEntry.handle))
        )
    ).all()
    return [Entry(e.person_id, e.handle, name, e.organisation, e.tier, e.source) for e, name in rows]


async def frozen_count(session: AsyncSession, election: Election) -> int | None:
    """How many people are in the frozen electorate; None when it is not fixed yet."""
    entries = await frozen(session, election)
    return None if entries is None else len(entries)


async def _write(session: AsyncSession, election: Election, entries: Sequence[Entry], now: datetime) -> None:
    values = [
        {
            "election_id": election.id,
            "person_id": e.person_id,
            "handle": e.handle,
            "organisation": e.organisation,
            "tier": e.tier,
            "source": e.source,
            "added_at": now,
        }
        for e in entries
    ]
    if values:
        await session.execute(insert(_ENTRIES), values)


async def fix(
    session: AsyncSession, ctx: Context, actor: Actor, election: Election, body: Body, policy: LoadedPolicy
) -> int:
    """Freeze the election's electorate now, in the caller's transaction (once: a second call does
    nothing); returns its size. The audit event carries the count and ``digest`` of the list."""
    if election.electorate_fixed_at is not None:
        return len(await frozen(session, election) or [])
    entries = await as_it_would_be(session, election, body, policy)
    now = ctx.now()
    await _write(session, election, entries, now)
    election.electorate_fixed_at = now
    rules: ElectionRules = policy.election_rules(body_facts(body))
    sources = Counter(e.source for e in entries)
    await record(
        session,
        ctx,
        actor,
        stream=_stream(election),
        kind="election.electorate_fixed",
        subject=election.slug,
        payload={
            "count": len(entries),
            "sha256": digest(entries),
            "roster": sources[ROSTER],
            "exceptions": sources[EXCEPTION],
            "cutoff": rules.electorate_cutoff.total_seconds() if rules.electorate_cutoff else 0,
        },
    )
    return len(entries)


async def fix_scheduled(ctx: Context, actor: Actor, election_id: int) -> str:
    """The scheduler's cut-off: freeze the electorate of an election still before voting; says what it did."""
    async with ctx.db.transaction() as session:
        stmt = with_lock(select(Election).where(col(Election.id) == election_id), "update")
        election = (await session.execute(stmt)).scalar_one_or_none()
        if election is None:
            return "skipped: the election no longer exists"
        if election.electorate_fixed_at is not None:
            return f"skipped: the electorate of {election.slug} is fixed already"
        if election.phase not in ("draft", "nominating"):
            return f"skipped: {election.slug} is {election.phase}"
        body = await session.get(Body, election.body_id)
        assert body is not None
        count = await fix(session, ctx, actor, election, body, _policy(election))
        return f"done: {count} in the electorate of {election.slug}"


def may_see_names(facts: PersonFacts, monitor: bool = False, policy: LoadedPolicy | None = None) -> bool:
    """Whether a person may read the names in an electorate: the election's monitors, and admins whose
    member states let them act for the secretariat (issue 20: names for admins and monitors)."""
    states = policy.member_states if policy is not None else DEFAULT_MEMBER_STATES
    return monitor or acts_as_admin(facts, states)


@dataclass(frozen=True)
class VotersView:
    """An electorate as shown by `election voters`: counts for everyone, names for those who may see them."""

    election: Election
    fixed_at: datetime | None  # None: not fixed yet, the figures are as it would be fixed now
    cutoff_at: datetime | None  # when it is (or was planned to be) fixed
    exceptions_due_at: datetime | None
    count: int
    by_organisation: list[tuple[str | None, str | None, int]]  # (organisation, tier, people)
    by_tier: list[tuple[str | None, int]]
    exceptions_granted: int
    names: list[Entry] | None  # None: the reader may not see them
    requests: list[tuple[str, str, str]] | None  # (handle, status, reason), for those who may see names


def _order(value: str | None) -> tuple[bool, str]:
    return (value is None, value or "")


async def voters(ctx: Context, actor: Actor, slug: str) -> VotersView:
    """The electorate of an election: frozen, or before the cut-off as it would be fixed now."""
    async with ctx.db.reading() as session:
        election = await _election(session, slug)
        body = await session.get(Body, election.body_id)
        assert body is not None
        entries = await frozen(session, election)
        policy = _policy(election)
        rules: ElectionRules = policy.election_rules(body_facts(body))
        if entries is None:
            entries = await as_it_would_be(session, election, body, policy)
        reader = await actor_facts(session, actor, body)
        requests = None
        monitor = (
            await session.execute(
                select(col(ElectionMonitor.id)).where(
                    col(ElectionMonitor.election_id) == election.id,
                    col(ElectionMonitor.person_id) == actor.person_id,
                )
            )
        ).first()
        if may_see_names(reader, monitor is not None, policy):
            rows = (
                await session.execute(
                    select(ElectorateException, col(Person.handle))
                    .join(Person, col(Person.id) == col(ElectorateException.person_id))
                    .where(col(ElectorateException.election_id) == election.id)
                    .order_by(col(ElectorateException.id))
                )
            ).all()
            requests = [(handle, x.status, x.reason) for x, handle in rows]
    orgs = Counter((e.organisation, e.tier) for e in entries)
    tiers = Counter(e.tier for e in entries)
    return VotersView(
        election,
        election.electorate_fixed_at,
        election.electorate_fixed_at or cutoff_at(election, rules),
        exceptions_due_at(election, rules),
        len(entries),
        sorted(((o, t, n) for (o, t), n in orgs.items()), key=lambda r: (_order(r[0]), _order(r[1]))),
        sorted(tiers.items(), key=lambda r: _order(r[0])),
        sum(1 for e in entries if e.source == EXCEPTION),
        list(entries) if requests is not None else None,
        requests,
    )


async def _election(session: AsyncSession, slug: str, lock: str | None = None) -> Election:
    slug = slug.strip().lower()
    stmt = with_lock(select(Election).where(col(Election.slug) == slug), lock)
    election = (await session.execute(stmt)).scalar_one_or_none()
    if election is None:
        raise NotFound(
            _("No election {slug!r}.", slug=text_rules.echo(slug)), suggest=suggest("see", "election list")
        )
    return election


def _still_open(ctx: Context, election: Election, rules: ElectionRules) -> None:
    """Refuse an exception request after the election's exception deadline, or under a policy without."""
    if rules.exceptions_due is None:
        raise Forbidden(
            _("The policy of {slug} takes no exception to its electorate.", slug=election.slug),
            _("Ask the secretariat if you think the roster is wrong."),
            rule="no-exceptions",
        )
    due = exceptions_due_at(election, rules)
    closed = election.phase not in OPEN_PHASES or (
        election.phase == "voting"
        and election.voting_close_at is not None
        and ctx.now() >= election.voting_close_at
    )
    if closed or (due is not None and ctx.now() >= due):
        raise Forbidden(
            _(
                "Exceptions to the electorate of {slug} are closed (it is {phase}; requests were due by "
                "{due}).",
                slug=election.slug,
                phase=labels.label(labels.ELECTION_PHASES, election.phase),
                due=f"{due:%Y-%m-%d %H:%M} UTC" if due else "—",
            ),
            _("Ask for an exception before the deadline of the next election."),
            rule="exceptions-due",
        )


async def request_exception(ctx: Context, actor: Actor, slug: str, reason: str) -> ElectorateException:
    """Ask to be added to an election's electorate, with a reason, before the policy's deadline."""
    if actor.person_id is None:
        raise Forbidden(_("Only a person can ask for an exception."))
    text = check_text(reason, _("the reason"), 500)
    assert text is not None
    async with write_transaction(ctx, "You asked for this exception twice at the same moment.") as session:
        election = await _election(session, slug, "update")
        body = await session.get(Body, election.body_id)
        assert body is not None
        policy = _policy(election)
        rules: ElectionRules = policy.election_rules(body_facts(body))
        _still_open(ctx, election, rules)
        facts = await actor_facts(session, actor, body)
        if await may_vote(session, election, body, policy, facts) is None:
            raise Conflict(
                _("You may vote in {slug} already; no exception is needed.", slug=election.slug),
                suggest=suggest("see", ("election", "voters", election.slug)),
            )
        earlier = (
            await session.execute(
                select(ElectorateException).where(
                    col(ElectorateException.election_id) == election.id,
                    col(ElectorateException.person_id) == actor.person_id,
                )
            )
        ).scalar_one_or_none()
        if earlier is not None:
            raise Conflict(
                _("You asked for an exception in {slug} already.", slug=election.slug),
                _("The secretariat decides it; you will be told."),
            )
        assert election.id is not None
        request = ElectorateException(
            election_id=election.id, person_id=actor.person_id, reason=text, requested_at=ctx.now()
        )
        session.add(request)
        await record(
            session,
            ctx,
            actor,
            stream=_stream(election),
            kind="election.exception_requested",
            subject=election.slug,
            payload={"person": actor.handle, "reason": text},
        )
        notify(
            session,
            ctx,
            kind="election.exception_requested",
            body_id=body.id,
            params={
                "election": election.slug,
                "title": election.title,
                "person": actor.handle,
                "person_name": actor.name,
                "reason": text,
            },
        )
        return request


async def decide_exception(
    ctx: Context, actor: Actor, slug: str, handle: str, grant: bool, reason: str
) -> ElectorateException:
    """Grant or deny a pending exception request, with a reason (those who run the election's elections).

    A grant adds the person to the frozen record at once (or when it is fixed); the event carries the
    record's new count and digest. The requester is told either way."""
    text = check_text(reason, _("the reason"), 500)
    assert text is not None
    async with write_transaction(ctx) as session:
        election = await _election(session, slug, "update")
        body = await session.get(Body, election.body_id)
        assert body is not None
        policy = _policy(election)
        enforce(policy.may_run_elections(await actor_facts(session, actor, body), body_facts(body)), policy)
        person = await person_by_handle(session, handle)
        request = (
            await session.execute(
                select(ElectorateException).where(
                    col(ElectorateException.election_id) == election.id,
                    col(ElectorateException.person_id) == person.id,
                )
            )
        ).scalar_one_or_none()
        if request is None:
            raise NotFound(
                _(
                    "{handle} has not asked for an exception in {slug}.",
                    handle=person.handle,
                    slug=election.slug,
                ),
                suggest=suggest("see", ("election", "voters", election.slug)),
            )
        if request.status != "pending":
            raise Conflict(
                _(
                    "The exception of {handle} in {slug} is decided already ({status}).",
                    handle=person.handle,
                    slug=election.slug,
                    status=_("granted") if request.status == "granted" else _("denied"),
                )
            )
        if election.phase not in OPEN_PHASES:
            raise Closed(
                _(
                    "{slug} is {phase}; its electorate can no longer change.",
                    slug=election.slug,
                    phase=labels.label(labels.ELECTION_PHASES, election.phase),
                )
            )
        request.status = "granted" if grant else "denied"
        request.decided_by_id, request.decided_at, request.decision_reason = actor.person_id, ctx.now(), text
        payload: dict[str, Any] = {"person": person.handle, "reason": text}
        if grant and election.electorate_fixed_at is not None:
            facts = await actor_facts(session, Actor.of(person), body)
            entry = Entry(
                facts.person_id,
                facts.handle,
                facts.name,
                facts.organisation,
                facts.organisation_tier,
                EXCEPTION,
            )
            await _write(session, election, [entry], ctx.now())
            entries = await frozen(session, election) or []
            payload |= {"count": len(entries), "sha256": digest(entries)}
        await record(
            session,
            ctx,
            actor,
            stream=_stream(election),
            kind="election.exception_granted" if grant else "election.exception_denied",
            subject=election.slug,
            payload=payload,
        )
        notify(
            session,
            ctx,
            kind="election.exception_decided",
            person_id=person.id,
            params={"election": election.slug, "title": election.title, "granted": grant, "reason": text},
        )
        return request


@dataclass(frozen=True)
class TierTurnout:
    """Voters and electorate of one tier (None: people without an organisation)."""

    tier: str | None
    voted: int
    eligible: int


async def turnout_by_tier(session: AsyncSession, election: Election) -> list[TierTurnout] | None:
    """Who voted against who could, by the tier each person had at the cut-off, from the frozen record
    only (None when there is none); reads who voted, never a ballot."""
    entries = await frozen(session, election)
    if entries is None:
        return None
    voted = set(
        (await session.execute(select(col(Voter.person_id)).where(col(Voter.election_id) == election.id)))
        .scalars()
        .all()
    )
    eligible = Counter(e.tier for e in entries)
    did = Counter(e.tier for e in entries if e.person_id in voted)
    return [TierTurnout(t, did[t], n) for t, n in sorted(eligible.items(), key=lambda r: _order(r[0]))]


def summary(entries: Sequence[Entry], fixed_at: datetime) -> dict[str, Any]:
    """The electorate for a public bundle: count, digest, counts by organisation, tier and source."""
    orgs = Counter(e.organisation or "-" for e in entries)
    tiers = Counter(e.tier or "-" for e in entries)
    return {
        "fixed_at": fixed_at,
        "count": len(entries),
        "sha256": digest(entries),
        "by_organisation": dict(sorted(orgs.items())),
        "by_tier": dict(sorted(tiers.items())),
        "exceptions": sum(1 for e in entries if e.source == EXCEPTION),
    }
