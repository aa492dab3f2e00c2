"""What a policy's explanation claims about member states, as data, and a check that its answers agree.

``state_claims`` is the one structure ``explain`` renders its "Member states" lines from: for each state
and action (vote, stand, nominate, propose, join, chair, administer), whether a person in that state may
do it. ``check_claims`` asks the module's ``may_*`` answers with synthetic facts, for a person in each
state on the roster and in the body, and reports each answer that contradicts a claim (``govbot policy
check`` prints them; the test over the presets checks the services agree too).

A claim "may not" holds when every answer for a person in that state is a refusal; a claim "may" holds
when some person in that state is allowed (an answer may still refuse for another rule, e.g. a non-member
proposing). Joining is the engine's own (it applies the states table), so it has no answer to ask.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any

from governance.errors import Forbidden
from governance.policies import LoadedPolicy
from governance.policies.base import (
    ACTIONS,
    SINGLE_WINNER_METHODS,
    STATES,
    BodyFacts,
    ElectionRules,
    MotionRules,
    PersonFacts,
    PollFacts,
    Refusal,
)
from governance.policies.validate import PROBES
from governance.services.bounds import check_election, check_period, period_range, seat_range


@dataclass(frozen=True, slots=True)
class StateClaim:
    """One claim of the explanation: a person in ``state`` may (``allowed``) or may not ``action``."""

    state: str
    action: str
    allowed: bool


@dataclass(frozen=True, slots=True)
class Disagreement:
    """An answer of the module that contradicts a claim of its explanation (data; the CLI words it)."""

    module: str
    state: str
    action: str
    claimed: bool  # what the explanation says: True "may", False "may not"
    answer: str  # the module's function asked, e.g. "may_administer" or "may_nominate (self)"
    body_kind: str  # the kind of body it was asked about
    seat: str | None  # the synthetic person's role in that body (None: no seat)
    admin: bool
    in_body: bool  # the state was held in the body (else on the roster)
    refusal: str | None  # the rule that refused, or None when the answer allowed

    @property
    def claim(self) -> str:
        """The claim in its stable English form, e.g. "suspended: may not administer"."""
        return f"{self.state}: {'may' if self.claimed else 'may not'} {self.action}"


def state_claims(policy: LoadedPolicy) -> list[StateClaim]:
    """Every claim the explanation makes about member states, in the order it states them."""
    table = policy.member_states
    return [
        StateClaim(state, action, action in table.get(state, frozenset()))
        for state in STATES
        for action in ACTIONS
    ]


def _person(person_id: int, *, admin: bool, role: str | None) -> PersonFacts:
    """An active person of an active member organisation, its voting representative, with ``role``."""
    return PersonFacts(
        person_id=person_id,
        handle=f"p{person_id}",
        name=f"Person {person_id}",
        status="active",
        is_admin=admin,
        organisation="org",
        organisation_name="Org",
        organisation_active=True,
        organisation_tier="general",
        is_voting_rep=True,
        body_role=role,
        body_status="active" if role else None,
        body_state="active" if role else None,
    )


Ask = Callable[[PersonFacts], Refusal | None]


def _askers(policy: LoadedPolicy, action: str, body: BodyFacts) -> list[tuple[str, Ask]]:
    """The module's answers that decide ``action`` for a person in ``body``, by name."""
    poll = PollFacts(f"{body.slug}-poll", body, 1, "voting")
    other = _person(2, admin=False, role="member")
    askers: dict[str, list[tuple[str, Ask]]] = {
        "vote": [
            ("may_vote", lambda p: policy.may_vote(poll, p)),
            ("may_vote_on_motion", lambda p: policy.may_vote_on_motion(body, p)),
        ],
        "stand": [("may_stand", lambda p: policy.may_stand(poll, p))],
        "nominate": [
            ("may_nominate (another)", lambda p: policy.may_nominate(poll, p, other)),
            ("may_nominate (self)", lambda p: policy.may_nominate(poll, p, p)),
        ],
        "propose": [("may_propose", lambda p: policy.may_propose(body, p))],
        "chair": [
            ("may_chair", lambda p: policy.may_chair(body, p)),
            ("may_approve_join", lambda p: policy.may_approve_join(body, p)),
        ],
        "administer": [
            ("may_administer", lambda p: policy.may_administer(p, "keep the roster")),
            ("may_run_elections", lambda p: policy.may_run_elections(p, body)),
            ("may_approve_join", lambda p: policy.may_approve_join(body, p)),
        ],
    }
    return askers.get(action, [])


def _roles(action: str) -> tuple[str | None, ...]:
    """The seats a synthetic person holds when asked about ``action`` (None: no seat)."""
    if action == "chair":
        return ("chair",)
    if action == "administer":
        return (None, "member")
    return (None, "member", "chair")


_Answer = tuple[str, str, str | None, bool, bool, Refusal | None]


def _safely(ask: Ask, person: PersonFacts) -> Refusal | None:
    """The answer, or a refusal naming the exception an answer raised (never taken for a yes)."""
    try:
        return ask(person)
    except Exception as exc:  # an operator's module may not expect these facts: report, do not crash
        return Refusal(f"raised {type(exc).__name__}", str(exc))


def _answers(policy: LoadedPolicy, state: str, action: str) -> Iterator[_Answer]:
    """Each answer for a person in ``state`` (on the roster, then in the body) asked about ``action``:
    (function, body kind, seat, admin, state held in the body, answer).

    Admins are asked only about administering: an admin's other acts are the secretariat's, judged there.
    """
    admin = action == "administer"
    for n, body in enumerate(PROBES):
        for role in _roles(action):
            person = _person(1, admin=admin, role=role)
            for name, ask in _askers(policy, action, body):
                if name == "may_administer" and (n or role):
                    continue  # asked of no body: once is enough
                yield name, body.kind, role, admin, False, _safely(ask, replace(person, status=state))
                if role is not None and name != "may_administer":
                    yield name, body.kind, role, admin, True, _safely(ask, replace(person, body_state=state))


def check_claims(policy: LoadedPolicy) -> list[Disagreement]:
    """Ask ``policy``'s answers about a person in each member state and list those contradicting its
    explanation's claims (empty when the explanation and the behaviour agree)."""
    out: list[Disagreement] = []
    for claim in state_claims(policy):
        if claim.action == "join":
            continue  # the engine applies the states table itself: no answer to ask
        answers = list(_answers(policy, claim.state, claim.action))
        if not claim.allowed:
            wrong = [a for a in answers if a[5] is None]
        elif answers and all(a[5] is not None for a in answers):
            wrong = answers[:1]  # nobody in this state is ever allowed: one example says so
        else:
            wrong = []
        for name, kind, seat, admin, in_body, refusal in wrong:
            out.append(
                Disagreement(
                    policy.origin,
                    claim.state,
                    claim.action,
                    claim.allowed,
                    name,
                    kind,
                    seat,
                    admin,
                    in_body,
                    refusal.rule if refusal else None,
                )
            )
    return out


@dataclass(frozen=True, slots=True)
class PeriodClaim:
    """A claim of the explanation about a poll's voting period: a deadline from ``least`` (to ``most``,
    None: no limit) after voting opens may be chosen, and nothing outside."""

    least: timedelta
    most: timedelta | None


def election_period_claim(rules: ElectionRules) -> PeriodClaim:
    """The voting period the explanation says an election may be given (its ``Bounds``)."""
    return PeriodClaim(*period_range(rules.bounds, rules.voting_days))


def motion_period_claim(rules: MotionRules) -> PeriodClaim:
    """The voting period the explanation says a motion may be given (its ``Bounds``)."""
    return PeriodClaim(*period_range(rules.bounds, rules.voting_days))


@dataclass(frozen=True, slots=True)
class BoundDisagreement:
    """A per-poll choice the explanation allows (or refuses) that the service refuses (or allows)."""

    module: str
    body_kind: str
    poll: str  # "election", "ordinary" or "charter" (a motion's kind)
    choice: str  # what was tried: "voting-period", "seats" or "method"
    value: timedelta | int | str  # the period, the seat count or the method tried
    claimed: bool  # the explanation says it may be chosen
    refusal: str | None  # the rule the service refused it with, or None when it allowed it


def _period_tries(claim: PeriodClaim) -> list[tuple[timedelta, bool]]:
    """The ends of a claimed period (allowed) and an hour past each (refused)."""
    out = [(claim.least, True)]
    if claim.least > _HOUR:
        out.append((claim.least - _HOUR, False))
    if claim.most is not None:
        out += [(claim.most, True), (claim.most + _HOUR, False)]
    return out


def _tried(check: Callable[..., object], *args: Any, **kwargs: Any) -> str | None:
    """None when the service's ``check`` allows, else the rule it refuses with."""
    try:
        check(*args, **kwargs)
    except Forbidden as refused:
        return refused.rule or "forbidden"
    return None


def _election_bound_tries(
    policy: LoadedPolicy, body: BodyFacts
) -> Iterator[tuple[str, timedelta | int | str, bool, str | None]]:
    """(choice, value, claimed allowed, the service's refusal) for each election choice claimed."""
    rules = policy.election_rules(body)
    for period, ok in _period_tries(election_period_claim(rules)):
        got = _tried(check_period, policy, rules.bounds, rules.voting_days, period)
        yield "voting-period", period, ok, got
    span = seat_range(rules)
    if span is not None:
        tries = [(span[0], True), (span[1], True), (span[1] + 1, False)]
        tries += [(span[0] - 1, False)] if span[0] > 1 else []
        for n, ok in tries:
            got = _tried(check_election, policy, rules, body.name, method=None, seats_given=n, seats=n)
            yield "seats", n, ok, got
    for method in sorted(rules.bounds.methods - {rules.method}):
        seats = 1 if method in SINGLE_WINNER_METHODS else rules.seats
        given = None if seats == rules.seats else seats
        got = _tried(check_election, policy, rules, body.name, method=method, seats_given=given, seats=seats)
        yield "method", method, True, got


def check_bound_claims(policy: LoadedPolicy) -> list[BoundDisagreement]:
    """Try each per-poll choice the explanation claims (a voting period's ends, the seat range, another
    counting method) and just outside it through the services' own checks (``governance.services.bounds``);
    list each answer that contradicts the claim (empty when they agree)."""
    out: list[BoundDisagreement] = []
    for body in PROBES:
        tries = [("election", *t) for t in _election_bound_tries(policy, body)]
        for kind in ("ordinary", "charter"):
            rules = policy.motion_rules(body, kind)
            for period, ok in _period_tries(motion_period_claim(rules)):
                got = _tried(check_period, policy, rules.bounds, rules.voting_days, period)
                tries.append((kind, "voting-period", period, ok, got))
        for poll, choice, value, ok, got in tries:
            if ok != (got is None) or (not ok and not str(got).startswith("bounds.")):
                out.append(BoundDisagreement(policy.origin, body.kind, poll, choice, value, ok, got))
    return out


_HOUR = timedelta(hours=1)
