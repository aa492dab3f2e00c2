"""The transparency site from a seeded run: an election run to its end and two motions, published and read
back as a visitor would, on both database backends."""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlmodel import col

from bot import publish as site
from bot.cli import main as cli_main
from governance.errors import Conflict, InvalidInput
from governance.models import AuditHead, Ballot, Election
from tests.bot.publish.site_checks import accessibility_problems, contrast, local_links, read
from tests.factories import BOARD_BALLOTS, Run


async def test_the_site_of_a_seeded_run(run: Run, tmp_path: Path) -> None:
    out = tmp_path / "site"
    report = await site.publish(run.ctx, out)
    assert report.out == out.resolve()
    election_page = out / "elections" / "board-2027.html"
    expected_pages = {
        "index.html",
        "bodies/board.html",
        "bodies/toc.html",
        "bodies/safety.html",
        "elections/board-2027.html",
        f"motions/m{run.roll_call_id}.html",
        f"motions/m{run.charter_id}.html",
    }
    assert set(report.pages) == expected_pages
    assert all((out / p).is_file() for p in expected_pages)
    assert set(report.charts) == {
        "charts/election-board-2027/rounds.png",
        "charts/election-board-2027/turnout.png",
        f"charts/motion-{run.roll_call_id}/motion.png",
        f"charts/motion-{run.charter_id}/motion.png",
    }
    for chart in report.charts:
        assert (out / chart).read_bytes().startswith(b"\x89PNG")

    index = read(out / "index.html")
    assert "elections/board-2027.html" in [a["href"] for a in index.all("a")]
    assert "AI Safety Working Group" in index.plain and "https://example.org/alliance/wg/safety" in [
        a["href"] for a in index.all("a")
    ]

    page = read(election_page)
    elected = page.ids["elected"]
    assert run.board.elected and all(name in elected for name in run.board.elected)
    not_elected = {"Arjun Rao", "Farid Haddad"} - set(run.board.elected)
    assert not any(name in elected for name in not_elected)
    async with run.ctx.db.reading() as session:
        head = await session.get(AuditHead, "election:board-2027")
        election = (
            await session.execute(select(Election).where(col(Election.slug) == "board-2027"))
        ).scalar_one()
        receipts = list((await session.execute(select(col(Ballot.receipt)))).scalars())
        contents = list(
            (
                await session.execute(
                    select(col(Ballot.content)).where(col(Ballot.election_id) == election.id)
                )
            ).scalars()
        )
    assert head is not None
    assert page.ids["chain-head"].strip() == head.hash
    assert "intact" in page.plain
    assert election.policy_hash in page.plain and election.policy_name in page.plain
    bundle = out / "bundles" / "election-board-2027.zip"
    assert "../bundles/election-board-2027.zip" in [a["href"] for a in page.all("a")]
    assert "govbot audit verify election-board-2027.zip" in page.plain
    with zipfile.ZipFile(bundle) as archive:
        heads = json.loads(archive.read("heads.json"))["heads"]
    assert heads["election:board-2027"] == {"seq": head.seq, "hash": head.hash}  # the head on the page
    # round table: one column per round, the quota row, the elected marked
    assert f"Round {len(run.board.rounds)}" in page.plain and "Quota" in page.plain
    images = page.all("img")
    assert [i["src"] for i in images] == [
        "../charts/election-board-2027/rounds.png",
        "../charts/election-board-2027/turnout.png",
    ]
    assert all("Elected:" in i["alt"] for i in images[:1])
    assert "Turnout by organisation tier" in page.plain

    # secret ballot: no receipt, no ballot, no voter's choice on any page
    raw = " ".join((out / p).read_text(encoding="utf-8") for p in expected_pages)
    assert receipts and not any(r in raw for r in receipts)
    assert len(contents) == len(BOARD_BALLOTS) and not any(c in raw for c in contents)
    assert "Secret ballot" in page.plain

    # roll call: every member's vote by name
    motion = read(out / "motions" / f"m{run.roll_call_id}.html")
    roll = motion.plain
    for name, vote in (("Alice Martin", "yes"), ("Béatrice Dubois", "yes"), ("Chen Wei", "no")):
        assert f"{name} {vote}" in roll
    assert "Dana Kowalski abstain" in roll
    assert str(run.roll_call["reason"]) in roll

    # bodies and members
    toc = read(out / "bodies" / "toc.html").plain
    for member in ("Alice Martin", "Béatrice Dubois", "Chen Wei", "Dana Kowalski"):
        assert member in toc
    board = read(out / "bodies" / "board.html").plain
    assert all(name in board for name in run.board.elected)  # certified: seated on the board


async def test_every_page_is_linked_accessible_and_script_free(run: Run, tmp_path: Path) -> None:
    out = tmp_path / "site"
    report = await site.publish(run.ctx, out)
    for name in report.pages:
        path = out / name
        page = read(path)
        assert accessibility_problems(page) == [], name
        for target in local_links(out, path, page):
            assert target.is_file(), f"{name} links to a missing {target}"
            assert target.is_relative_to(out.resolve())


def test_the_stylesheet_colours_have_enough_contrast() -> None:
    css = (site.TEMPLATES / "style.css").read_text(encoding="utf-8")
    colours = dict(re.findall(r"--(\w+): (#[0-9a-fA-F]{6})", css))
    assert contrast(colours["ink"], "#ffffff") >= 7
    assert contrast(colours["muted"], "#ffffff") >= 7
    assert contrast(colours["link"], "#ffffff") >= 4.5
    assert contrast(colours["link"], colours["band"]) >= 4.5
    assert contrast(colours["ink"], "#e3eefa") >= 7  # an elected cell in the round table


async def test_publish_replaces_its_own_site_and_refuses_other_directories(run: Run, tmp_path: Path) -> None:
    out = tmp_path / "site"
    await site.publish(run.ctx, out)
    (out / "stale.html").write_text("old")
    await site.publish(run.ctx, out)
    assert not (out / "stale.html").exists() and (out / "index.html").is_file()
    assert [p.name for p in tmp_path.iterdir()] == ["site"]  # no staging directory left behind

    other = tmp_path / "home"
    other.mkdir()
    (other / "notes.txt").write_text("mine")
    with pytest.raises(Conflict, match="did not write"):
        await site.publish(run.ctx, other)
    assert [p.name for p in other.iterdir()] == ["notes.txt"]
    a_file = tmp_path / "file.html"
    a_file.write_text("x")
    with pytest.raises(InvalidInput, match="is a file"):
        await site.publish(run.ctx, a_file)
    assert a_file.read_text() == "x"


async def test_an_empty_alliance_publishes_a_site_that_says_so(ctx: object, tmp_path: Path) -> None:
    from governance.services.common import Context

    assert isinstance(ctx, Context)
    report = await site.publish(ctx, tmp_path / "site")
    assert report.pages == ["index.html"] and report.charts == []
    page = read(tmp_path / "site" / "index.html")
    assert "No elections yet." in page.plain and "No bodies yet." in page.plain
    assert accessibility_problems(page) == []


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_govbot_publish_command(
    run: Run, db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("GOVBOT_SECRET", "test-secret-not-for-production")
    await run.ctx.db.dispose()
    monkeypatch.setattr("bot.schema.ensure_current", _current)
    out = tmp_path / "public"
    assert await _cli(["publish", "--out", str(out)]) == 0
    assert "Wrote 7 pages and 4 charts" in capsys.readouterr().out
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "x").write_text("x")
    assert await _cli(["publish", "--out", str(tmp_path / "mine")]) == 1
    assert "did not write" in capsys.readouterr().err


async def _current(db: object) -> None:
    """The test database is made from the models, not migrated: it is current by construction."""


async def _cli(argv: list[str]) -> int:
    import asyncio

    return await asyncio.to_thread(cli_main, argv)
