"""The log accounts for every ballot: an outsider with the database file deletes or forges ballots,
their events or who-voted rows; the close refuses and `audit verify` fails, each naming the difference.
Then the same outsider with an exported bundle: a removed required file or an added one fails."""

from __future__ import annotations

import json
import secrets
from collections.abc import Awaitable, Callable
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text

from bot.commands import dispatch
from governance import audit, export, poll_checks, reconcile, seed
from governance.clock import ManualClock
from governance.services import elections, motions, roster
from governance.services.common import Actor, Context
from governance.verify import verify_files
from tests.factories import secret_toc, snapshot

SYSTEM = Actor.system("setup")
STREAM = "election:board-2027"
RANKINGS = {"alice": ["chen", "arjun"], "bea": ["farid"], "carlos": ["chen", "dana"], "dana": ["dana"]}


async def _voting(ctx: Context, clock: ManualClock) -> None:
    """The sample board election in voting with four ballots cast, one of them replaced: all pending."""
    await seed.seed(ctx)
    await elections.open_voting(ctx, SYSTEM, "board-2027", clock.now() + timedelta(days=7))
    for handle, ranking in RANKINGS.items():
        await elections.cast_ballot(ctx, await roster.actor_for_handle(ctx, handle), "board-2027", ranking)
    await elections.cast_ballot(ctx, await roster.actor_for_handle(ctx, "bea"), "board-2027", ["emma"])


async def _sql(ctx: Context, *statements: str, **params: object) -> None:
    """Raw SQL behind govbot's back, as someone holding the database file would write it."""
    async with ctx.db.transaction() as session:
        for statement in statements:
            await session.execute(text(statement), params)


async def _election_id(ctx: Context) -> int:
    async with ctx.db.reading() as session:
        found = (await session.execute(text("SELECT id FROM elections WHERE slug = 'board-2027'"))).scalar()
    return int(found)


async def _a_ballot(ctx: Context) -> str:
    async with ctx.db.reading() as session:
        found = (
            await session.execute(text("SELECT min(id) FROM ballots WHERE election_id IS NOT NULL"))
        ).scalar()
    return str(found)


async def delete_pending_event(ctx: Context) -> None:
    await _sql(
        ctx,
        "DELETE FROM audit_events WHERE id = (SELECT max(id) FROM audit_events "
        "WHERE stream = :s AND kind = 'ballot.cast' AND seq IS NULL)",
        s=STREAM,
    )


async def delete_ballot(ctx: Context) -> None:
    # the slot holding it goes too (a foreign key would refuse otherwise), as an intruder would do
    ballot = await _a_ballot(ctx)
    await _sql(
        ctx, "DELETE FROM ballot_slots WHERE ballot_id = :b", "DELETE FROM ballots WHERE id = :b", b=ballot
    )


async def delete_both(ctx: Context) -> None:
    await delete_ballot(ctx)
    await delete_pending_event(ctx)


async def forge_ballot_and_event(ctx: Context) -> None:
    election_id = await _election_id(ctx)
    event = audit.pending_values(
        stream=STREAM, actor="voter", kind="ballot.cast", subject="board-2027", payload={}, at=ctx.now()
    )
    async with ctx.db.transaction() as session:
        await session.execute(
            text("INSERT INTO ballots (id, election_id, content, receipt) VALUES (:i, :e, :c, :r)"),
            {"i": secrets.token_hex(16), "e": election_id, "c": json.dumps([["farid"]]), "r": "FORGE-D0001"},
        )
        await session.execute(
            text(
                "INSERT INTO audit_events (stream, seq, at, actor, kind, subject, payload, prev_hash, hash) "
                "VALUES (:stream, NULL, :at, :actor, :kind, :subject, :payload, NULL, :hash)"
            ),
            {**event, "at": event["at"].replace(tzinfo=None)},
        )


async def delete_voter(ctx: Context) -> None:
    await _sql(
        ctx,
        "DELETE FROM voters WHERE id = (SELECT min(id) FROM voters WHERE election_id = :e)",
        e=await _election_id(ctx),
    )


ATTACKS: dict[str, tuple[Callable[[Context], Awaitable[None]], str]] = {
    "delete a pending ballot event": (delete_pending_event, "who-voted row(s) without a ballot event"),
    "delete a ballot": (delete_ballot, "3 ballot(s) stored for 4 voter(s)"),
    "delete a ballot and its event": (delete_both, "who-voted row(s) without a ballot event"),
    "insert a forged ballot and event": (forge_ballot_and_event, "ballot event(s) without a who-voted row"),
    "delete a who-voted row": (delete_voter, "ballot event(s) without a who-voted row"),
}


@pytest.mark.parametrize("attack", sorted(ATTACKS))
async def test_the_close_refuses_and_verify_fails_naming_the_difference(
    ctx: Context, clock: ManualClock, attack: str
) -> None:
    await _voting(ctx, clock)
    tamper, named = ATTACKS[attack]
    await tamper(ctx)
    before = await snapshot(ctx)
    with pytest.raises(reconcile.BallotsUnaccounted) as refused:
        await elections.close(ctx, SYSTEM, "board-2027")
    assert refused.value.rule == "ballots-reconcile"
    assert any(named in problem for problem in refused.value.problems), refused.value.problems
    assert named in str(refused.value) or named in " ".join(refused.value.details)
    assert await snapshot(ctx) == before  # nothing counted, nothing written
    # `audit verify` in chat, on the database, fails and names it too
    sec = await roster.actor_for_handle(ctx, "sec")
    for target in (STREAM, "all"):
        reply = await dispatch(ctx, sec, f"audit verify {target}", tz=ZoneInfo("UTC"))
        shown = reply.to_text()
        assert "BROKEN" in shown and named in shown, shown


async def test_an_untouched_poll_closes_and_verifies(ctx: Context, clock: ManualClock) -> None:
    await _voting(ctx, clock)
    result = await elections.close(ctx, SYSTEM, "board-2027")
    assert result.elected
    async with ctx.db.reading() as session:
        assert await poll_checks.verify_polls(session, now=ctx.now()) == {}
        close = [e for e in await audit.stream_events(session, STREAM) if e.kind == "election.closed"][-1]
    assert json.loads(close.payload)["ledger"] == {
        "first_events": 4,
        "replace_events": 1,
        "voters": 4,
        "votes": 5,
        "slots": 4,
        "ballots": 4,
        "retired": 1,
    }


async def test_a_ballot_deleted_after_the_close_fails_verify(ctx: Context, clock: ManualClock) -> None:
    await _voting(ctx, clock)
    await elections.close(ctx, SYSTEM, "board-2027")
    await delete_ballot(ctx)
    async with ctx.db.reading() as session:
        problems = (await poll_checks.verify_poll(session, STREAM, now=ctx.now())).problems
    assert any("the close counted 4 ballot(s), 3 are stored now" in p for p in problems), problems
    # the check a bundle makes, run on the database: the ballots differ from those counted
    assert any("counted 4 ballots, the export has 3" in p for p in problems), problems


async def test_a_secret_motion_refuses_its_close_when_a_vote_event_is_gone(
    ctx: Context, clock: ManualClock
) -> None:
    body = await secret_toc(ctx)  # a committee whose charter lets a proposer ask for a secret ballot
    alice = await roster.actor_for_handle(ctx, "alice")
    m = await motions.propose(ctx, alice, body, "Sensitive", secret=True)
    assert m.id is not None
    for handle, choice in (("bea", "no"), ("chen", "yes")):
        await motions.vote(ctx, await roster.actor_for_handle(ctx, handle), m.id, choice)
    await _sql(
        ctx,
        "DELETE FROM audit_events WHERE id = (SELECT max(id) FROM audit_events "
        "WHERE stream = :s AND kind = 'motion.voted')",
        s=f"motion:{m.id}",
    )
    before = await snapshot(ctx)
    with pytest.raises(reconcile.BallotsUnaccounted) as refused:
        await motions.close(ctx, await roster.actor_for_handle(ctx, "sec"), m.id)
    assert refused.value.rule == "ballots-reconcile"
    assert "1 who-voted row(s) without a ballot event" in refused.value.problems[0]
    assert await snapshot(ctx) == before


# ------------------------------------------------------------------------------ bundles


async def _closed_bundle(ctx: Context, clock: ManualClock) -> dict[str, bytes]:
    await _voting(ctx, clock)
    await elections.close(ctx, SYSTEM, "board-2027")
    files = await export.export_bundle(ctx, SYSTEM, export.parse_subject("board-2027"))
    assert verify_files(files).ok, verify_files(files).problems
    return files


def _remade(files: dict[str, bytes], drop: str = "", add: dict[str, bytes] | None = None) -> dict[str, bytes]:
    """The bundle with a file dropped or added and its manifest made anew (a careful forger)."""
    out = {k: v for k, v in files.items() if k not in ("manifest.json", drop)}
    return export.with_manifest(out | (add or {}))


async def test_a_bundle_missing_a_file_or_holding_one_more_fails(ctx: Context, clock: ManualClock) -> None:
    """Each forgery re-makes the manifest, as a careful forger would: the bundle's layout still tells."""
    files = await _closed_bundle(ctx, clock)
    problems = verify_files(_remade(files, drop="anchor.jsonl")).problems
    assert "anchor.jsonl is missing: every bundle holds it" in problems, problems
    problems = verify_files(_remade(files, drop="election-board-2027/ballots.csv")).problems
    assert any("election-board-2027/ballots.csv is missing" in p for p in problems), problems
    for extra in ("notes.txt", "election-board-2027/extra-ballots.csv", "election-x/readme.md"):
        problems = verify_files(_remade(files, add={extra: b"1,2\n"})).problems
        assert f"{extra}: not a file of an audit bundle (a file was added)" in problems, problems
    # a ballot removed from ballots.csv is missed by the log: every first ballot has its event
    name = "election-board-2027/ballots.csv"
    kept = "\n".join(files[name].decode().splitlines()[:-1]) + "\n"
    problems = verify_files(_remade(files, add={name: kept.encode()})).problems
    assert any("3 ballot(s) exported, but the log has 4 event(s) of a first ballot" in p for p in problems)
