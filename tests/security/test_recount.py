"""A re-count reproduces the result: the exported ballots, counted by `govbot tally` as an outsider would,
elect whom the close elected, ties drawn by lot included, because the seed is derived from the ballots."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.commands import dispatch
from governance import export, seed, tally
from governance.clock import ManualClock
from governance.services import bodies, elections, roster
from governance.services.common import Actor, Context
from governance.tally.formats import parse_blt
from governance.tally.seed import ballot_seed, seed_line
from governance.verify import verify_files

ROOT = Path(__file__).parents[2]
ANY_METHOD = str(ROOT / "tests" / "governance" / "services" / "any_method.py")


async def _tied_election(ctx: Context, clock: ManualClock) -> tally.Result:
    """A one-seat IRV election between two candidates with two ballots each: only a lot decides."""
    await seed.seed(ctx, sample_election=False)
    sec = await roster.actor_for_handle(ctx, "sec")
    # the alliance's board counts by Meek STV; a board whose charter lets its chair be elected by IRV
    await bodies.create_body(ctx, sec, "council", "Council", "board", policy=ANY_METHOD)
    await elections.create_election(ctx, sec, "council", "chair-2027", seats=1, method="irv")
    await elections.open_nominations(ctx, sec, "chair-2027")
    for handle in ("chen", "dana"):
        await elections.nominate(ctx, sec, "chair-2027", handle)
        await elections.respond(ctx, await roster.actor_for_handle(ctx, handle), "chair-2027", True)
    await elections.open_voting(ctx, sec, "chair-2027", clock.now() + timedelta(days=7))
    for handle, ranking in {"alice": ["chen"], "bea": ["dana"], "carlos": ["chen"], "emma": ["dana"]}.items():
        await elections.cast_ballot(ctx, await roster.actor_for_handle(ctx, handle), "chair-2027", ranking)
    return await elections.close(ctx, sec, "chair-2027")


def _tally(path: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "governance.tally.cli",
            str(path),
            "--method",
            "irv",
            "--format",
            "json",
            *extra,
        ],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )


async def test_the_exported_blt_recounts_to_the_certified_result(
    ctx: Context, clock: ManualClock, tmp_path: Path
) -> None:
    certified = await _tied_election(ctx, clock)
    sec = await roster.actor_for_handle(ctx, "sec")
    assert certified.tie_breaks and certified.tie_breaks[0].rule == "lot"  # the lot decided
    files = await export.export_bundle(ctx, Actor.system("test"), export.parse_subject("chair-2027"))
    folder = "election-chair-2027"
    blt_text = files[f"{folder}/ballots.blt"].decode()
    csv_text = files[f"{folder}/ballots.csv"].decode()
    settings = json.loads(files[f"{folder}/settings.json"])
    seed_ = settings["count"]["seed"]
    assert seed_ == certified.seed == ballot_seed(parse_blt(blt_text))
    assert settings["count"]["seed_rule"] == "govbot-seed/1"
    assert seed_line(seed_) in blt_text.splitlines() and csv_text.splitlines()[0] == seed_line(seed_)
    path = tmp_path / "chair-2027.blt"
    path.write_text(blt_text)
    done = _tally(path)
    assert done.returncode == 0, done.stderr
    recount = json.loads(done.stdout)
    assert recount["elected"] == certified.elected and recount["seed"] == seed_
    assert f"tie-break seed {seed_} (derived from the ballots)" in done.stderr
    assert "warning" not in done.stderr
    # the empty seed `govbot tally` used before elects the other candidate: the seed is what matters
    other = _tally(path, "--seed", "")
    assert json.loads(other.stdout)["elected"] != certified.elected
    report = verify_files(files)
    assert report.ok, report.problems
    assert f"{folder}: tie-break seed {seed_}, derived from the ballots" in report.checked
    # `audit verify` in chat checks the closed poll's ballots as the bundle check does, and names the seed
    reply = await dispatch(ctx, sec, "audit verify election:chair-2027", tz=ZoneInfo("UTC"))
    assert reply.ok and f"tie-break seed {seed_}, derived from the ballots" in reply.to_text(), (
        reply.to_text()
    )
    assert "re-counted with irv: elected" in reply.to_text()


async def test_a_file_whose_ballots_changed_is_told_apart_from_its_stated_seed(
    ctx: Context, clock: ManualClock, tmp_path: Path
) -> None:
    await _tied_election(ctx, clock)
    files = await export.export_bundle(ctx, Actor.system("test"), export.parse_subject("chair-2027"))
    text = files["election-chair-2027/ballots.blt"].decode()
    lines = text.splitlines()
    forged = "\n".join([lines[0], "3 1 0", *lines[1:]]) + "\n"  # three more ballots for the first candidate
    path = tmp_path / "forged.blt"
    path.write_text(forged)
    done = _tally(path)
    assert done.returncode == 0, done.stderr
    assert "warning: the file states seed" in done.stderr
