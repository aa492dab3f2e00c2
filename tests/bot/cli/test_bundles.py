"""Audit bundles from real runs of the services verify on their own; any tampering is found and named."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pyrankvote
import pytest
from pyrankvote import Ballot as PRVBallot
from pyrankvote import Candidate as PRVCandidate

from bot.cli import main as cli_main
from governance import audit, export, receipts, seed
from governance.clock import ManualClock
from governance.models import ChatIdentity, Person
from governance.services import bodies, elections, motions
from governance.services.common import Context
from governance.tally.formats import parse_blt
from governance.verify import verify_bundle, verify_files
from tests.factories import ANY_METHOD, FOLDER, as_, bundle, resealed, run_election


async def test_a_real_run_verifies_from_a_zip_and_a_directory(
    ctx: Context, clock: ManualClock, tmp_path: Path
) -> None:
    await run_election(ctx, clock)
    files = await bundle(ctx)
    for path in (tmp_path / "b.zip", tmp_path / "dir"):
        export.write_bundle(files, path)
        report = verify_bundle(path)
        assert report.ok, report.problems
        assert "election:board-2027" in report.heads and audit.ANCHOR in report.heads
        assert any(
            "5 ballots re-counted with stv-scottish" in line or "re-counted" in line
            for line in report.checked
        )
    async with ctx.db.reading() as session:
        heads = {c.stream: c.head for c in await audit.verify_deployment(session)}
    assert report.heads["election:board-2027"] == heads["election:board-2027"]
    # the CLI verifies with no database and says OK with the head
    assert cli_main(["audit", "verify", str(tmp_path / "b.zip")]) == 0


async def test_everything_exports_and_verifies(ctx: Context, clock: ManualClock, tmp_path: Path) -> None:
    await run_election(ctx, clock)
    m = await motions.propose(ctx, await as_(ctx, "alice"), "toc", "Adopt the licence")
    assert m.id is not None
    for handle, choice in (("alice", "yes"), ("bea", "no"), ("chen", "yes"), ("bea", "yes")):
        await motions.vote(ctx, await as_(ctx, handle), m.id, choice)
    await motions.close(ctx, await as_(ctx, "sec"), m.id)
    files = await bundle(ctx, "all")
    report = verify_files(files)
    assert report.ok, report.problems
    rows = export.read_ballots_csv(files[f"motion-{m.id}/ballots.csv"].decode())
    assert sorted((r["voter"], json.loads(r["ballot"])) for r in rows) == [
        ("alice", "yes"),
        ("bea", "yes"),
        ("chen", "yes"),
    ]  # a roll call is public and exported with names
    assert "streams/roster.jsonl" in files


async def test_secret_export_names_no_voter(ctx: Context, clock: ManualClock) -> None:
    receipts_ = await run_election(ctx, clock)
    async with ctx.db.transaction() as session:
        session.add(
            ChatIdentity(
                platform="slack", workspace="T1", user_id="U0ALICE", person_id=1, created_at=clock.now()
            )
        )
    files = await bundle(ctx)
    async with ctx.db.reading() as session:
        people = (await session.execute(Person.__table__.select())).all()  # type: ignore[attr-defined]
        election = (await elections.show(ctx, "board-2027")).election
    ballot_files = {name: data.decode() for name, data in files.items() if "ballots" in name}
    events = files[f"{FOLDER}/events.jsonl"].decode()
    for person in people:
        tag = ctx.tag(f"election:{election.id}", person.id)
        for text in (*ballot_files.values(), events):
            assert tag not in text and "U0ALICE" not in text
        if person.handle in ("alice", "bea", "carlos"):  # voters who are not candidates
            for text in (*ballot_files.values(), events):
                # a handle as a word: "bea" may well occur inside a hex hash
                assert person.name not in text and not re.search(rf"\b{re.escape(person.handle)}\b", text)
    for line in events.splitlines():
        event = json.loads(line)
        if event["kind"].startswith("ballot."):
            assert event["actor"] == "voter" and event["payload"] == "{}"
    rows = export.read_ballots_csv(ballot_files[f"{FOLDER}/ballots.csv"])
    assert set(rows[0]) == {"receipt", "ballot"}
    assert receipts_["alice"] in {r["receipt"] for r in rows}
    assert receipts_["alice-old"] not in {r["receipt"] for r in rows}


async def test_receipts_show_the_ballot_and_replaced_ones_do_not_verify(
    ctx: Context, clock: ManualClock
) -> None:
    receipts_ = await run_election(ctx, clock)
    mine = await receipts.check_receipt(ctx, "board-2027", receipts_["alice"].lower())
    assert (mine.status, mine.ballot) == ("counted", [["arjun"], ["chen"]])
    old = await receipts.check_receipt(ctx, "election:board-2027", receipts_["alice-old"])
    assert (old.status, old.ballot) == ("replaced", None)
    assert (await receipts.check_receipt(ctx, "board-2027", "AAAAA-AAAAA")).status == "unknown"


EDITS: dict[str, Callable[[list[bytes]], list[bytes]]] = {
    "edit": lambda ls: [*ls[:2], ls[2].replace(b'"actor":"', b'"actor":"x'), *ls[3:]],
    "delete": lambda ls: [*ls[:2], *ls[3:]],
    "insert": lambda ls: [*ls[:2], ls[1], *ls[2:]],
    "swap": lambda ls: [*ls[:2], ls[3], ls[2], *ls[4:]],
}


@pytest.mark.parametrize("how", sorted(EDITS))
async def test_tampered_bundle_fails_at_the_right_event(ctx: Context, clock: ManualClock, how: str) -> None:
    await run_election(ctx, clock)
    files = await bundle(ctx)
    report = verify_files(resealed(files, f"{FOLDER}/events.jsonl", EDITS[how]))
    assert not report.ok
    assert "BROKEN at event 3 of election:board-2027" in report.problems[0], report.problems


async def test_changed_file_without_new_manifest_is_named(ctx: Context, clock: ManualClock) -> None:
    await run_election(ctx, clock)
    files = dict(await bundle(ctx))
    files[f"{FOLDER}/result.json"] = files[f"{FOLDER}/result.json"].replace(b"Chen", b"Chan", 1)
    problems = verify_files(files).problems
    assert any(p.startswith(f"{FOLDER}/result.json: its SHA-256 differs") for p in problems)


async def test_a_changed_ballot_or_result_is_a_mismatch(ctx: Context, clock: ManualClock) -> None:
    await run_election(ctx, clock)
    files = await bundle(ctx)
    swapped = resealed(
        files, f"{FOLDER}/ballots.csv", lambda ls: [ls[0], *[x.replace(b"farid", b"chen") for x in ls[1:]]]
    )
    problems = verify_files(swapped).problems
    assert any("differ from those the close (event" in p for p in problems), problems
    assert any("ballots.blt: its ballots differ from ballots.csv" in p for p in problems)
    result = json.loads(files[f"{FOLDER}/result.json"])
    result["elected"] = list(reversed(result["elected"]))
    forged = {k: v for k, v in files.items() if k != "manifest.json"}
    forged[f"{FOLDER}/result.json"] = json.dumps(result).encode()
    problems = verify_files(export.with_manifest(forged)).problems
    assert problems and problems[0].startswith(f"{FOLDER}: result mismatch — elected")


async def test_a_rewritten_stream_is_caught_by_the_anchor(ctx: Context, clock: ManualClock) -> None:
    await run_election(ctx, clock)
    files = await bundle(ctx)
    # Drop the last event and re-chain nothing: the heads file is rewritten to match, the anchor is not.
    cut = resealed(files, f"{FOLDER}/events.jsonl", lambda ls: ls[:-1])
    heads = json.loads(cut["heads.json"])
    last = json.loads(cut[f"{FOLDER}/events.jsonl"].splitlines()[-1])
    heads["heads"]["election:board-2027"] = {"seq": last["seq"], "hash": last["hash"]}
    forged = {k: v for k, v in cut.items() if k != "manifest.json"}
    forged["heads.json"] = json.dumps(heads).encode()
    problems = verify_files(export.with_manifest(forged)).problems
    assert any("BROKEN at event" in p and "anchor" in p for p in problems), problems


async def test_blt_recounts_the_same_in_an_independent_counter(
    ctx: Context, clock: ManualClock, tmp_path: Path
) -> None:
    """A single-seat IRV election: pref_voting's instant runoff on our BLT elects whom we elected."""
    await seed.seed(ctx, sample_election=False)
    sec = await as_(ctx, "sec")
    # the alliance's board counts by Meek STV; a board whose charter lets the chair be elected by IRV
    await bodies.create_body(ctx, sec, "council", "Council", "board", policy=ANY_METHOD)
    election = await elections.create_election(ctx, sec, "council", "chair-2027", seats=1, method="irv")
    await elections.open_nominations(ctx, sec, "chair-2027")
    for handle in ("chen", "dana", "emma"):
        await elections.nominate(ctx, sec, "chair-2027", handle)
        await elections.respond(ctx, await as_(ctx, handle), "chair-2027", True)
    await elections.open_voting(ctx, sec, "chair-2027", clock.now() + timedelta(days=7))
    ballots = {
        "alice": ["chen", "dana"],
        "bea": ["dana"],
        "carlos": ["emma", "dana"],
        "dana": ["dana"],
        "emma": ["chen"],
    }
    for handle, ranking in ballots.items():
        await elections.cast_ballot(ctx, await as_(ctx, handle), "chair-2027", ranking)
    ours = await elections.close(ctx, sec, "chair-2027")
    files = await bundle(ctx, "chair-2027")
    assert verify_files(files).ok
    blt = parse_blt(files["election-chair-2027/ballots.blt"].decode())
    people = [PRVCandidate(name) for name in blt.candidates]
    papers = [
        PRVBallot(ranked_candidates=[people[tier[0]] for tier in ranking])
        for ranking, n in zip(blt.rankings, blt.counts, strict=True)
        for _ in range(n)
    ]
    theirs = pyrankvote.instant_runoff_voting(people, papers).get_winners()
    assert [c.name for c in theirs] == ours.elected
    assert election.method == "irv"
