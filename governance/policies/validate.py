"""Checks a policy module's answers when it is loaded, so a wrong type or an impossible rule is refused at
start with a message naming the module, the field and the fix, instead of surfacing mid-vote."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import timedelta
from fractions import Fraction
from types import ModuleType
from typing import Any

from governance.errors import InvalidInput
from governance.i18n import _
from governance.policies.base import (
    ACTIONS,
    STATES,
    BodyFacts,
    ElectionRules,
    MotionRules,
    WorkingGroupRules,
)
from governance.tally.count import METHODS

# One body of each kind, asked about when a policy is loaded.
PROBES = (
    BodyFacts("board", "Board", "board"),
    BodyFacts("committee", "Committee", "committee"),
    BodyFacts("working-group", "Working group", "working_group"),
)
MOTION_KINDS = ("ordinary", "charter")
THRESHOLD_BASES = ("cast", "cast_excluding_abstentions", "seated")


class _Checker:
    def __init__(self, where: str) -> None:
        self.where = where

    def fail(self, field: str, problem: str, fix: str) -> InvalidInput:
        return InvalidInput(
            _("Policy module {where}: {field} {problem}.", where=self.where, field=field, problem=problem),
            _("Fix: {fix}", fix=fix),
        )

    def ask(self, field: str, fn: Callable[..., Any], *args: Any) -> Any:
        try:
            return fn(*args)
        except Exception as exc:
            raise self.fail(
                field, f"raised {type(exc).__name__}: {exc}", "make it answer for every body kind."
            ) from exc

    def count(self, field: str, value: object, *, minimum: int, optional: bool = False) -> None:
        if optional and value is None:
            return
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            none = " or None" if optional else ""
            raise self.fail(field, f"is {value!r}", f"give a whole number of at least {minimum}{none}.")

    def flag(self, field: str, value: object) -> None:
        if not isinstance(value, bool):
            raise self.fail(field, f"is {value!r}, not True or False", "set it to True or False.")

    def fraction(self, field: str, value: object, *, zero_ok: bool) -> None:
        if isinstance(value, bool) or not isinstance(value, (Fraction, int)):
            raise self.fail(field, f"is {value!r} ({type(value).__name__})", "write it as Fraction(2, 3).")
        low_ok = value >= 0 if zero_ok else value > 0
        if not (low_ok and value <= 1):
            span = "between 0 and 1" if zero_ok else "above 0 and at most 1"
            raise self.fail(field, f"is {value}, an impossible fraction", f"give a fraction {span}.")

    def offsets(self, field: str, value: object) -> None:
        if not isinstance(value, tuple) or not all(
            isinstance(v, timedelta) and v > timedelta(0) for v in value
        ):
            raise self.fail(
                field, f"is {value!r}", "give a tuple of positive timedeltas, e.g. (timedelta(hours=24),)."
            )


def _election(c: _Checker, body: BodyFacts, rules: object) -> None:
    field = f"election_rules({body.kind!r})"
    if not isinstance(rules, ElectionRules):
        raise c.fail(field, f"returned {type(rules).__name__}", "return ElectionRules(...).")
    if rules.method not in METHODS:
        raise c.fail(f"{field}.method", f"is {rules.method!r}", f"use one of {', '.join(METHODS)}.")
    c.count(f"{field}.seats", rules.seats, minimum=1)
    c.count(f"{field}.organisation_cap", rules.organisation_cap, minimum=1, optional=True)
    if not isinstance(rules.tier_caps, Mapping):
        raise c.fail(f"{field}.tier_caps", f"is {rules.tier_caps!r}", 'give a dict such as {"premier": 2}.')
    for tier, cap in rules.tier_caps.items():
        c.count(f"{field}.tier_caps[{tier!r}]", cap, minimum=1)
    c.count(f"{field}.nomination_days", rules.nomination_days, minimum=1)
    c.count(f"{field}.voting_days", rules.voting_days, minimum=1)
    c.count(f"{field}.term_months", rules.term_months, minimum=1, optional=True)
    c.count(f"{field}.term_limit", rules.term_limit, minimum=1, optional=True)
    for name in ("secret", "self_nomination", "staggered", "proxies", "vote_replacement"):
        c.flag(f"{field}.{name}", getattr(rules, name))
    if rules.staggered and rules.term_months is None:
        raise c.fail(f"{field}.staggered", "is True but term_months is None", "give the term length.")
    if rules.method == "debian" and rules.seats != 1:
        raise c.fail(f"{field}.seats", f"is {rules.seats} with method debian", "debian elects one.")
    if rules.method_params:
        # No method's parameters reach the count of a person election yet (debian's quorum and "None Of
        # The Above" default option included): refuse them rather than accept rules that would not apply.
        raise c.fail(
            f"{field}.method_params",
            f"names {', '.join(sorted(map(str, rules.method_params)))}, which elections do not apply",
            "remove them: the election engine takes no method parameters yet.",
        )
    c.offsets(f"{field}.reminder_offsets", rules.reminder_offsets)


def _motion(c: _Checker, body: BodyFacts, kind: str, rules: object) -> None:
    field = f"motion_rules({body.kind!r}, {kind!r})"
    if not isinstance(rules, MotionRules):
        raise c.fail(field, f"returned {type(rules).__name__}", "return MotionRules(...).")
    c.fraction(f"{field}.quorum", rules.quorum, zero_ok=True)
    c.fraction(f"{field}.threshold", rules.threshold, zero_ok=False)
    if rules.threshold_of not in THRESHOLD_BASES:
        raise c.fail(
            f"{field}.threshold_of", f"is {rules.threshold_of!r}", f"use one of {', '.join(THRESHOLD_BASES)}."
        )
    for name in (
        "quorum_counts_abstentions",
        "secret",
        "proposer_may_choose_secret",
        "strict",
        "lazy_consensus",
        "early_close",
        "vote_replacement",
        "proxies",
    ):
        c.flag(f"{field}.{name}", getattr(rules, name))
    if rules.strict and rules.threshold == 1:
        raise c.fail(
            f"{field}.threshold",
            "asks for more than unanimity (threshold 1 with strict=True), which no vote can reach",
            "use strict=False for unanimity.",
        )
    c.count(f"{field}.voting_days", rules.voting_days, minimum=1)
    c.offsets(f"{field}.reminder_offsets", rules.reminder_offsets)


def check_answers(module: ModuleType, where: str) -> None:
    """Ask the module's rule functions about a body of each kind and refuse impossible answers."""
    c = _Checker(where)
    for body in PROBES:
        _election(c, body, c.ask(f"election_rules({body.kind!r})", module.election_rules, body))
        for kind in MOTION_KINDS:
            field = f"motion_rules({body.kind!r}, {kind!r})"
            _motion(c, body, kind, c.ask(field, module.motion_rules, body, kind))
        join = c.ask(f"join_rule({body.kind!r})", module.join_rule, body)
        if join not in ("open", "approval"):
            raise c.fail(f"join_rule({body.kind!r})", f"returned {join!r}", 'return "open" or "approval".')
        wg = c.ask(f"working_group_rules({body.kind!r})", module.working_group_rules, body)
        if not isinstance(wg, WorkingGroupRules):
            raise c.fail(
                f"working_group_rules({body.kind!r})",
                f"returned {type(wg).__name__}",
                "return WorkingGroupRules(...).",
            )
        c.count(f"working_group_rules({body.kind!r}).max_members", wg.max_members, minimum=1, optional=True)
        c.count(
            f"working_group_rules({body.kind!r}).inactivity_days",
            wg.inactivity_days,
            minimum=1,
            optional=True,
        )
    states = getattr(module, "MEMBER_STATES", None)
    if states is not None:
        if not isinstance(states, Mapping) or set(states) != set(STATES):
            raise c.fail(
                "MEMBER_STATES",
                f"has states {sorted(states) if isinstance(states, Mapping) else states!r}",
                f"give exactly {', '.join(STATES)}, each with a frozenset of actions.",
            )
        for state, actions in states.items():
            if not isinstance(actions, frozenset) or not actions <= set(ACTIONS):
                raise c.fail(
                    f"MEMBER_STATES[{state!r}]",
                    f"is {actions!r}",
                    f"give a frozenset drawn from {', '.join(ACTIONS)}.",
                )
