"""Ballot secrecy (DESIGN.md invariant 2), on SQLite and PostgreSQL: for a secret poll a stored ballot never
carries its voter (id, handle, name or keyed tag), the record of who voted never carries what, and a
replaced ballot is gone. A public poll (roll call, or an election whose policy is not secret) names voters."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, text

from governance import export, secrecy, seed
from governance import text as text_rules
from governance.clock import ManualClock
from governance.models import (
    AuditEvent,
    Ballot,
    BallotSlot,
    Motion,
    OutboxMessage,
    Person,
    RetiredReceipt,
    Voter,
)
from governance.services import elections, motions
from governance.services.common import Context
from governance.verify import verify_files
from tests.factories import SYSTEM, as_, committee, secret_toc, write_policy

REPS = ["alice", "bea", "carlos", "dana", "emma"]


async def people(ctx: Context) -> dict[str, Person]:
    async with ctx.db.reading() as s:
        return {p.handle: p for p in (await s.execute(select(Person))).scalars()}


async def rows(ctx: Context, model: type) -> list:  # type: ignore[type-arg]
    async with ctx.db.reading() as s:
        return list((await s.execute(select(model))).scalars())


def columns(model: type) -> set[str]:
    return set(model.__table__.columns.keys())  # type: ignore[attr-defined]


async def test_table_shapes_keep_who_apart_from_what() -> None:
    assert columns(Voter) == {
        "id",
        "election_id",
        "motion_id",
        "person_id",
        "first_voted_at",
        "last_voted_at",
        "times",
    }
    assert columns(BallotSlot) == {"election_id", "motion_id", "tag", "ballot_id"}
    assert columns(RetiredReceipt) == {"poll", "receipt"}
    assert columns(Ballot) == {"id", "election_id", "motion_id", "content", "receipt", "voter_id"}


async def test_secret_election_ballots_name_no_one(ctx: Context, clock: ManualClock) -> None:
    await seed.seed(ctx)
    await elections.open_voting(ctx, SYSTEM, "board-2027", clock.now() + timedelta(days=7))
    rankings = {
        "alice": ["chen", "arjun"],
        "bea": ["farid"],
        "carlos": ["chen"],
        "dana": ["dana", "emma"],
        "emma": ["emma", "dana", "arjun"],
    }
    receipts = {}
    for handle, ranking in rankings.items():
        receipts[handle] = (
            await elections.cast_ballot(ctx, await as_(ctx, handle), "board-2027", ranking)
        ).receipt
    old_receipt = receipts["alice"]
    old_ballots = {b.id: b for b in await rows(ctx, Ballot)}
    replaced = await elections.cast_ballot(ctx, await as_(ctx, "alice"), "board-2027", ["farid", "dana"])
    assert replaced.replaced

    everyone = await people(ctx)
    election = (await elections.show(ctx, "board-2027")).election
    tags = {h: ctx.tag(f"election:{election.id}", everyone[h].id or 0) for h in REPS}
    ballots = await rows(ctx, Ballot)
    assert len(ballots) == 5
    candidates = {"arjun", "farid", "chen", "dana", "emma"}
    for ballot in ballots:
        assert ballot.voter_id is None
        tiers = json.loads(ballot.content)
        assert {h for tier in tiers for h in tier} <= candidates  # only candidates, nothing else
        for handle in REPS:
            person = everyone[handle]
            for value in (ballot.id, ballot.receipt):
                # id and receipt are random (a handle such as "bea" can occur in random hex by chance,
                # so the check is that neither is derived from the voter, not a substring search)
                assert tags[handle] not in value and value.lower() != handle
                assert str(person.id) != value
            assert tags[handle] not in ballot.content and person.name not in ballot.content
        assert len(ballot.id) == 32 and int(ballot.id, 16) >= 0  # random, not a sequence

    # the old ballot is gone, content and receipt; the new one stands
    assert old_receipt not in {b.receipt for b in ballots}
    assert replaced.receipt in {b.receipt for b in ballots}
    gone = set(old_ballots) - {b.id for b in ballots}
    assert len(gone) == 1 and json.loads(old_ballots[gone.pop()].content) == [["chen"], ["arjun"]]
    assert [["chen"], ["arjun"]] not in [json.loads(b.content) for b in ballots]

    # who voted: people and times, never what
    voters = await rows(ctx, Voter)
    assert sorted(everyone_handle(everyone, v.person_id) for v in voters) == sorted(REPS)
    ballot_values = {b.id for b in ballots} | {b.receipt for b in ballots} | {b.content for b in ballots}
    for voter in voters:
        assert not {str(getattr(voter, c)) for c in columns(Voter)} & ballot_values
    assert {v.times for v in voters if everyone_handle(everyone, v.person_id) == "alice"} == {2}

    # the slots: keyed tags that a reader without the secret cannot recompute from the roster
    slots = await rows(ctx, BallotSlot)
    assert sorted(s.tag for s in slots) == sorted(tags.values())
    for handle in REPS:
        pid = everyone[handle].id
        for guess in (f"election:{election.id}|{pid}", f"{handle}", f"election:{election.id}|{handle}"):
            assert hashlib.sha256(guess.encode()).hexdigest() not in {s.tag for s in slots}
            assert hmac.new(b"", guess.encode(), hashlib.sha256).hexdigest() not in {s.tag for s in slots}

    # the log says who voted (like the voters table) but never what, nor which ballot
    secrets_ = {b.id for b in ballots} | {b.receipt for b in ballots} | set(tags.values()) | {old_receipt}
    for event in await rows(ctx, AuditEvent):
        if event.kind in ("ballot.cast", "ballot.replaced"):
            assert json.loads(event.payload) == {}
        assert not any(secret in event.payload or secret in event.subject for secret in secrets_)
    for message in await rows(ctx, OutboxMessage):
        assert not any(secret in (message.text or "") or secret in message.payload for secret in secrets_)

    # counting needs nothing but the contents
    result = await elections.close(ctx, SYSTEM, "board-2027")
    assert result.ballots == 5
    stored = (await elections.show(ctx, "board-2027")).election.result or ""
    assert not any(handle in stored for handle in ("alice", "bea", "carlos")) and old_receipt not in stored


def everyone_handle(everyone: dict[str, Person], person_id: int) -> str:
    return next(h for h, p in everyone.items() if p.id == person_id)


async def test_public_election_names_its_voters(ctx: Context, clock: ManualClock, tmp_path: Path) -> None:
    policy = write_policy(tmp_path, "open_ballot", "ElectionRules(method='irv', secret=False, seats=1)")
    await seed.seed(ctx)
    sec = await as_(ctx, "sec")
    await committee(ctx, "tc", ["bea", "chen", "dana"], policy=policy)
    election = await elections.create_election(ctx, sec, "tc", "tc-chair")
    assert election.secret is False
    await elections.open_nominations(ctx, sec, "tc-chair")
    for h in ("chen", "dana"):
        await elections.nominate(ctx, await as_(ctx, h), "tc-chair")
    await elections.open_voting(ctx, sec, "tc-chair")
    await elections.cast_ballot(ctx, await as_(ctx, "bea"), "tc-chair", ["dana", "chen"])
    await elections.cast_ballot(ctx, await as_(ctx, "chen"), "tc-chair", ["chen"])
    await elections.cast_ballot(ctx, await as_(ctx, "bea"), "tc-chair", ["chen", "dana"])  # replaces
    everyone = await people(ctx)
    ballots = await rows(ctx, Ballot)
    assert sorted((everyone_handle(everyone, b.voter_id or 0), b.content) for b in ballots) == [
        ("bea", '[["chen"], ["dana"]]'),
        ("chen", '[["chen"]]'),
    ]
    logged = [json.loads(e.payload) for e in await rows(ctx, AuditEvent) if e.kind.startswith("ballot.")]
    assert {"voter": "bea", "ballot": [["chen"], ["dana"]]} in logged


async def test_secret_motion_keeps_who_apart_from_what(ctx: Context, clock: ManualClock) -> None:
    body = await secret_toc(ctx)
    m = await motions.propose(ctx, await as_(ctx, "alice"), body, "Sensitive", secret=True)
    public = await motions.propose(ctx, await as_(ctx, "alice"), body, "Open")
    assert m.id is not None and public.id is not None
    for handle, choice in (("alice", "yes"), ("bea", "no"), ("chen", "abstain"), ("bea", "yes")):
        await motions.vote(ctx, await as_(ctx, handle), m.id, choice)
        await motions.vote(ctx, await as_(ctx, handle), public.id, choice)
    everyone = await people(ctx)
    ballots = await rows(ctx, Ballot)
    secret_ballots = [b for b in ballots if b.motion_id == m.id]
    assert sorted(json.loads(b.content) for b in secret_ballots) == ["abstain", "yes", "yes"]
    assert all(b.voter_id is None for b in secret_ballots)
    tags = {ctx.tag(f"motion:{m.id}", everyone[h].id or 0) for h in ("alice", "bea", "chen")}
    assert not any(t in b.id or t in b.receipt for t in tags for b in secret_ballots)
    public_ballots = {
        everyone_handle(everyone, b.voter_id or 0): json.loads(b.content)
        for b in ballots
        if b.motion_id == public.id
    }
    assert public_ballots == {"alice": "yes", "bea": "yes", "chen": "abstain"}  # roll call: public by policy
    assert (await motions.show(ctx, m.id)).roll_call == []
    assert len((await motions.show(ctx, public.id)).roll_call) == 3


async def test_storage_does_not_link_a_ballot_to_its_voter(ctx: Context, clock: ManualClock) -> None:
    """Someone reading the database without the server secret must not be able to pair ballots with voters.

    SQLite keeps no insertion order for ballots and slots (WITHOUT ROWID); on PostgreSQL the periodic
    ``seal_and_shuffle`` job (and the close) rewrites them, so no row shares a writing transaction
    (``xmin``) with a voter row — nor do the ballot events, which sealing rewrites.
    """
    await seed.seed(ctx)
    await elections.open_voting(ctx, SYSTEM, "board-2027", clock.now() + timedelta(days=7))
    firsts = dict(zip(REPS, ["chen", "arjun", "farid", "dana", "emma"], strict=True))
    for handle, first in firsts.items():
        await elections.cast_ballot(ctx, await as_(ctx, handle), "board-2027", [first])
    await elections.cast_ballot(ctx, await as_(ctx, "bea"), "board-2027", ["farid"])  # a replacement
    if not ctx.db.is_sqlite:
        async with ctx.db.transaction() as s:
            assert await secrecy.seal_and_shuffle(s) == ["election:board-2027"]
    async with ctx.db.reading() as s:
        if ctx.db.is_sqlite:
            for table in ("ballots", "ballot_slots", "retired_receipts"):
                with pytest.raises(
                    Exception, match="rowid"
                ):  # a WITHOUT ROWID table keeps no insertion order
                    await s.execute(text(f"SELECT rowid FROM {table}"))
            stored = [json.loads(r[0]) for r in await s.execute(text("SELECT content FROM ballots"))]
            ids = [r[0] for r in await s.execute(text("SELECT id FROM ballots"))]
            assert ids == sorted(ids)  # stored in the order of their random ids, nothing else
            assert len(stored) == 5
        else:
            voter_tx = set((await s.execute(text("SELECT xmin::text FROM voters"))).scalars())
            for table in ("ballots", "ballot_slots", "retired_receipts", "audit_events WHERE seq IS NULL"):
                tx = set((await s.execute(text(f"SELECT xmin::text FROM {table}"))).scalars())
                assert not tx & voter_tx, table
            ballot_tx = set((await s.execute(text("SELECT xmin::text FROM ballots"))).scalars())
            assert len(ballot_tx) == 1  # all rewritten together: one transaction for the lot
            events = (
                await s.execute(
                    text("SELECT xmin::text FROM audit_events WHERE kind LIKE 'ballot.%' AND seq IS NOT NULL")
                )
            ).scalars()
            assert not set(events) & voter_tx  # sealing rewrote the ballot events too


async def test_close_shuffles_a_secret_poll_before_counting(ctx: Context, clock: ManualClock) -> None:
    await seed.seed(ctx)
    await elections.open_voting(ctx, SYSTEM, "board-2027", clock.now() + timedelta(days=7))
    for handle, first in zip(REPS, ["chen", "arjun", "farid", "dana", "emma"], strict=True):
        await elections.cast_ballot(ctx, await as_(ctx, handle), "board-2027", [first])
    result = await elections.close(ctx, SYSTEM, "board-2027")
    assert result.ballots == 5
    if not ctx.db.is_sqlite:
        async with ctx.db.reading() as s:
            voter_tx = set((await s.execute(text("SELECT xmin::text FROM voters"))).scalars())
            ballot_tx = set((await s.execute(text("SELECT xmin::text FROM ballots"))).scalars())
            assert len(ballot_tx) == 1 and not ballot_tx & voter_tx


async def test_replaced_receipts_are_retired_without_a_link(ctx: Context, clock: ManualClock) -> None:
    await seed.seed(ctx)
    await elections.open_voting(ctx, SYSTEM, "board-2027", clock.now() + timedelta(days=7))
    alice = await as_(ctx, "alice")
    first = await elections.cast_ballot(ctx, alice, "board-2027", ["chen"])
    second = await elections.cast_ballot(ctx, alice, "board-2027", ["dana"])
    retired = await rows(ctx, RetiredReceipt)
    election = (await elections.show(ctx, "board-2027")).election
    assert [(r.poll, r.receipt) for r in retired] == [(f"election:{election.id}", first.receipt)]
    assert {b.receipt for b in await rows(ctx, Ballot)} == {second.receipt}


async def test_secret_motion_export_names_no_voter(ctx: Context, clock: ManualClock) -> None:
    """A secret motion's vote events are anonymous (actor "voter", empty payload) like a secret election's
    ballots: its exported events and ballots name no voter (handle, name, keyed tag), who voted stays in
    ``voters``, and the bundle still verifies and re-counts."""
    body = await secret_toc(ctx)
    m = await motions.propose(ctx, await as_(ctx, "alice"), body, "Sensitive", secret=True)
    assert m.id is not None
    votes = (("bea", "no"), ("chen", "yes"), ("dana", "abstain"), ("bea", "yes"))
    for handle, choice in votes:
        await motions.vote(ctx, await as_(ctx, handle), m.id, choice)
    logged = [e for e in await rows(ctx, AuditEvent) if e.stream == f"motion:{m.id}"]
    vote_events = [e for e in logged if e.kind in ("motion.voted", "motion.vote_changed")]
    assert [e.kind for e in vote_events] == ["motion.voted"] * 3 + ["motion.vote_changed"]
    assert {(e.actor, e.payload) for e in vote_events} == {("voter", "{}")}
    voters = [v for v in await rows(ctx, Voter) if v.motion_id == m.id]
    everyone = await people(ctx)
    assert {everyone_handle(everyone, v.person_id) for v in voters} == {"bea", "chen", "dana"}

    clock.advance(timedelta(days=30))  # past the deadline: the close counts and the export follows
    result = await motions.close(ctx, SYSTEM, m.id)
    assert (result.yes, result.no, result.abstain) == (2, 0, 1)
    files = await export.export_bundle(ctx, await as_(ctx, "sec"), export.parse_subject(f"M{m.id}"))
    assert verify_files(files).ok
    folder = f"motion-{m.id}"
    ballots = files[f"{folder}/ballots.csv"].decode()
    events = [json.loads(line) for line in files[f"{folder}/events.jsonl"].decode().splitlines()]
    exported_votes = [e for e in events if e["kind"] in ("motion.voted", "motion.vote_changed")]
    assert len(exported_votes) == 4 and {(e["actor"], e["payload"]) for e in exported_votes} == {
        ("voter", "{}")
    }
    # the chain's hex hashes name nobody (and may spell "bea" by chance): only the rest is searched
    votes_text = json.dumps(
        [{k: v for k, v in e.items() if k not in ("hash", "prev")} for e in exported_votes]
    )
    for handle in ("bea", "chen", "dana"):
        person = everyone[handle]
        tag = ctx.tag(f"motion:{m.id}", person.id or 0)
        for secret_text in (ballots, votes_text):
            assert tag not in secret_text, (handle, "tag")
            # hashes are hex, and a short handle like "bea" can be spelled by one: look past them
            words = re.sub(r"\b[0-9a-f]{64}\b", "", secret_text)
            for identifier in (handle, person.name):
                assert identifier not in words, (handle, identifier)
    assert ballots.splitlines()[0] == "receipt,ballot"


async def test_a_stream_names_its_poll_only_when_that_poll_exists(ctx: Context) -> None:
    """``seal_stream`` shuffles the poll a stream names: an election by slug, a motion by number up to the
    last id an integer column holds; a stream of no poll (a body, the roster), an unknown slug, a motion
    number that is not a number, out of range or unknown names none (nothing is shuffled with no id)."""
    body = await secret_toc(ctx)
    m = await motions.propose(ctx, await as_(ctx, "alice"), body, "Sensitive", secret=True)
    async with ctx.db.transaction() as s:  # a motion with the last id PostgreSQL's integer holds
        last = Motion(**{**(await s.get(Motion, m.id)).model_dump(), "id": text_rules.ID_MAX})  # type: ignore[union-attr]
        s.add(last)
    async with ctx.db.reading() as s:
        election = (await elections.show(ctx, "board-2027")).election
        assert await secrecy._poll_of(s, "election:board-2027") == {"election_id": election.id}
        assert await secrecy._poll_of(s, f"motion:{m.id}") == {"motion_id": m.id}
        assert await secrecy._poll_of(s, f"motion:{text_rules.ID_MAX}") == {"motion_id": text_rules.ID_MAX}
        for stream in (
            "election:no-such-election",
            "motion:abc",
            f"motion:{text_rules.ID_MAX + 1}",
            "motion:999",
            "body:12",
            "roster",
        ):
            assert await secrecy._poll_of(s, stream) is None, stream


async def test_shuffling_a_poll_without_ballots_rewrites_none(ctx: Context) -> None:
    """A poll with no ballot yet (or on SQLite, any poll) reports 0 ballots rewritten; naming no poll,
    or two, is refused."""
    await seed.seed(ctx)
    election = (await elections.show(ctx, "board-2027")).election
    async with ctx.db.transaction() as s:
        assert await secrecy.shuffle_poll(s, election_id=election.id) == 0
        with pytest.raises(ValueError, match="give election_id or motion_id"):
            await secrecy.shuffle_poll(s)
        with pytest.raises(ValueError, match="give election_id or motion_id"):
            await secrecy.shuffle_poll(s, election_id=election.id, motion_id=1)


async def test_a_motion_shuffle_rewrites_its_retired_receipts(ctx: Context) -> None:
    """Shuffling a secret motion rewrites its retired receipts too (they were written with the voter's
    replacement): on PostgreSQL they then share the shuffle's transaction, not the voter rows'."""
    body = await secret_toc(ctx)
    m = await motions.propose(ctx, await as_(ctx, "alice"), body, "Sensitive", secret=True)
    assert m.id is not None
    for handle, choice in (("alice", "yes"), ("bea", "no"), ("bea", "yes")):
        await motions.vote(ctx, await as_(ctx, handle), m.id, choice)
    async with ctx.db.transaction() as s:
        moved = await secrecy.shuffle_poll(s, motion_id=m.id)
    assert [r.poll for r in await rows(ctx, RetiredReceipt)] == [f"motion:{m.id}"]
    if ctx.db.is_sqlite:
        assert moved == 0
        return
    assert moved == 2
    async with ctx.db.reading() as s:
        voter_tx = set((await s.execute(text("SELECT xmin::text FROM voters"))).scalars())
        ballot_tx = set((await s.execute(text("SELECT xmin::text FROM ballots"))).scalars())
        retired_tx = set((await s.execute(text("SELECT xmin::text FROM retired_receipts"))).scalars())
    assert len(ballot_tx) == 1 and retired_tx == ballot_tx and not retired_tx & voter_tx
