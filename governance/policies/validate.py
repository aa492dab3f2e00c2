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
    DEBIAN_PARAMS,
    RETIRE_RULES,
    STATES,
    BodyFacts,
    ElectionRules,
    MotionRules,
    WorkingGroupRules,
)
from governance.tally.count import METHODS
from governance.tally.debian import quorum_multiple

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
                field,
                _("raised {error_type}: {error}", error_type=type(exc).__name__, error=exc),
                _("make it answer for every body kind."),
            ) from exc

    def count(self, field: str, value: object, *, minimum: int, optional: bool = False) -> None:
        if optional and value is None:
            return
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            fix = (
                _("give a whole number of at least {minimum} or None.", minimum=minimum)
                if optional
                else _("give a whole number of at least {minimum}.", minimum=minimum)
            )
            raise self.fail(field, _("is {value}", value=repr(value)), fix)

    def flag(self, field: str, value: object) -> None:
        if not isinstance(value, bool):
            raise self.fail(
                field, _("is {value}, not True or False", value=repr(value)), _("set it to True or False.")
            )

    def fraction(self, field: str, value: object, *, zero_ok: bool) -> None:
        if isinstance(value, bool) or not isinstance(value, (Fraction, int)):
            raise self.fail(
                field,
                _("is {value} ({value_type})", value=repr(value), value_type=type(value).__name__),
                _("write it as Fraction(2, 3)."),
            )
        low_ok = value >= 0 if zero_ok else value > 0
        if not (low_ok and value <= 1):
            fix = (
                _("give a fraction between 0 and 1.")
                if zero_ok
                else _("give a fraction above 0 and at most 1.")
            )
            raise self.fail(field, _("is {value}, an impossible fraction", value=str(value)), fix)

    def offsets(self, field: str, value: object) -> None:
        if not isinstance(value, tuple) or not all(
            isinstance(v, timedelta) and v > timedelta(0) for v in value
        ):
            raise self.fail(
                field,
                _("is {value}", value=repr(value)),
                _("give a tuple of positive timedeltas, e.g. (timedelta(hours=24),)."),
            )


def _election(c: _Checker, body: BodyFacts, rules: object) -> None:
    field = f"election_rules({body.kind!r})"
    if not isinstance(rules, ElectionRules):
        raise c.fail(
            field,
            _("returned {value_type}", value_type=type(rules).__name__),
            _("return ElectionRules(...)."),
        )
    if rules.method not in METHODS:
        raise c.fail(
            f"{field}.method",
            _("is {value}", value=repr(rules.method)),
            _("use one of {choices}.", choices=", ".join(METHODS)),
        )
    c.count(f"{field}.seats", rules.seats, minimum=1)
    c.count(f"{field}.organisation_cap", rules.organisation_cap, minimum=1, optional=True)
    if not isinstance(rules.tier_caps, Mapping):
        raise c.fail(
            f"{field}.tier_caps",
            _("is {value}", value=repr(rules.tier_caps)),
            _("give a dict such as {example}.", example='{"premier": 2}'),
        )
    for tier, cap in rules.tier_caps.items():
        c.count(f"{field}.tier_caps[{tier!r}]", cap, minimum=1)
    c.count(f"{field}.nomination_days", rules.nomination_days, minimum=1)
    c.count(f"{field}.voting_days", rules.voting_days, minimum=1)
    c.count(f"{field}.term_months", rules.term_months, minimum=1, optional=True)
    c.count(f"{field}.term_limit", rules.term_limit, minimum=1, optional=True)
    for name in ("secret", "self_nomination", "staggered", "proxies", "vote_replacement"):
        c.flag(f"{field}.{name}", getattr(rules, name))
    if rules.staggered and rules.term_months is None:
        raise c.fail(f"{field}.staggered", _("is True but term_months is None"), _("give the term length."))
    if rules.method == "debian" and rules.seats != 1:
        raise c.fail(
            f"{field}.seats",
            _("is {value} with method debian", value=rules.seats),
            _("debian elects one."),
        )
    _method_params(c, f"{field}.method_params", rules)
    c.offsets(f"{field}.reminder_offsets", rules.reminder_offsets)


def _method_params(c: _Checker, field: str, rules: ElectionRules) -> None:
    """Only the debian count takes parameters (``DebianParams``); each is checked for type and sense."""
    params = rules.method_params
    if not isinstance(params, Mapping):
        raise c.fail(
            field,
            _("is {value}", value=repr(params)),
            _(
                "give a dict such as {example}.",
                example='{"default_option": "None Of The Above", "quorum": "3Q"}',
            ),
        )
    if not params:
        return
    names = ", ".join(sorted(map(str, params)))
    if rules.method != "debian":
        raise c.fail(
            field,
            _("names {params}, but method {method} takes no parameters", params=names, method=rules.method),
            _("remove them, or count with method debian."),
        )
    unknown = sorted(str(k) for k in params if k not in DEBIAN_PARAMS)
    if unknown:
        raise c.fail(
            field,
            _("names {params}, which method debian does not take", params=", ".join(unknown)),
            _("use only {choices}.", choices=", ".join(DEBIAN_PARAMS)),
        )
    label = params.get("default_option")
    if label is not None and (
        not isinstance(label, str) or not label.strip() or len(label) > 100 or "\n" in label
    ):
        raise c.fail(
            f"{field}['default_option']",
            _("is {value}", value=repr(label)),
            _(
                "give the option's label on one line (up to 100 characters), such as {example}, or None.",
                example='"None Of The Above"',
            ),
        )
    quorum = params.get("quorum")
    if "quorum" in params and not (
        quorum_multiple(quorum) is not None
        or (isinstance(quorum, (int, Fraction)) and not isinstance(quorum, bool) and quorum >= 0)
    ):
        raise c.fail(
            f"{field}['quorum']",
            _("is {value}", value=repr(quorum)),
            _(
                "give a number of votes (45, Fraction(91, 2)) or a rule such as {example}, Q being half "
                "the square root of the number of voters.",
                example='"3Q"',
            ),
        )
    ratio = params.get("supermajority")
    if "supermajority" in params and (
        isinstance(ratio, bool) or not isinstance(ratio, (int, Fraction)) or ratio < 1
    ):
        raise c.fail(
            f"{field}['supermajority']",
            _("is {value}", value=repr(ratio)),
            _("give the N of an N:1 majority over the default option: 1 or more, e.g. 3, Fraction(3, 2)."),
        )
    if label is None and ("quorum" in params or "supermajority" in params):
        measured = ", ".join(k for k in ("quorum", "supermajority") if k in params)
        raise c.fail(
            field,
            _("sets {params} without a default_option", params=measured),
            _("the quorum and majority are measured against the default option: set default_option too."),
        )


def _motion(c: _Checker, body: BodyFacts, kind: str, rules: object) -> None:
    field = f"motion_rules({body.kind!r}, {kind!r})"
    if not isinstance(rules, MotionRules):
        raise c.fail(
            field, _("returned {value_type}", value_type=type(rules).__name__), _("return MotionRules(...).")
        )
    c.fraction(f"{field}.quorum", rules.quorum, zero_ok=True)
    c.fraction(f"{field}.threshold", rules.threshold, zero_ok=False)
    if rules.threshold_of not in THRESHOLD_BASES:
        raise c.fail(
            f"{field}.threshold_of",
            _("is {value}", value=repr(rules.threshold_of)),
            _("use one of {choices}.", choices=", ".join(THRESHOLD_BASES)),
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
            _("asks for more than unanimity (threshold 1 with strict=True), which no vote can reach"),
            _("use strict=False for unanimity."),
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
            raise c.fail(
                f"join_rule({body.kind!r})",
                _("returned {value}", value=repr(join)),
                _('return "open" or "approval".'),
            )
        wg = c.ask(f"working_group_rules({body.kind!r})", module.working_group_rules, body)
        if not isinstance(wg, WorkingGroupRules):
            raise c.fail(
                f"working_group_rules({body.kind!r})",
                _("returned {value_type}", value_type=type(wg).__name__),
                _("return WorkingGroupRules(...)."),
            )
        c.count(f"working_group_rules({body.kind!r}).max_members", wg.max_members, minimum=1, optional=True)
        c.count(
            f"working_group_rules({body.kind!r}).inactivity_days",
            wg.inactivity_days,
            minimum=1,
            optional=True,
        )
        for name in ("on_leave", "on_inactive"):
            if (value := getattr(wg, name)) not in RETIRE_RULES:
                raise c.fail(
                    f"working_group_rules({body.kind!r}).{name}",
                    _('is {value}, neither "remove" nor "emeritus"', value=repr(value)),
                    _('use "remove" (the membership ends) or "emeritus" (kept on the list, without a vote).'),
                )
    states = getattr(module, "MEMBER_STATES", None)
    if states is not None:
        if not isinstance(states, Mapping) or set(states) != set(STATES):
            raise c.fail(
                "MEMBER_STATES",
                _(
                    "has states {value}",
                    value=repr(sorted(states) if isinstance(states, Mapping) else states),
                ),
                _("give exactly {states}, each with a frozenset of actions.", states=", ".join(STATES)),
            )
        for state, actions in states.items():
            if not isinstance(actions, frozenset) or not actions <= set(ACTIONS):
                raise c.fail(
                    f"MEMBER_STATES[{state!r}]",
                    _("is {value}", value=repr(actions)),
                    _("give a frozenset drawn from {actions}.", actions=", ".join(ACTIONS)),
                )
        if not any("administer" in actions for actions in states.values()):
            raise c.fail(
                "MEMBER_STATES",
                _("lets no state administer, so no admin could keep the roster or run elections"),
                _('add "administer" to the states whose admins may act, e.g. active.'),
            )
