"""Proxies, shared by motions and elections: a voter names another person who may vote in the same poll
to cast their vote there; voting in person afterwards revokes the proxy (and replaces what it cast).

A proxy row names delegator and delegate (both know of it); the ballot the delegate casts is stored and
logged exactly like the delegator's own, so a secret poll's ballots and audit events stay anonymous.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import ColumnElement, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from governance.errors import Conflict, Forbidden, InvalidInput, suggest
from governance.i18n import _
from governance.models import Person, Proxy, Voter
from governance.policies import LoadedPolicy
from governance.policies.base import PersonFacts, Refusal
from governance.services.common import Actor, Context, count_rows


@dataclass(frozen=True, slots=True)
class ProxyPoll:
    """The one poll a proxy is given for: a motion or an election, and how people name it ("M3")."""

    label: str
    motion_id: int | None = None
    election_id: int | None = None

    def condition(self) -> ColumnElement[bool]:
        """The SQL condition selecting this poll's proxies."""
        if self.motion_id is not None:
            return col(Proxy.motion_id) == self.motion_id
        return col(Proxy.election_id) == self.election_id


def refuse_without_proxies(allowed: bool, policy: LoadedPolicy, poll: ProxyPoll) -> None:
    """Refuse, naming the policy's rule, when the poll's policy does not allow proxies."""
    if allowed:
        return
    raise Forbidden(
        _(
            "Under {policy_name}, votes on {poll} cannot be given to a proxy.",
            policy_name=policy.name,
            poll=poll.label,
        ),
        _(
            "(rule 'no-proxies' of policy {policy_name} {policy_version}) Vote in person.",
            policy_name=policy.name,
            policy_version=policy.version,
        ),
        rule="no-proxies",
    )


async def proxy_of(session: AsyncSession, poll: ProxyPoll, delegator_id: int) -> Proxy | None:
    """The proxy ``delegator_id`` gave in ``poll`` (revoked or not), locked against a concurrent vote."""
    return (
        await session.execute(
            select(Proxy).where(poll.condition(), col(Proxy.delegator_id) == delegator_id).with_for_update()
        )
    ).scalar_one_or_none()


async def _has_voted(session: AsyncSession, poll: ProxyPoll, person_id: int) -> bool:
    column = col(Voter.motion_id) if poll.motion_id is not None else col(Voter.election_id)
    poll_id = poll.motion_id if poll.motion_id is not None else poll.election_id
    return bool(
        await count_rows(
            session,
            select(col(Voter.id)).where(column == poll_id, col(Voter.person_id) == person_id),
        )
    )


async def name_proxy(
    session: AsyncSession,
    ctx: Context,
    actor: Actor,
    poll: ProxyPoll,
    policy: LoadedPolicy,
    target: Person,
    target_may_vote: Callable[[PersonFacts], Refusal | None],
    target_facts: PersonFacts,
) -> Proxy:
    """Record ``actor``'s proxy in ``poll`` for ``target``, once the caller has checked the poll is open,
    allows proxies and that the actor may vote. Refuses oneself, a target who may not vote in the poll,
    and a delegator who has voted already; naming someone else replaces an earlier proxy."""
    assert actor.person_id is not None and target.id is not None
    if target.id == actor.person_id:
        raise InvalidInput(_("You cannot name yourself as your own proxy."))
    if refusal := target_may_vote(target_facts):
        raise Forbidden(
            _(
                "{target_name} cannot be your proxy: {refusal_message}",
                target_name=target.name,
                refusal_message=refusal.message,
            ),
            _(
                "(rule {refusal_rule!r} of policy {policy_name} {policy_version}) A proxy must be able "
                "to vote.",
                refusal_rule=refusal.rule,
                policy_name=policy.name,
                policy_version=policy.version,
            ),
            rule=refusal.rule,
        )
    proxy = await proxy_of(session, poll, actor.person_id)
    if await _has_voted(session, poll, actor.person_id):
        if proxy is not None and proxy.used_at is not None and proxy.revoked_at is None:
            raise Conflict(
                _("Your proxy has already voted for you on {poll}.", poll=poll.label),
                _("Vote in person before the deadline to override their vote."),
            )
        raise Conflict(_("You have already voted on {poll}; your own vote stands.", poll=poll.label))
    if proxy is None:
        proxy = Proxy(
            motion_id=poll.motion_id,
            election_id=poll.election_id,
            delegator_id=actor.person_id,
            delegate_id=target.id,
            created_at=ctx.now(),
        )
        session.add(proxy)
    else:
        proxy.delegate_id, proxy.created_at, proxy.revoked_at = target.id, ctx.now(), None
    await session.flush()
    return proxy


async def use_proxy(
    session: AsyncSession, ctx: Context, actor: Actor, poll: ProxyPoll, delegator: Person, command: str
) -> Proxy:
    """The proxy through which ``actor`` votes for ``delegator`` in ``poll``, marked used now.

    Refused when the delegator did not name the actor, or has voted in person (which revokes the proxy,
    even when their own first ballot went through a path that does not look at proxies). ``command`` is
    how the delegator names a proxy, for the hint.
    """
    assert delegator.id is not None
    proxy = await proxy_of(session, poll, delegator.id)
    if proxy is None or proxy.delegate_id != actor.person_id:
        raise Forbidden(
            _(
                "{delegator_name} has not named {actor_name} as proxy on {poll}.",
                delegator_name=delegator.name,
                actor_name=actor.name,
                poll=poll.label,
            ),
            suggest=suggest("proxy_can", (*command.split(), actor.handle), delegator_name=delegator.name),
        )
    voted_in_person = proxy.used_at is None and await _has_voted(session, poll, delegator.id)
    if proxy.revoked_at is not None or voted_in_person:
        raise Conflict(
            _(
                "{delegator_name} has voted in person on {poll}, which revoked the proxy.",
                delegator_name=delegator.name,
                poll=poll.label,
            ),
            _("Their own vote stands."),
        )
    proxy.used_at = ctx.now()
    return proxy


async def revoke_in_person(
    session: AsyncSession, ctx: Context, poll: ProxyPoll, person_id: int
) -> Proxy | None:
    """Revoke the proxy ``person_id`` gave in ``poll``, as their vote in person overrides it; returns it
    when it had been used (their ballot then replaces the one the proxy cast)."""
    proxy = await proxy_of(session, poll, person_id)
    if proxy is None or proxy.revoked_at is not None:
        return None
    proxy.revoked_at = ctx.now()
    return proxy if proxy.used_at is not None else None
