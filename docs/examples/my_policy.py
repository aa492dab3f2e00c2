"""An operator's own charter: every person votes once, Schulze, one seat per organisation, open groups.

Load it with GOVBOT_POLICY_PATH=docs/examples/my_policy.py (or `body create ... --policy PATH`), and
check it with `govbot policy check docs/examples/my_policy.py`.
"""

from __future__ import annotations

from datetime import timedelta
from fractions import Fraction

from governance.policies.base import (
    DEFAULT_MEMBER_STATES,
    BodyFacts,
    Bounds,
    ElectionRules,
    MotionRules,
    PersonFacts,
    PollFacts,
    Refusal,
    WorkingGroupRules,
    admin_refusal,
    manager_refusal,
    state_refusal,
)

NAME = "my-charter"
VERSION = "2026.1"
MEMBER_STATES = DEFAULT_MEMBER_STATES


def election_rules(body: BodyFacts) -> ElectionRules:
    """Schulze for every body; at most one seat per organisation; one-year terms.

    Per election an admin may choose 1 to 3 seats, or approval voting, and a vote of 7 to 21 days. Who
    may vote is fixed 14 days before voting opens; a person left out may ask for an exception until 3
    days before voting closes. No co-signature by election monitors is needed to certify.
    """
    return ElectionRules(
        method="schulze",
        seats=2,
        organisation_cap=1,
        term_months=12,
        voting_days=7,
        bounds=Bounds(
            methods=frozenset({"approval"}),
            seats=(1, 3),
            min_voting=timedelta(days=7),
            max_voting=timedelta(days=21),
        ),
        electorate_cutoff=timedelta(days=14),
        exceptions_due=timedelta(days=3),
        monitor_signatures=0,
    )


def may_vote(election: PollFacts, voter: PersonFacts) -> Refusal | None:
    """Every active person with an organisation votes once."""
    if refusal := state_refusal(voter, "vote", MEMBER_STATES):
        return refusal
    if voter.organisation is None:
        return Refusal("members-vote", f"{voter.name} is with no member organisation, so cannot vote.")
    return None


def may_stand(election: PollFacts, nominee: PersonFacts) -> Refusal | None:
    """Anyone who may vote may stand."""
    return may_vote(election, nominee)


def may_nominate(election: PollFacts, nominator: PersonFacts, nominee: PersonFacts) -> Refusal | None:
    """Anyone who may vote may nominate."""
    return may_vote(election, nominator)


def may_administer(actor: PersonFacts, action: str) -> Refusal | None:
    """Admins keep the roster (while their member state allows it: the rule in base.py)."""
    return admin_refusal(actor, "admins-only", f"Only an admin may {action}.", MEMBER_STATES)


def may_run_elections(actor: PersonFacts, body: BodyFacts) -> Refusal | None:
    """Admins run elections."""
    return admin_refusal(actor, "admins-run-elections", "Only an admin runs elections.", MEMBER_STATES)


def motion_rules(body: BodyFacts, kind: str) -> MotionRules:
    """Two thirds of the yes and no votes, a third of the members voting; public unless the proposer asks
    for a secret ballot; open 7 days, or 3 to 14 as the proposer sets; closes once decided."""
    return MotionRules(
        quorum=Fraction(1, 3),
        quorum_counts_abstentions=True,
        threshold=Fraction(2, 3),
        threshold_of="cast_excluding_abstentions",
        early_close=True,
        bounds=Bounds(secret_on_request=True, min_voting=timedelta(days=3), max_voting=timedelta(days=14)),
    )


def may_propose(body: BodyFacts, proposer: PersonFacts) -> Refusal | None:
    """Members of the body propose."""
    if proposer.body_role is None:
        return Refusal("members-propose", f"Only members of {body.name} propose motions to it.")
    return state_refusal(proposer, "propose", MEMBER_STATES)


def may_vote_on_motion(body: BodyFacts, voter: PersonFacts) -> Refusal | None:
    """Members of the body vote on its motions."""
    if voter.body_role is None:
        return Refusal("members-only", f"{voter.name} is not a member of {body.name}.")
    return state_refusal(voter, "vote", MEMBER_STATES)


def join_rule(body: BodyFacts) -> str:
    """Working groups are open."""
    return "open"


def may_approve_join(body: BodyFacts, approver: PersonFacts) -> Refusal | None:
    """Chairs manage membership."""
    return manager_refusal(
        body, approver, "chairs-approve", f"Only a chair of {body.name} manages its members.", MEMBER_STATES
    )


def may_chair(body: BodyFacts, person: PersonFacts) -> Refusal | None:
    """Any active person may chair."""
    return state_refusal(person, "chair", MEMBER_STATES)


def working_group_rules(body: BodyFacts) -> WorkingGroupRules:
    """At most 30 members."""
    return WorkingGroupRules(max_members=30)
