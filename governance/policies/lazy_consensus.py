"""A simple-majority body that works by lazy consensus, as Apache projects do.

After the Apache "Voting" and "Decision making" pages (apache.org/foundation/voting.html and
community.apache.org/committers/decisionMaking.html, "Lazy consensus"):

* *Lazy consensus*: a proposal passes unless a member objects within 72 hours ("silence is
  consent"); an objection is a ``no`` vote, and any one objection stops it. Votes are public.
* *Majority votes* (``charter`` motions, e.g. changing the group's rules): more yes than no among
  those voting; the vote closes early once it is decided.
* Elections (e.g. a chair) are one person one vote among the members, instant-runoff, secret.
* Anyone active may join; members who are silent for a year are listed for the chairs' review, and
  those confirmed become emeritus (``on_inactive="emeritus"``): still listed, no longer voting, as
  Apache projects list their emeritus committers.
* *Per-poll choices*: a proposal may stay open longer, never shorter: lazy consensus gives members at
  least the 72 hours to object, a majority vote at least 7 days; elections are instant-runoff for one
  seat, at least 7 days.
"""

from __future__ import annotations

from datetime import timedelta
from fractions import Fraction

from governance.i18n import _
from governance.policies.base import (
    DEFAULT_MEMBER_STATES,
    SEATED_ROLES,
    BodyFacts,
    Bounds,
    ElectionRules,
    MotionRules,
    PersonFacts,
    PollFacts,
    Refusal,
    WorkingGroupRules,
    acts_as_admin,
    admin_refusal,
    manager_refusal,
    member_refusal,
    state_refusal,
)

NAME = "lazy_consensus"
VERSION = "1.1"
MEMBER_STATES = DEFAULT_MEMBER_STATES
SEATED = SEATED_ROLES


def election_rules(body: BodyFacts) -> ElectionRules:
    """Instant-runoff among the members, one seat, secret."""
    # One person one vote, instant-runoff, one seat: nothing to choose but a vote longer than 7 days.
    return ElectionRules(
        method="irv", seats=1, secret=True, voting_days=7, nomination_days=7, bounds=Bounds()
    )


def _member(person: PersonFacts, body: BodyFacts, action: str, rule: str) -> Refusal | None:
    return member_refusal(person, body, action, rule, MEMBER_STATES)


def may_vote(election: PollFacts, voter: PersonFacts) -> Refusal | None:
    """Members of the body vote."""
    return _member(voter, election.body, "vote", "members-only")


def may_stand(election: PollFacts, nominee: PersonFacts) -> Refusal | None:
    """Members of the body stand."""
    return _member(nominee, election.body, "stand", "members-only")


def may_nominate(election: PollFacts, nominator: PersonFacts, nominee: PersonFacts) -> Refusal | None:
    """Members nominate."""
    if acts_as_admin(nominator, MEMBER_STATES):
        return None
    return _member(nominator, election.body, "nominate", "members-only")


def may_administer(actor: PersonFacts, action: str) -> Refusal | None:
    """Admins keep the roster."""
    return admin_refusal(actor, "admins-only", _("Only an admin may {action}.", action=action), MEMBER_STATES)


def may_run_elections(actor: PersonFacts, body: BodyFacts) -> Refusal | None:
    """Admins run elections."""
    return admin_refusal(actor, "admins-run-elections", _("Only an admin runs elections."), MEMBER_STATES)


def motion_rules(body: BodyFacts, kind: str) -> MotionRules:
    """Ordinary: lazy consensus over 72 hours. Charter: simple majority, three taking part, early close."""
    if kind == "charter":
        return MotionRules(
            quorum=Fraction(0),
            quorum_counts_abstentions=True,
            threshold=Fraction(1, 2),
            threshold_of="cast_excluding_abstentions",
            strict=True,
            early_close=True,
            bounds=Bounds(),  # a majority vote: at least 7 days (the default period), longer allowed
        )
    return MotionRules(
        quorum=Fraction(0),
        quorum_counts_abstentions=True,
        threshold=Fraction(1, 2),
        threshold_of="cast_excluding_abstentions",
        lazy_consensus=True,
        voting_days=3,
        # "a proposal passes unless a member objects within 72 hours": never less time to object.
        bounds=Bounds(min_voting=timedelta(hours=72)),
    )


def may_propose(body: BodyFacts, proposer: PersonFacts) -> Refusal | None:
    """Members propose."""
    if acts_as_admin(proposer, MEMBER_STATES):
        return None
    return _member(proposer, body, "propose", "members-propose")


def may_vote_on_motion(body: BodyFacts, voter: PersonFacts) -> Refusal | None:
    """Members vote (and object)."""
    return _member(voter, body, "vote", "members-only")


def join_rule(body: BodyFacts) -> str:
    """Anyone active joins at once."""
    return "open"


def may_approve_join(body: BodyFacts, approver: PersonFacts) -> Refusal | None:
    """Chairs manage membership."""
    return manager_refusal(
        body,
        approver,
        "chairs-approve",
        _("Only a chair of {body_name} manages its members.", body_name=body.name),
        MEMBER_STATES,
    )


def may_chair(body: BodyFacts, person: PersonFacts) -> Refusal | None:
    """Any member in good standing may chair."""
    return state_refusal(person, "chair", MEMBER_STATES)


def working_group_rules(body: BodyFacts) -> WorkingGroupRules:
    """Silent for 365 days: up for review; confirmed inactive members become emeritus."""
    return WorkingGroupRules(inactivity_days=365, on_inactive="emeritus")
