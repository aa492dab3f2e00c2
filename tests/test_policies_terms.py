"""Issue 4, staggered terms: an election to a body whose terms are staggered fills the seats whose terms
end by its voting close (and the vacant ones), says how it found that number, and refuses a seat count
the staggering does not allow, naming the rule. The Kubernetes steering committee (7 seats, two-year
terms, 3 and 4 seats in alternate years) runs two full cycles, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, update
from sqlmodel import col

from bot.commands import dispatch
from governance.errors import Forbidden
from governance.models import Body, Membership, Person
from governance.policies import load_policy
from governance.policies.base import BodyFacts
from governance.services import bodies, elections, roster
from governance.services.common import Actor, Context
from governance.services.terms import Holder, plan_seats
from tests.conftest import ManualClock
from tests.services._support import SYSTEM, events, snapshot

UTC_ZONE = ZoneInfo("UTC")
# Seven organisations of two contributors each: the steering committee allows two seats per employer.
ORGS = ["acme", "globex", "initech", "umbrella", "hooli", "stark", "wayne"]
FIRST = ["Ada", "Ben", "Cleo", "Dev", "Eve", "Finn", "Gus"]
SECOND = ["Hana", "Ivo", "Jun", "Kai", "Lea", "Mo", "Nia"]


def when(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_the_plan_fills_ending_terms_and_may_leave_vacancies() -> None:
    close = when("2028-02-02 09:00")
    ending = [Holder(f"Old {i}", f"old{i}", when("2028-02-01 09:00")) for i in range(2)]
    staying = [Holder("Stays", "stays", when("2029-02-01 09:00")), Holder("Appointed", "appointed", None)]
    plan = plan_seats(7, ending + staying, close)
    assert (len(plan.ending), plan.vacant, plan.free, plan.next_end) == (2, 3, 5, when("2029-02-01 09:00"))
    assert [plan.allows(n) for n in range(7)] == [False, False, True, True, True, True, False]
    assert (plan.fit(1), plan.fit(4), plan.fit(9)) == (2, 4, 5)
    full = plan_seats(2, staying, close)
    assert (full.free, full.next_end) == (0, when("2029-02-01 09:00"))


async def _steering(ctx: Context) -> dict[str, Actor]:
    """Fourteen contributors of seven employers, election officer ``sec``, and an empty steering committee
    under the kubernetes preset."""
    await roster.add_person(ctx, SYSTEM, "sec", "Sam Officer", admin=True)
    for org, first, second in zip(ORGS, FIRST, SECOND, strict=True):
        await roster.add_organisation(ctx, SYSTEM, org, org.title())
        for name in (first, second):
            await roster.add_person(ctx, SYSTEM, name.lower(), f"{name} {org.title()}", organisation=org)
    await bodies.create_body(ctx, SYSTEM, "steering", "Steering Committee", "board", policy="kubernetes")
    handles = ["sec"] + [n.lower() for n in FIRST + SECOND]
    return {h: await roster.actor_for_handle(ctx, h) for h in handles}


async def _run(
    ctx: Context,
    clock: ManualClock,
    who: dict[str, Actor],
    slug: str,
    close: datetime,
    ranking: list[str],
    *,
    seats: int | None = None,
) -> list[str]:
    """One election: created with ``close``, each candidate endorsed by the officer and accepting, every
    contributor ranking ``ranking`` in that order; closed and certified just after ``close``."""
    election = await elections.create_election(
        ctx, who["sec"], "steering", slug, seats=seats, voting_close_at=close
    )
    await elections.open_nominations(ctx, who["sec"], slug)
    for handle in ranking:
        await elections.nominate(ctx, who["sec"], slug, handle)
        await elections.respond(ctx, who[handle], slug, True)
    await elections.open_voting(ctx, who["sec"], slug)
    for handle, actor in who.items():
        if handle != "sec":
            await elections.cast_ballot(ctx, actor, slug, ranking)
    clock.set(close + timedelta(minutes=1))
    result = await elections.close(ctx, who["sec"], slug)
    await elections.certify(ctx, who["sec"], slug)
    assert result.seats == election.seats
    return sorted(result.elected)


async def _seated(ctx: Context) -> dict[str, datetime | None]:
    """The steering committee's members and the ends of their terms."""
    async with ctx.db.reading() as session:
        rows = await session.execute(
            select(col(Person.handle), col(Membership.term_ends_at))
            .join(Membership, col(Membership.person_id) == col(Person.id))
            .join(Body, col(Body.id) == col(Membership.body_id))
            .where(col(Body.slug) == "steering", col(Membership.status) == "active")
        )
        return {handle: ends for handle, ends in rows.all()}


async def _term_ends(ctx: Context, handle: str, ends: datetime) -> None:
    """Set a member's term end, as a certified election would have."""
    async with ctx.db.transaction() as session:
        person = (await session.execute(select(Person).where(col(Person.handle) == handle))).scalar_one()
        await session.execute(
            update(Membership).where(col(Membership.person_id) == person.id).values(term_ends_at=ends)
        )


async def _show(ctx: Context, who: dict[str, Actor], slug: str, locale: str = "en") -> str:
    reply = await dispatch(ctx, who["sec"], f"election show {slug}", tz=UTC_ZONE, locale=locale)
    assert reply.ok, reply.to_text()
    return reply.text


async def test_kubernetes_steering_committee_over_two_cycles(ctx: Context, clock: ManualClock) -> None:
    who = await _steering(ctx)
    rules = load_policy("kubernetes").election_rules(BodyFacts("steering", "Steering Committee", "board"))
    assert (rules.seats, rules.term_months, rules.staggered) == (7, 24, True)

    # Cycle 1, first year: the empty committee forms its first cohort of four (a vacancy may wait).
    clock.set(when("2026-01-05 09:00"))
    elected = await _run(
        ctx, clock, who, "sc-2026", when("2026-02-01 09:00"), ["ada", "ben", "cleo", "dev", "eve"], seats=4
    )
    assert elected == ["Ada Acme", "Ben Globex", "Cleo Initech", "Dev Umbrella"]
    shown = await _show(ctx, who, "sc-2026")
    assert (
        "Staggered terms: this election fills 4 of the 7 seats of Steering Committee. 7 seats are vacant. "
        "3 vacant seats are left for a later election." in shown
    )
    assert set((await _seated(ctx)).values()) == {when("2028-02-01 09:01")}

    # Second year: without --seats the election fills the three seats still vacant.
    clock.set(when("2027-01-05 09:00"))
    before = await snapshot(ctx)
    with pytest.raises(Forbidden) as refused:
        await elections.create_election(
            ctx, who["sec"], "steering", "sc-2027", seats=4, voting_close_at=when("2027-02-01 09:00")
        )
    assert refused.value.rule == "staggered-terms"
    assert refused.value.message == (
        "Steering Committee has staggered terms: by 2027-02-01 only 3 seats are free, so an election cannot "
        "fill 4."
    )
    assert refused.value.hint == (
        "(rule 'staggered-terms' of policy kubernetes 1.1) Leave out --seats to fill every free seat."
    )
    assert await snapshot(ctx) == before
    elected = await _run(ctx, clock, who, "sc-2027", when("2027-02-01 09:00"), ["eve", "finn", "gus", "hana"])
    assert elected == ["Eve Hooli", "Finn Stark", "Gus Wayne"]
    assert "this election fills 3 of the 7 seats of Steering Committee. 3 seats are vacant." in (
        await _show(ctx, who, "sc-2027")
    )
    seated = await _seated(ctx)
    assert len(seated) == 7
    assert sorted(h for h, ends in seated.items() if ends == when("2029-02-01 09:01")) == [
        "eve",
        "finn",
        "gus",
    ]

    # Cycle 2, third year: the first cohort's terms end on 2028-02-01; a vote closing before cannot be held.
    clock.set(when("2028-01-05 09:00"))
    with pytest.raises(Forbidden) as refused:
        await elections.create_election(
            ctx, who["sec"], "steering", "sc-2028", voting_close_at=when("2028-01-31 09:00")
        )
    assert refused.value.message == (
        "No seat of Steering Committee is free by 2028-01-31: its terms are staggered, every term runs past "
        "that date and no seat is vacant."
    )
    assert refused.value.hint == (
        "(rule 'staggered-terms' of policy kubernetes 1.1) The next term ends on 2028-02-01: set the voting "
        "close after it (--voting-close)."
    )
    with pytest.raises(Forbidden) as refused:
        await elections.create_election(
            ctx, who["sec"], "steering", "sc-2028", seats=3, voting_close_at=when("2028-02-02 09:00")
        )
    assert refused.value.message == (
        "Steering Committee has staggered terms: the terms of Ada Acme, Ben Globex, Cleo Initech, and Dev "
        "Umbrella end by 2028-02-02, so an election then fills at least 4 seats, not 3."
    )
    # Continuing members keep their seats (Eve, Finn, Gus) and count toward the two-per-employer cap.
    elected = await _run(
        ctx, clock, who, "sc-2028", when("2028-02-02 09:00"), ["ada", "ivo", "lea", "mo", "ben", "jun"]
    )
    assert elected == ["Ada Acme", "Ivo Globex", "Lea Hooli", "Mo Stark"]
    # Those whose terms ended and were not re-elected vacate their seats: under the Kubernetes charter they
    # "graduate to becoming Emeritus members", listed with the date, without a vote.
    _, members = await bodies.members(ctx, "steering")
    assert sorted(m.handle for m in members if m.state == "emeritus") == ["ben", "cleo", "dev"]
    listed = await dispatch(ctx, who["sec"], "body show steering", tz=UTC_ZONE)
    assert "Ben Globex (emeritus since 2028-02-02)" in listed.to_text()
    assert "Ada Acme (" not in listed.to_text()
    shown = await _show(ctx, who, "sc-2028")
    assert (
        "Staggered terms: this election fills 4 of the 7 seats of Steering Committee. The terms of Ada Acme, "
        "Ben Globex, Cleo Initech, and Dev Umbrella end on 2028-02-01." in shown
    )
    created = [e for e in await events(ctx, "election:sc-2028") if e.kind == "election.created"]
    plan = json.loads(created[0].payload)["seat_plan"]
    assert (plan["size"], plan["vacant"], [h["handle"] for h in plan["ending"]]) == (
        7,
        0,
        ["ada", "ben", "cleo", "dev"],
    )

    # Fourth year: the second cohort's three terms end; the alternation 4, 3 goes on by itself.
    clock.set(when("2029-01-05 09:00"))
    await elections.create_election(
        ctx, who["sec"], "steering", "sc-2029", voting_close_at=when("2029-02-02 09:00")
    )
    await elections.open_nominations(ctx, who["sec"], "sc-2029")
    assert (await elections.show(ctx, "sc-2029")).election.seats == 3
    # Opening the vote with an earlier close is refused: no term ends by then.
    for handle in ("eve", "kai"):
        await elections.nominate(ctx, who["sec"], "sc-2029", handle)
        await elections.respond(ctx, who[handle], "sc-2029", True)
    with pytest.raises(Forbidden, match="No seat of Steering Committee is free by 2029-01-20"):
        await elections.open_voting(ctx, who["sec"], "sc-2029", when("2029-01-20 09:00"))
    opened = await elections.open_voting(ctx, who["sec"], "sc-2029")
    assert (opened.phase, opened.seats) == ("voting", 3)
    assert "The terms of Eve Hooli, Finn Stark, and Gus Wayne end on 2029-02-01." in (
        await _show(ctx, who, "sc-2029")
    )
    french = await _show(ctx, who, "sc-2029", locale="fr")
    assert (
        "Mandats renouvelés par tranches : cette élection pourvoit 3 des 7 sièges de Steering Committee. "
        "Les mandats de Eve Hooli, Finn Stark et Gus Wayne prennent fin le 2029-02-01." in french
    )


async def test_an_explicit_count_may_leave_a_vacancy_but_not_an_ending_term(
    ctx: Context, clock: ManualClock
) -> None:
    """The alliance board (3 seats, staggered): with one term ending and one seat vacant, an election
    fills one or two seats; a member who became emeritus has vacated their seat."""
    who = await _steering(ctx)
    await bodies.create_body(ctx, SYSTEM, "board", "Board", "board", policy="alliance")
    for handle in ("ada", "ben", "cleo"):
        await bodies.seat(ctx, SYSTEM, "board", handle)
    await _term_ends(ctx, "ada", when("2026-03-01 00:00"))
    close = when("2026-03-15 00:00")
    with pytest.raises(Forbidden, match="No seat of Board is free by 2026-02-15") as refused:
        await elections.create_election(
            ctx, who["sec"], "board", "none-free", voting_close_at=when("2026-02-15 00:00")
        )
    assert "The next term ends on 2026-03-01" in (refused.value.hint or "")
    await bodies.set_state(ctx, who["sec"], "board", "cleo", "emeritus")
    with pytest.raises(Forbidden) as refused:
        await elections.create_election(ctx, who["sec"], "board", "b3", seats=3, voting_close_at=close)
    assert refused.value.message == (
        "Board has staggered terms: by 2026-03-15 only 2 seats are free, so an election cannot fill 3."
    )
    one = await elections.create_election(ctx, who["sec"], "board", "b1", seats=1, voting_close_at=close)
    both = await elections.create_election(ctx, who["sec"], "board", "b2", voting_close_at=close)
    assert (one.seats, both.seats) == (1, 2)
    assert (
        "The term of Ada Acme ends on 2026-03-01. 1 seat is vacant. 1 vacant seat is left for a later "
        in (await _show(ctx, who, "b1"))
    )
