"""What the transparency site may publish (``publication``): an open poll's ballots, roll call and
tally never, whatever its secrecy; a counted poll's, in full."""

from __future__ import annotations

import io
import zipfile
from datetime import timedelta
from pathlib import Path

from bot import publish
from governance import export, seed
from governance.services import elections, motions, publication, roster
from governance.services.common import Context
from tests.factories import SYSTEM


async def open_polls_with_ballots(ctx: Context) -> int:
    """The board election open with three ballots cast, and a roll-call TOC motion open with two votes;
    returns the motion's id."""
    await seed.seed(ctx)
    await elections.open_voting(ctx, SYSTEM, "board-2027", ctx.now() + timedelta(days=7))
    for handle in ("alice", "bea", "carlos"):
        await elections.cast_ballot(ctx, await roster.actor_for_handle(ctx, handle), "board-2027", ["chen"])
    motion = await motions.propose(ctx, await roster.actor_for_handle(ctx, "alice"), "toc", "Adopt the guide")
    assert not motion.secret  # a roll call: its votes are public, but only with its result
    for handle, choice in (("bea", "yes"), ("chen", "no")):
        await motions.vote(ctx, await roster.actor_for_handle(ctx, handle), motion.id or 0, choice)
    return motion.id or 0


def bundle_names(site: Path, folder: str) -> set[str]:
    """The files in the site's audit bundle of one poll."""
    with zipfile.ZipFile(io.BytesIO((site / "bundles" / f"{folder}.zip").read_bytes())) as bundle:
        return set(bundle.namelist())


async def test_publish_of_open_polls_carries_no_ballot_and_no_tally(ctx: Context, tmp_path: Path) -> None:
    """Attack: publish while the election and a roll-call motion are open, with ballots in both."""
    motion_id = await open_polls_with_ballots(ctx)
    site = (await publish.publish(ctx, tmp_path / "site")).out

    election_files = bundle_names(site, "election-board-2027")
    assert "election-board-2027/events.jsonl" in election_files
    assert not {n for n in election_files if "ballots" in n or "result" in n}, election_files
    motion_files = bundle_names(site, f"motion-{motion_id}")
    assert not {n for n in motion_files if "ballots" in n or "result" in n}, motion_files

    election_page = (site / "elections" / "board-2027.html").read_text(encoding="utf-8")
    assert "Chen Wei" in election_page  # the candidates are public
    assert not (site / "charts" / "election-board-2027" / "rounds.png").exists()
    motion_page = (site / "motions" / f"m{motion_id}.html").read_text(encoding="utf-8")
    assert "How each member voted" not in motion_page
    assert "Béatrice Dubois" not in motion_page and "Chen Wei" not in motion_page
    assert "2 members voted so far" in motion_page


async def test_pages_hold_results_and_roll_calls_only_once_counted(ctx: Context) -> None:
    motion_id = await open_polls_with_ballots(ctx)
    page = await publication.motion_page(ctx, motion_id)
    assert (page.counted, page.view.roll_call, page.view.result, page.view.voters) == (False, [], None, 2)
    shown = await publication.election_page(ctx, "board-2027")
    assert (shown.counted, shown.view.result, shown.view.voters) == (False, None, 3)
    assert sum(t.voted for t in shown.turnout) == 3  # turnout is public, what was chosen is not

    await motions.close(ctx, await roster.actor_for_handle(ctx, "sec"), motion_id)
    closed = await publication.motion_page(ctx, motion_id)
    assert closed.counted and closed.view.result is not None
    assert sorted(closed.view.roll_call) == [("Béatrice Dubois", "yes"), ("Chen Wei", "no")]
    files = await publication.bundle(ctx, export.Subject("motion", str(motion_id)))
    assert f"motion-{motion_id}/ballots.csv" in files and f"motion-{motion_id}/result.json" in files
