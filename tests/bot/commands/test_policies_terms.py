"""Issue 4, staggered terms: an election to a body whose terms are staggered fills the seats whose terms
end by its voting close (and the vacant ones), says how it found that number, and refuses a seat count
the staggering does not allow, naming the rule. The Kubernetes steering committee (7 seats, two-year
terms, 3 and 4 seats in alternate years) runs three full cycles with the same dates every year, on SQLite
and PostgreSQL. Two open elections never fill the same seat, certification never over-fills the body,
and moving the voting close plans the seats again."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, update
from sqlmodel import col

from bot.commands import dispatch
from governance.clock import ManualClock
from governance.errors import Conflict, Forbidden
from governance.models import Body, Membership, Person
from governance.policies import load_policy
from governance.policies.base import BodyFacts
from governance.services import bodies, chairs, elections, roster, scheduling
from governance.services.common import Actor, Context
from governance.services.terms import Holder, plan_seats
from tests.factories import SYSTEM, events, outbox_rows, snapshot
from tests.fakes.notices import notice_text

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
    certify: bool = True,
) -> list[str]:
    """One election: created with ``close``, each candidate endorsed by the officer and accepting, every
    contributor ranking ``ranking`` in that order; closed (and certified) just after ``close``."""
    election = await elections.create_election(
        ctx, who["sec"], "steering", slug, seats=seats, voting_close_at=close
    )
    await elections.open_nominations(ctx, who["sec"], slug)
    for handle in ranking:
        await elections.nominate(ctx, who["sec"], slug, handle)
        await elections.respond(ctx, who[handle], slug, True)
    await elections.open_voting(ctx, who["sec"], slug)
    for handle in await _voters(ctx, who):
        await elections.cast_ballot(ctx, who[handle], slug, ranking)
    clock.set(close + timedelta(minutes=1))
    result = await elections.close(ctx, who["sec"], slug)
    if certify:
        await elections.certify(ctx, who["sec"], slug)
    assert result.seats == election.seats
    return sorted(result.elected)


async def _voters(ctx: Context, who: dict[str, Actor]) -> list[str]:
    """The contributors who may vote and stand: all but the officer and the steering committee's
    emeritus members."""
    _, members = await bodies.members(ctx, "steering")
    emeritus = {m.handle for m in members if m.state == "emeritus"}
    return [h for h in who if h != "sec" and h not in emeritus]


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
    # A certified election shows its final state: the seats it filled, no vacancy left over from its plan.
    assert (
        "Certified 2026-02-01 09:01 UTC: elected Ada Acme, Ben Globex, Cleo Initech, Dev Umbrella; "
        "4 of 4 seats filled." in shown
    )
    assert "vacant" not in shown
    # The term runs from the voting close, not from certification a minute later.
    assert set((await _seated(ctx)).values()) == {when("2028-02-01 09:00")}

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
    shown = await _show(ctx, who, "sc-2027")  # certified: the seats it filled, not its plan's vacancies
    assert "elected Eve Hooli, Finn Stark, Gus Wayne; 3 of 3 seats filled." in shown
    assert "vacant" not in shown
    seated = await _seated(ctx)
    assert len(seated) == 7
    assert sorted(h for h, ends in seated.items() if ends == when("2029-02-01 09:00")) == [
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
    assert refused.value.rule == "staggered-terms"
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
            ctx, who["sec"], "steering", "sc-2028", seats=3, voting_close_at=when("2028-02-01 09:00")
        )
    assert refused.value.rule == "staggered-terms"
    assert refused.value.message == (
        "Steering Committee has staggered terms: the terms of Ada Acme, Ben Globex, Cleo Initech, and Dev "
        "Umbrella end by 2028-02-01, so an election then fills at least 4 seats, not 3."
    )
    # Same dates as two years before: the first cohort's terms end exactly at this close.
    # Continuing members keep their seats (Eve, Finn, Gus) and count toward the two-per-employer cap.
    elected = await _run(
        ctx, clock, who, "sc-2028", when("2028-02-01 09:00"), ["ada", "ivo", "lea", "mo", "ben", "jun"]
    )
    assert elected == ["Ada Acme", "Ivo Globex", "Lea Hooli", "Mo Stark"]
    # Those whose terms ended and were not re-elected vacate their seats: under the Kubernetes charter they
    # "graduate to becoming Emeritus members", listed with the date, without a vote.
    _, members = await bodies.members(ctx, "steering")
    assert sorted(m.handle for m in members if m.state == "emeritus") == ["ben", "cleo", "dev"]
    listed = await dispatch(ctx, who["sec"], "body show steering", tz=UTC_ZONE)
    assert "Ben Globex (emeritus since 2028-02-01)" in listed.to_text()
    ended = [e for e in await events(ctx, "body:steering") if e.kind == "membership.state"]
    assert [(e.subject, json.loads(e.payload)["previous"]) for e in ended] == [
        ("ben", "active"),
        ("cleo", "active"),
        ("dev", "active"),
    ]
    assert "Ada Acme (" not in listed.to_text()
    shown = await _show(ctx, who, "sc-2028")  # certified: its final state
    assert "4 of 4 seats filled." in shown and "vacant" not in shown
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
        ctx, who["sec"], "steering", "sc-2029", voting_close_at=when("2029-02-01 09:00")
    )
    await elections.open_nominations(ctx, who["sec"], "sc-2029")
    assert (await elections.show(ctx, "sc-2029")).election.seats == 3
    # Opening the vote with an earlier close is refused: no term ends by then.
    for handle in ("eve", "kai", "gus"):
        await elections.nominate(ctx, who["sec"], "sc-2029", handle)
        await elections.respond(ctx, who[handle], "sc-2029", True)
    with pytest.raises(Forbidden, match="No seat of Steering Committee is free by 2029-01-20") as refusal:
        await elections.open_voting(ctx, who["sec"], "sc-2029", when("2029-01-20 09:00"))
    assert refusal.value.rule == "staggered-terms"
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
    for handle in await _voters(ctx, who):
        await elections.cast_ballot(ctx, who[handle], "sc-2029", ["kai", "eve", "gus"])
    clock.set(when("2029-02-01 09:01"))
    await elections.close(ctx, who["sec"], "sc-2029")
    await elections.certify(ctx, who["sec"], "sc-2029")

    # Three more years with the very same dates: no drift, the alternation 4, 3, 4 goes on.
    for year, seats in ((2030, 4), (2031, 3), (2032, 4)):
        clock.set(when(f"{year}-01-05 09:00"))
        close = when(f"{year}-02-01 09:00")
        continuing = {h for h, ends in (await _seated(ctx)).items() if ends and ends > close}
        standing = [h for h in await _voters(ctx, who) if h not in continuing]
        elected = await _run(ctx, clock, who, f"sc-{year}", close, standing)
        assert len(elected) == seats
        _, members = await bodies.members(ctx, "steering")
        assert len([m for m in members if m.state == "active"]) == 7
        new_ends = (await _seated(ctx)).values()
        assert sum(1 for ends in new_ends if ends == when(f"{year + 2}-02-01 09:00")) == seats


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
    assert refused.value.rule == "staggered-terms"
    assert "The next term ends on 2026-03-01" in (refused.value.hint or "")
    await bodies.set_state(ctx, who["sec"], "board", "cleo", "emeritus")
    with pytest.raises(Forbidden) as refused:
        await elections.create_election(ctx, who["sec"], "board", "b3", seats=3, voting_close_at=close)
    assert refused.value.rule == "staggered-terms"
    assert refused.value.message == (
        "Board has staggered terms: by 2026-03-15 only 2 seats are free, so an election cannot fill 3."
    )
    one = await elections.create_election(ctx, who["sec"], "board", "b1", seats=1, voting_close_at=close)
    assert one.seats == 1
    assert (
        "The term of Ada Acme ends on 2026-03-01. 1 seat is vacant. 1 vacant seat is left for a later "
        in (await _show(ctx, who, "b1"))
    )
    # b1 is not certified yet: its seat is not free for another election to the board.
    before = await snapshot(ctx)
    with pytest.raises(Forbidden) as refused:
        await elections.create_election(ctx, who["sec"], "board", "b2", seats=2, voting_close_at=close)
    assert refused.value.rule == "staggered-terms"
    assert refused.value.message == (
        "Board has staggered terms: by 2026-03-15 only 1 seat is free besides the seats of b1, so an "
        "election cannot fill 2."
    )
    assert await snapshot(ctx) == before
    other = await elections.create_election(ctx, who["sec"], "board", "b2", voting_close_at=close)
    assert other.seats == 1
    assert "1 of them goes to b1, not yet certified." in await _show(ctx, who, "b2")
    with pytest.raises(Forbidden) as refused:
        await elections.create_election(ctx, who["sec"], "board", "b3", voting_close_at=close)
    assert refused.value.rule == "staggered-terms"
    assert refused.value.message == (
        "No seat of Board is free by 2026-03-15: the seats free by then go to b1 and b2, not yet certified."
    )
    assert refused.value.hint == (
        "(rule 'staggered-terms' of policy alliance 1.2) One election fills a seat at a time; once the "
        "seats of b1 and b2 are filled, set a later voting close."
    )


async def test_certification_never_seats_more_members_than_the_body_has(
    ctx: Context, clock: ManualClock
) -> None:
    """An election planned for three vacant seats, two of which are then filled by appointment: certifying
    it would seat eight on a committee of seven, so certification is refused and nothing changes."""
    who = await _steering(ctx)
    clock.set(when("2026-01-05 09:00"))
    for handle in ("ada", "ben", "cleo", "dev"):
        await bodies.seat(ctx, SYSTEM, "steering", handle)
    await _run(ctx, clock, who, "sc-a", when("2026-02-01 09:00"), ["eve", "finn", "gus"], certify=False)
    await bodies.seat(ctx, SYSTEM, "steering", "hana")
    before = await snapshot(ctx)
    with pytest.raises(Conflict) as refused:
        await elections.certify(ctx, who["sec"], "sc-a")
    assert refused.value.message == (
        "Steering Committee election cannot be certified: Steering Committee has 7 seats and seating the "
        "elected would make 8 members hold one."
    )
    assert refused.value.hint == (
        "A seat was filled after sc-a was planned (another election or an appointment); free a seat of "
        "Steering Committee first, then certify."
    )
    assert await snapshot(ctx) == before
    await bodies.set_state(ctx, who["sec"], "steering", "hana", "withdrawn")
    certified = await elections.certify(ctx, who["sec"], "sc-a")
    assert certified.phase == "certified"


async def test_moving_the_voting_close_plans_the_seats_again(ctx: Context, clock: ManualClock) -> None:
    """Five seated, two vacant: Ivo's term ends on 2027-02-01 (he is suspended), Ada's on 2027-03-01, the
    others' in 2029. An election of two seats closing on 2027-03-10 fills Ada's and Ivo's; moved while in
    draft past 2029, it must fill five and says so; once voting is open, a close that changes the count
    is refused, and an earlier one (before Ada's term ends) leaves Ada seated at certification."""
    who = await _steering(ctx)
    clock.set(when("2027-01-05 09:00"))
    ends = {"ivo": "2027-02-01", "ada": "2027-03-01", "ben": "2029-02-01", "cleo": "2029-02-01"}
    ends["dev"] = "2029-02-01"
    for handle, day in ends.items():
        await bodies.seat(ctx, SYSTEM, "steering", handle)
        await _term_ends(ctx, handle, when(f"{day} 09:00"))
    await bodies.set_state(ctx, who["sec"], "steering", "ivo", "suspended")
    await elections.create_election(
        ctx, who["sec"], "steering", "sc", seats=2, voting_close_at=when("2027-03-10 09:00")
    )

    moved = await scheduling.set_election_timeline(
        ctx, who["sec"], "sc", voting_close_at=when("2029-06-01 09:00")
    )
    assert moved.seats == 5
    changed = [
        json.loads(e.payload) for e in await events(ctx, "election:sc") if e.kind == "election.seats_changed"
    ]
    assert changed == [
        {"seats": 5, "previous": 2, "close": "2029-06-01T09:00:00+00:00", "rule": "staggered-terms"}
    ]
    assert [notice_text(m) for m in await outbox_rows(ctx) if m.kind == "election.seats_changed"] == [
        "Steering Committee election now fills 5 seats, not 2: with staggered terms, that is what Steering "
        "Committee has free by its voting close on 2029-06-01."
    ]
    # Back to the first close: the count given with --seats holds again.
    moved = await scheduling.set_election_timeline(
        ctx, who["sec"], "sc", voting_close_at=when("2027-03-10 09:00")
    )
    assert moved.seats == 2

    await elections.open_nominations(ctx, who["sec"], "sc")
    for handle in ("eve", "finn"):
        await elections.nominate(ctx, who["sec"], "sc", handle)
        await elections.respond(ctx, who[handle], "sc", True)
    await elections.open_voting(ctx, who["sec"], "sc")
    before = await snapshot(ctx)
    with pytest.raises(Conflict) as refused:
        await scheduling.set_election_timeline(
            ctx, who["sec"], "sc", voting_close_at=when("2029-06-01 09:00")
        )
    assert refused.value.message == (
        "Voting in sc is open for 2 seat(s); closing it on 2029-06-01 would make it fill 5 seats, as the "
        "staggered terms of Steering Committee then require, so the voting deadline cannot move there."
    )
    assert refused.value.hint == (
        "(rule 'staggered-terms' of policy kubernetes 1.1) Choose a voting close by which the same terms end."
    )
    assert await snapshot(ctx) == before

    # Before Ada's term ends: Ivo's seat and a vacant one; still two seats, so the move is allowed.
    await scheduling.set_election_timeline(ctx, who["sec"], "sc", voting_close_at=when("2027-02-20 09:00"))
    assert "The term of Ivo Globex ends on 2027-02-01. 2 seats are vacant." in await _show(ctx, who, "sc")
    for handle in await _voters(ctx, who):
        if handle != "ivo":
            await elections.cast_ballot(ctx, who[handle], "sc", ["eve", "finn"])
    clock.set(when("2027-02-20 09:01"))
    await elections.close(ctx, who["sec"], "sc")
    await elections.certify(ctx, who["sec"], "sc")
    _, members = await bodies.members(ctx, "steering")
    assert {m.handle: m.state for m in members} == {
        "ada": "active",
        "ben": "active",
        "cleo": "active",
        "dev": "active",
        "eve": "active",
        "finn": "active",
        "ivo": "emeritus",
    }
    seated = await _seated(ctx)
    assert (seated["ada"], seated["eve"]) == (when("2027-03-01 09:00"), when("2029-02-20 09:00"))
    ended = [
        json.loads(e.payload) for e in await events(ctx, "body:steering") if e.kind == "membership.state"
    ]
    assert [(p["cause"], p["previous"]) for p in ended if p.get("cause") == "term-ended"] == [
        ("term-ended", "suspended")
    ]


async def test_a_chair_whose_staggered_term_ends_unreplaced_leaves_the_body_flagged_and_the_secretariat_told(
    ctx: Context, clock: ManualClock
) -> None:
    """Issue 20's last-chair rule meets staggered terms: certification vacates the seat of a chair whose
    term ended and who was not re-elected; with no chair left in office, the body is recorded as orphaned,
    flagged, and every admin told how to seat a chair."""
    who = await _steering(ctx)
    await bodies.seat(ctx, SYSTEM, "steering", "ada", "chair")
    for handle in ("ben", "cleo"):
        await bodies.seat(ctx, SYSTEM, "steering", handle)
    clock.set(when("2027-01-01 09:00"))
    await _term_ends(ctx, "ada", when("2027-02-01 09:00"))
    assert await chairs.orphaned(ctx) == set()
    ranking = ["dev", "eve", "finn", "gus", "hana"]
    assert len(await _run(ctx, clock, who, "sc-2027", when("2027-02-02 09:00"), ranking)) == 5
    (event,) = [e for e in await events(ctx, "body:steering") if e.kind == "body.orphaned"]
    assert json.loads(event.payload) == {"chair": "ada", "cause": "term-ended", "election": "sc-2027"}
    async with ctx.db.reading() as session:
        steering = (await session.execute(select(Body).where(col(Body.slug) == "steering"))).scalar_one()
    assert await chairs.orphaned(ctx) == {steering.id}
    (notice,) = [m for m in await outbox_rows(ctx) if m.kind == "body.orphaned"]
    assert "since Ada Acme's term ended at the certification of sc-2027" in notice_text(notice)
    await bodies.seat(ctx, SYSTEM, "steering", "dev", "chair")
    assert await chairs.orphaned(ctx) == set()
