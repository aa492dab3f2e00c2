"""A steering committee elected as the Kubernetes project elects its Steering Committee.

Follows github.com/kubernetes/steering, ``elections.md`` and ``charter.md``:

* *Voting*: "Elections are held using Condorcet ranking ... the Schulze method" (Elekto, earlier CIVS);
  every eligible community member votes once (one vote per person, not per company); ballots are
  secret. Here: Schulze, one vote per active person with a seat in the electorate body.
* *Maximal representation* (``charter.md``): at most 2 of the committee's 7 seats may be held by
  employees of one organisation, counting the members who stay on; a candidate who would break it is
  passed over and the seat goes down the ranking (``organisation_cap=2``).
* *Terms and election cycles* (``elections.md``): the committee has seven seats; members "are elected
  to serve two year terms", and cycles are scheduled so that "the exact number of seats alternates
  between 3 and 4" from one yearly election to the next. Here: ``seats=7``, ``term_months=24``,
  ``staggered=True``: an election fills the seats whose terms end by its voting close (and any vacant
  seat), so once the two cohorts exist the elections alternate 4 and 3 by themselves. The two cohorts
  are formed by the first elections: the first fills part of the empty committee (``--seats 4``), the
  next fills the rest. No term limit.
* *Emeritus term* (``elections.md``): members "graduate to becoming Emeritus members of the steering
  committee upon vacating their seat" and "have no binding vote": a steering-committee member who
  leaves stays on its list as emeritus (``on_leave="emeritus"``), and their seat counts as vacant.
* *Candidacy*: an eligible voter may stand; nomination needs an endorsement by another eligible voter
  (self-nomination is not enough): enforced as "nominated by someone else".
* *Decisions*: the committee decides by majority of its seated members (``charter.md`` "Decision
  process"), with a quorum of half the committee; votes are public; a proxy is not allowed.
* *Per-poll choices*: none but a longer vote. The method (Schulze), the seats (the cohorts the staggered
  terms free; the first election's ``--seats 4`` forms them) and secrecy are the charter's; elections
  vote at least the 14 days of this preset and motions at least 7 days, as the charter sets no shorter
  period an admin could choose.
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
    admin_refusal,
    manager_refusal,
    state_refusal,
)

NAME = "kubernetes"
VERSION = "1.1"
MEMBER_STATES = DEFAULT_MEMBER_STATES
SEATED = SEATED_ROLES
CHAIRS = frozenset({"chair", "co_chair"})


def election_rules(body: BodyFacts) -> ElectionRules:
    """Schulze, at most 2 seats per employer, endorsement required; the steering committee (the board)
    has 7 seats on two-year staggered terms, other bodies elect one person (e.g. a chair) for two years."""
    steering = body.kind == "board"
    return ElectionRules(
        method="schulze",
        secret=True,
        seats=7 if steering else 1,
        organisation_cap=2,
        term_months=24,
        staggered=steering,
        self_nomination=False,
        nomination_days=14,
        voting_days=14,
        # elections.md fixes Schulze and the cohorts fix the seats: no method or seat range to choose;
        # a vote lasts at least this preset's 14 days (a longer one is allowed).
        bounds=Bounds(),
    )


def may_vote(election: PollFacts, voter: PersonFacts) -> Refusal | None:
    """One vote per eligible person (any active person on the roster; their employer does not matter)."""
    return state_refusal(voter, "vote", MEMBER_STATES)


def may_stand(election: PollFacts, nominee: PersonFacts) -> Refusal | None:
    """Any eligible voter may stand."""
    return state_refusal(nominee, "stand", MEMBER_STATES)


def may_nominate(election: PollFacts, nominator: PersonFacts, nominee: PersonFacts) -> Refusal | None:
    """A candidate needs another eligible person's endorsement: nobody nominates themselves."""
    if refusal := state_refusal(nominator, "nominate", MEMBER_STATES):
        return refusal
    if nominator.person_id == nominee.person_id:
        return Refusal(
            "endorsement-required",
            _(
                "{nominee_name} cannot nominate themselves; another eligible member must endorse them.",
                nominee_name=nominee.name,
            ),
        )
    return None


def may_administer(actor: PersonFacts, action: str) -> Refusal | None:
    """The election officers (admins) keep the roster."""
    return admin_refusal(
        actor, "officers-only", _("Only an election officer may {action}.", action=action), MEMBER_STATES
    )


def may_run_elections(actor: PersonFacts, body: BodyFacts) -> Refusal | None:
    """Election officers (admins) run elections."""
    return admin_refusal(
        actor, "officers-run-elections", _("Only an election officer runs elections."), MEMBER_STATES
    )


def motion_rules(body: BodyFacts, kind: str) -> MotionRules:
    """A majority of the seated committee decides; half the committee is a quorum; votes are public."""
    return MotionRules(
        quorum=Fraction(1, 2),
        quorum_counts_abstentions=True,
        threshold=Fraction(1, 2),
        threshold_of="seated",
        strict=True,
        early_close=True,
        # charter.md "Decision process": public votes, no shorter period than this preset's 7 days.
        bounds=Bounds(),
    )


def may_propose(body: BodyFacts, proposer: PersonFacts) -> Refusal | None:
    """Committee members propose."""
    if refusal := state_refusal(proposer, "propose", MEMBER_STATES):
        return refusal
    if proposer.body_role not in SEATED:
        return Refusal(
            "members-propose", _("Only members of {body_name} propose motions to it.", body_name=body.name)
        )
    return None


def may_vote_on_motion(body: BodyFacts, voter: PersonFacts) -> Refusal | None:
    """Committee members vote on motions."""
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
    """Working groups are open to any contributor."""
    return "open"


def may_approve_join(body: BodyFacts, approver: PersonFacts) -> Refusal | None:
    """Chairs (or officers) manage membership."""
    return manager_refusal(
        body,
        approver,
        "chairs-approve",
        _("Only a chair of {body_name} manages its members.", body_name=body.name),
        MEMBER_STATES,
        CHAIRS,
    )


def may_chair(body: BodyFacts, person: PersonFacts) -> Refusal | None:
    """Any active contributor may chair."""
    return state_refusal(person, "chair", MEMBER_STATES)


def working_group_rules(body: BodyFacts) -> WorkingGroupRules:
    """No size limit or inactivity rule; a steering-committee member who leaves becomes emeritus."""
    return WorkingGroupRules(on_leave="emeritus" if body.kind == "board" else "remove")
