"""A motion found by its number, the policy it opened with, and the members who may vote on it."""

from __future__ import annotations

from typing import Literal

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from governance import text as text_rules
from governance.errors import InvalidInput, NotFound, suggest
from governance.i18n import _
from governance.models import (
    Membership,
    Motion,
    Person,
)
from governance.policies import LoadedPolicy
from governance.services.common import (
    count_rows,
    governing_policy,
    with_lock,
)

CHOICES = ("yes", "no", "abstain")
KINDS = ("ordinary", "charter")
VOTING_ROLES = ("member", "chair", "co_chair", "voting_rep")


def stream_of(motion: Motion) -> str:
    """The audit stream of a motion: its events, ballots and checkpoints."""
    return f"motion:{motion.id}"


async def motion_by_ref(
    session: AsyncSession, ref: str | int, *, lock: Literal["share", "update"] | None = None
) -> Motion:
    """The motion numbered ``ref`` (``12`` or ``M12``), or a NotFound saying how to list motions.

    ``lock`` takes a row lock on PostgreSQL (SQLite's write transactions are already serial): "share"
    for a vote, so that votes proceed together; "update" for closing or withdrawing, which waits for
    the votes in flight (and counts them) and makes later ones see the motion closed.
    """
    text = str(ref).strip().lstrip("#").upper().removeprefix("M")
    if not text_rules.NUMBER_RE.fullmatch(text):
        raise InvalidInput(
            _("{ref!r} is not a motion number.", ref=text_rules.echo(ref)),
            suggest=suggest("motion_numbered", "motion show 12"),
        )
    number = text_rules.parse_number(text, _("A motion number"), suggest=suggest("see", "motion list"))
    stmt = with_lock(select(Motion).where(col(Motion.id) == number), lock)
    motion = (await session.execute(stmt)).scalar_one_or_none()
    if motion is None:
        raise NotFound(_("No motion M{text}.", text=number), suggest=suggest("see", "motion list"))
    return motion


def policy_of(motion: Motion) -> LoadedPolicy:
    """The policy the motion opened with; refuses to go on if its source has changed since."""
    return governing_policy(
        motion.policy_name, motion.policy_version, motion.policy_hash, _("Motion M{id}", id=motion.id)
    )


def _seated_members(body_id: int, policy: LoadedPolicy) -> Select[int | None]:
    """The memberships counted by ``count_seated`` (a select of their ids, to count or narrow)."""
    voting = [state for state, actions in policy.member_states.items() if "vote" in actions]
    return (
        select(col(Membership.id))
        .join(Person, col(Person.id) == col(Membership.person_id))
        .where(
            col(Membership.body_id) == body_id,
            col(Membership.status) == "active",
            col(Membership.role).in_(VOTING_ROLES),
            col(Membership.state).in_(voting),
            col(Person.status).in_(voting),
        )
    )


async def count_seated(session: AsyncSession, body_id: int, policy: LoadedPolicy) -> int:
    """The members of a body who may vote on its motions: the quorum and threshold base.

    A voting role is not enough: their state in the body and their roster status must both allow voting
    under the policy's member-states table (emeritus, withdrawn and suspended members are not counted).
    """
    return await count_rows(session, _seated_members(body_id, policy))
