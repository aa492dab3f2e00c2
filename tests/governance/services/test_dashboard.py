"""What awaits a person (``dashboard.for_person``): the same eligibility as the cast paths, one bounded
read whatever the number of open polls, and every kind of waiting item."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import event

from governance import seed
from governance.clock import ManualClock
from governance.errors import Forbidden, GovError
from governance.services import bodies, dashboard, elections, meetings, motions, roster
from governance.services.common import Actor, Context
from tests.factories import SYSTEM

HANDLES = [handle for handle, _name, _org, _admin in seed.PEOPLE]


async def actor(ctx: Context, handle: str) -> Actor:
    """The roster actor for ``handle``."""
    return await roster.actor_for_handle(ctx, handle)


async def open_board_election(ctx: Context) -> None:
    """The sample alliance with its board election open for votes for a week."""
    await seed.seed(ctx)
    await elections.open_voting(ctx, SYSTEM, "board-2027", ctx.now() + timedelta(days=7))


async def test_elections_listed_exactly_when_the_cast_path_takes_the_ballot(ctx: Context) -> None:
    """For every person on the roster: the election is listed iff ``cast_ballot`` accepts their ballot,
    and once it has, it is listed as voted."""
    await open_board_election(ctx)
    listed = {
        h: [e.slug for e in (await dashboard.for_person(ctx, await actor(ctx, h))).elections] for h in HANDLES
    }
    for handle in HANDLES:
        try:
            await elections.cast_ballot(ctx, await actor(ctx, handle), "board-2027", ["chen"])
            taken = True
        except GovError:
            taken = False
        assert taken == (listed[handle] == ["board-2027"]), handle
        after = (await dashboard.for_person(ctx, await actor(ctx, handle))).elections
        assert [e.voted for e in after] == ([True] if taken else [])
    assert {h for h, shown in listed.items() if shown} == {"alice", "bea", "carlos", "dana", "emma"}


async def test_motions_by_the_motion_policy_and_marked_once_voted(ctx: Context) -> None:
    await seed.seed(ctx, sample_election=False)
    motion = await motions.propose(ctx, await actor(ctx, "alice"), "toc", "Adopt the style guide")
    seated = {"alice", "bea", "chen", "dana"}  # the TOC's chair and members
    for handle in HANDLES:
        shown = (await dashboard.for_person(ctx, await actor(ctx, handle))).motions
        assert [m.id for m in shown] == ([motion.id] if handle in seated else []), handle
    await motions.vote(ctx, await actor(ctx, "bea"), motion.id or 0, "yes")
    (bea,) = (await dashboard.for_person(ctx, await actor(ctx, "bea"))).motions
    assert bea.voted and bea.body == "Technical Oversight Committee"
    assert (await dashboard.for_person(ctx, await actor(ctx, "bea"))).votes_waiting == 0
    assert (await dashboard.for_person(ctx, await actor(ctx, "chen"))).votes_waiting == 1


async def test_a_poll_past_its_deadline_is_not_offered(ctx: Context, clock: ManualClock) -> None:
    """The scheduler has not closed it yet, but no ballot would be taken: it is not listed."""
    await open_board_election(ctx)
    await motions.propose(ctx, await actor(ctx, "alice"), "toc", "Adopt the style guide")
    clock.advance(timedelta(days=30))
    board = await dashboard.for_person(ctx, await actor(ctx, "alice"))
    assert board.elections == [] and board.motions == []


async def test_nominations_join_requests_groups_and_meetings(ctx: Context) -> None:
    await seed.seed(ctx, sample_election=False)
    await elections.create_election(ctx, SYSTEM, "board", "board-2028", "Board 2028", seats=1)
    await elections.open_nominations(ctx, SYSTEM, "board-2028")
    await elections.nominate(ctx, await actor(ctx, "alice"), "board-2028", "bea")  # waits for bea
    await elections.nominate(ctx, await actor(ctx, "chen"), "board-2028")  # self: accepted already
    await bodies.request_join(ctx, await actor(ctx, "farid"), "safety")
    dana = await actor(ctx, "dana")
    await meetings.schedule_meeting(ctx, dana, "safety", "weekly mon", "09:00", "Europe/Paris")

    bea = await dashboard.for_person(ctx, await actor(ctx, "bea"))
    assert [(n.election, n.title) for n in bea.nominations] == [("board-2028", "Board 2028")]
    assert (await dashboard.for_person(ctx, await actor(ctx, "chen"))).nominations == []

    chair = await dashboard.for_person(ctx, dana)
    assert chair.chaired == ["safety"]
    assert [(r.group, r.handle) for r in chair.join_requests] == [("safety", "farid")]
    assert [(g.slug, g.role, g.pending) for g in chair.groups] == [("safety", "chair", False)]
    (meeting,) = chair.meetings
    assert meeting.group == "safety" and meeting.starts_at > ctx.now()
    assert meeting.starts_at.astimezone(meeting.starts_at.tzinfo).weekday() == 0

    farid = await dashboard.for_person(ctx, await actor(ctx, "farid"))
    assert [(g.slug, g.pending) for g in farid.groups] == [("safety", True)]
    assert farid.join_requests == [] and farid.chaired == [] and farid.meetings == []


async def test_only_a_person_has_a_dashboard(ctx: Context) -> None:
    with pytest.raises(Forbidden, match="Only a person on the roster"):
        await dashboard.for_person(ctx, SYSTEM)


async def count_queries(ctx: Context, handle: str) -> tuple[int, dashboard.Dashboard]:
    """How many SQL statements one ``for_person`` runs, and what it returned."""
    statements: list[str] = []
    who = await actor(ctx, handle)

    def seen(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        statements.append(statement)

    engine = ctx.db.engine.sync_engine
    event.listen(engine, "before_cursor_execute", seen)
    try:
        board = await dashboard.for_person(ctx, who)
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    return len(statements), board


async def test_query_count_does_not_grow_with_open_polls(ctx: Context) -> None:
    """No query per election, motion or body: 2 open polls or 24 (in 12 bodies) cost the same number of
    statements."""
    await seed.seed(ctx, sample_election=False)
    close = ctx.now() + timedelta(days=7)
    alice = await actor(ctx, "alice")

    async def open_polls(first: int, count: int) -> None:
        for i in range(first, first + count):
            await bodies.create_body(ctx, SYSTEM, f"board-{i}", f"Board {i}", "board")  # its own seats
            await elections.create_election(ctx, SYSTEM, f"board-{i}", f"poll-{i}", f"Poll {i}", seats=1)
            await elections.open_nominations(ctx, SYSTEM, f"poll-{i}")
            await elections.nominate(ctx, await actor(ctx, "chen"), f"poll-{i}")
            await elections.open_voting(ctx, SYSTEM, f"poll-{i}", close)
            await motions.propose(ctx, alice, "toc", f"Motion {i}")

    await open_polls(0, 1)
    few, small = await count_queries(ctx, "alice")
    await open_polls(1, 11)
    await elections.cast_ballot(ctx, alice, "poll-3", ["chen"])
    many, large = await count_queries(ctx, "alice")
    assert (len(small.elections), len(small.motions)) == (1, 1)
    assert (len(large.elections), len(large.motions)) == (12, 12)
    assert [e.slug for e in large.elections if e.voted] == ["poll-3"]
    assert 0 < many == few, f"{few} statements for 2 open polls, {many} for 24"
