"""What every use case shares: the context it runs in, who is acting, look-ups that fail helpfully,
the facts handed to policies, and the audit/outbox writes that ride in the same transaction."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Select, and_, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from governance import audit, notices, signing
from governance import text as text_rules
from governance.clock import Clock, SystemClock
from governance.db import Database
from governance.errors import Conflict, Forbidden, InvalidInput, NotFound, suggest
from governance.i18n import _
from governance.models import Body, Election, Membership, Organisation, OutboxMessage, Person, VotingRep
from governance.policies import LoadedPolicy, load_policy
from governance.policies.base import BodyFacts, PersonFacts, Refusal

SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")


@dataclass(frozen=True)
class Context:
    """Where services run: the database, the clock, the server secret for ballot tags, the default policy."""

    db: Database
    secret: bytes
    clock: Clock = field(default_factory=SystemClock)
    default_policy: str = "alliance"
    # The deployment's Ed25519 checkpoint key (``governance.checkpoints``); None: derived from ``secret``.
    signing_key: Ed25519PrivateKey | None = field(default=None, repr=False, compare=False)

    def now(self) -> datetime:
        """The current UTC time from the injected clock."""
        return self.clock.now()

    def policy_for(self, body: Body) -> LoadedPolicy:
        """The policy that governs ``body`` (its own, or the deployment's default)."""
        return load_policy(body.policy or self.default_policy)

    def policy_for_default(self) -> LoadedPolicy:
        """The deployment's default policy: it governs the roster and anything not tied to one body."""
        return load_policy(self.default_policy)

    def deployment_key(self) -> Ed25519PrivateKey:
        """The key that signs checkpoints: the configured one, else one derived from the server secret."""
        return self.signing_key or signing.derived_key(self.secret)

    def tag(self, poll: str, person_id: int) -> str:
        """The keyed tag linking a voter to their replaceable ballot; meaningless without the secret."""
        return hmac.new(self.secret, f"{poll}|{person_id}".encode(), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Actor:
    """Who is acting: a person on the roster, or the system itself (the scheduler)."""

    person_id: int | None
    handle: str
    name: str
    is_admin: bool = False

    @property
    def label(self) -> str:
        """How the actor appears in audit events."""
        return f"person:{self.handle}" if self.person_id is not None else self.handle

    @classmethod
    def system(cls, name: str = "scheduler") -> Actor:
        """The system acting on its own (deadlines, reminders)."""
        return cls(None, name, name.capitalize(), True)

    @classmethod
    def of(cls, person: Person) -> Actor:
        """The actor for a roster person."""
        assert person.id is not None
        return cls(person.id, person.handle, person.name, person.is_admin)


@asynccontextmanager
async def write_transaction(
    ctx: Context, race: str = "Someone changed the same thing at the same moment."
) -> AsyncIterator[AsyncSession]:
    """``ctx.db.transaction()`` for a use case whose checks can lose a race to a concurrent one.

    The use case checks uniqueness itself and says so clearly; when a concurrent transaction commits
    the same row between that check and this commit, the database's constraint refuses it and the
    person gets ``race`` as a Conflict instead of an internal error. Nothing is written either way.
    """
    try:
        async with ctx.db.transaction() as session:
            yield session
    except IntegrityError as exc:
        raise Conflict(
            race, _("Look again (it may already be done) and retry if it is still needed.")
        ) from exc


def check_text(value: str | None, what: str, max_length: int, *, required: bool = True) -> str | None:
    """Trimmed one-line text that fits its column: a clear refusal instead of a database error.

    ``what`` names the field as a sentence would (``_("the e-mail address")``), already translated. The
    rules (NFC, no control or bidirectional characters, the length) are ``governance.text.clean``'s.
    """
    return text_rules.clean(value, text_rules.Field("text", max_length), what, required=required)


def check_slug(value: str, what: str) -> str:
    """A lower-case identifier people can type: letters, digits, dash and underscore.

    ``what`` names the identifier (``_("handle")``), already translated.
    """
    slug = value.strip().lower()
    if not SLUG_RE.match(slug):
        raise InvalidInput(
            _("{value!r} is not a valid {what}.", value=text_rules.echo(value), what=what),
            _(
                "Use lower-case letters, digits, '-' or '_' (up to 64 characters), starting with a letter "
                "or digit."
            ),
        )
    return slug


async def person_by_handle(session: AsyncSession, handle: str) -> Person:
    """The person with this handle, or a NotFound that says how to list people."""
    handle = handle.strip().lstrip("@").lower()
    person = (await session.execute(select(Person).where(col(Person.handle) == handle))).scalar_one_or_none()
    if person is None:
        raise NotFound(
            _("No person with handle {handle!r}.", handle=text_rules.echo(handle)),
            suggest=suggest("see_roster", "roster people"),
        )
    return person


async def organisation_by_slug(session: AsyncSession, slug: str) -> Organisation:
    """The organisation with this slug, or a NotFound that says how to list them."""
    slug = slug.strip().lower()
    org = (
        await session.execute(select(Organisation).where(col(Organisation.slug) == slug))
    ).scalar_one_or_none()
    if org is None:
        raise NotFound(
            _("No organisation {slug!r}.", slug=text_rules.echo(slug)),
            suggest=suggest("see_orgs", "roster orgs"),
        )
    return org


async def body_by_slug(session: AsyncSession, slug: str) -> Body:
    """The body (board, committee, working group) with this slug, or a helpful NotFound."""
    slug = slug.strip().lower()
    body = (await session.execute(select(Body).where(col(Body.slug) == slug))).scalar_one_or_none()
    if body is None:
        raise NotFound(
            _("No body or working group {slug!r}.", slug=text_rules.echo(slug)),
            suggest=suggest("see_bodies", "body list", "wg list"),
        )
    return body


def body_facts(body: Body) -> BodyFacts:
    """The facts about a body a policy may see."""
    return BodyFacts(slug=body.slug, name=body.name, kind=body.kind)


def facts_columns() -> tuple[Any, ...]:
    """The columns ``facts_from_row`` reads: join them with ``facts_joins`` to any query on people."""
    return (
        col(Person.id),
        col(Person.handle),
        col(Person.name),
        col(Person.status),
        col(Person.is_admin),
        col(Organisation.slug),
        col(Organisation.name).label("organisation_name"),
        col(Organisation.active),
        col(Organisation.tier),
        col(VotingRep.person_id).label("rep_person_id"),
        col(Membership.role),
        col(Membership.status).label("membership_status"),
        col(Membership.state).label("membership_state"),
    )


def facts_joins(stmt: Any, person_id: Any, body_id: Any) -> Any:
    """Outer-join a person (by id) and what a policy may know of them, seen from a body, to ``stmt``.

    ``person_id`` None means ``stmt`` selects from ``people`` already.
    """
    if person_id is not None:
        stmt = stmt.outerjoin(Person, col(Person.id) == person_id)
    return (
        stmt.outerjoin(Organisation, col(Organisation.id) == col(Person.organisation_id))
        .outerjoin(VotingRep, col(VotingRep.organisation_id) == col(Organisation.id))
        .outerjoin(
            Membership,
            and_(col(Membership.body_id) == body_id, col(Membership.person_id) == col(Person.id)),
        )
    )


def facts_from_row(row: Any, offset: int = 0) -> PersonFacts | None:
    """The policy facts in a row selected with ``facts_columns`` from ``offset``; None if no such person."""
    (
        person_id,
        handle,
        name,
        status,
        is_admin,
        org_slug,
        org_name,
        org_active,
        org_tier,
        rep_person_id,
        role,
        membership_status,
        membership_state,
    ) = tuple(row)[offset : offset + 13]
    if person_id is None:
        return None
    return PersonFacts(
        person_id=person_id,
        handle=handle,
        name=name,
        status=status,
        is_admin=bool(is_admin),
        organisation=org_slug,
        organisation_name=org_name,
        organisation_active=bool(org_slug is not None and org_active),
        organisation_tier=org_tier,
        is_voting_rep=org_slug is not None and rep_person_id == person_id,
        body_role=role if membership_status == "active" else None,
        body_status=membership_status,
        # A state is held by a current member; one who left or was removed is judged by their roster status.
        body_state=membership_state if membership_status == "active" else None,
    )


async def _facts(session: AsyncSession, person_id: int, body: Body | None) -> PersonFacts | None:
    base = select(*facts_columns()).select_from(Person).where(col(Person.id) == person_id)
    row = (await session.execute(facts_joins(base, None, body.id if body else -1))).first()
    return None if row is None else facts_from_row(row)


async def person_facts(session: AsyncSession, person: Person, body: Body | None = None) -> PersonFacts:
    """Everything a policy may know of ``person``, seen from ``body`` (membership role and status)."""
    assert person.id is not None
    facts = await _facts(session, person.id, body)
    if facts is None:
        raise NotFound(_("{person_handle} is no longer on the roster.", person_handle=person.handle))
    return facts


async def actor_facts(session: AsyncSession, actor: Actor, body: Body | None = None) -> PersonFacts:
    """Policy facts for the actor; the system actor is an admin with no organisation."""
    if actor.person_id is None:
        return system_facts(actor)
    facts = await _facts(session, actor.person_id, body)
    if facts is None:
        raise NotFound(_("{actor_handle} is no longer on the roster.", actor_handle=actor.handle))
    return facts


def system_facts(actor: Actor) -> PersonFacts:
    """The system actor's facts: an admin with no organisation, and not a person (``is_system``), so
    member states do not bind it."""
    return PersonFacts(
        0,
        actor.handle,
        actor.name,
        "active",
        True,
        None,
        None,
        False,
        None,
        False,
        None,
        None,
        is_system=True,
    )


def enforce(refusal: Refusal | None, policy: LoadedPolicy) -> None:
    """Turn a policy's refusal into an error that names the rule and the policy."""
    if refusal is not None:
        raise Forbidden(
            refusal.message,
            _(
                "(rule {refusal_rule!r} of policy {policy_name} {policy_version})",
                refusal_rule=refusal.rule,
                policy_name=policy.name,
                policy_version=policy.version,
            ),
            rule=refusal.rule,
            suggest=refusal.suggestion,
        )


async def record(
    session: AsyncSession,
    ctx: Context,
    actor: Actor,
    *,
    stream: str,
    kind: str,
    subject: str,
    payload: Mapping[str, Any] | None = None,
) -> None:
    """Append the audit event for a state change, in the same transaction as the change."""
    await audit.append(
        session,
        stream=stream,
        actor=actor.label,
        kind=kind,
        subject=subject,
        payload=payload or {},
        at=ctx.now(),
    )


def notify(
    session: AsyncSession,
    ctx: Context,
    *,
    kind: str,
    params: Mapping[str, object],
    person_id: int | None = None,
    body_id: int | None = None,
    dedupe_key: str | None = None,
) -> None:
    """Queue a notice (DM to a person, or post to a body's channel) for delivery after commit.

    The notice is data: its ``kind`` and ``params`` (ids, slugs, names, counts, datetimes), checked
    against ``governance.notices.KINDS`` here, so a missing or extra parameter fails at once. The
    sentence is written at delivery by the presentation, in the reader's language and time zone.
    """
    session.add(
        OutboxMessage(
            created_at=ctx.now(),
            kind=kind,
            person_id=person_id,
            body_id=body_id,
            text=None,
            payload=json.dumps(notices.encode(kind, params), sort_keys=True),
            dedupe_key=dedupe_key,
        )
    )


async def count_rows(session: AsyncSession, stmt: Any) -> int:
    """``SELECT count(*)`` over a select statement."""
    return int((await session.execute(select(func.count()).select_from(stmt.subquery()))).scalar_one())


def governing_policy(name: str, version: str, sha256: str, what: str) -> LoadedPolicy:
    """The policy a poll opened with; refuses to go on if its source has changed since (invariant 4).

    ``what`` names the poll for the message, e.g. "Election board-2027" or "Motion M3".
    """
    policy = load_policy(name)
    if policy.sha256 != sha256:
        raise Conflict(
            _(
                "{what} opened under policy {name} {version} (source {sha256_12}), but the policy loaded "
                "now is {policy_version} (source {policy_sha256_12}).",
                what=what,
                name=name,
                version=version,
                sha256_12=sha256[:12],
                policy_version=policy.version,
                policy_sha256_12=policy.sha256[:12],
            ),
            _("A vote runs to its end under the policy it opened with: restore that policy version."),
        )
    return policy


def election_stream(election: Election) -> str:
    """The audit stream an election's events go to (``election:<slug>``): one spelling for every service."""
    return f"election:{election.slug}"


def election_policy(election: Election) -> LoadedPolicy:
    """The policy the election opened with (``governing_policy``); refuses to go on if its source changed."""
    return governing_policy(
        election.policy_name,
        election.policy_version,
        election.policy_hash,
        _("Election {slug}", slug=election.slug),
    )


SelectT = TypeVar("SelectT", bound=Select[Any])


def with_lock(stmt: SelectT, lock: str | None) -> SelectT:
    """Add a PostgreSQL row lock to a poll's SELECT: "share" for a ballot, "update" for a phase change.

    SQLite ignores it: its write transactions are already serial.
    """
    if lock == "share":
        return stmt.with_for_update(read=True, key_share=True)
    if lock == "update":
        return stmt.with_for_update()
    return stmt
