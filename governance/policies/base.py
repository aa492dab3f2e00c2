"""What a policy module must answer, and the facts the engine gives it to answer with.

A policy is a Python module with these names at top level:

``NAME: str`` and ``VERSION: str``
    Its identity, recorded with every decision together with the SHA-256 of its source.
``election_rules(body: BodyFacts) -> ElectionRules``
    The counting method, secrecy, default seats and per-organisation cap for elections to a body.
``may_vote(election: PollFacts, voter: PersonFacts) -> Refusal | None``
    Whether a person may vote in an election; ``None`` means yes, a ``Refusal`` says which rule refused.
``may_stand(election: PollFacts, nominee: PersonFacts) -> Refusal | None``
``may_nominate(election: PollFacts, nominator: PersonFacts, nominee: PersonFacts) -> Refusal | None``
``may_administer(actor: PersonFacts, action: str) -> Refusal | None``
    Who keeps the roster and creates bodies (``action`` is a phrase such as "add people").
``may_run_elections(actor: PersonFacts, body: BodyFacts) -> Refusal | None``
    Who creates, opens, closes and certifies elections.
``motion_rules(body: BodyFacts, kind: str) -> MotionRules``
    Quorum, threshold, secrecy and voting period of a motion of ``kind`` ("ordinary", "charter"...).
``may_propose(body: BodyFacts, proposer: PersonFacts) -> Refusal | None``
``may_vote_on_motion(body: BodyFacts, voter: PersonFacts) -> Refusal | None``
``join_rule(body: BodyFacts) -> str``
    "open" (join at once) or "approval" (a chair approves).
``may_approve_join(body: BodyFacts, approver: PersonFacts) -> Refusal | None``

The engine never decides these itself: it asks, records the policy's identity with the decision, and
shows a refusal's message to the person it refused.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from fractions import Fraction
from typing import Literal

ThresholdOf = Literal["cast", "cast_excluding_abstentions", "seated"]

DEFAULT_REMINDER_OFFSETS: tuple[timedelta, ...] = (timedelta(hours=72), timedelta(hours=24), timedelta(hours=1))


@dataclass(frozen=True, slots=True)
class Refusal:
    """A policy's "no": the rule that refused (short id) and a sentence for the person refused."""

    rule: str
    message: str


@dataclass(frozen=True, slots=True)
class BodyFacts:
    """What a policy may know of a body."""

    slug: str
    name: str
    kind: str  # "board", "committee", "working_group"


@dataclass(frozen=True, slots=True)
class PersonFacts:
    """What a policy may know of a person, seen from one body."""

    person_id: int
    handle: str
    name: str
    status: str  # active, emeritus, withdrawn, suspended
    is_admin: bool
    organisation: str | None  # organisation slug
    organisation_name: str | None
    organisation_active: bool
    organisation_tier: str | None
    is_voting_rep: bool  # the designated voting representative of their organisation
    body_role: str | None  # role in the body concerned, when an active member
    body_status: str | None  # active, pending, left, removed, denied


@dataclass(frozen=True, slots=True)
class PollFacts:
    """What a policy may know of an election when asked about it."""

    slug: str
    body: BodyFacts
    seats: int
    phase: str


@dataclass(frozen=True, slots=True)
class ElectionRules:
    """How elections to a body are run."""

    method: str
    secret: bool = True
    seats: int = 1
    organisation_cap: int | None = None
    nomination_days: int = 14
    voting_days: int = 14
    self_nomination: bool = True
    reminder_offsets: tuple[timedelta, ...] = DEFAULT_REMINDER_OFFSETS  # before voting closes


@dataclass(frozen=True, slots=True)
class MotionRules:
    """What a motion needs to pass and how it is voted."""

    quorum: Fraction
    quorum_counts_abstentions: bool
    threshold: Fraction
    threshold_of: ThresholdOf
    secret: bool = False
    voting_days: int = 7
    strict: bool = field(default=False)  # True: more than the threshold; False: at least the threshold
    reminder_offsets: tuple[timedelta, ...] = DEFAULT_REMINDER_OFFSETS  # before the deadline
