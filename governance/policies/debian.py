"""A body that decides as the Debian project does, after the Debian Constitution.

Source: www.debian.org/devel/constitution.

* *Elections* (§5.2 Appointment of the Project Leader): the members elect one person by secret
  ballot, one vote per member of the body, for a one-year term. The ballot lists the candidates and
  "None Of The Above", which is to win if the members want none of them (§5.2.6: the election is
  then run again). §5.2.7 decides by the method of §A.6, with the quorum of a General Resolution
  (§4.2) and "None Of The Above" as the default option. So:

  - §A.6 counts (Condorcet, cloneproof Schwartz sequential dropping) against the default option: a
    candidate needs more voters ranking them above "None Of The Above" than below, else is dropped
    (§A.6(3), a 1:1 majority);
  - the quorum of §4.2 is 3Q, Q being half the square root of the number of current Developers: here
    the members who may vote when voting opens. A candidate that fewer than 3Q voters rank above
    "None Of The Above" is dropped (§A.6(2));
  - if "None Of The Above" wins, or every candidate is dropped, no one is elected.

  Section numbers as in constitution v1.7 (2016), in force for the shared data's 2016-2018 votes.
* *Resolutions* (§4.1, §A.6): an ordinary resolution needs more yes than no; a change to the
  constitution (``charter`` motions) a 3:1 supermajority (§4.1.2), i.e. at least three quarters of the
  yes and no votes. Votes are public (§4.2.6: "votes are public" for general resolutions), a vote can
  be changed until the period ends (§A.3.2), and a motion stays open for its whole period.
* Any member may propose; anyone may stand who may vote (§5.2.2 nominates themselves).
* *Periods*: the leader's polling period is two weeks (§5.2.5), so a leader election votes exactly 14
  days; a resolution's voting period "is 2 weeks, but may be varied by up to 1 week by the Project
  Leader" (Appendix A, standard resolution procedure): 7 to 21 days. The method (§A.6), the one seat
  (§5.2) and public resolution votes (§4.2.6) are fixed: nothing else may be chosen per poll.
"""

from __future__ import annotations

from datetime import timedelta
from fractions import Fraction

from governance.i18n import _
from governance.policies.base import (
    DEFAULT_MEMBER_STATES,
    NONE_OF_THE_ABOVE,
    SEATED_ROLES,
    BodyFacts,
    Bounds,
    DebianParams,
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

NAME = "debian"
VERSION = "1.0"
MEMBER_STATES = DEFAULT_MEMBER_STATES
SEATED = SEATED_ROLES


# §5.2.5: "The next two weeks are the polling period": no shorter, no longer.
LEADER_BOUNDS = Bounds(min_voting=timedelta(days=14), max_voting=timedelta(days=14))
# Appendix A: the voting period "is 2 weeks, but may be varied by up to 1 week by the Project Leader".
RESOLUTION_BOUNDS = Bounds(min_voting=timedelta(days=7), max_voting=timedelta(days=21))


def election_rules(body: BodyFacts) -> ElectionRules:
    """One seat, counted by Debian's Condorcet method (§A.6) against "None Of The Above" with quorum 3Q."""
    return ElectionRules(
        method="debian",
        seats=1,
        method_params=DebianParams(default_option=NONE_OF_THE_ABOVE, quorum="3Q"),
        secret=True,
        nomination_days=7,
        voting_days=14,
        term_months=12,
        bounds=LEADER_BOUNDS,
    )


def _member(person: PersonFacts, body: BodyFacts, action: str, rule: str) -> Refusal | None:
    return member_refusal(person, body, action, rule, MEMBER_STATES)


def may_vote(election: PollFacts, voter: PersonFacts) -> Refusal | None:
    """Members of the body (Developers) vote, one vote each."""
    return _member(voter, election.body, "vote", "developers-vote")


def may_stand(election: PollFacts, nominee: PersonFacts) -> Refusal | None:
    """Any member may stand."""
    return _member(nominee, election.body, "stand", "developers-stand")


def may_nominate(election: PollFacts, nominator: PersonFacts, nominee: PersonFacts) -> Refusal | None:
    """Candidates nominate themselves (§5.2.2)."""
    if nominator.person_id != nominee.person_id and not acts_as_admin(nominator, MEMBER_STATES):
        return Refusal(
            "self-nomination",
            _("{nominee_name} must nominate themselves (§5.2.2).", nominee_name=nominee.name),
        )
    return state_refusal(nominator, "nominate", MEMBER_STATES)


def may_administer(actor: PersonFacts, action: str) -> Refusal | None:
    """The Secretary (admins) keeps the roster."""
    return admin_refusal(
        actor, "secretary-only", _("Only the Project Secretary may {action}.", action=action), MEMBER_STATES
    )


def may_run_elections(actor: PersonFacts, body: BodyFacts) -> Refusal | None:
    """The Project Secretary (an admin) runs votes (§7.2)."""
    return admin_refusal(
        actor, "secretary-runs-votes", _("Only the Project Secretary runs votes (§7.2)."), MEMBER_STATES
    )


def motion_rules(body: BodyFacts, kind: str) -> MotionRules:
    """Ordinary: more yes than no. Constitutional (``charter``): 3:1, three quarters of yes and no."""
    if kind == "charter":
        return MotionRules(
            quorum=Fraction(0),
            quorum_counts_abstentions=False,
            threshold=Fraction(3, 4),
            threshold_of="cast_excluding_abstentions",
            strict=False,
            voting_days=14,
            bounds=RESOLUTION_BOUNDS,
        )
    return MotionRules(
        quorum=Fraction(0),
        quorum_counts_abstentions=False,
        threshold=Fraction(1, 2),
        threshold_of="cast_excluding_abstentions",
        strict=True,
        voting_days=14,
        bounds=RESOLUTION_BOUNDS,
    )


def may_propose(body: BodyFacts, proposer: PersonFacts) -> Refusal | None:
    """Any member may propose a resolution."""
    return _member(proposer, body, "propose", "developers-propose")


def may_vote_on_motion(body: BodyFacts, voter: PersonFacts) -> Refusal | None:
    """Members vote on resolutions."""
    return _member(voter, body, "vote", "developers-vote")


def join_rule(body: BodyFacts) -> str:
    """Teams are open to any member."""
    return "open"


def may_approve_join(body: BodyFacts, approver: PersonFacts) -> Refusal | None:
    """Delegates (chairs) or the Secretary manage team membership."""
    return manager_refusal(
        body,
        approver,
        "delegates-approve",
        _("Only a delegate of {body_name} manages its members.", body_name=body.name),
        MEMBER_STATES,
    )


def may_chair(body: BodyFacts, person: PersonFacts) -> Refusal | None:
    """Any active member may be a delegate."""
    return state_refusal(person, "chair", MEMBER_STATES)


def working_group_rules(body: BodyFacts) -> WorkingGroupRules:
    """No size limit or inactivity rule."""
    return WorkingGroupRules()
