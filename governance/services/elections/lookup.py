"""The vocabulary of elections and what every step of one needs: finding it, its policy, its facts."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Literal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from governance import text as text_rules
from governance.errors import InvalidInput, NotFound, suggest
from governance.i18n import N_, _
from governance.models import (
    Body,
    Election,
)
from governance.policies import LoadedPolicy
from governance.policies.base import (
    DEFAULT_OPTION_ALIAS,
    DEFAULT_OPTION_KEY,
    ElectionRules,
    PollFacts,
)
from governance.services.common import (
    Actor,
    Context,
    actor_facts,
    body_facts,
    election_policy,
    election_stream,
    enforce,
    with_lock,
)
from governance.tally.debian import quorum_multiple

PHASES = ("draft", "nominating", "voting", "closed", "certified", "cancelled")
RANKED_METHODS = frozenset(
    {"irv", "stv-scottish", "stv-meek", "schulze", "ranked-pairs", "condorcet-irv", "debian"}
)
TIES_ALLOWED = frozenset({"schulze", "ranked-pairs", "debian"})  # Debian: equal ranks allowed (§A.6(1))
SEATED_ROLES = frozenset({"member", "chair", "co_chair", "voting_rep"})
ELECTION_METHODS = (
    "plurality",
    "approval",
    "irv",
    "stv-scottish",
    "stv-meek",
    "schulze",
    "ranked-pairs",
    "condorcet-irv",
)
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


async def _load_for_change(
    session: AsyncSession, actor: Actor, slug: str
) -> tuple[Election, Body, LoadedPolicy]:
    election = await election_by_slug(session, slug, lock="update")
    policy = _policy_of(election)
    body = await session.get(Body, election.body_id)
    assert body is not None
    await _require_runner(session, actor, body, policy)
    return election, body, policy


def _quorum_needs_electorate(election: Election, rules: ElectionRules) -> bool:
    """Whether the election's count takes a quorum rule such as 3Q, computed from the electorate."""
    quorum = rules.method_params.get("quorum")
    return election.method == "debian" and quorum is not None and quorum_multiple(quorum) is not None
