"""Staggered terms: how many seats an election fills when a body's terms end in cohorts.

Under ``ElectionRules.staggered`` the policy's ``seats`` is the size of the body. An election then
fills the seats whose terms end by its voting close (``Membership.term_ends_at``, set at certification),
plus the seats nobody holds. The seats whose terms end must all be filled; vacant ones may be left for a
later election (that is how a new body forms its cohorts: a first election fills part of the empty
seats, the next one the rest). A member whose state in the body is emeritus or withdrawn has vacated
their seat; a suspended member still holds it.

Seats that another open election of the same body will fill (one not yet certified) are not free: two
elections never fill the same seat, and certification refuses to seat more members than the body has.
A new term is counted from the voting close, so a yearly election with the same dates finds the terms
it replaces ended by its close, cycle after cycle.

The plan is made when the election is created, made again when nominations and voting open and when the
voting close moves (the close is known better then), and recorded in the audit log, so ``election show``
can say how the count was found. A seat count the plan changes is recorded and announced.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from babel.lists import format_list
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from governance.errors import Conflict, Forbidden
from governance.i18n import _, current_locale, ngettext
from governance.models import AuditEvent, Body, Election, Membership, Person
from governance.policies import LoadedPolicy
from governance.policies.base import SEATED_ROLES, ElectionRules
from governance.services.chairs import CHAIR_ROLES, after_terms_ended
from governance.services.common import Actor, Context, body_facts, notify, record

VACATED_STATES = ("emeritus", "withdrawn")
"""States in a body whose member no longer holds their seat there."""

RULE = "staggered-terms"

OPEN_PHASES = ("draft", "nominating", "voting", "closed")
"""Phases of an election whose seats are not yet filled but will be (certified and cancelled are done)."""


@dataclass(frozen=True, slots=True)
class Holder:
    """A seated member as the plan sees them: who, and when their term ends (None: no term end)."""

    name: str
    handle: str
    ends: datetime | None


@dataclass(frozen=True, slots=True)
class SeatPlan:
    """Which seats of a staggered body are free by an election's voting close."""

    size: int  # seats on the body, per the policy
    close: datetime  # the voting close the plan was made for
    ending: tuple[Holder, ...]  # seated members whose terms end by then, earliest first
    vacant: int  # seats nobody holds
    next_end: datetime | None  # the first term end after the close, if any
    others: tuple[tuple[str, int], ...] = ()  # other open elections of the body: (id, seats they fill)

    @property
    def taken(self) -> int:
        """Seats the body's other open elections will fill."""
        return sum(seats for _slug, seats in self.others)

    @property
    def required(self) -> int:
        """Ending terms no other open election fills: this election must fill them."""
        return max(len(self.ending) - self.taken, 0)

    @property
    def free(self) -> int:
        """Seats an election closing then may fill: the ending terms and the vacant seats, less the
        seats of the body's other open elections."""
        return max(len(self.ending) + self.vacant - self.taken, 0)

    def allows(self, seats: int) -> bool:
        """Whether an election of ``seats`` fits: every ending term filled, at most every free seat."""
        return seats >= 1 and self.required <= seats <= self.free

    def fit(self, seats: int) -> int:
        """``seats`` brought within the plan: at least the ending terms, at most the free seats."""
        return min(max(seats, self.required, 1), self.free)

    def to_json(self) -> dict[str, Any]:
        """The plan as recorded in the audit log."""
        return {
            "size": self.size,
            "close": self.close.isoformat(),
            "ending": [
                {"name": h.name, "handle": h.handle, "ends": h.ends.isoformat() if h.ends else None}
                for h in self.ending
            ],
            "vacant": self.vacant,
            "next_end": self.next_end.isoformat() if self.next_end else None,
            **({"others": [{"election": e, "seats": n} for e, n in self.others]} if self.others else {}),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> SeatPlan:
        """A plan read back from its audit record."""

        def when(text: str | None) -> datetime | None:
            return datetime.fromisoformat(text) if text else None

        close = when(data["close"])
        assert close is not None
        return cls(
            size=int(data["size"]),
            close=close,
            ending=tuple(Holder(h["name"], h["handle"], when(h["ends"])) for h in data["ending"]),
            vacant=int(data["vacant"]),
            next_end=when(data.get("next_end")),
            others=tuple((o["election"], int(o["seats"])) for o in data.get("others", ())),
        )


def plan_seats(
    size: int, holders: Iterable[Holder], close: datetime, others: Iterable[tuple[str, int]] = ()
) -> SeatPlan:
    """The seats of a body of ``size`` seats that are free by ``close``, given who holds a seat now and
    the seats the body's other open elections (``others``: id and seats) will fill."""
    held = list(holders)
    ending = sorted(
        (h for h in held if h.ends is not None and h.ends <= close),
        key=lambda h: (h.ends, h.name),
    )
    later = [h.ends for h in held if h.ends is not None and h.ends > close]
    return SeatPlan(
        size=size,
        close=close,
        ending=tuple(ending),
        vacant=max(size - len(held), 0),
        next_end=min(later, default=None),
        others=tuple(others),
    )


def planned_close(
    now: datetime, rules: ElectionRules, nominations_close: datetime | None, voting_close: datetime | None
) -> datetime:
    """The voting close an election will have: the one given, else the policy's windows from now."""
    if voting_close is not None:
        return voting_close
    start = nominations_close or now + timedelta(days=rules.nomination_days)
    return start + timedelta(days=rules.voting_days)


def _seated(body: Body) -> Any:
    """The query of the members who hold a seat in ``body``: name, handle and term end."""
    return (
        select(col(Person.name), col(Person.handle), col(Membership.term_ends_at))
        .join(Person, col(Person.id) == col(Membership.person_id))
        .where(
            col(Membership.body_id) == body.id,
            col(Membership.status) == "active",
            col(Membership.role).in_(SEATED_ROLES),
            col(Membership.state).not_in(VACATED_STATES),
        )
    )


async def plan_for(
    session: AsyncSession,
    body: Body,
    rules: ElectionRules,
    close: datetime,
    *,
    exclude: int | None = None,
) -> SeatPlan:
    """The plan for an election to ``body`` closing at ``close``, from the body's current seats and the
    seats its other open elections (all but the election ``exclude``) will fill."""
    rows = (await session.execute(_seated(body))).all()
    others = (
        await session.execute(
            select(col(Election.slug), col(Election.seats))
            .where(
                col(Election.body_id) == body.id,
                col(Election.phase).in_(OPEN_PHASES),
                col(Election.id) != (exclude if exclude is not None else -1),
            )
            .order_by(col(Election.id))
        )
    ).all()
    return plan_seats(
        rules.seats,
        (Holder(name, handle, ends) for name, handle, ends in rows),
        close,
        ((slug, seats) for slug, seats in others),
    )


async def _seats_given(session: AsyncSession, election: Election) -> int | None:
    """The seat count given at creation (--seats), or None when it was found from the plan.

    For elections created before this was recorded, the current count counts as given.
    """
    payload = (
        await session.execute(
            select(col(AuditEvent.payload)).where(
                col(AuditEvent.stream) == f"election:{election.slug}",
                col(AuditEvent.kind) == "election.created",
            )
        )
    ).scalar_one_or_none()
    data = json.loads(payload) if payload else {}
    if not isinstance(data, dict) or "seats_given" not in data:
        return election.seats
    return int(data["seats"]) if data["seats_given"] else None


async def replan(
    session: AsyncSession,
    ctx: Context,
    actor: Actor,
    election: Election,
    body: Body,
    rules: ElectionRules,
    policy: LoadedPolicy,
    close: datetime,
    *,
    fixed: bool = False,
) -> SeatPlan:
    """Make an election's plan again for its (now better known) close; its seats follow the plan.

    A count given with --seats is kept when it still fits; one found from the plan follows it (every free
    seat). Refused, as at creation, when no seat is free by then. Once voting is open (``fixed``) the
    count is fixed: a close that would change it is refused, since ballots were cast for that many seats.
    Before that, a changed count is recorded and announced to the body, so candidates who stood know the
    new number: govbot has no way to change an election's seats after creation, and the policy's rule
    leaves the secretariat no choice of count, so a refusal would only strand the election.
    """
    plan = await plan_for(session, body, rules, close, exclude=election.id)
    if plan.free == 0:
        check_seats(plan, None, body, policy)
    given = await _seats_given(session, election)
    seats = plan.free if given is None else plan.fit(given)
    if seats == election.seats:
        return plan
    if fixed:
        raise Conflict(
            ngettext(
                "Voting in {slug} is open for {seats} seat(s); closing it on {close:%Y-%m-%d} would make it "
                "fill {n} seat, as the staggered terms of {body} then require, so the voting deadline "
                "cannot move there.",
                "Voting in {slug} is open for {seats} seat(s); closing it on {close:%Y-%m-%d} would make it "
                "fill {n} seats, as the staggered terms of {body} then require, so the voting deadline "
                "cannot move there.",
                seats,
                slug=election.slug,
                seats=election.seats,
                close=close,
                body=body.name,
            ),
            _(
                "(rule 'staggered-terms' of policy {policy_name} {policy_version}) Choose a voting close "
                "by which the same terms end.",
                policy_name=policy.name,
                policy_version=policy.version,
            ),
        )
    before, election.seats = election.seats, seats
    await record(
        session,
        ctx,
        actor,
        stream=f"election:{election.slug}",
        kind="election.seats_changed",
        subject=election.slug,
        payload={"seats": seats, "previous": before, "close": close.isoformat(), "rule": RULE},
    )
    notify(
        session,
        ctx,
        kind="election.seats_changed",
        body_id=body.id,
        params={
            "election": election.slug,
            "title": election.title,
            "seats": seats,
            "before": before,
            "body_name": body.name,
            "close": close,
        },
    )
    return plan


async def check_not_overfilled(session: AsyncSession, election: Election, body: Body, size: int) -> None:
    """At certification, once the elected are seated: refuse when the body would hold more members than
    its ``size`` seats (another election or an appointment filled a seat after this one was planned)."""
    held = len((await session.execute(_seated(body))).all())
    if held <= size:
        return
    raise Conflict(
        ngettext(
            "{title} cannot be certified: {body} has {n} seat and seating the elected would make "
            "{held} members hold one.",
            "{title} cannot be certified: {body} has {n} seats and seating the elected would make "
            "{held} members hold one.",
            size,
            title=election.title,
            body=body.name,
            held=held,
        ),
        _(
            "A seat was filled after {slug} was planned (another election or an appointment); free a seat "
            "of {body} first, then certify.",
            slug=election.slug,
            body=body.name,
        ),
    )


PLANNED_KINDS = (
    "election.created",
    "election.nominations_opened",
    "election.voting_opened",
    "election.timeline_changed",
)


async def recorded_plan(session: AsyncSession, stream: str) -> SeatPlan | None:
    """The last seat plan recorded for an election (None when its body's terms are not staggered)."""
    payloads = (
        await session.execute(
            select(col(AuditEvent.payload))
            .where(col(AuditEvent.stream) == stream, col(AuditEvent.kind).in_(PLANNED_KINDS))
            .order_by(col(AuditEvent.id).desc())
        )
    ).scalars()
    for payload in payloads:
        data = json.loads(payload)
        if isinstance(data, dict) and isinstance(data.get("seat_plan"), dict):
            return SeatPlan.from_json(data["seat_plan"])
    return None


async def end_replaced_terms(
    session: AsyncSession,
    ctx: Context,
    actor: Actor,
    election: Election,
    body: Body,
    policy: LoadedPolicy,
) -> list[str]:
    """At certification: the members whose terms ended by the close and who were not re-elected vacate
    their seats, as the policy says of members who leave (removed, or kept on the list as emeritus).

    Returns their handles. A member re-elected already has their new term and is left alone.
    """
    plan = await recorded_plan(session, f"election:{election.slug}")
    if plan is None or not plan.ending:
        return []
    close = election.voting_close_at or plan.close
    emeritus = policy.working_group_rules(body_facts(body)).on_leave == "emeritus"
    ended = []
    chairs_out: list[Person] = []
    for holder in plan.ending:
        row = (
            await session.execute(
                select(Membership, Person)
                .join(Person, col(Person.id) == col(Membership.person_id))
                .where(col(Membership.body_id) == body.id, col(Person.handle) == holder.handle)
            )
        ).first()
        if row is None:
            continue
        membership, person = row
        ends = membership.term_ends_at
        if (
            membership.status != "active"
            or membership.state in VACATED_STATES
            or ends is None
            or ends > close
        ):
            continue
        previous = membership.state
        if membership.role in CHAIR_ROLES:
            chairs_out.append(person)
        if emeritus:
            membership.state = "emeritus"
            if membership.role in ("chair", "co_chair"):
                membership.role = "member"
        else:
            membership.status = "left"
            membership.until = ends
        await record(
            session,
            ctx,
            actor,
            stream=f"body:{body.slug}",
            kind="membership.state" if emeritus else "membership.term_ended",
            subject=person.handle,
            payload={
                "state": "emeritus" if emeritus else membership.state,
                "previous": previous,
                "cause": "term-ended",
                "election": election.slug,
                "term_ended": ends.isoformat(),
                "policy": policy.identity,
            },
        )
        notify(
            session,
            ctx,
            kind="membership.term_ended",
            person_id=person.id,
            params={
                "body": body.slug,
                "body_name": body.name,
                "election": election.slug,
                "title": election.title,
                "ends": ends,
                "emeritus": emeritus,
            },
        )
        ended.append(person.handle)
    await after_terms_ended(session, ctx, actor, body, chairs_out, election.slug)  # the last chair's seat?
    return ended


def _names(holders: Iterable[Holder]) -> str:
    return format_list([h.name for h in holders], locale=current_locale())


def check_seats(plan: SeatPlan, seats: int | None, body: Body, policy: LoadedPolicy) -> int:
    """The seats an election fills under ``plan``: ``seats`` when it fits, every free seat when not given.

    Refused, naming the rule, when nothing is free by the close or when ``seats`` leaves a term that
    ends unfilled or asks for more seats than are free.
    """
    who = {"policy_name": policy.name, "policy_version": policy.version}
    elections = format_list([slug for slug, _seats in plan.others], locale=current_locale())
    if plan.free == 0 and plan.taken and len(plan.ending) + plan.vacant:
        raise Forbidden(
            _(
                "No seat of {body} is free by {close:%Y-%m-%d}: the seats free by then go to {elections}, "
                "not yet certified.",
                body=body.name,
                close=plan.close,
                elections=elections,
            ),
            _(
                "(rule 'staggered-terms' of policy {policy_name} {policy_version}) One election fills a "
                "seat at a time; once the seats of {elections} are filled, set a later voting close.",
                elections=elections,
                **who,
            ),
            rule=RULE,
        )
    if plan.free == 0:
        hint = (
            _(
                "(rule 'staggered-terms' of policy {policy_name} {policy_version}) The next term ends on "
                "{ends:%Y-%m-%d}: set the voting close after it (--voting-close).",
                ends=plan.next_end,
                **who,
            )
            if plan.next_end
            else _(
                "(rule 'staggered-terms' of policy {policy_name} {policy_version}) Every seat is held with "
                "no term end; an election can fill a seat once one is vacant.",
                **who,
            )
        )
        raise Forbidden(
            _(
                "No seat of {body} is free by {close:%Y-%m-%d}: its terms are staggered, every term runs "
                "past that date and no seat is vacant.",
                body=body.name,
                close=plan.close,
            ),
            hint,
            rule=RULE,
        )
    if seats is None:
        return plan.free
    if plan.allows(seats):
        return seats
    if seats > plan.free and plan.others:
        message = ngettext(
            "{body} has staggered terms: by {close:%Y-%m-%d} only {n} seat is free besides the seats of "
            "{elections}, so an election cannot fill {seats}.",
            "{body} has staggered terms: by {close:%Y-%m-%d} only {n} seats are free besides the seats of "
            "{elections}, so an election cannot fill {seats}.",
            plan.free,
            body=body.name,
            close=plan.close,
            elections=elections,
            seats=seats,
        )
    elif seats > plan.free:
        message = ngettext(
            "{body} has staggered terms: by {close:%Y-%m-%d} only {n} seat is free, so an election "
            "cannot fill {seats}.",
            "{body} has staggered terms: by {close:%Y-%m-%d} only {n} seats are free, so an election "
            "cannot fill {seats}.",
            plan.free,
            body=body.name,
            close=plan.close,
            seats=seats,
        )
    else:
        message = ngettext(
            "{body} has staggered terms: the term of {names} ends by {close:%Y-%m-%d}, so an election "
            "then fills at least {n} seat, not {seats}.",
            "{body} has staggered terms: the terms of {names} end by {close:%Y-%m-%d}, so an election "
            "then fills at least {n} seats, not {seats}.",
            plan.required,
            body=body.name,
            names=_names(plan.ending),
            close=plan.close,
            seats=seats,
        )
    raise Forbidden(
        message,
        _(
            "(rule 'staggered-terms' of policy {policy_name} {policy_version}) Leave out --seats to fill "
            "every free seat.",
            **who,
        ),
        rule=RULE,
    )


def describe(plan: SeatPlan, seats: int, body: str) -> list[str]:
    """How the seat count of an election was found, in sentences for ``election show``."""
    out = [
        _(
            "Staggered terms: this election fills {seats} of the {size} seats of {body}.",
            seats=seats,
            size=plan.size,
            body=body,
        )
    ]
    if plan.ending:
        last = max(h.ends for h in plan.ending if h.ends is not None)
        same_day = len({h.ends.date() for h in plan.ending if h.ends is not None}) == 1
        if same_day:
            out.append(
                ngettext(
                    "The term of {names} ends on {ends:%Y-%m-%d}.",
                    "The terms of {names} end on {ends:%Y-%m-%d}.",
                    len(plan.ending),
                    names=_names(plan.ending),
                    ends=last,
                )
            )
        else:
            out.append(
                ngettext(
                    "The term of {names} ends by {ends:%Y-%m-%d}.",
                    "The terms of {names} end by {ends:%Y-%m-%d}.",
                    len(plan.ending),
                    names=_names(plan.ending),
                    ends=last,
                )
            )
    if plan.vacant:
        out.append(ngettext("{n} seat is vacant.", "{n} seats are vacant.", plan.vacant))
    if plan.others:
        out.append(
            ngettext(
                "{n} of them goes to {elections}, not yet certified.",
                "{n} of them go to {elections}, not yet certified.",
                plan.taken,
                elections=format_list([slug for slug, _seats in plan.others], locale=current_locale()),
            )
        )
    if seats < plan.free:
        out.append(
            ngettext(
                "{n} vacant seat is left for a later election.",
                "{n} vacant seats are left for a later election.",
                plan.free - seats,
            )
        )
    return out
