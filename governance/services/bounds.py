"""Per-poll choices within the policy's bounds: counting method, seats, secrecy and the voting period.

The policy module declares, with ``Bounds`` on its ``ElectionRules`` and ``MotionRules``, what an admin
or proposer may choose for one poll and within which limits (``governance.policies.base``). The services
ask this module before they write anything: a choice outside the bounds is refused with the rule's
name (``bounds.method``, ``bounds.seats``, ``bounds.single-winner``, ``bounds.voting-period``) and what
is allowed; a permitted choice is returned as a ``choices`` mapping that the service records in the
poll's audit event, and ``describe_*`` says it back in ``election show`` / ``motion show``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from governance import labels
from governance.errors import Forbidden
from governance.i18n import _, ngettext
from governance.models import AuditEvent, Election
from governance.policies import LoadedPolicy
from governance.policies.base import SINGLE_WINNER_METHODS, Bounds, ElectionRules, MotionRules

RULE_METHOD = "bounds.method"
RULE_SEATS = "bounds.seats"
RULE_SINGLE_WINNER = "bounds.single-winner"
RULE_PERIOD = "bounds.voting-period"

GRACE = timedelta(minutes=1)
"""A deadline typed as ``+7d`` is computed a moment before it is checked: that moment is forgiven."""


def _refusal(policy: LoadedPolicy, rule: str, message: str, fix: str) -> Forbidden:
    """A refusal naming the rule and the policy, then saying what is allowed."""
    named = _(
        "(rule {refusal_rule!r} of policy {policy_name} {policy_version})",
        refusal_rule=rule,
        policy_name=policy.name,
        policy_version=policy.version,
    )
    return Forbidden(message, f"{named} {fix}", rule=rule)


def duration_words(delta: timedelta) -> str:
    """A voting period as people say it: "7 days", "72 hours", "1 minute" (whole days when exact)."""
    minutes = max(0, round(delta.total_seconds() / 60))
    if minutes and minutes % 1440 == 0:
        return ngettext("{n} day", "{n} days", minutes // 1440)
    if minutes >= 90:
        return ngettext("{n} hour", "{n} hours", round(minutes / 60))
    return ngettext("{n} minute", "{n} minutes", minutes)


def allowed_methods(rules: ElectionRules) -> list[str]:
    """The counting methods an election may use: the policy's own first, then the others it allows."""
    return [rules.method, *sorted(rules.bounds.methods - {rules.method})]


def seat_range(rules: ElectionRules) -> tuple[int, int] | None:
    """The least and most seats an election may fill (None: as the staggered terms allow)."""
    if rules.bounds.seats is not None:
        return rules.bounds.seats
    return None if rules.staggered else (rules.seats, rules.seats)


def period_range(bounds: Bounds, voting_days: int) -> tuple[timedelta, timedelta | None]:
    """The shortest and longest voting period allowed (the policy's own period when no minimum is set)."""
    least = bounds.min_voting if bounds.min_voting is not None else timedelta(days=voting_days)
    return least, bounds.max_voting


def check_election(
    policy: LoadedPolicy,
    rules: ElectionRules,
    body_name: str,
    *,
    method: str | None,
    seats_given: int | None,
    seats: int,
) -> dict[str, object]:
    """Refuse a method or seat count the policy does not allow; return the choices made (to record).

    ``seats_given`` is what the admin asked for (None: not asked), ``seats`` the count the election will
    fill (the policy's, or the staggered terms'): a single-winner method refuses more than one either way.
    """
    choices: dict[str, object] = {}
    chosen = method or rules.method
    if method is not None and method != rules.method:
        if method not in rules.bounds.methods:
            raise _refusal(
                policy,
                RULE_METHOD,
                _(
                    "Policy {policy_name} counts elections to {body} by {method}; {chosen} may not be "
                    "chosen.",
                    policy_name=policy.name,
                    body=body_name,
                    method=labels.method_name(rules.method),
                    chosen=labels.method_name(method),
                ),
                _(
                    "Methods allowed: {methods}. Leave out --method to count by {method}.",
                    methods=", ".join(allowed_methods(rules)),
                    method=rules.method,
                ),
            )
        choices["method"] = method
    if chosen in SINGLE_WINNER_METHODS and seats != 1:
        raise _refusal(
            policy,
            RULE_SINGLE_WINNER,
            _(
                "{method} elects one person, so an election counted by it fills one seat, not {seats}.",
                method=labels.method_name(chosen),
                seats=seats,
            ),
            _("Give --seats 1, or a counting method that fills several seats."),
        )
    span = seat_range(rules)
    if seats_given is not None and span is not None and not span[0] <= seats_given <= span[1]:
        least, most = span
        raise _refusal(
            policy,
            RULE_SEATS,
            ngettext(
                "Policy {policy_name} fills {n} seat per election to {body}; {seats} may not be chosen.",
                "Policy {policy_name} fills {n} seats per election to {body}; {seats} may not be chosen.",
                least,
                policy_name=policy.name,
                body=body_name,
                seats=seats_given,
            )
            if least == most
            else _(
                "Policy {policy_name} lets an election to {body} fill {least} to {most} seats, not {seats}.",
                policy_name=policy.name,
                body=body_name,
                least=least,
                most=most,
                seats=seats_given,
            ),
            _("Leave out --seats.")
            if least == most
            else _("Give --seats from {least} to {most}, or leave it out.", least=least, most=most),
        )
    if seats_given is not None and (rules.staggered or seats_given != rules.seats):
        choices["seats"] = seats_given
    return choices


def check_period(
    policy: LoadedPolicy,
    bounds: Bounds,
    voting_days: int,
    period: timedelta,
    *,
    longest: timedelta | None = None,
) -> dict[str, object]:
    """Refuse a voting period outside the policy's bounds; return it as a choice (whole minutes).

    ``period`` is measured from voting opening to the deadline; ``longest``, when given, is the longest
    the period may turn out to be (a planned opening that runs late) and is what the minimum is held to.
    """
    least, most = period_range(bounds, voting_days)
    fix = (
        _(
            "Set a deadline from {least} to {most} after voting opens, or leave it out for the policy's "
            "{default}.",
            least=duration_words(least),
            most=duration_words(most),
            default=duration_words(timedelta(days=voting_days)),
        )
        if most is not None
        else _(
            "Set a deadline at least {least} after voting opens, or leave it out for the policy's {default}.",
            least=duration_words(least),
            default=duration_words(timedelta(days=voting_days)),
        )
    )
    if (longest or period) + GRACE < least:
        raise _refusal(
            policy,
            RULE_PERIOD,
            _(
                "A voting period of {period} is shorter than policy {policy_name} allows: at least {least}.",
                period=duration_words(period),
                policy_name=policy.name,
                least=duration_words(least),
            ),
            fix,
        )
    if most is not None and period - GRACE > most:
        raise _refusal(
            policy,
            RULE_PERIOD,
            _(
                "A voting period of {period} is longer than policy {policy_name} allows: at most {most}.",
                period=duration_words(period),
                policy_name=policy.name,
                most=duration_words(most),
            ),
            fix,
        )
    return {"voting_minutes": round(period.total_seconds() / 60)}


def opening_period(
    now: datetime, policy: LoadedPolicy, rules: ElectionRules, election: Election, close_at: datetime | None
) -> dict[str, object]:
    """The voting period that opening voting now gives, refused outside the bounds ({}: the default).

    A deadline given now is held to the bounds as is; a planned one was checked when planned and is held
    to the minimum again from the planned opening, so a scheduled opening that runs late is not refused.
    """
    planned = (
        election.voting_close_at if election.voting_close_at and election.voting_close_at > now else None
    )
    close = close_at or planned
    if close is None:
        return {}
    opens = (
        now
        if close_at is not None
        else min(now, election.voting_open_at or election.nominations_close_at or now)
    )
    return check_period(policy, rules.bounds, rules.voting_days, close - now, longest=close - opens)


def planned_period(
    now: datetime, policy: LoadedPolicy, rules: ElectionRules, election: Election
) -> dict[str, object]:
    """The voting period an election's (re)planned dates give, refused outside the bounds.

    Open: from its opening to the new deadline. Not yet open: from the planned opening (the voting
    opening, else the nominations deadline, else now) to the planned deadline. {} with no deadline.
    """
    close = election.voting_close_at
    if close is None:
        return {}
    if election.phase == "voting" and election.voting_open_at is not None:
        opens = election.voting_open_at
    else:
        opens = max(now, election.voting_open_at or election.nominations_close_at or now)
    return check_period(policy, rules.bounds, rules.voting_days, close - opens)


def check_secret(rules: MotionRules, secret: bool | None) -> dict[str, object]:
    """The secret ballot a proposer asked for, as a choice to record (the refusal is the service's)."""
    return {"secret": True} if secret and not rules.secret else {}


def secret_allowed(rules: MotionRules) -> bool:
    """Whether a proposer may turn this roll-call vote into a secret ballot."""
    return rules.secret or rules.proposer_may_choose_secret or rules.bounds.secret_on_request


async def recorded_choices(session: AsyncSession, stream: str) -> dict[str, object]:
    """The choices recorded in a poll's audit events, later ones replacing earlier ones."""
    payloads = (
        await session.execute(
            select(col(AuditEvent.payload))
            .where(col(AuditEvent.stream) == stream, col(AuditEvent.payload).contains('"choices"'))
            .order_by(col(AuditEvent.id))
        )
    ).scalars()
    out: dict[str, object] = {}
    for payload in payloads:
        data = json.loads(payload)
        if isinstance(data, dict) and isinstance(data.get("choices"), dict):
            out.update(data["choices"])
    return out


def _period_line(choices: Mapping[str, object], bounds: Bounds, voting_days: int) -> list[str]:
    minutes = choices.get("voting_minutes")
    if not isinstance(minutes, int):
        return []
    least, most = period_range(bounds, voting_days)
    period = duration_words(timedelta(minutes=minutes))
    if most is None:
        return [
            _(
                "Voting period: {period} (chosen; the policy allows at least {least}).",
                period=period,
                least=duration_words(least),
            )
        ]
    return [
        _(
            "Voting period: {period} (chosen within the policy's {least} to {most}).",
            period=period,
            least=duration_words(least),
            most=duration_words(most),
        )
    ]


def describe_election(choices: Mapping[str, object], rules: ElectionRules | None) -> list[str]:
    """The choices made for an election, each with the bounds it was chosen within (for ``election show``)."""
    if rules is None or not choices:
        return []
    lines: list[str] = []
    method = choices.get("method")
    if isinstance(method, str):
        lines.append(
            _(
                "Method: {method} (chosen among the policy's {methods}).",
                method=labels.method_name(method),
                methods=", ".join(labels.method_name(m) for m in allowed_methods(rules)),
            )
        )
    seats = choices.get("seats")
    span = seat_range(rules)
    if isinstance(seats, int):
        if span is None:
            lines.append(
                _(
                    "Seats: {seats} (chosen; the staggered terms allow up to the free seats).",
                    seats=seats,
                )
            )
        else:
            lines.append(
                _(
                    "Seats: {seats} (chosen within the policy's {least}-{most}).",
                    seats=seats,
                    least=span[0],
                    most=span[1],
                )
            )
    return lines + _period_line(choices, rules.bounds, rules.voting_days)


def describe_motion(choices: Mapping[str, object], rules: MotionRules | None) -> list[str]:
    """The choices made for a motion, with the bounds they were chosen within (for ``motion show``)."""
    if rules is None or not choices:
        return []
    lines: list[str] = []
    if choices.get("secret") is True:
        lines.append(_("Secret ballot: asked for by the proposer, as the policy allows on request."))
    return lines + _period_line(choices, rules.bounds, rules.voting_days)
