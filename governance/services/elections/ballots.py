"""Casting a ballot: checked against the election's method and policy, stored with the secrecy layout of
``governance.models`` (first ballots on PostgreSQL in one statement, on SQLite through ``ballot_batch``),
replaced through the voter's keyed slot; proxies named for an election.
"""

from __future__ import annotations

import json
import secrets
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import bindparam, delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased
from sqlmodel import col

from governance import audit, labels
from governance import text as text_rules
from governance.db import driver_fetch, sqlite_execute
from governance.errors import Closed, Conflict, Forbidden, InvalidInput, NotFound, suggest
from governance.i18n import _
from governance.models import (
    AuditEvent,
    Ballot,
    BallotSlot,
    Body,
    Candidate,
    Election,
    ElectorateEntry,
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
    PollFacts,
)
from governance.services import ballot_batch, electorate, proxies
from governance.services.common import (
    Actor,
    Context,
    actor_facts,
    body_by_slug,
    body_facts,
    enforce,
    facts_columns,
    facts_from_row,
    facts_joins,
    notify,
    person_by_handle,
    person_facts,
    record,
    write_transaction,
)
from governance.services.elections.lookup import (
    SECRET_VOTER,
    TIES_ALLOWED,
    _policy_of,
    _poll_facts,
    _receipt,
    _stream,
    ballot_default_option,
    default_option_words,
    election_by_slug,
)


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


_PG_CAST: dict[str, tuple[str, tuple[str, ...]]] = {}


def _pg_cast_sql(dialect: Any) -> tuple[str, tuple[str, ...]]:
    """The first ballot's unlocked read compiled once for asyncpg (``$n`` placeholders), with the names
    of its parameters in order."""
    compiled = _PG_CAST.get(dialect.name)
    if compiled is None:
        read = _cast_query(False).compile(dialect=dialect)
        compiled = _PG_CAST[dialect.name] = (str(read), tuple(read.positiontup or ()))
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


def _refuse_unknown(flat: list[str], candidates: dict[str, str], label: str | None, slug: str) -> None:
    """Refuse a ballot naming anyone who is not a standing candidate (or the default option), listing
    who stands."""
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
    _refuse_unknown(flat, candidates, label, slug)
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


async def _first_ballot(
    ctx: Context, actor: Actor, slug: str, tiers: list[list[str]], flat: list[str]
) -> CastReceipt | None:
    """A voter's first ballot: read and checked outside any lock, then written in a batch.

    One unlocked read (on PostgreSQL one statement on an autocommit connection, on SQLite one hop to
    the driver) gives everything ``_check_ballot`` needs; the ballot is then written with the first
    ballots that arrived together, in one transaction for all (``ballot_batch``), which re-checks that
    the election is still open and the voter has no ballot yet. A concurrent close either waits for the
    batch and counts it, or commits first and the ballot is not written. Returns None when the ballot was
    not written: the caller takes the locking path, which replaces the ballot or says why it cannot.
    """
    assert actor.person_id is not None
    if ctx.db.is_sqlite:
        sql, params = _sqlite_cast_sql(ctx.db.engine.dialect, slug, actor.person_id)
        raw = await ctx.db.sqlite_read(sql, params)
    else:
        read_sql, read_names = _pg_cast_sql(ctx.db.engine.dialect)
        found = {"slug": slug, "person_id": actor.person_id}
        async with ctx.db.autocommit() as conn:
            raw = await driver_fetch(conn, read_sql, [found[n] for n in read_names])
    ballot = _check_ballot(ctx, actor, slug, _sqlite_typed(raw), tiers, flat)
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
    voter's policy facts and the candidates; a first ballot is then written in a batch of the first
    ballots that arrived together, one write transaction for all (``_first_ballot``, ``ballot_batch``),
    which re-checks that the election is still open and the voter has no ballot yet. Its audit event is
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
        receipt = await _first_ballot(ctx, actor, slug, tiers, flat)
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
