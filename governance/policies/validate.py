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
    SINGLE_WINNER_METHODS,
    STATES,
    BodyFacts,
    Bounds,
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
    c.count(f"{field}.monitor_signatures", rules.monitor_signatures, minimum=0)
    for name in ("secret", "self_nomination", "staggered", "proxies", "vote_replacement"):
        c.flag(f"{field}.{name}", getattr(rules, name))
    if rules.staggered and rules.term_months is None:
        raise c.fail(f"{field}.staggered", _("is True but term_months is None"), _("give the term length."))
    if rules.method in SINGLE_WINNER_METHODS and rules.seats != 1:
        raise c.fail(
            f"{field}.seats",
            _("is {value} with method {method}", value=rules.seats, method=rules.method),
            _(
                "{method} elects one person: give seats=1, or a method that fills several seats.",
                method=rules.method,
            ),
        )
    _method_params(c, f"{field}.method_params", rules)
    c.offsets(f"{field}.reminder_offsets", rules.reminder_offsets)
    for name in ("electorate_cutoff", "exceptions_due"):
        value = getattr(rules, name)
        if value is not None and (not isinstance(value, timedelta) or value < timedelta(0)):
            raise c.fail(
                f"{field}.{name}",
                _("is {value}", value=repr(value)),
                _("give a timedelta of zero or more, e.g. timedelta(days=7), or None."),
            )
    _election_bounds(c, f"{field}.bounds", rules)


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
    _period_bounds(c, f"{field}.bounds", rules.bounds, rules.voting_days)
    c.flag(f"{field}.bounds.secret_on_request", rules.bounds.secret_on_request)


def _bounds_of(c: _Checker, field: str, bounds: object) -> Bounds:
    if not isinstance(bounds, Bounds):
        raise c.fail(
            field,
            _("is {value_type}", value_type=type(bounds).__name__),
            _(
                "give Bounds(...), e.g. {example}.",
                example="Bounds(seats=(1, 3), min_voting=timedelta(days=7))",
            ),
        )
    return bounds


def _election_bounds(c: _Checker, field: str, rules: ElectionRules) -> None:
    """The methods and seats an admin may choose must exist and include what the policy itself does."""
    bounds = _bounds_of(c, field, rules.bounds)
    if not isinstance(bounds.methods, frozenset) or not all(isinstance(m, str) for m in bounds.methods):
        raise c.fail(
            f"{field}.methods",
            _("is {value}", value=repr(bounds.methods)),
            _("give a frozenset of method names, e.g. {example}.", example='frozenset({"schulze"})'),
        )
    unknown = sorted(
        m for m in bounds.methods if m not in METHODS or (m == "debian" and rules.method != "debian")
    )
    if unknown:
        raise c.fail(
            f"{field}.methods",
            _("names {methods}, which cannot be chosen per election", methods=", ".join(unknown)),
            _(
                "use methods from {choices} (debian only as the policy's own method, with its parameters).",
                choices=", ".join(m for m in METHODS if m != "debian"),
            ),
        )
    seats = bounds.seats
    if seats is not None:
        if (
            not isinstance(seats, tuple)
            or len(seats) != 2
            or not all(isinstance(n, int) and not isinstance(n, bool) for n in seats)
            or not 1 <= seats[0] <= seats[1]
        ):
            raise c.fail(
                f"{field}.seats",
                _("is {value}, not a range of seats", value=repr(seats)),
                _("give (least, most) with 1 <= least <= most, e.g. (1, 3), or None."),
            )
        if rules.staggered and seats[1] > rules.seats:
            raise c.fail(
                f"{field}.seats",
                _("allows up to {most} seats in a body of {size}", most=seats[1], size=rules.seats),
                _("give at most {size} seats.", size=rules.seats),
            )
        if not rules.staggered and not seats[0] <= rules.seats <= seats[1]:
            raise c.fail(
                f"{field}.seats",
                _(
                    "is {least}-{most}, which leaves out the policy's own {seats} seats",
                    least=seats[0],
                    most=seats[1],
                    seats=rules.seats,
                ),
                _("give a range that includes seats={seats}.", seats=rules.seats),
            )
        allowed = bounds.methods | {rules.method}
        if seats[1] > 1 and allowed <= SINGLE_WINNER_METHODS:
            raise c.fail(
                f"{field}.seats",
                _(
                    "allows up to {most} seats, but every method allowed ({methods}) elects one person",
                    most=seats[1],
                    methods=", ".join(sorted(allowed)),
                ),
                _("allow seats (1, 1), or a method that fills several seats (e.g. stv-meek)."),
            )
    _period_bounds(c, field, bounds, rules.voting_days)


def _period_bounds(c: _Checker, field: str, bounds: object, voting_days: int) -> None:
    """The shortest and longest voting periods must be positive, in order, and hold the policy's own."""
    bounds = _bounds_of(c, field, bounds)
    for name in ("min_voting", "max_voting"):
        value = getattr(bounds, name)
        if value is not None and (not isinstance(value, timedelta) or value <= timedelta(0)):
            raise c.fail(
                f"{field}.{name}",
                _("is {value}", value=repr(value)),
                _("give a positive timedelta, e.g. {example}, or None.", example="timedelta(days=7)"),
            )
    own = timedelta(days=voting_days)
    least = bounds.min_voting if bounds.min_voting is not None else own
    if bounds.max_voting is not None and bounds.max_voting < least:
        raise c.fail(
            f"{field}.max_voting",
            _("is shorter than the shortest voting period allowed, so no deadline could be set"),
            _("give a max_voting at least as long as min_voting (or voting_days)."),
        )
    if not least <= own <= (bounds.max_voting or own):
        raise c.fail(
            f"{field}",
            _("leaves out the policy's own voting period of {days} days", days=voting_days),
            _("give bounds that include voting_days, or change voting_days."),
        )
    c.flag(f"{field}.secret_on_request", bounds.secret_on_request)


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
