"""Plain sentences describing a policy's rules for one body, generated from the module's own answers
(its rule data and the docstrings of its ``may_*`` functions), so what is shown is what is enforced."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from datetime import timedelta
from fractions import Fraction
from typing import Any

from governance.policies import LoadedPolicy
from governance.policies.base import ACTION_WORDS, STATES, BodyFacts, ElectionRules, MotionRules

_FRACTIONS = {Fraction(1, 2): "half", Fraction(2, 3): "two thirds", Fraction(3, 4): "three quarters"}
_BASES = {
    "cast": "of the votes cast (abstentions count against)",
    "cast_excluding_abstentions": "of the yes and no votes (abstentions do not count)",
    "seated": "of all seated members (silence counts against)",
}


def _doc(fn: Callable[..., Any]) -> str:
    text = inspect.getdoc(fn) or ""
    return text.split("\n\n")[0].replace("\n", " ").strip()


def _a(kind: str) -> str:
    return f"{'An' if kind[:1] in 'aeiou' else 'A'} {kind}"


def _fraction(value: Fraction) -> str:
    if value == 1:
        return "all"
    return _FRACTIONS.get(value, f"{value.numerator}/{value.denominator}")


def _hours(offsets: tuple[timedelta, ...]) -> str:
    parts = [f"{int(o.total_seconds() // 3600)}h" if o >= timedelta(hours=1) else str(o) for o in offsets]
    return ", ".join(parts)


def election_sentences(rules: ElectionRules, body: BodyFacts) -> list[str]:
    """What the election rules say, one sentence each."""
    params = ", ".join(f"{k} {v}" for k, v in rules.method_params.items())
    out = [
        f"Elections to {body.name} fill {rules.seats} seat{'s' if rules.seats != 1 else ''} by {rules.method}"
        f"{f' ({params})' if params else ''}, by {'secret' if rules.secret else 'public'} ballot.",
        f"Nominations stay open {rules.nomination_days} days and voting {rules.voting_days} days; "
        f"reminders go out {_hours(rules.reminder_offsets)} before voting closes.",
    ]
    if rules.organisation_cap or rules.tier_caps:
        tiers = "".join(f"; {tier} members {cap}" for tier, cap in rules.tier_caps.items())
        general = f"at most {rules.organisation_cap}" if rules.organisation_cap else "no general limit"
        out.append(
            f"Seats per organisation: {general}{tiers}, counting seats its continuing members hold; "
            "an over-cap candidate is passed over and the seat goes to the next in line."
        )
    term = (
        f"Terms last {rules.term_months} months"
        if rules.term_months
        else "Seats are held until the next election"
    )
    if rules.staggered:
        term += ", staggered"
    if rules.term_limit:
        term += f"; at most {rules.term_limit} consecutive terms"
    out.append(term + ".")
    out.append(
        "Candidates may nominate themselves." if rules.self_nomination else "Nobody may nominate themselves."
    )
    out.append(
        "A voter may give their vote to another eligible voter as proxy; voting in person overrides it."
        if rules.proxies
        else "Votes cannot be given to a proxy."
    )
    out.append(
        "A ballot may be replaced until voting closes." if rules.vote_replacement else "A ballot is final."
    )
    return out


def motion_sentences(rules: MotionRules, kind: str) -> list[str]:
    """What the motion rules for ``kind`` say, one sentence each."""
    if rules.lazy_consensus:
        first = (
            f"{_a(kind)} motion passes by lazy consensus after {rules.voting_days} days "
            "unless someone objects "
            "(votes no)."
        )
    else:
        more = "more than" if rules.strict else "at least"
        first = (
            f"{_a(kind)} motion passes with {more} {_fraction(rules.threshold)} {_BASES[rules.threshold_of]}"
            f"; voting lasts {rules.voting_days} days."
        )
    out = [first]
    if rules.quorum and not rules.lazy_consensus:
        abst = (
            "abstentions count toward it" if rules.quorum_counts_abstentions else "abstentions do not count"
        )
        out.append(f"Quorum: {_fraction(rules.quorum)} of the seated members ({abst}).")
    secrecy = "by secret ballot" if rules.secret else "by roll call (every vote is public)"
    if not rules.secret and rules.proposer_may_choose_secret:
        secrecy += ", unless the proposer asks for a secret ballot"
    out.append(f"It is voted {secrecy}.")
    if rules.early_close:
        out.append("It closes as soon as the remaining votes can no longer change the outcome.")
    if rules.proxies:
        out.append("A member may name a proxy for it; voting in person overrides the proxy.")
    if not rules.vote_replacement:
        out.append("A vote cannot be changed once cast.")
    return out


def explain(policy: LoadedPolicy, body: BodyFacts) -> list[str]:
    """The rules of ``policy`` for ``body`` in plain sentences, grouped under headings."""
    lines = [
        f"{body.name} is governed by policy {policy.name} {policy.version} (sha256 {policy.sha256[:12]})."
    ]
    lines.append("Who takes part:")
    for label, fn in (
        ("Voting", policy.may_vote),
        ("Standing", policy.may_stand),
        ("Nominating", policy.may_nominate),
        ("Motions", policy.may_propose),
        ("Voting on motions", policy.may_vote_on_motion),
        ("Running elections", policy.may_run_elections),
    ):
        lines.append(f"  {label}: {_doc(fn)}")
    lines.append("Elections:")
    lines += [f"  {s}" for s in election_sentences(policy.election_rules(body), body)]
    lines.append("Motions:")
    for kind in ("ordinary", "charter"):
        lines += [f"  {s}" for s in motion_sentences(policy.motion_rules(body, kind), kind)]
    if body.kind == "working_group":
        wg = policy.working_group_rules(body)
        join = (
            "anyone may join at once" if policy.join_rule(body) == "open" else "a chair approves each request"
        )
        lines.append("Working group:")
        lines.append(f"  Joining: {join}. Chairs: {_doc(policy.may_chair)}")
        if wg.max_members:
            lines.append(f"  At most {wg.max_members} members.")
        if wg.inactivity_days:
            lines.append(
                f"  A member who votes on none of its motions for {wg.inactivity_days} days becomes emeritus."
            )
    lines.append("Member states:")
    for state in STATES:
        allowed = sorted(policy.member_states.get(state, frozenset()))
        words = ", ".join(ACTION_WORDS[a] for a in allowed) if allowed else "do nothing"
        lines.append(f"  {state}: may {words}.")
    return lines
