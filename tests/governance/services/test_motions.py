"""Motions through the services, on SQLite and PostgreSQL: propose under the policy, vote and change the
vote, roll call or secret ballot, refusals that write nothing, and outcomes (passed / failed / no quorum)
for ordinary (simple majority) and charter (two-thirds) motions."""

from __future__ import annotations

import asyncio
import itertools
import json
from datetime import timedelta
from fractions import Fraction

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from governance import seed
from governance.clock import ManualClock
from governance.errors import Closed, Conflict, Forbidden, InvalidInput, NotFound
from governance.models import Ballot, Motion, OutboxMessage, Voter
from governance.policies import load_policy
from governance.services import bodies, motions, roster
from governance.services.common import Context
from governance.tally import count_motion
from tests.factories import SECRET_ON_REQUEST, SYSTEM, TOC, as_, notice_params, refused, secret_toc
from tests.factories import verified_events as events


async def toc(ctx: Context) -> None:
    """The sample alliance, whose technical oversight committee has four voting members."""
    await seed.seed(ctx)


async def vote_all(ctx: Context, ref: int, votes: dict[str, str]) -> None:
    for handle, choice in votes.items():
        await motions.vote(ctx, await as_(ctx, handle), ref, choice)


async def motion_rows(ctx: Context, ref: int) -> tuple[int, int]:
    """(ballots, voters) of a motion."""
    async with ctx.db.reading() as s:
        b = (
            await s.execute(select(func.count()).select_from(Ballot).where(Ballot.motion_id == ref))
        ).scalar_one()
        v = (
            await s.execute(select(func.count()).select_from(Voter).where(Voter.motion_id == ref))
        ).scalar_one()
        return b, v


async def test_propose_takes_quorum_threshold_and_seats_from_the_policy(
    ctx: Context, clock: ManualClock
) -> None:
    await toc(ctx)
    policy = load_policy("alliance")
    m = await motions.propose(ctx, await as_(ctx, "bea"), "toc", "Adopt the model card template", "Text.")
    assert (m.kind, m.phase, m.seated, m.secret) == ("ordinary", "open", 4, False)
    assert (Fraction(m.quorum), Fraction(m.threshold), m.threshold_of, m.threshold_strict) == (
        Fraction(1, 2),
        Fraction(1, 2),
        "cast_excluding_abstentions",
        True,
    )
    assert m.deadline == clock.now() + timedelta(days=7)
    assert (m.policy_name, m.policy_version, m.policy_hash) == ("alliance", policy.version, policy.sha256)
    charter = await motions.propose(
        ctx,
        await as_(ctx, "sec"),
        "toc",
        "Amend the charter",
        kind="charter",
        deadline=clock.now() + timedelta(days=10),  # a charter change has at least 7 days
    )
    assert (Fraction(charter.threshold), charter.threshold_strict) == (Fraction(2, 3), False)
    assert charter.deadline == clock.now() + timedelta(days=10)
    proposed = (await events(ctx, f"motion:{m.id}"))[0]
    payload = json.loads(proposed.payload)
    assert proposed.kind == "motion.proposed" and proposed.actor == "person:bea"
    assert payload["policy"] == policy.identity and payload["seated"] == 4
    async with ctx.db.reading() as s:
        proposed_notices = select(OutboxMessage).where(OutboxMessage.kind == "motion.proposed")
        notices = (await s.execute(proposed_notices)).scalars().all()
    assert any(n.kind == "motion.proposed" and notice_params(n)["secret"] is False for n in notices)


async def test_proposal_refusals(ctx: Context, clock: ManualClock) -> None:
    await toc(ctx)
    bea, emma = await as_(ctx, "bea"), await as_(ctx, "emma")
    err = await refused(
        ctx,
        Forbidden,
        "Only members of Technical Oversight Committee propose",
        motions.propose(ctx, emma, "toc", "Something"),
    )
    assert isinstance(err, Forbidden) and err.rule == "members-propose"
    await refused(
        ctx,
        InvalidInput,
        "Unknown kind of motion 'urgent'",
        motions.propose(ctx, bea, "toc", "T", kind="urgent"),
    )
    await refused(ctx, InvalidInput, "needs a title", motions.propose(ctx, bea, "toc", "   "))
    await refused(
        ctx,
        InvalidInput,
        "in the past",
        motions.propose(ctx, bea, "toc", "T", deadline=clock.now() - timedelta(minutes=1)),
    )
    await refused(ctx, NotFound, "No body or working group 'nope'", motions.propose(ctx, bea, "nope", "T"))
    await bodies.create_body(ctx, SYSTEM, "empty", "Empty Committee", "committee")
    await refused(ctx, Conflict, "no voting members", motions.propose(ctx, SYSTEM, "empty", "T"))


async def test_vote_change_and_roll_call(ctx: Context, clock: ManualClock) -> None:
    await toc(ctx)
    m = await motions.propose(ctx, await as_(ctx, "alice"), "toc", "Adopt")
    assert m.id is not None
    r = await motions.vote(ctx, await as_(ctx, "bea"), m.id, "yes")
    assert (r.choice, r.replaced, r.public) == ("yes", False, True)
    await motions.vote(ctx, await as_(ctx, "chen"), f"M{m.id}", " No ")
    await motions.vote(ctx, await as_(ctx, "dana"), str(m.id), "abstain")
    changed = await motions.vote(ctx, await as_(ctx, "chen"), m.id, "yes")
    assert changed.replaced and changed.choice == "yes"
    assert await motion_rows(ctx, m.id) == (3, 3)
    view = await motions.show(ctx, m.id)
    assert view.voters == 3
    assert view.roll_call == [("Béatrice Dubois", "yes"), ("Chen Wei", "yes"), ("Dana Kowalski", "abstain")]
    kinds = [e.kind for e in await events(ctx, f"motion:{m.id}")]
    assert kinds == ["motion.proposed", "motion.voted", "motion.voted", "motion.voted", "motion.vote_changed"]
    voted = [json.loads(e.payload) for e in await events(ctx, f"motion:{m.id}") if e.kind == "motion.voted"]
    assert voted[0] == {"voter": "bea", "choice": "yes"}  # roll call: the log says who voted what


async def test_secret_motion_keeps_no_roll_call(ctx: Context, clock: ManualClock) -> None:
    body = await secret_toc(ctx)
    m = await motions.propose(ctx, await as_(ctx, "alice"), body, "Sensitive", secret=True)
    assert m.id is not None and m.secret
    r = await motions.vote(ctx, await as_(ctx, "bea"), m.id, "no")
    assert not r.public
    await motions.vote(ctx, await as_(ctx, "chen"), m.id, "yes")
    await motions.vote(ctx, await as_(ctx, "bea"), m.id, "yes")
    view = await motions.show(ctx, m.id)
    assert view.roll_call == [] and view.voters == 2
    async with ctx.db.reading() as s:
        assert set((await s.execute(select(Ballot.voter_id).where(Ballot.motion_id == m.id))).scalars()) == {
            None
        }
    for e in await events(ctx, f"motion:{m.id}"):
        if e.kind.startswith("motion.vote"):
            assert json.loads(e.payload) == {}
    outcome = await motions.close(ctx, SYSTEM, m.id)
    assert (outcome.yes, outcome.no) == (2, 0)


async def test_vote_refusals(ctx: Context, clock: ManualClock) -> None:
    await toc(ctx)
    m = await motions.propose(ctx, await as_(ctx, "alice"), "toc", "Adopt")
    assert m.id is not None
    bea = await as_(ctx, "bea")
    err = await refused(ctx, InvalidInput, "'maybe' is not a vote", motions.vote(ctx, bea, m.id, "maybe"))
    assert err.hint == "Vote yes, no or abstain."
    await refused(ctx, NotFound, "No motion M99", motions.vote(ctx, bea, 99, "yes"))
    await refused(ctx, InvalidInput, "not a motion number", motions.vote(ctx, bea, "abc", "yes"))
    err = await refused(
        ctx,
        Forbidden,
        "Emma Okafor is not a voting member",
        motions.vote(ctx, await as_(ctx, "emma"), m.id, "yes"),
    )
    assert isinstance(err, Forbidden) and err.rule == "members-only"
    await refused(ctx, Forbidden, "person", motions.vote(ctx, SYSTEM, m.id, "yes"))
    await roster.update_person(ctx, SYSTEM, "dana", status="suspended")
    await refused(ctx, Forbidden, "suspended", motions.vote(ctx, await as_(ctx, "dana"), m.id, "yes"))
    await motions.vote(ctx, bea, m.id, "yes")
    clock.advance(timedelta(days=7))
    err = await refused(ctx, Closed, "closed at .*not counted", motions.vote(ctx, bea, m.id, "no"))
    await refused(ctx, Closed, "closed at", motions.vote(ctx, await as_(ctx, "chen"), m.id, "no"))
    assert await motion_rows(ctx, m.id) == (1, 1)


async def test_closing_before_the_deadline_is_for_the_secretariat(ctx: Context, clock: ManualClock) -> None:
    await toc(ctx)
    m = await motions.propose(ctx, await as_(ctx, "alice"), "toc", "Adopt")
    assert m.id is not None
    await vote_all(ctx, m.id, {"alice": "yes", "bea": "yes", "chen": "no"})
    err = await refused(ctx, Forbidden, "open until", motions.close(ctx, await as_(ctx, "alice"), m.id))
    assert err.hint and "secretariat" in err.hint
    outcome = await motions.close(ctx, await as_(ctx, "sec"), m.id)
    assert outcome.passed
    closed = [e for e in await events(ctx, f"motion:{m.id}") if e.kind == "motion.closed"]
    assert json.loads(closed[0].payload)["early"] is True
    await refused(ctx, Conflict, "already closed", motions.close(ctx, await as_(ctx, "sec"), m.id))
    await refused(ctx, Closed, "no longer taken", motions.vote(ctx, await as_(ctx, "dana"), m.id, "no"))
    # after the deadline, anyone (the scheduler, a member) may close
    m2 = await motions.propose(ctx, await as_(ctx, "alice"), "toc", "Later")
    clock.advance(timedelta(days=7))
    outcome2 = await motions.close(ctx, await as_(ctx, "bea"), m2.id or 0)
    assert not outcome2.quorum_met


ORDINARY = [  # (votes, outcome): simple majority of yes+no, quorum 2 of 4 with abstentions counting
    ({"alice": "yes", "bea": "yes", "chen": "no"}, "passed"),
    ({"alice": "yes", "bea": "no"}, "failed"),  # a tie is not a majority
    ({"alice": "yes"}, "no_quorum"),
    ({"alice": "yes", "bea": "abstain"}, "passed"),  # abstentions make quorum but do not weigh
    ({"alice": "abstain", "bea": "abstain"}, "failed"),  # quorum met, nobody for or against
    ({"alice": "no", "bea": "no", "chen": "yes", "dana": "yes"}, "failed"),
    ({}, "no_quorum"),
]
CHARTER = [  # two thirds of yes+no, at least
    ({"alice": "yes", "bea": "yes", "chen": "no"}, "passed"),  # exactly 2/3
    ({"alice": "yes", "bea": "no", "chen": "abstain"}, "failed"),
    ({"alice": "yes", "bea": "yes", "chen": "yes", "dana": "no"}, "passed"),
    ({"alice": "yes", "bea": "yes", "chen": "no", "dana": "no"}, "failed"),
    ({"alice": "yes", "bea": "yes", "chen": "abstain", "dana": "abstain"}, "passed"),
    ({"alice": "yes"}, "no_quorum"),
]


async def test_outcomes_of_ordinary_and_charter_motions(ctx: Context, clock: ManualClock) -> None:
    await toc(ctx)
    sec = await as_(ctx, "sec")
    cases = [("ordinary", v, o) for v, o in ORDINARY] + [("charter", v, o) for v, o in CHARTER]
    refs = []
    for kind, votes, _ in cases:
        m = await motions.propose(ctx, sec, "toc", f"{kind} {votes}", kind=kind)
        assert m.id is not None
        await vote_all(ctx, m.id, votes)
        refs.append(m.id)
    clock.advance(timedelta(days=8))
    for ref, (kind, votes, expected) in zip(refs, cases, strict=True):
        outcome = await motions.close(ctx, SYSTEM, ref)
        stored = (await motions.show(ctx, ref)).motion
        assert stored.outcome == expected, (kind, votes, outcome.reason)
        assert outcome.passed == (expected == "passed")
        assert outcome.counts == {c: list(votes.values()).count(c) for c in ("yes", "no", "abstain")}
        assert stored.result is not None and json.loads(stored.result)["passed"] == outcome.passed


async def test_members_seated_after_the_proposal_can_vote_and_the_close_still_counts(
    ctx: Context, clock: ManualClock
) -> None:
    """The motion stores 4 seated members; a fifth seated later votes. The count must not break."""
    await toc(ctx)
    m = await motions.propose(ctx, await as_(ctx, "alice"), "toc", "Adopt")
    assert m.id is not None
    await bodies.seat(ctx, SYSTEM, "toc", "emma")
    await vote_all(ctx, m.id, {"alice": "yes", "bea": "yes", "chen": "yes", "dana": "no", "emma": "no"})
    clock.advance(timedelta(days=7))
    outcome = await motions.close(ctx, SYSTEM, m.id)
    assert outcome.passed and (outcome.yes, outcome.no) == (3, 2)
    assert outcome.seated >= 5


async def test_withdraw(ctx: Context, clock: ManualClock) -> None:
    await toc(ctx)
    m = await motions.propose(ctx, await as_(ctx, "bea"), "toc", "Adopt")
    assert m.id is not None
    await refused(
        ctx,
        Forbidden,
        "Only the proposer or the secretariat",
        motions.withdraw(ctx, await as_(ctx, "chen"), m.id),
    )
    withdrawn = await motions.withdraw(ctx, await as_(ctx, "bea"), m.id)
    assert withdrawn.phase == "withdrawn" and withdrawn.closed_at == clock.now()
    await refused(ctx, Conflict, "already withdrawn", motions.withdraw(ctx, await as_(ctx, "bea"), m.id))
    await refused(ctx, Closed, "withdrawn", motions.vote(ctx, await as_(ctx, "chen"), m.id, "yes"))
    await refused(ctx, Conflict, "already withdrawn", motions.close(ctx, SYSTEM, m.id))
    m2 = await motions.propose(ctx, await as_(ctx, "bea"), "toc", "Other")
    assert (await motions.withdraw(ctx, await as_(ctx, "sec"), m2.id or 0)).phase == "withdrawn"
    assert [e.kind for e in await events(ctx, f"motion:{m.id}")] == ["motion.proposed", "motion.withdrawn"]


async def test_double_vote_on_a_motion_from_two_concurrent_tasks(ctx: Context, clock: ManualClock) -> None:
    body = await secret_toc(ctx)
    m = await motions.propose(ctx, await as_(ctx, "alice"), body, "Adopt", secret=True)
    assert m.id is not None
    bea = await as_(ctx, "bea")
    for i in range(10):
        receipts = await asyncio.gather(
            motions.vote(ctx, bea, m.id, "yes"), motions.vote(ctx, bea, m.id, "no")
        )
        if i == 0:
            assert sorted(r.replaced for r in receipts) == [False, True]
        assert await motion_rows(ctx, m.id) == (1, 1)
    outcome = await motions.close(ctx, SYSTEM, m.id)
    assert outcome.yes + outcome.no == 1


async def test_votes_racing_the_close_are_counted_or_refused(ctx: Context, clock: ManualClock) -> None:
    await toc(ctx)
    m = await motions.propose(ctx, await as_(ctx, "alice"), "toc", "Adopt")
    assert m.id is not None
    voters = [await as_(ctx, h) for h in TOC]

    async def cast(handle_index: int) -> bool:
        try:
            await motions.vote(ctx, voters[handle_index], m.id or 0, "yes")
        except Closed:
            return False
        return True

    async def close_soon() -> int:
        await asyncio.sleep(0.005)
        return (await motions.close(ctx, SYSTEM, m.id or 0)).yes

    *acks, yes = await asyncio.gather(*(cast(i) for i in range(4)), close_soon())
    assert yes == sum(acks)


_motions = itertools.count(1)


@settings(
    max_examples=10,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    kind=st.sampled_from(["ordinary", "charter"]),
    secret=st.booleans(),
    votes=st.lists(st.tuples(st.sampled_from(TOC), st.sampled_from(["yes", "no", "abstain"])), max_size=8),
)
async def test_close_counts_each_members_last_vote(
    ctx: Context, clock: ManualClock, kind: str, secret: bool, votes: list[tuple[str, str]]
) -> None:
    if await seed.is_empty(ctx):
        await secret_toc(ctx)
    m = await motions.propose(ctx, SYSTEM, "stoc", f"random {next(_motions)}", kind=kind, secret=secret)
    assert m.id is not None
    last: dict[str, str] = {}
    for handle, choice in votes:
        r = await motions.vote(ctx, await as_(ctx, handle), m.id, choice)
        assert r.replaced == (handle in last)
        last[handle] = choice
    outcome = await motions.close(ctx, SYSTEM, m.id)
    rules = load_policy(SECRET_ON_REQUEST).motion_rules(None, kind)
    choices = list(last.values())
    expected = count_motion(
        choices.count("yes"),
        choices.count("no"),
        choices.count("abstain"),
        seated=4,
        quorum=rules.quorum,
        quorum_counts_abstentions=rules.quorum_counts_abstentions,
        threshold=rules.threshold,
        threshold_of=rules.threshold_of,
        strict=rules.strict,
    )
    assert outcome == expected
    stored = (await motions.show(ctx, m.id)).motion
    assert stored.outcome == (
        "passed" if expected.passed else "failed" if expected.quorum_met else "no_quorum"
    )
    async with ctx.db.reading() as s:
        motion = await s.get(Motion, m.id)
        assert motion is not None and motion.phase == "closed"
