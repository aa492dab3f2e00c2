"""Elections through the services, on SQLite and PostgreSQL: the whole lifecycle, every refusal (each
leaving the database exactly as it was), concurrent ballots, and counts checked against ``tally.count``.

The shared helpers (``refused``, ``as_``, ``board_election``, ``write_policy``...) are in ``tests.factories``.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import Awaitable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from governance import seed, tally
from governance.clock import ManualClock
from governance.errors import Closed, Conflict, Forbidden, InvalidInput, NotFound
from governance.models import (
    Ballot,
    BallotSlot,
    OutboxMessage,
    Voter,
)
from governance.policies import load_policy
from governance.services import bodies, elections, roster
from governance.services.common import Actor, Context
from tests.factories import (
    ANY_METHOD,
    SYSTEM,
    as_,
    board_election,
    committee,
    refused,
    write_policy,
)
from tests.factories import verified_events as events

# --------------------------------------------------------------------------------------------- helpers


async def ballot_count(ctx: Context, slug: str) -> tuple[int, int, int]:
    """(ballots, voters, slots) of an election."""
    async with ctx.db.reading() as s:
        election = await elections.election_by_slug(s, slug)
        n = []
        for model in (Ballot, Voter, BallotSlot):
            stmt = select(func.count()).select_from(model).where(model.election_id == election.id)  # type: ignore[attr-defined]
            n.append((await s.execute(stmt)).scalar_one())
        return n[0], n[1], n[2]


def independent_count(
    method: str,
    seats: int,
    candidates: list[str],
    rankings: list[list[list[str]]],
    seed_: str,
    caps: tally.GroupCap | None = None,
) -> tally.Result:
    """Count with ``governance.tally`` directly from handle rankings (candidate names = handles)."""
    index = {h: i for i, h in enumerate(candidates)}
    profile = tally.Profile.build(
        candidates, [([[index[h] for h in tier] for tier in r], 1) for r in rankings]
    )
    return tally.count(method, profile, seats, seed=seed_, caps=caps)


# ------------------------------------------------------------------------------------------- lifecycle


async def test_whole_lifecycle_records_policy_and_seats_the_elected(ctx: Context, clock: ManualClock) -> None:
    await seed.seed(ctx, sample_election=False)
    sec = await as_(ctx, "sec")
    policy = load_policy("alliance")
    election = await elections.create_election(ctx, sec, "board", "board-2028", "Board 2028", seats=2)
    assert (election.phase, election.seats, election.method, election.secret) == (
        "draft",
        2,
        "stv-meek",
        True,
    )
    assert (election.policy_name, election.policy_version, election.policy_hash) == (
        "alliance",
        policy.version,
        policy.sha256,
    )
    created = (await events(ctx, "election:board-2028"))[0]
    assert created.kind == "election.created" and created.actor == "person:sec"
    assert json.loads(created.payload)["policy"] == policy.identity

    await refused(
        ctx, Closed, "not open", elections.nominate(ctx, await as_(ctx, "alice"), "board-2028", "arjun")
    )
    opened = await elections.open_nominations(ctx, sec, "board-2028", clock.now() + timedelta(days=3))
    assert opened.phase == "nominating"

    alice, bea, carlos = await as_(ctx, "alice"), await as_(ctx, "bea"), await as_(ctx, "carlos")
    arjun, farid, chen = await as_(ctx, "arjun"), await as_(ctx, "farid"), await as_(ctx, "chen")
    dana, emma = await as_(ctx, "dana"), await as_(ctx, "emma")
    c = await elections.nominate(ctx, alice, "board-2028", "arjun")
    assert c.status == "nominated"  # nominated by another: waits for the nominee
    c = await elections.respond(ctx, arjun, "board-2028", True, "Ship open models.")
    assert (c.status, c.statement) == ("accepted", "Ship open models.")
    await elections.nominate(ctx, bea, "board-2028", "farid")
    assert (await elections.respond(ctx, farid, "board-2028", False)).status == "declined"
    assert (await elections.nominate(ctx, chen, "board-2028")).status == "accepted"  # self: accepted at once
    assert (await elections.nominate(ctx, bea, "board-2028", "bea")).status == "accepted"
    await elections.nominate(ctx, dana, "board-2028")
    assert (await elections.withdraw(ctx, dana, "board-2028")).status == "withdrawn"
    await elections.nominate(ctx, carlos, "board-2028", "emma")  # emma never answers
    assert (
        await elections.set_statement(ctx, chen, "board-2028", "  Safety first.  ")
    ).statement == "Safety first."
    async with ctx.db.reading() as s:
        dm = (
            await s.execute(select(OutboxMessage).where(OutboxMessage.kind == "candidate.nominated"))
        ).scalars()
        assert {m.person_id for m in dm} >= {arjun.person_id, farid.person_id, emma.person_id}

    await elections.open_voting(ctx, sec, "board-2028", clock.now() + timedelta(days=7))
    view = await elections.show(ctx, "board-2028")
    assert view.election.phase == "voting"
    status = {p.handle: c.status for c, p in view.candidates}
    assert status == {
        "arjun": "accepted",
        "farid": "declined",
        "chen": "accepted",
        "bea": "accepted",
        "dana": "withdrawn",
        "emma": "lapsed",
    }

    ballots = {
        "alice": ["arjun", "chen"],
        "bea": ["bea", "arjun"],
        "carlos": ["chen", "arjun"],
        "dana": ["arjun", "chen"],
        "emma": ["bea", "chen"],
    }
    for handle, ranking in ballots.items():
        receipt = await elections.cast_ballot(ctx, await as_(ctx, handle), "board-2028", ranking)
        assert not receipt.replaced and receipt.ranking == [[h] for h in ranking]
    again = await elections.cast_ballot(ctx, emma, "board-2028", ["arjun", "bea"])  # emma changes her mind
    assert again.replaced
    ballots["emma"] = ["arjun", "bea"]
    assert await ballot_count(ctx, "board-2028") == (5, 5, 5)
    assert (await elections.show(ctx, "board-2028")).voters == 5

    result = await elections.close(ctx, sec, "board-2028")
    stored = await elections.result(ctx, "board-2028")
    assert stored.elected == result.elected and stored.ballots == 5
    # the same count done independently from the ballots as cast (display names are people's names)
    names = {"arjun": "Arjun Rao", "bea": "Béatrice Dubois", "chen": "Chen Wei"}
    closed = (await elections.show(ctx, "board-2028")).election
    order = [
        p.handle for c, p in sorted(view.candidates, key=lambda cp: cp[0].id or 0) if c.status == "accepted"
    ]
    caps = tally.GroupCap({names["arjun"]: "acme", names["bea"]: "globex", names["chen"]: "initech"}, 1)
    index = {h: i for i, h in enumerate(order)}
    profile = tally.Profile.build(
        [names[h] for h in order], [([[index[h]] for h in r], 1) for r in ballots.values()]
    )
    expected = tally.count("stv-meek", profile, 2, seed=closed.seed, caps=caps)
    assert sorted(result.elected) == sorted(expected.elected)
    assert sorted(result.elected) == ["Arjun Rao", "Chen Wei"]
    assert closed.phase == "closed" and closed.closed_at == clock.now()

    with pytest.raises(Conflict, match="only an election in voting can be closed"):
        await elections.close(ctx, sec, "board-2028")
    certified = await elections.certify(ctx, sec, "board-2028")
    assert certified.phase == "certified" and certified.certified_by_id == sec.person_id
    _, board = await bodies.members(ctx, "board")
    assert {(r.handle, r.role) for r in board} == {("arjun", "member"), ("chen", "member")}
    kinds = [e.kind for e in await events(ctx, "election:board-2028")]
    assert kinds[0] == "election.created" and kinds[-2:] == ["election.closed", "election.certified"]
    assert kinds.count("ballot.cast") == 5 and kinds.count("ballot.replaced") == 1
    for e in await events(ctx, "election:board-2028"):
        if e.kind in ("election.closed", "election.certified"):
            assert json.loads(e.payload)["policy"] == policy.identity


async def test_certify_needs_a_closed_election(ctx: Context, clock: ManualClock) -> None:
    await board_election(ctx, clock)
    await refused(
        ctx,
        Conflict,
        "only a closed election can be certified",
        elections.certify(ctx, await as_(ctx, "sec"), "board-2027"),
    )


# ----------------------------------------------------------------------------------------- refusals


async def test_unknown_election(ctx: Context, clock: ManualClock) -> None:
    await board_election(ctx, clock)
    alice = await as_(ctx, "alice")
    err = await refused(
        ctx, NotFound, "No election 'nope'", elections.cast_ballot(ctx, alice, "nope", ["chen"])
    )
    assert err.suggestion is not None and err.suggestion.commands == (("election", "list"),)
    assert err.suggestion.sentence == "see"  # rendered per platform in tests/bot/publish/test_notices.py
    await refused(ctx, NotFound, "No election", elections.close(ctx, await as_(ctx, "sec"), "nope"))
    await refused(ctx, NotFound, "No election", elections.nominate(ctx, alice, "nope"))


async def test_unknown_candidate(ctx: Context, clock: ManualClock) -> None:
    await board_election(ctx, clock)
    err = await refused(
        ctx,
        InvalidInput,
        "zed is not a candidate",
        elections.cast_ballot(ctx, await as_(ctx, "alice"), "board-2027", ["chen", "zed"]),
    )
    assert err.hint and "chen" in err.hint  # the hint lists who is standing


async def test_candidate_not_standing(ctx: Context, clock: ManualClock) -> None:
    """Declined, withdrawn (during voting) and lapsed (never accepted) nominees cannot be voted for."""
    await board_election(ctx, clock, voting=False)
    sec, alice = await as_(ctx, "sec"), await as_(ctx, "alice")
    for handle in ("carlos", "bea", "alice"):
        await elections.nominate(ctx, sec, "board-2027", handle)
    await elections.respond(ctx, await as_(ctx, "carlos"), "board-2027", False)
    await elections.respond(ctx, await as_(ctx, "bea"), "board-2027", True)
    await elections.open_voting(ctx, sec, "board-2027", clock.now() + timedelta(days=7))
    await elections.withdraw(ctx, await as_(ctx, "bea"), "board-2027")
    for handle, how in (("carlos", "declined"), ("bea", "withdrawn"), ("alice", "lapsed")):
        await refused(
            ctx,
            InvalidInput,
            f"{handle} is not standing \\({how}\\)",
            elections.cast_ballot(ctx, alice, "board-2027", ["chen", handle]),
        )
    assert await ballot_count(ctx, "board-2027") == (0, 0, 0)


async def test_duplicate_ranks_and_empty_ballots(ctx: Context, clock: ManualClock) -> None:
    await board_election(ctx, clock)
    alice = await as_(ctx, "alice")
    for choices in (["chen", "chen"], ["chen", "dana", "chen"], ["chen=dana", "dana"], ["@Chen", "chen"]):
        err = await refused(
            ctx,
            InvalidInput,
            "(chen|dana) ranked more than once",
            elections.cast_ballot(ctx, alice, "board-2027", choices),
        )
        assert err.hint == "Rank each candidate at most once."
    err = await refused(
        ctx, InvalidInput, "The ballot is empty", elections.cast_ballot(ctx, alice, "board-2027", [])
    )
    assert err.hint and "at least one candidate" in err.hint
    for choices in ([""], ["="], ["chen="]):
        await refused(
            ctx,
            InvalidInput,
            "is not a candidate or a tie",
            elections.cast_ballot(ctx, alice, "board-2027", choices),
        )
    assert await ballot_count(ctx, "board-2027") == (0, 0, 0)


async def test_ties_refused_where_the_method_forbids_them(ctx: Context, clock: ManualClock) -> None:
    await board_election(ctx, clock)
    err = await refused(
        ctx,
        InvalidInput,
        "Meek STV ballots cannot rank candidates equally",
        elections.cast_ballot(ctx, await as_(ctx, "alice"), "board-2027", ["chen=dana", "emma"]),
    )
    assert err.hint and "own rank" in err.hint


async def test_ties_accepted_by_condorcet_methods(ctx: Context, clock: ManualClock) -> None:
    await seed.seed(ctx)
    sec = await as_(ctx, "sec")
    await committee(ctx, "tc", ["bea", "chen", "dana", "emma"], policy=ANY_METHOD)
    await elections.create_election(ctx, sec, "tc", "tc-chair", seats=1, method="schulze")
    await elections.open_nominations(ctx, sec, "tc-chair")
    for h in ("bea", "chen", "dana"):
        await elections.nominate(ctx, await as_(ctx, h), "tc-chair")
    await elections.open_voting(ctx, sec, "tc-chair")
    receipt = await elections.cast_ballot(ctx, await as_(ctx, "emma"), "tc-chair", ["chen=dana", "bea"])
    assert receipt.ranking == [["chen", "dana"], ["bea"]]


async def test_a_condorcet_irv_election_is_cast_ranked_and_counted(ctx: Context, clock: ManualClock) -> None:
    """CNCF's method end to end: ranked ballots through the cast path, the Condorcet winner elected at the
    close (the method's own rounds are tested in tests/governance/tally/test_condorcet_irv.py)."""
    await seed.seed(ctx)
    sec = await as_(ctx, "sec")
    await committee(ctx, "tc", ["bea", "chen", "dana", "emma"], policy=ANY_METHOD)
    await elections.create_election(ctx, sec, "tc", "tc-chair", seats=1, method="condorcet-irv")
    await elections.open_nominations(ctx, sec, "tc-chair")
    for h in ("bea", "chen", "dana"):
        await elections.nominate(ctx, await as_(ctx, h), "tc-chair")
    await elections.open_voting(ctx, sec, "tc-chair")
    ballots = {"bea": ["bea", "chen", "dana"], "emma": ["chen", "bea", "dana"],
               "chen": ["chen", "dana", "bea"], "dana": ["dana", "chen", "bea"]}  # fmt: skip
    for voter, ranking in ballots.items():
        receipt = await elections.cast_ballot(ctx, await as_(ctx, voter), "tc-chair", ranking)
        assert receipt.ranking == [[h] for h in ranking]
    closed = await elections.close(ctx, sec, "tc-chair")
    assert closed.elected == ["Chen Wei"]  # chen beats bea and dana 3 to 1 head to head


async def test_ineligible_voter(ctx: Context, clock: ManualClock) -> None:
    """Not the organisation's voting representative; no organisation; suspended; organisation inactive."""
    await board_election(ctx, clock)

    async def refuse(handle: str, rule: str, match: str) -> None:
        err = await refused(
            ctx, Forbidden, match, elections.cast_ballot(ctx, await as_(ctx, handle), "board-2027", ["chen"])
        )
        assert isinstance(err, Forbidden) and err.rule == rule
        assert err.hint and "policy alliance" in err.hint  # names the policy that refused

    await refuse("arjun", "one-vote-per-organisation", "not the designated voting representative of Acme AI")
    await refuse("sec", "board-electorate", "not with an active member organisation")
    await roster.update_person(ctx, SYSTEM, "alice", status="suspended")
    await refuse("alice", "member-state", "Alice Martin is suspended")
    assert await ballot_count(ctx, "board-2027") == (0, 0, 0)
    await elections.cast_ballot(ctx, await as_(ctx, "carlos"), "board-2027", ["chen"])
    assert await ballot_count(ctx, "board-2027") == (1, 1, 1)
    # The electorate was frozen when voting opened: an organisation made inactive since keeps its vote.
    await roster.update_organisation(ctx, SYSTEM, "globex", active=False)
    await elections.cast_ballot(ctx, await as_(ctx, "bea"), "board-2027", ["chen"])
    assert await ballot_count(ctx, "board-2027") == (2, 2, 2)


async def test_member_election_refuses_non_members(ctx: Context, clock: ManualClock) -> None:
    await seed.seed(ctx)
    sec = await as_(ctx, "sec")
    await committee(ctx, "tc", ["bea", "chen", "dana"])
    await elections.create_election(ctx, sec, "tc", "tc-chair")
    await elections.open_nominations(ctx, sec, "tc-chair")
    await elections.nominate(ctx, await as_(ctx, "chen"), "tc-chair")
    err = await refused(
        ctx, Forbidden, "not a member", elections.nominate(ctx, await as_(ctx, "emma"), "tc-chair")
    )
    assert isinstance(err, Forbidden) and err.rule == "members-only"
    await elections.open_voting(ctx, sec, "tc-chair")
    err = await refused(
        ctx,
        Forbidden,
        "not a voting member",
        elections.cast_ballot(ctx, await as_(ctx, "emma"), "tc-chair", ["chen"]),
    )
    assert await elections.cast_ballot(ctx, await as_(ctx, "bea"), "tc-chair", ["chen"])


async def test_ballot_after_the_deadline(ctx: Context, clock: ManualClock) -> None:
    await board_election(ctx, clock)
    alice = await as_(ctx, "alice")
    await elections.cast_ballot(ctx, alice, "board-2027", ["chen"])
    clock.advance(timedelta(days=7))  # exactly at the deadline: closed
    err = await refused(
        ctx, Closed, "closed at .*not counted", elections.cast_ballot(ctx, alice, "board-2027", ["dana"])
    )
    assert "2026-01-12 09:00" in err.message
    clock.advance(timedelta(hours=1))
    await refused(
        ctx, Closed, "closed at", elections.cast_ballot(ctx, await as_(ctx, "bea"), "board-2027", ["chen"])
    )
    assert (await elections.show(ctx, "board-2027")).election.phase == "voting"
    result = await elections.close(ctx, await as_(ctx, "sec"), "board-2027")
    assert result.ballots == 1 and result.elected[0] == "Chen Wei"


async def test_ballot_before_voting_opens(ctx: Context, clock: ManualClock) -> None:
    await board_election(ctx, clock, voting=False)
    err = await refused(
        ctx,
        Closed,
        "not open for voting \\(it is nominating\\)",
        elections.cast_ballot(ctx, await as_(ctx, "alice"), "board-2027", ["chen"]),
    )
    assert "Board of Directors 2027" in err.message


async def test_only_the_secretariat_runs_elections(ctx: Context, clock: ManualClock) -> None:
    await seed.seed(ctx, sample_election=False)
    sec, alice = await as_(ctx, "sec"), await as_(ctx, "alice")

    async def refuse(attempt: Awaitable[Any]) -> None:
        err = await refused(ctx, Forbidden, "Only the secretariat", attempt)
        assert isinstance(err, Forbidden) and err.rule == "secretariat-runs-elections"

    await refuse(elections.create_election(ctx, alice, "board", "b3"))
    await elections.create_election(ctx, sec, "board", "b2", seats=1)
    await refuse(elections.open_nominations(ctx, alice, "b2"))
    await elections.open_nominations(ctx, sec, "b2")
    await elections.nominate(ctx, await as_(ctx, "chen"), "b2")
    await refuse(elections.open_voting(ctx, alice, "b2"))
    await refuse(elections.withdraw(ctx, alice, "b2", "chen"))  # someone else's candidacy
    await elections.open_voting(ctx, sec, "b2")
    await elections.cast_ballot(ctx, alice, "b2", ["chen"])
    await refuse(elections.close(ctx, alice, "b2"))
    await elections.close(ctx, sec, "b2")
    await refuse(elections.certify(ctx, alice, "b2"))
    await elections.certify(ctx, sec, "b2")


async def test_nominating_outside_the_window(ctx: Context, clock: ManualClock) -> None:
    await seed.seed(ctx, sample_election=False)
    sec, alice = await as_(ctx, "sec"), await as_(ctx, "alice")
    await elections.create_election(ctx, sec, "board", "b2", seats=1)
    await refused(ctx, Closed, "not open \\(it is draft\\)", elections.nominate(ctx, alice, "b2", "chen"))
    await elections.open_nominations(ctx, sec, "b2", clock.now() + timedelta(days=2))
    await elections.nominate(ctx, await as_(ctx, "chen"), "b2")
    clock.advance(timedelta(days=2))
    await refused(ctx, Closed, "closed at 2026-01-07 09:00", elections.nominate(ctx, alice, "b2", "dana"))
    await elections.open_voting(ctx, sec, "b2")
    await refused(ctx, Closed, "not open \\(it is voting\\)", elections.nominate(ctx, alice, "b2", "dana"))
    await refused(ctx, Closed, "not open", elections.respond(ctx, await as_(ctx, "chen"), "b2", False))


async def test_nomination_rules_under_the_alliance_policy(ctx: Context, clock: ManualClock) -> None:
    await board_election(ctx, clock, voting=False)
    alice, sec = await as_(ctx, "alice"), await as_(ctx, "sec")
    err = await refused(
        ctx, Conflict, "already a candidate", elections.nominate(ctx, alice, "board-2027", "chen")
    )
    assert "Chen Wei" in err.message
    err = await refused(
        ctx,
        Forbidden,
        "not with an active member organisation",
        elections.nominate(ctx, alice, "board-2027", "sec"),
    )
    assert isinstance(err, Forbidden) and err.rule == "board-candidates"
    await refused(
        ctx, NotFound, "No person with handle 'ghost'", elections.nominate(ctx, alice, "board-2027", "ghost")
    )
    await roster.update_person(ctx, SYSTEM, "carlos", status="suspended")
    err = await refused(
        ctx, Forbidden, "suspended", elections.nominate(ctx, await as_(ctx, "carlos"), "board-2027")
    )
    assert isinstance(err, Forbidden) and err.rule == "member-state"
    await refused(ctx, Forbidden, "suspended", elections.nominate(ctx, sec, "board-2027", "carlos"))
    await refused(ctx, Forbidden, "person", elections.nominate(ctx, SYSTEM, "board-2027", "alice"))
    # a declined nominee may be nominated again; accepting twice is refused
    await elections.nominate(ctx, sec, "board-2027", "alice")
    await elections.respond(ctx, alice, "board-2027", False)
    assert (await elections.nominate(ctx, await as_(ctx, "bea"), "board-2027", "alice")).status == "nominated"
    await elections.respond(ctx, alice, "board-2027", True)
    await refused(ctx, Conflict, "accepted", elections.respond(ctx, alice, "board-2027", True))
    await refused(
        ctx, NotFound, "not a candidate", elections.respond(ctx, await as_(ctx, "bea"), "board-2027", True)
    )


async def test_self_nomination_forbidden_by_policy(ctx: Context, clock: ManualClock, tmp_path: Path) -> None:
    policy = write_policy(tmp_path, "no_self", "ElectionRules(method='irv', seats=1, self_nomination=False)")
    await seed.seed(ctx)
    sec = await as_(ctx, "sec")
    await committee(ctx, "tc", ["bea", "chen", "dana"], policy=policy)
    election = await elections.create_election(ctx, sec, "tc", "tc-chair")
    assert election.policy_hash == load_policy(policy).sha256 and election.policy_version == "0.1"
    await elections.open_nominations(ctx, sec, "tc-chair")
    err = await refused(
        ctx,
        Forbidden,
        "Self-nomination is not allowed",
        elections.nominate(ctx, await as_(ctx, "chen"), "tc-chair"),
    )
    assert isinstance(err, Forbidden) and err.rule == "no-self-nomination"
    c = await elections.nominate(ctx, await as_(ctx, "bea"), "tc-chair", "chen")
    assert c.status == "nominated"


async def test_opening_voting_without_candidates(ctx: Context, clock: ManualClock) -> None:
    await seed.seed(ctx, sample_election=False)
    sec = await as_(ctx, "sec")
    await elections.create_election(ctx, sec, "board", "b2")
    await elections.open_nominations(ctx, sec, "b2")
    await elections.nominate(ctx, await as_(ctx, "alice"), "b2", "chen")  # nominated, never accepted
    await refused(ctx, Conflict, "no accepted candidate", elections.open_voting(ctx, sec, "b2"))


async def test_bad_election_settings(ctx: Context, clock: ManualClock) -> None:
    await seed.seed(ctx)
    sec = await as_(ctx, "sec")
    await refused(
        ctx,
        InvalidInput,
        "Unknown counting method",
        elections.create_election(ctx, sec, "board", "x", method="dice"),
    )
    await refused(
        ctx, InvalidInput, "at least one seat", elections.create_election(ctx, sec, "board", "x", seats=0)
    )
    await refused(
        ctx,
        InvalidInput,
        "in the past",
        elections.create_election(ctx, sec, "board", "x", voting_close_at=clock.now() - timedelta(hours=1)),
    )
    await refused(
        ctx, InvalidInput, "not a valid election id", elections.create_election(ctx, sec, "board", "X Y")
    )
    await refused(ctx, NotFound, "No body", elections.create_election(ctx, sec, "nobody", "x"))
    await refused(ctx, Conflict, "already exists", elections.create_election(ctx, sec, "board", "board-2027"))


async def test_plurality_and_approval_ballots(ctx: Context, clock: ManualClock) -> None:
    await seed.seed(ctx)
    sec = await as_(ctx, "sec")
    await committee(ctx, "tc", ["bea", "chen", "dana", "emma"], policy=ANY_METHOD)
    for slug, method, seats in (("p1", "plurality", 1), ("ap", "approval", 2)):
        await elections.create_election(ctx, sec, "tc", slug, seats=seats, method=method)
        await elections.open_nominations(ctx, sec, slug)
        for h in ("bea", "chen", "dana"):
            await elections.nominate(ctx, await as_(ctx, h), slug)
        await elections.open_voting(ctx, sec, slug)
    emma = await as_(ctx, "emma")
    await refused(
        ctx, InvalidInput, "at most 1 candidate", elections.cast_ballot(ctx, emma, "p1", ["bea", "chen"])
    )
    assert (await elections.cast_ballot(ctx, emma, "ap", ["bea", "chen"])).ranking == [["bea", "chen"]]
    await elections.cast_ballot(ctx, await as_(ctx, "dana"), "ap", ["chen", "dana"])
    result = await elections.close(ctx, sec, "ap")
    assert result.elected[0] == "Chen Wei" and len(result.elected) == 2


# ------------------------------------------------------------------------------------ organisation cap


async def test_one_seat_per_organisation_and_votes_transfer(ctx: Context, clock: ManualClock) -> None:
    """alice and arjun (both Acme) lead the first preferences; only one is elected and the other's
    votes pass to each ballot's next choice."""
    await board_election(ctx, clock, voting=False)
    sec = await as_(ctx, "sec")
    await elections.nominate(ctx, await as_(ctx, "alice"), "board-2027")  # a second Acme candidate
    await elections.open_voting(ctx, sec, "board-2027", clock.now() + timedelta(days=7))
    ballots = {
        "alice": ["alice", "arjun", "farid"],
        "bea": ["arjun", "alice", "farid"],
        "carlos": ["alice", "farid"],
        "dana": ["arjun", "dana"],
        "emma": ["emma", "alice", "farid"],
    }
    for handle, ranking in ballots.items():
        await elections.cast_ballot(ctx, await as_(ctx, handle), "board-2027", ranking)
    result = await elections.close(ctx, sec, "board-2027")
    acme = {"Alice Martin", "Arjun Rao"}
    assert len(acme & set(result.elected)) == 1
    assert len(result.elected) == 3
    assert "Farid Haddad" in result.elected  # Acme's surplus and blocked votes flow on to farid
    view = await elections.show(ctx, "board-2027")
    statuses = {p.handle: c.status for c, p in view.candidates}
    assert sorted(h for h, s in statuses.items() if s == "elected") == sorted(
        p.handle for _, p in view.candidates if p.name in result.elected
    )
    assert view.result is not None and view.result["params"]


# ------------------------------------------------------------------------------------------ concurrency


async def test_double_vote_from_two_concurrent_tasks(ctx: Context, clock: ManualClock) -> None:
    await board_election(ctx, clock)
    alice = await as_(ctx, "alice")
    for i in range(15):
        first, second = (["chen", "dana"], ["emma"]) if i % 2 else (["farid"], ["arjun", "chen"])
        receipts = await asyncio.gather(
            elections.cast_ballot(ctx, alice, "board-2027", first),
            elections.cast_ballot(ctx, alice, "board-2027", second),
        )
        replaced = [r.replaced for r in receipts]
        if i == 0:
            assert sorted(replaced) == [False, True], "exactly one counted, the other a replacement"
        else:
            assert replaced == [True, True]
        assert await ballot_count(ctx, "board-2027") == (1, 1, 1)
    async with ctx.db.reading() as s:
        voter = (await s.execute(select(Voter))).scalar_one()
        assert voter.times == 30
        content = (await s.execute(select(Ballot.content))).scalar_one()
    assert json.loads(content) in ([["farid"]], [["arjun"], ["chen"]])  # one of the last pair
    result = await elections.close(ctx, await as_(ctx, "sec"), "board-2027")
    assert result.ballots == 1


async def _many_voters(ctx: Context, n: int) -> list[Actor]:
    """``n`` extra member organisations, each with its voting representative."""
    voters = []
    for i in range(n):
        await roster.add_organisation(ctx, SYSTEM, f"org{i}", f"Org {i}")
        await roster.add_person(ctx, SYSTEM, f"rep{i}", f"Rep {i}", organisation=f"org{i}")
        await roster.set_voting_rep(ctx, SYSTEM, f"org{i}", f"rep{i}")
        voters.append(await as_(ctx, f"rep{i}"))
    return voters


async def test_many_voters_concurrently_every_acknowledged_ballot_is_counted(
    ctx: Context, clock: ManualClock
) -> None:
    await board_election(ctx, clock, voting=False)
    voters = await _many_voters(ctx, 24)  # on the roster before the electorate is fixed
    await elections.open_voting(ctx, SYSTEM, "board-2027", clock.now() + timedelta(days=7))
    handles = ["arjun", "farid", "chen", "dana", "emma"]
    plans = {v.handle: [handles[(i + k) % 5] for k in range(3)] for i, v in enumerate(voters)}
    # every voter casts twice at once, and everyone at the same time
    receipts = await asyncio.gather(
        *(elections.cast_ballot(ctx, v, "board-2027", plans[v.handle]) for v in voters for _ in range(2))
    )
    assert sum(not r.replaced for r in receipts) == len(voters)
    assert await ballot_count(ctx, "board-2027") == (24, 24, 24)
    result = await elections.close(ctx, await as_(ctx, "sec"), "board-2027")
    assert result.ballots == 24


async def test_ballots_racing_the_close_are_counted_or_refused(ctx: Context, clock: ManualClock) -> None:
    """A ballot acknowledged is a ballot counted, even when the close runs at the same moment."""
    await board_election(ctx, clock, voting=False)
    voters = await _many_voters(ctx, 16)  # on the roster before the electorate is fixed
    await elections.open_voting(ctx, SYSTEM, "board-2027", clock.now() + timedelta(days=7))
    sec = await as_(ctx, "sec")

    async def cast(v: Actor) -> bool:
        try:
            await elections.cast_ballot(ctx, v, "board-2027", ["chen"])
        except Closed:
            return False
        return True

    async def close_soon() -> tally.Result:
        await asyncio.sleep(0.01)
        return await elections.close(ctx, sec, "board-2027")

    *acks, result = await asyncio.gather(*(cast(v) for v in voters), close_soon())
    assert result.ballots == sum(acks)
    assert (await ballot_count(ctx, "board-2027"))[0] == sum(acks)


# ------------------------------------------------------------------------------------- property: count


@st.composite
def voting_days(draw: st.DrawFn) -> list[tuple[int, list[str]]]:
    """A sequence of (voter index, ranking) casts: voters may cast several times."""
    handles = ["arjun", "farid", "chen", "dana", "emma"]
    return draw(
        st.lists(
            st.tuples(
                st.integers(0, 4),
                st.permutations(handles).flatmap(lambda p: st.integers(1, 5).map(lambda k: p[:k])),
            ),
            min_size=0,
            max_size=12,
        )
    )


NAMES = {
    "arjun": "Arjun Rao",
    "farid": "Farid Haddad",
    "chen": "Chen Wei",
    "dana": "Dana Kowalski",
    "emma": "Emma Okafor",
}
ORGS = {"arjun": "acme", "farid": "globex", "chen": "initech", "dana": "univ-lyon", "emma": "opendata"}
_polls = itertools.count(1)


@settings(
    max_examples=8,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(days=voting_days(), seats=st.integers(1, 3))
async def test_count_at_close_equals_independent_count_of_last_ballots(
    ctx: Context, clock: ManualClock, days: list[tuple[int, list[str]]], seats: int
) -> None:
    """Random ballots from random voters, replacements included: the count at close is the count of each
    voter's last ballot done independently with ``governance.tally.count``."""
    if await seed.is_empty(ctx):
        await seed.seed(ctx, sample_election=False)
    sec = await as_(ctx, "sec")
    reps = [await as_(ctx, h) for h in ("alice", "bea", "carlos", "dana", "emma")]
    slug = f"p{next(_polls)}"
    # a board of its own per example: the board's seats are staggered, so an earlier example's election
    # (closed, not certified) would leave no seat free on a shared one
    await bodies.create_body(ctx, SYSTEM, f"board-{slug}", f"Board {slug}", "board")
    await elections.create_election(ctx, sec, f"board-{slug}", slug, seats=seats)
    await elections.open_nominations(ctx, sec, slug)
    for h in NAMES:
        await elections.nominate(ctx, await as_(ctx, h), slug)
    await elections.open_voting(ctx, sec, slug)
    last: dict[int, list[str]] = {}
    for voter, ranking in days:
        receipt = await elections.cast_ballot(ctx, reps[voter], slug, ranking)
        assert receipt.replaced == (voter in last)
        last[voter] = ranking
    assert (await ballot_count(ctx, slug)) == (len(last), len(last), len(last))
    result = await elections.close(ctx, sec, slug)
    election = (await elections.show(ctx, slug)).election
    order = list(NAMES)  # candidates in nomination order, as the service orders them
    caps = tally.GroupCap({NAMES[h]: ORGS[h] for h in order}, 1)
    index = {h: i for i, h in enumerate(order)}
    profile = tally.Profile.build(
        [NAMES[h] for h in order], [([[index[h]] for h in r], 1) for r in last.values()]
    )
    expected = tally.count("stv-meek", profile, seats, seed=election.seed, caps=caps)
    assert result.elected == expected.elected
    assert result.ballots == len(last)


# ------------------------------------------------------------------------------- edges fixed in the service


async def test_close_with_every_candidate_withdrawn_is_refused(ctx: Context, clock: ManualClock) -> None:
    await seed.seed(ctx, sample_election=False)
    sec = await as_(ctx, "sec")
    await elections.create_election(ctx, sec, "board", "b2", seats=1)
    await elections.open_nominations(ctx, sec, "b2")
    await elections.nominate(ctx, await as_(ctx, "chen"), "b2")
    await elections.open_voting(ctx, sec, "b2")
    await elections.cast_ballot(ctx, await as_(ctx, "alice"), "b2", ["chen"])
    await elections.withdraw(ctx, await as_(ctx, "chen"), "b2")
    await refused(ctx, Conflict, "Every candidate in b2 has withdrawn", elections.close(ctx, sec, "b2"))


async def test_an_elected_observer_takes_a_voting_seat(ctx: Context, clock: ManualClock) -> None:
    await seed.seed(ctx, sample_election=False)
    sec = await as_(ctx, "sec")
    await bodies.seat(ctx, SYSTEM, "board", "chen", "observer")
    await elections.create_election(ctx, sec, "board", "b2", seats=1)
    await elections.open_nominations(ctx, sec, "b2")
    await elections.nominate(ctx, await as_(ctx, "chen"), "b2")
    await elections.open_voting(ctx, sec, "b2")
    await elections.cast_ballot(ctx, await as_(ctx, "alice"), "b2", ["chen"])
    await elections.close(ctx, sec, "b2")
    await elections.certify(ctx, sec, "b2")
    _, board = await bodies.members(ctx, "board")
    assert [(r.handle, r.role) for r in board] == [("chen", "member")]


async def test_a_planned_nomination_deadline_already_past_is_not_reused(
    ctx: Context, clock: ManualClock
) -> None:
    await seed.seed(ctx, sample_election=False)
    sec = await as_(ctx, "sec")
    await elections.create_election(
        ctx, sec, "board", "b2", nominations_close_at=clock.now() + timedelta(days=1)
    )
    clock.advance(timedelta(days=2))
    opened = await elections.open_nominations(ctx, sec, "b2")
    assert opened.nominations_close_at == clock.now() + timedelta(days=14)  # the policy's period
    assert (await elections.nominate(ctx, await as_(ctx, "chen"), "b2")).status == "accepted"
