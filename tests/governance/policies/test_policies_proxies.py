"""Issue 4: election proxies (naming, casting for the delegator, overriding in person, secrecy) and
emeritus on leaving or inactivity, as a working group's policy says; on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlmodel import col

from governance.clock import ManualClock
from governance.errors import Closed, Conflict, Forbidden, InvalidInput
from governance.models import AuditEvent, Ballot, Proxy, Voter
from governance.receipts import check_receipt
from governance.services import bodies, elections, roster
from governance.services.common import Actor, Context
from tests.factories import SYSTEM, events, notice_params, outbox_rows, small_roster, snapshot


async def _people(ctx: Context) -> dict[str, Actor]:
    who = await small_roster(ctx)
    await roster.add_person(ctx, SYSTEM, "gil", "Gil Globex", organisation="globex")
    who["gil"] = await roster.actor_for_handle(ctx, "gil")
    return who


async def _election(ctx: Context, who: dict[str, Actor], policy: str, slug: str = "e1") -> None:
    """A one-seat election with two candidates, nominations open. The ASF board's nine seats are its
    bylaws' (no other count may be chosen), so an ASF one-seat election is to a committee of members."""
    kind = "committee" if policy == "asf" else "board"
    await bodies.create_body(ctx, who["sec"], f"{slug}-board", "Board", kind, policy=policy)
    await elections.create_election(ctx, who["sec"], f"{slug}-board", slug, seats=1)
    await elections.open_nominations(ctx, who["sec"], slug)
    for handle in ("alice", "arjun"):
        await elections.nominate(ctx, who[handle], slug)


async def _ballots(ctx: Context, slug: str) -> list[Ballot]:
    async with ctx.db.reading() as session:
        election = await elections.election_by_slug(session, slug)
        return list(
            (await session.execute(select(Ballot).where(col(Ballot.election_id) == election.id))).scalars()
        )


async def _proxy(ctx: Context) -> Proxy:
    async with ctx.db.reading() as session:
        return (await session.execute(select(Proxy).where(col(Proxy.election_id).is_not(None)))).scalar_one()


async def test_a_proxy_casts_the_ballot_and_the_delegator_overrides_it(ctx: Context) -> None:
    who = await _people(ctx)
    await _election(ctx, who, "asf")  # secret ballot, proxies allowed
    await elections.delegate(ctx, who["gil"], "e1", "bea")  # named during nominations
    await elections.open_voting(ctx, who["sec"], "e1")
    by_proxy = await elections.cast_ballot(ctx, who["bea"], "e1", ["arjun"], for_handle="gil")
    assert (by_proxy.for_handle, by_proxy.replaced, by_proxy.ranking) == ("gil", False, [["arjun"]])
    own = await elections.cast_ballot(ctx, who["bea"], "e1", ["alice"])  # bea's own ballot is separate
    assert not own.replaced
    assert (await elections.show(ctx, "e1")).voters == 2
    assert (await check_receipt(ctx, "e1", by_proxy.receipt)).status == "stored"
    told = [m for m in await outbox_rows(ctx) if m.kind == "election.proxy_voted"]
    assert [notice_params(m) for m in told] == [{"election": "e1", "proxy_name": "Béatrice Dubois"}]

    overriding = await elections.cast_ballot(ctx, who["gil"], "e1", ["alice"])  # in person
    assert overriding.replaced and overriding.for_handle is None
    assert (await check_receipt(ctx, "e1", by_proxy.receipt)).status == "replaced"
    assert (await _proxy(ctx)).revoked_at is not None
    before = await snapshot(ctx)
    with pytest.raises(Conflict) as refused:
        await elections.cast_ballot(ctx, who["bea"], "e1", ["arjun"], for_handle="gil")
    assert refused.value.message == "Gil Globex has voted in person on e1, which revoked the proxy."
    assert refused.value.hint == "Their own vote stands."
    assert await snapshot(ctx) == before

    ballots = await _ballots(ctx, "e1")
    assert sorted(b.content for b in ballots) == [json.dumps([["alice"]])] * 2
    assert all(b.voter_id is None for b in ballots)  # secret: no ballot names a voter
    async with ctx.db.reading() as session:
        voters = list((await session.execute(select(col(Voter.person_id)))).scalars())
    assert sorted(voters) == sorted([who["gil"].person_id, who["bea"].person_id])
    stream = await events(ctx, "election:e1")
    ballot_events = [e for e in stream if e.kind.startswith("ballot.")]
    assert [e.kind for e in ballot_events] == ["ballot.cast", "ballot.cast", "ballot.replaced"]
    assert all(e.actor == "voter" and e.payload == "{}" for e in ballot_events)  # names nobody
    named = [e for e in stream if e.kind == "election.proxy_named"]
    assert [json.loads(e.payload) for e in named] == [{"delegator": "gil", "delegate": "bea"}]
    result = await elections.close(ctx, who["sec"], "e1")
    assert result.elected == ["Alice Martin"]


async def test_a_public_ballot_cast_by_proxy_says_so(ctx: Context) -> None:
    """Where ballots are public (a policy with secret=False), the event names voter and proxy."""
    who = await _people(ctx)
    await _election(ctx, who, "asf")
    async with ctx.db.transaction() as session:
        election = await elections.election_by_slug(session, "e1")
        election.secret = False
    await elections.open_voting(ctx, who["sec"], "e1")
    await elections.delegate(ctx, who["gil"], "e1", "bea")
    await elections.cast_ballot(ctx, who["bea"], "e1", ["arjun", "alice"], for_handle="gil")
    cast = [e for e in await events(ctx, "election:e1") if e.kind == "ballot.cast"]
    assert json.loads(cast[0].payload) == {
        "ballot": [["arjun"], ["alice"]],
        "voter": "gil",
        "by_proxy": "bea",
    }
    assert cast[0].actor == "person:bea"
    assert [b.voter_id for b in await _ballots(ctx, "e1")] == [who["gil"].person_id]


async def test_a_proxy_may_replace_the_ballot_it_cast(ctx: Context) -> None:
    who = await _people(ctx)
    await _election(ctx, who, "asf")
    await elections.open_voting(ctx, who["sec"], "e1")
    await elections.delegate(ctx, who["gil"], "e1", "bea")
    first = await elections.cast_ballot(ctx, who["bea"], "e1", ["arjun"], for_handle="gil")
    second = await elections.cast_ballot(ctx, who["bea"], "e1", ["alice"], for_handle="gil")
    assert second.replaced and (await check_receipt(ctx, "e1", first.receipt)).status == "replaced"
    assert [b.content for b in await _ballots(ctx, "e1")] == [json.dumps([["alice"]])]


async def test_voting_in_person_first_leaves_the_proxy_nothing_to_cast(ctx: Context) -> None:
    """The delegator's first ballot takes the fast path (which does not look at proxies): the proxy is
    still refused, and naming a proxy afterwards is refused too."""
    who = await _people(ctx)
    await _election(ctx, who, "asf")
    await elections.open_voting(ctx, who["sec"], "e1")
    await elections.delegate(ctx, who["gil"], "e1", "bea")
    await elections.cast_ballot(ctx, who["gil"], "e1", ["arjun"])
    before = await snapshot(ctx)
    with pytest.raises(Conflict) as refused:
        await elections.cast_ballot(ctx, who["bea"], "e1", ["alice"], for_handle="gil")
    assert refused.value.message == "Gil Globex has voted in person on e1, which revoked the proxy."
    with pytest.raises(Conflict) as again:
        await elections.delegate(ctx, who["gil"], "e1", "alice")
    assert again.value.message == "You have already voted on e1; your own vote stands."
    assert await snapshot(ctx) == before
    assert [b.content for b in await _ballots(ctx, "e1")] == [json.dumps([["arjun"]])]


async def test_naming_a_proxy_is_refused_with_the_rule(ctx: Context, clock: ManualClock) -> None:
    who = await _people(ctx)
    await _election(ctx, who, "alliance", "a1")  # the alliance's board elections have no proxies
    await elections.open_voting(ctx, who["sec"], "a1")
    await _election(ctx, who, "asf", "e1")
    await elections.open_voting(ctx, who["sec"], "e1")
    await roster.update_person(ctx, SYSTEM, "arjun", status="suspended")
    before = await snapshot(ctx)

    with pytest.raises(Forbidden) as no_proxies:
        await elections.delegate(ctx, who["alice"], "a1", "bea")
    assert no_proxies.value.rule == "no-proxies"
    assert no_proxies.value.message == "Under alliance, votes on a1 cannot be given to a proxy."
    assert no_proxies.value.hint == "(rule 'no-proxies' of policy alliance 1.2) Vote in person."

    with pytest.raises(InvalidInput) as yourself:
        await elections.delegate(ctx, who["gil"], "e1", "gil")
    assert yourself.value.message == "You cannot name yourself as your own proxy."

    with pytest.raises(Forbidden) as ineligible:
        await elections.delegate(ctx, who["gil"], "e1", "arjun")
    assert ineligible.value.rule == "member-state"
    assert ineligible.value.message == (
        "Arjun Rao cannot be your proxy: Arjun Rao is suspended; suspended members may not vote."
    )

    with pytest.raises(Forbidden) as not_named:
        await elections.cast_ballot(ctx, who["bea"], "e1", ["alice"], for_handle="gil")
    assert not_named.value.message == "Gil Globex has not named Béatrice Dubois as proxy on e1."
    found = not_named.value.suggestion
    assert found is not None and found.sentence == "proxy_can"
    assert found.commands == (("election", "proxy", "e1", "bea"),)

    with pytest.raises(Forbidden) as wrong_poll:  # no proxies where the policy has none, even if asked
        await elections.cast_ballot(ctx, who["bea"], "a1", ["alice"], for_handle="gil")
    assert wrong_poll.value.rule == "no-proxies"

    clock.advance(timedelta(days=30))  # past asf's 7-day voting window
    with pytest.raises(Closed) as closed:
        await elections.delegate(ctx, who["gil"], "e1", "bea")
    assert closed.value.message == "Voting in Board election has closed; a proxy can no longer be named."
    assert await snapshot(ctx) == before


async def test_a_proxy_who_may_no_longer_vote_cannot_cast(ctx: Context) -> None:
    who = await _people(ctx)
    await _election(ctx, who, "asf")
    await elections.open_voting(ctx, who["sec"], "e1")
    await elections.delegate(ctx, who["gil"], "e1", "bea")
    await roster.update_person(ctx, SYSTEM, "bea", status="suspended")
    with pytest.raises(Forbidden) as refused:
        await elections.cast_ballot(ctx, who["bea"], "e1", ["alice"], for_handle="gil")
    assert refused.value.rule == "member-state"
    assert refused.value.message == "Béatrice Dubois is suspended; suspended members may not vote."
    assert await _ballots(ctx, "e1") == []


async def test_renaming_a_proxy_replaces_an_unused_one(ctx: Context) -> None:
    who = await _people(ctx)
    await _election(ctx, who, "asf")
    await elections.open_voting(ctx, who["sec"], "e1")
    await elections.delegate(ctx, who["gil"], "e1", "bea")
    await elections.delegate(ctx, who["gil"], "e1", "alice")
    with pytest.raises(Forbidden, match="Gil Globex has not named Béatrice Dubois as proxy on e1"):
        await elections.cast_ballot(ctx, who["bea"], "e1", ["alice"], for_handle="gil")
    await elections.cast_ballot(ctx, who["alice"], "e1", ["alice"], for_handle="gil")
    with pytest.raises(Conflict) as used:
        await elections.delegate(ctx, who["gil"], "e1", "bea")
    assert used.value.message == "Your proxy has already voted for you on e1."
    async with ctx.db.reading() as session:
        kinds = list((await session.execute(select(col(AuditEvent.kind)))).scalars())
    assert kinds.count("election.proxy_named") == 2
