"""A board elected as the Apache Software Foundation's members elect its Board of Directors.

Follows the ASF bylaws (apache.org/foundation/bylaws.html) and the board election procedure
(apache.org/foundation/board/... "Board of Directors election" and the ``steve`` voting tool):

* *Bylaws §3.4 / §5.2*: the members elect the nine directors at the annual meeting; every member has
  one vote (one per person; employers play no part and there is no cap per company).
* *Method*: single transferable vote, counted with Meek's method (``steve``'s ``stv`` tool);
  secret ballot. Directors serve one year, until the next annual meeting (§5.3); no term limit.
* *Candidacy*: a member nominated by another member (nominations are seconded by members); any
  member may stand.
* *Member proxies* (§3.8): a member may appoint another member as proxy for a meeting; here a
  member may give their vote in one election or resolution to another member, and voting in person
  overrides it.
* *Resolutions* at a members' meeting: a majority of the votes cast, quorum one third of the members
  (§3.7), votes secret.
* *Per-poll choices*: none but a longer vote. The nine seats (§5.2), Meek STV and secrecy are fixed;
  elections and resolutions vote at least the 7 days of this preset.
"""

from __future__ import annotations

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
    state_refusal,
)

NAME = "asf"
VERSION = "1.0"
MEMBER_STATES = DEFAULT_MEMBER_STATES
SEATED = SEATED_ROLES


def election_rules(body: BodyFacts) -> ElectionRules:
    """Meek STV, nine seats for the board, no cap per organisation, one-year terms, proxies allowed."""
    return ElectionRules(
        method="stv-meek",
        secret=True,
        seats=9 if body.kind == "board" else 1,
        term_months=12,
        proxies=True,
        nomination_days=14,
        voting_days=7,
        # §5.2: the members elect nine directors (the board), by Meek STV: no seats or method to choose;
        # the vote lasts at least this preset's 7 days.
        bounds=Bounds(),
    )


def may_vote(election: PollFacts, voter: PersonFacts) -> Refusal | None:
    """Every active member votes, one vote each (the roster is the membership)."""
    return state_refusal(voter, "vote", MEMBER_STATES)


def may_stand(election: PollFacts, nominee: PersonFacts) -> Refusal | None:
    """Any active member may stand."""
    return state_refusal(nominee, "stand", MEMBER_STATES)


def may_nominate(election: PollFacts, nominator: PersonFacts, nominee: PersonFacts) -> Refusal | None:
    """Any active member nominates (themselves or another)."""
    return state_refusal(nominator, "nominate", MEMBER_STATES)


def may_administer(actor: PersonFacts, action: str) -> Refusal | None:
    """The Secretary (admins) keeps the membership roll."""
    return admin_refusal(
        actor, "secretary-only", _("Only the Secretary may {action}.", action=action), MEMBER_STATES
    )


def may_run_elections(actor: PersonFacts, body: BodyFacts) -> Refusal | None:
    """The Secretary (admins) runs elections."""
    return admin_refusal(
        actor, "secretary-runs-elections", _("Only the Secretary runs elections."), MEMBER_STATES
    )


def motion_rules(body: BodyFacts, kind: str) -> MotionRules:
    """A majority of votes cast with a quorum of a third of the members; secret; proxies allowed."""
    return MotionRules(
        quorum=Fraction(1, 3),
        quorum_counts_abstentions=True,
        threshold=Fraction(2, 3) if kind == "charter" else Fraction(1, 2),
        threshold_of="cast",
        strict=kind != "charter",
        secret=True,
        proxies=True,
        # §3.7: a resolution of the members' meeting, secret; at least this preset's 7 days to vote.
        bounds=Bounds(),
    )


def may_propose(body: BodyFacts, proposer: PersonFacts) -> Refusal | None:
    """Members of the body propose resolutions to it."""
    if refusal := state_refusal(proposer, "propose", MEMBER_STATES):
        return refusal
    if not acts_as_admin(proposer, MEMBER_STATES) and proposer.body_role not in SEATED:
        return Refusal(
            "members-propose",
            _("Only members of {body_name} propose resolutions to it.", body_name=body.name),
        )
    return None


def may_vote_on_motion(body: BodyFacts, voter: PersonFacts) -> Refusal | None:
    """Members of the body vote on its resolutions."""
    if refusal := state_refusal(voter, "vote", MEMBER_STATES):
        return refusal
    if voter.body_role not in SEATED:
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
    """Project committees admit on the chair's approval."""
    return "approval"


def may_approve_join(body: BodyFacts, approver: PersonFacts) -> Refusal | None:
    """The chair (or the Secretary) approves."""
    return manager_refusal(
        body,
        approver,
        "chair-approves",
        _("Only the chair of {body_name} approves new members.", body_name=body.name),
        MEMBER_STATES,
    )


def may_chair(body: BodyFacts, person: PersonFacts) -> Refusal | None:
    """Any active member may chair."""
    return state_refusal(person, "chair", MEMBER_STATES)


def working_group_rules(body: BodyFacts) -> WorkingGroupRules:
    """No size limit or inactivity rule."""
    return WorkingGroupRules()
