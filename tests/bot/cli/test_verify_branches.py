"""Every way a bundle or the database can be forged is named by verify, and a clean one says exactly OK.

Each test forges what a careful forger would (fresh hashes, heads and manifest where that helps them)
and checks the exact problem verify reports; the expected figures are counted from the files here,
never taken from the verifier.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import delete, update
from sqlmodel import col

from bot.cli import main as cli_main
from governance import audit, export
from governance.clock import ManualClock
from governance.models import AuditEvent, AuditHead
from governance.services import bodies, motions
from governance.services.common import Context
from governance.verify import verify_files
from tests.factories import FOLDER, SYSTEM, as_, bundle, resealed, run_election, secret_toc

STREAM = "election:board-2027"
EVENTS = f"{FOLDER}/events.jsonl"


def _events(files: dict[str, bytes], name: str) -> list[dict[str, str]]:
    return [json.loads(line) for line in files[name].splitlines() if line]


def _rechained(files: dict[str, bytes], name: str, change: int) -> dict[str, bytes]:
    """The bundle with event ``change`` of ``name`` edited and every hash after it recomputed.

    heads.json and the manifest are rewritten to match: only the anchor still holds the true head.
    """
    events = _events(files, name)
    events[change - 1]["actor"] = "forger"
    prev, lines = audit.GENESIS, []
    for e in events:
        digest = audit.event_hash_text(
            prev, e["stream"], int(e["seq"]), e["at"], e["actor"], e["kind"], e["subject"], e["payload"]
        )
        lines.append(
            export.event_line(
                e["stream"],
                int(e["seq"]),
                e["at"],
                e["actor"],
                e["kind"],
                e["subject"],
                e["payload"],
                prev,
                digest,
            ).encode()
        )
        prev = digest
    out = {k: v for k, v in files.items() if k != "manifest.json"}
    out[name] = b"".join(lines)
    heads = json.loads(out["heads.json"])
    heads["heads"][events[0]["stream"]] = {"seq": len(events), "hash": prev}
    out["heads.json"] = json.dumps(heads).encode()
    return export.with_manifest(out)


def _with(files: dict[str, bytes], name: str, data: bytes) -> dict[str, bytes]:
    out = {k: v for k, v in files.items() if k != "manifest.json"}
    out[name] = data
    return export.with_manifest(out)


async def test_the_ok_line_and_heads_are_exact(
    ctx: Context, clock: ManualClock, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    await run_election(ctx, clock)
    files = await bundle(ctx)
    chains = sorted(
        n
        for n in files
        if n in ("anchor.jsonl", EVENTS) or (n.startswith("streams/") and n.endswith(".jsonl"))
    )
    events = sum(len(_events(files, n)) for n in chains)
    last = {_events(files, n)[-1]["stream"]: _events(files, n)[-1]["hash"] for n in chains}
    lines = verify_files(files).to_text().splitlines()
    assert lines[0] == f"OK: {events} events in {len(chains)} chain(s) verified."
    assert lines[1 : 1 + len(last)] == [f"  head of {s}: {h}" for s, h in sorted(last.items())]
    # the CLI prints the same report, not just an exit code
    export.write_bundle(files, tmp_path / "b.zip")
    capsys.readouterr()
    assert cli_main(["audit", "verify", str(tmp_path / "b.zip")]) == 0
    printed = capsys.readouterr().out.splitlines()
    assert printed[0] == lines[0] and printed[1 : 1 + len(last)] == lines[1 : 1 + len(last)]
    forged = resealed(files, EVENTS, lambda ls: ls[:-1])
    export.write_bundle(forged, tmp_path / "forged.zip")
    assert cli_main(["audit", "verify", str(tmp_path / "forged.zip")]) == 1
    printed = capsys.readouterr().out.splitlines()
    assert printed[0] == "FAILED:" and not any(line.startswith("OK:") for line in printed)


async def test_a_wholly_rechained_stream_is_caught_by_the_anchors_hash(
    ctx: Context, clock: ManualClock
) -> None:
    await run_election(ctx, clock)
    files = await bundle(ctx)
    forged = _rechained(files, EVENTS, 2)
    problems = verify_files(forged).problems
    # the forged chain itself is consistent: only the anchor's hash check can see it
    assert not any(p.startswith(EVENTS) for p in problems), problems
    anchored = [p for p in problems if p.startswith("BROKEN at event ") and f"of {STREAM}:" in p]
    assert anchored and "its hash differs from the head the anchor recorded" in anchored[0], problems
    assert "the stream was rewritten" in anchored[0]


async def test_a_head_missing_from_heads_json_is_named(ctx: Context, clock: ManualClock) -> None:
    await run_election(ctx, clock)
    files = await bundle(ctx)
    heads = json.loads(files["heads.json"])
    del heads["heads"][STREAM]
    problems = verify_files(_with(files, "heads.json", json.dumps(heads).encode())).problems
    assert f"heads.json records no head for {STREAM}" in problems, problems


async def test_events_after_the_recorded_head_are_named(ctx: Context, clock: ManualClock) -> None:
    await run_election(ctx, clock)
    files = await bundle(ctx)
    events = _events(files, EVENTS)
    heads = json.loads(files["heads.json"])
    heads["heads"][STREAM] = {"seq": 3, "hash": events[2]["hash"]}
    problems = verify_files(_with(files, "heads.json", json.dumps(heads).encode())).problems
    assert (
        f"{EVENTS}: BROKEN at event 4 of {STREAM}: events after the recorded head (event 3) were added"
        in problems
    ), problems
    heads["heads"][STREAM] = {"seq": 3, "hash": events[-1]["hash"]}
    problems = verify_files(_with(files, "heads.json", json.dumps(heads).encode())).problems
    assert (
        f"{EVENTS}: BROKEN at event 4 of {STREAM}: the recorded head is event 3, but {len(events)} events "
        "are in the file" in problems
    ), problems
    heads["heads"][STREAM] = {"seq": len(events), "hash": "f" * 64}  # the right length, a foreign head
    problems = verify_files(_with(files, "heads.json", json.dumps(heads).encode())).problems
    assert (
        f"{EVENTS}: BROKEN at event {len(events) + 1} of {STREAM}: events are missing after the last one "
        "(its hash is not the recorded head)" in problems
    ), problems


async def test_a_file_added_to_a_bundle_is_named(ctx: Context, clock: ManualClock) -> None:
    await run_election(ctx, clock)
    files = await bundle(ctx)
    listed = verify_files(_with(files, f"{FOLDER}/notes.txt", b"trust me")).problems
    assert listed == [f"{FOLDER}/notes.txt: not a file of an audit bundle (a file was added)"]
    unlisted = verify_files({**files, "notes.txt": b"trust me"}).problems
    assert "notes.txt: not listed in the manifest (a file was added)" in unlisted, unlisted


@pytest.mark.parametrize("field", ["yes", "no", "abstain", "passed"])
async def test_a_motion_count_or_outcome_that_differs_is_named(
    ctx: Context, clock: ManualClock, field: str
) -> None:
    await run_election(ctx, clock)
    m = await motions.propose(ctx, await as_(ctx, "alice"), "toc", "Adopt the licence")
    assert m.id is not None
    for handle, choice in (("alice", "yes"), ("bea", "no"), ("chen", "yes")):
        await motions.vote(ctx, await as_(ctx, handle), m.id, choice)
    await motions.close(ctx, await as_(ctx, "sec"), m.id)
    files = await bundle(ctx, f"M{m.id}")
    assert verify_files(files).ok
    name = f"motion-{m.id}/result.json"
    result = json.loads(files[name])
    if field == "passed":
        result["passed"] = not result["passed"]
        expected = f"motion-{m.id}: result.json differs from the close event (event "
    else:
        result["counts"][field] = result["counts"].get(field, 0) + 1
        expected = f"motion-{m.id}: result mismatch — counts recorded "
    problems = verify_files(_with(files, name, json.dumps(result).encode())).problems
    assert any(p.startswith(expected) for p in problems), problems


async def test_the_database_names_a_deleted_and_a_rechained_stream(ctx: Context, clock: ManualClock) -> None:
    await run_election(ctx, clock)
    async with ctx.db.transaction() as session:
        await audit.anchor_all(session, actor="test", at=clock.now())
    async with ctx.db.reading() as session:
        assert all(c.ok for c in await audit.verify_deployment(session))
    async with ctx.db.transaction() as session:  # re-chain the whole stream: every hash recomputed
        rows = await audit.stream_events(session, STREAM)
        prev = audit.GENESIS
        for row in rows:
            actor = "forger" if row.seq == 2 else row.actor
            digest = audit.event_hash(
                prev, STREAM, row.seq or 0, row.at, actor, row.kind, row.subject, row.payload
            )
            await session.execute(
                update(AuditEvent)
                .where(col(AuditEvent.id) == row.id)
                .values(actor=actor, prev_hash=prev, hash=digest)
            )
            prev = digest
        await session.execute(update(AuditHead).where(col(AuditHead.stream) == STREAM).values(hash=prev))
    async with ctx.db.reading() as session:
        check = {c.stream: c for c in await audit.verify_deployment(session)}[STREAM]
    assert not check.ok and "the stream was rewritten" in check.problem
    async with ctx.db.transaction() as session:  # now delete the whole stream, head included
        await session.execute(delete(AuditEvent).where(col(AuditEvent.stream) == STREAM))
        await session.execute(delete(AuditHead).where(col(AuditHead.stream) == STREAM))
    async with ctx.db.reading() as session:
        checks = {c.stream: c for c in await audit.verify_deployment(session)}
    assert not checks[STREAM].ok
    assert "but the stream has no events (the whole stream was deleted)" in checks[STREAM].problem


async def test_a_secret_motions_ballots_naming_a_voter_are_refused(ctx: Context) -> None:
    body = await secret_toc(ctx)
    m = await motions.propose(ctx, await as_(ctx, "alice"), body, "Sensitive", secret=True)
    assert m.id is not None
    await motions.vote(ctx, await as_(ctx, "bea"), m.id, "yes")  # one ballot: the first row is the only one
    await motions.close(ctx, await as_(ctx, "sec"), m.id)
    files = await bundle(ctx, f"M{m.id}")
    assert verify_files(files).ok
    name = f"motion-{m.id}/ballots.csv"
    forged = resealed(files, name, lambda ls: [b"voter," + ls[0], *(b"bea," + x for x in ls[1:])])
    problems = verify_files(forged).problems
    assert f"motion-{m.id}/ballots.csv names voters, but the motion is secret" in problems, problems


async def test_a_motion_is_recounted_against_its_recorded_threshold_base(
    ctx: Context, clock: ManualClock, tmp_path: Path
) -> None:
    """The re-count of a motion uses the threshold base the result recorded (here the seated members,
    not the default of votes cast): a clean bundle verifies, and one whose base is changed does not."""
    policy = tmp_path / "seated_base.py"
    policy.write_text(
        "import dataclasses\n"
        "from governance.policies import alliance\n"
        "from governance.policies.alliance import *  # noqa: F403\n"
        "NAME = 'seated-base'\nVERSION = '0.1'\n"
        "def motion_rules(body, kind):\n"
        "    return dataclasses.replace(alliance.motion_rules(body, kind), threshold_of='seated')\n"
    )
    await run_election(ctx, clock)
    await bodies.create_body(
        ctx, SYSTEM, "swg", "Seated WG", "committee", chairs=["alice"], policy=str(policy)
    )
    for handle in ("bea", "chen", "dana"):
        await bodies.seat(ctx, SYSTEM, "swg", handle)
    m = await motions.propose(ctx, await as_(ctx, "alice"), "swg", "Adopt the roadmap")
    assert m.id is not None
    for handle, choice in (("alice", "yes"), ("bea", "yes"), ("chen", "abstain")):
        await motions.vote(ctx, await as_(ctx, handle), m.id, choice)
    await motions.close(ctx, await as_(ctx, "sec"), m.id)
    files = await bundle(ctx, f"M{m.id}")
    name = f"motion-{m.id}/result.json"
    result = json.loads(files[name])
    assert result["threshold_of"] == "seated"
    report = verify_files(files)
    assert report.ok, report.problems
    result["threshold_of"] = "cast_excluding_abstentions"
    problems = verify_files(_with(files, name, json.dumps(result).encode())).problems
    assert any(p.startswith(f"motion-{m.id}: ") for p in problems), problems
