"""The default charter of an open AI alliance of member organisations.

Board of directors
    Elected by the member organisations, one vote each, cast by the organisation's designated voting
    representative; any active person of an active member organisation may stand, nominated by
    themselves or by another such person; single transferable vote (Meek), at most one seat per
    organisation counting the seats its continuing directors hold; secret ballot. Three seats on
    two-year staggered terms: an election fills the seats whose terms end by its close (and any vacant
    seat); at most three consecutive terms.
Technical committees
    Motions are proposed by members of the committee and voted by them by roll call: every vote is
    public, and a proposer cannot make it secret (the committee answers to the member organisations,
    who read how each of its members voted). Quorum: half the seated members (emeritus, withdrawn and
    suspended members hold no vote and are not counted), abstentions counting toward it. An ordinary
    motion passes with more yes than no votes; a charter change needs two thirds of the votes cast,
    abstentions excluded. A vote stays open until its deadline (the secretariat may close it sooner); a
    member may give their vote on one motion to another member as proxy.
Working groups
    Anyone active may ask to join; a chair or co-chair of the group (or the secretariat) approves; a
    chair is an active person of an active member organisation. At most 50 members. A member who votes
    on none of the group's motions for 180 days is listed for the chairs' review; one they confirm
    (``wg review-confirm``) becomes emeritus: their credit is kept (they stay on the group's list,
    "emeritus since ...") but they no longer vote, stand or propose. A member who leaves is removed.
    Elections inside a body (e.g. a chair) are voted by its members, secret, instant-runoff.
Member states
    Active members do everything; emeritus members may join working groups but not vote, stand or
    propose; withdrawn and suspended members take no part.
Secretariat
    Admins create and run elections (open, close, certify).
Per-poll choices
    The counting method and the seats are the charter's: an election may choose neither (the board's
    seats are those its staggered terms free; ``--seats`` may only leave one vacant for later). An
    election votes for 14 days, which the secretariat may shorten to no less than 7; a motion stays
    open 7 days, which its proposer may set longer or, for an ordinary motion, as short as 72 hours; a
    charter change always has at least 7 days. No poll has a longest period: more time never shuts a
    member out.
"""

from __future__ import annotations

from datetime import timedelta
from fractions import Fraction

from governance.i18n import _
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
    acts_as_admin,
    admin_refusal,
    manager_refusal,
    state_refusal,
)

NAME = "alliance"
VERSION = "1.2"

MEMBER_STATES = DEFAULT_MEMBER_STATES

# "An election votes for 14 days, which the secretariat may shorten to no less than 7" (Per-poll
# choices): the method and seats stay the charter's (no ``methods``, no ``seats`` range).
ELECTION_BOUNDS = Bounds(min_voting=timedelta(days=7))
# "a motion stays open 7 days, which its proposer may set longer or, for an ordinary motion, as short as
# 72 hours; a charter change always has at least 7 days"; roll call only (no secret on request).
ORDINARY_BOUNDS = Bounds(min_voting=timedelta(hours=72))
CHARTER_BOUNDS = Bounds(min_voting=timedelta(days=7))

VOTING_ROLES = frozenset({"member", "chair", "co_chair", "voting_rep"})
CHAIR_ROLES = frozenset({"chair", "co_chair"})


def election_rules(body: BodyFacts) -> ElectionRules:
    """Board: Meek STV with one seat per organisation; other bodies: IRV among members."""
    if body.kind == "board":
        return ElectionRules(
            method="stv-meek",
            secret=True,
            seats=3,
            organisation_cap=1,
            term_months=24,
            staggered=True,
            term_limit=3,
            bounds=ELECTION_BOUNDS,
        )
    return ElectionRules(method="irv", secret=True, seats=1, bounds=ELECTION_BOUNDS)


def _standing(person: PersonFacts, action: str = "vote") -> Refusal | None:
    return state_refusal(person, action, MEMBER_STATES)


def may_vote(election: PollFacts, voter: PersonFacts) -> Refusal | None:
    """Board: the voting representative of an active member organisation; else: members of the body."""
    if refusal := _standing(voter):
        return refusal
    if election.body.kind == "board":
        if voter.organisation is None or not voter.organisation_active:
            return Refusal(
                "board-electorate",
                _(
                    "{voter_name} is not with an active member organisation; the board is elected by member "
                    "organisations.",
                    voter_name=voter.name,
                ),
            )
        if not voter.is_voting_rep:
            return Refusal(
                "one-vote-per-organisation",
                _(
                    "{voter_name} is not the designated voting representative of {voter_organisation_name}; "
                    "each member organisation votes once, through its representative.",
                    voter_name=voter.name,
                    voter_organisation_name=voter.organisation_name,
                ),
            )
        return None
    if voter.body_role not in VOTING_ROLES:
        return Refusal(
            "members-only",
            _(
                "{voter_name} is not a voting member of {election_body_name}; only its members vote.",
                voter_name=voter.name,
                election_body_name=election.body.name,
            ),
        )
    return None


def may_stand(election: PollFacts, nominee: PersonFacts) -> Refusal | None:
    """Board: anyone active at an active member organisation; else: members of the body."""
    if refusal := _standing(nominee, "stand"):
        return refusal
    if election.body.kind == "board":
        if nominee.organisation is None or not nominee.organisation_active:
            return Refusal(
                "board-candidates",
                _(
                    "{nominee_name} is not with an active member organisation, so cannot stand for the "
                    "board.",
                    nominee_name=nominee.name,
                ),
            )
        return None
    if nominee.body_role not in VOTING_ROLES:
        return Refusal(
            "members-only",
            _(
                "{nominee_name} is not a member of {election_body_name}, so cannot stand.",
                nominee_name=nominee.name,
                election_body_name=election.body.name,
            ),
        )
    return None


def may_nominate(election: PollFacts, nominator: PersonFacts, nominee: PersonFacts) -> Refusal | None:
    """Anyone active who could stand may nominate (themselves or another)."""
    if acts_as_admin(nominator, MEMBER_STATES):
        return None
    if refusal := _standing(nominator, "nominate"):
        return refusal
    if election.body.kind == "board" and (
        nominator.organisation is None or not nominator.organisation_active
    ):
        return Refusal(
            "board-nominators",
            _(
                "{nominator_name} is not with an active member organisation, so cannot nominate.",
                nominator_name=nominator.name,
            ),
        )
    return None


def may_administer(actor: PersonFacts, action: str) -> Refusal | None:
    """The secretariat (admins) keeps the roster and creates bodies."""
    return admin_refusal(
        actor,
        "secretariat-only",
        _("Only the secretariat (an admin) may {action}.", action=action),
        MEMBER_STATES,
    )


def may_run_elections(actor: PersonFacts, body: BodyFacts) -> Refusal | None:
    """Only the secretariat (admins) creates, opens, closes and certifies elections."""
    return admin_refusal(
        actor,
        "secretariat-runs-elections",
        _("Only the secretariat (an admin) runs elections."),
        MEMBER_STATES,
    )


def motion_rules(body: BodyFacts, kind: str) -> MotionRules:
    """Ordinary motions: simple majority of yes/no; charter changes: two thirds, abstentions excluded.

    Both by roll call, which the proposer cannot turn into a secret ballot.
    """
    if kind == "charter":
        return MotionRules(
            quorum=Fraction(1, 2),
            quorum_counts_abstentions=True,
            threshold=Fraction(2, 3),
            threshold_of="cast_excluding_abstentions",
            strict=False,
            proxies=True,
            bounds=CHARTER_BOUNDS,
        )
    return MotionRules(
        quorum=Fraction(1, 2),
        quorum_counts_abstentions=True,
        threshold=Fraction(1, 2),
        threshold_of="cast_excluding_abstentions",
        strict=True,
        proxies=True,
        bounds=ORDINARY_BOUNDS,
    )


def may_propose(body: BodyFacts, proposer: PersonFacts) -> Refusal | None:
    """Members of the body (and the secretariat) propose motions."""
    if acts_as_admin(proposer, MEMBER_STATES):
        return None
    if refusal := _standing(proposer, "propose"):
        return refusal
    if proposer.body_role not in VOTING_ROLES:
        return Refusal(
            "members-propose", _("Only members of {body_name} propose motions to it.", body_name=body.name)
        )
    return None


def may_vote_on_motion(body: BodyFacts, voter: PersonFacts) -> Refusal | None:
    """Voting members of the body vote on its motions."""
    if refusal := _standing(voter):
        return refusal
    if voter.body_role not in VOTING_ROLES:
        return Refusal(
            "members-only",
            _(
                "{voter_name} is not a voting member of {body_name}.",
                voter_name=voter.name,
                body_name=body.name,
            ),
        )
    return None


def join_rule(body: BodyFacts) -> str:
    """Working groups admit on a chair's approval."""
    return "approval"


def may_approve_join(body: BodyFacts, approver: PersonFacts) -> Refusal | None:
    """A chair or co-chair of the group, or the secretariat, approves join requests."""
    return manager_refusal(
        body,
        approver,
        "chairs-approve",
        _("Only a chair of {body_name} (or the secretariat) approves join requests.", body_name=body.name),
        MEMBER_STATES,
        CHAIR_ROLES,
    )


def may_chair(body: BodyFacts, person: PersonFacts) -> Refusal | None:
    """A chair is an active person of an active member organisation."""
    if refusal := _standing(person, "chair"):
        return refusal
    if person.organisation is None or not person.organisation_active:
        return Refusal(
            "chairs-from-members",
            _(
                "{person_name} is not with an active member organisation, so cannot chair {body_name}.",
                person_name=person.name,
                body_name=body.name,
            ),
        )
    return None


def working_group_rules(body: BodyFacts) -> WorkingGroupRules:
    """At most 50 members; 180 days without voting on the group's motions puts a member up for review,
    and one the chairs confirm becomes emeritus (credit kept, no vote); a member who leaves is removed."""
    return WorkingGroupRules(max_members=50, inactivity_days=180, on_inactive="emeritus")
