"""The electorate is checked against the log's ``election.electorate_fixed`` record: a bundle's summary
(``audit verify <bundle>``), and the database's frozen record while voting (in-chat ``audit verify``)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlmodel import col

from bot.commands import dispatch
from governance import export, seed
from governance.clock import ManualClock
from governance.models import Election, ElectorateEntry
from governance.services import elections, roster
from governance.services.common import Context
from governance.verify import verify_files
from tests.factories import FOLDER, SYSTEM, as_, bundle, run_election

SETTINGS = f"{FOLDER}/settings.json"


def _more(s: dict[str, Any]) -> None:
    s["count"] += 1
    s["by_tier"]["general"] += 1
    s["by_organisation"]["-"] = s["by_organisation"].get("-", 0) + 1


def _tier(s: dict[str, Any]) -> None:
    s["by_tier"]["general"] += 1  # the breakdown no longer adds up to the count


EDITS: dict[str, Callable[[dict[str, Any]], None]] = {
    "one more person": _more,
    "a digest of another list": lambda s: s.update(sha256="0" * 64),
    "a tier breakdown that does not add up": _tier,
    "an exception made up": lambda s: s.update(exceptions=s["exceptions"] + 1),
}


def _forged(files: dict[str, bytes], change: Callable[[dict[str, Any]], None] | None) -> dict[str, bytes]:
    settings = json.loads(files[SETTINGS])
    if change is None:
        del settings["electorate"]
    else:
        change(settings["electorate"])
    out = {k: v for k, v in files.items() if k != "manifest.json"}
    out[SETTINGS] = json.dumps(settings).encode()
    return export.with_manifest(out)


async def test_the_summary_verifies_and_an_edited_one_is_named(ctx: Context, clock: ManualClock) -> None:
    await run_election(ctx, clock)
    files = await bundle(ctx)
    report = verify_files(files)
    assert report.ok, report.problems
    assert any("electorate of" in line and "as the log recorded it" in line for line in report.checked)
    for how, change in EDITS.items():
        problems = verify_files(_forged(files, change)).problems
        assert any("its electorate differs from the one the log recorded" in p for p in problems), (
            how,
            problems,
        )
    problems = verify_files(_forged(files, None)).problems
    assert any("the log fixed the electorate" in p for p in problems), problems


async def test_a_person_slipped_into_the_frozen_record_is_named_while_voting(
    ctx: Context, clock: ManualClock
) -> None:
    await seed.seed(ctx)
    await elections.open_voting(ctx, SYSTEM, "board-2027", clock.now() + timedelta(days=7))
    sec = await as_(ctx, "sec")
    assert (await dispatch(ctx, sec, "audit verify election:board-2027")).ok
    # Someone with the database adds a new person to the frozen electorate, so that they may vote.
    await roster.add_person(ctx, SYSTEM, "zoe", "Zoe")
    zoe = await as_(ctx, "zoe")
    async with ctx.db.transaction() as session:
        election = (
            await session.execute(select(Election).where(col(Election.slug) == "board-2027"))
        ).scalar_one()
        assert election.id is not None and zoe.person_id is not None
        session.add(
            ElectorateEntry(
                election_id=election.id,
                person_id=zoe.person_id,
                handle="zoe",
                tier="general",
                added_at=ctx.now(),
            )
        )
    reply = await dispatch(ctx, sec, "audit verify election:board-2027")
    assert not reply.ok
    assert "its electorate differs from the one the log recorded" in reply.to_text(), reply.to_text()
