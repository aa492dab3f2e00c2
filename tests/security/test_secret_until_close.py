"""Nothing secret is public before the close: during a secret election's vote the published site and its
bundles carry no ballot and nothing that gives a running tally (turnout only), and an admin's export of
it is refused, saying why and when, and writes nothing. After the close both carry the ballots."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot import publish as site
from bot.commands import dispatch
from bot.present.errors import hint as console_hint
from governance import export, seed
from governance.clock import ManualClock
from governance.errors import Forbidden
from governance.services import elections, roster
from governance.services.common import Actor, Context
from governance.verify import verify_files
from tests.factories import snapshot

SYSTEM = Actor.system("setup")
RANKINGS = {"alice": ["farid", "arjun"], "bea": ["farid", "emma"], "carlos": ["emma", "arjun", "chen"]}


def _published_text(out: Path) -> str:
    """Every file of a published site, zip bundles opened, as one text to search."""
    parts = []
    for path in sorted(out.rglob("*")):
        if not path.is_file():
            continue
        data = path.read_bytes()
        if path.suffix == ".zip":
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                parts += [f"== {path.name}/{n}\n" + archive.read(n).decode() for n in archive.namelist()]
        elif path.suffix != ".png":
            parts.append(f"== {path}\n" + data.decode())
    return "\n".join(parts)


async def test_an_open_secret_election_publishes_turnout_only(
    ctx: Context, clock: ManualClock, tmp_path: Path
) -> None:
    await seed.seed(ctx)
    await elections.open_voting(ctx, SYSTEM, "board-2027", clock.now() + timedelta(days=7))
    receipts = []
    for handle, ranking in RANKINGS.items():
        cast = await elections.cast_ballot(
            ctx, await roster.actor_for_handle(ctx, handle), "board-2027", ranking
        )
        receipts.append(cast.receipt)
    secrets_cast = [*receipts]
    for ranking in RANKINGS.values():
        tiers = json.dumps([[h] for h in ranking])
        secrets_cast += [tiers, tiers.replace('"', '""'), " ".join(ranking)]

    # the site during the vote: no ballot, no receipt, no ranking anywhere (bundles opened)
    report = await site.publish(ctx, tmp_path / "during")
    text = _published_text(tmp_path / "during")
    assert "bundles/election-board-2027.zip" in report.bundles
    leaked = [s for s in secrets_cast if s in text]
    assert not leaked, leaked
    assert "ballots.csv" not in text and "ballots.blt" not in text and "result.json" not in text
    with zipfile.ZipFile(tmp_path / "during" / "bundles" / "election-board-2027.zip") as archive:
        bundle = {n: archive.read(n) for n in archive.namelist()}
    checked = verify_files(bundle)
    assert checked.ok, checked.problems
    assert any("its ballots stay sealed (3 ballot events in the log)" in line for line in checked.checked)

    # an admin's export is refused, says why and when, and writes nothing (no seal, no anchor)
    sec = await roster.actor_for_handle(ctx, "sec")
    before = await snapshot(ctx)
    with pytest.raises(Forbidden) as refused:
        await export.export_bundle(ctx, sec, export.parse_subject("board-2027"))
    assert refused.value.rule == "secret-until-close"
    assert "has not closed" in refused.value.message and "running tally" in refused.value.message
    said = console_hint(refused.value, "console") or ""
    assert "after it closes (voting is due to close at" in said
    assert "Until then `audit verify election:board-2027` checks its log" in said
    reply = await dispatch(ctx, sec, "audit export board-2027 --format csv", tz=ZoneInfo("UTC"))
    assert not reply.ok and "running tally" in reply.text and not reply.attachments
    assert await snapshot(ctx) == before

    # after the close, the export and the site carry the ballots, and both verify
    await elections.close(ctx, SYSTEM, "board-2027")
    files = await export.export_bundle(ctx, sec, export.parse_subject("board-2027"))
    assert all(r in files["election-board-2027/ballots.csv"].decode() for r in receipts)
    assert verify_files(files).ok
    await site.publish(ctx, tmp_path / "after")
    assert all(r in _published_text(tmp_path / "after") for r in receipts)
