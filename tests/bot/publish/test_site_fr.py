"""The transparency site and the charts in French: headings, captions, labels, alt text, dates and numbers,
next to the English build of the same run; and the catalog entries of the site and charts complete."""

from __future__ import annotations

from datetime import UTC, datetime
from fractions import Fraction
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir

from bot import publish as site
from bot.cli import main as cli_main
from governance import charts, i18n
from governance.charts import TierTurnout
from governance.errors import InvalidInput
from governance.tally.motion import count_motion
from tests.bot.publish.site_checks import accessibility_problems, read
from tests.factories import ROOT, Run
from tests.factories import placeholders as _fields

NNBSP = "\u202f"  # French digit grouping
NBSP = "\u00a0"  # before French high punctuation
GENERATED = datetime(2026, 12, 1, 16, 0, tzinfo=UTC)
SITE_SOURCES = [
    ("governance/charts.py", "python"),
    ("bot/publish.py", "python"),
    ("bot/templates/**.html", "jinja2"),
]


async def test_a_french_build_is_french_throughout(run: Run, tmp_path: Path) -> None:
    out = tmp_path / "site"
    report = await site.publish(run.ctx, out, locale="fr", timezone="Europe/Paris", generated=GENERATED)
    raw_index = (out / "index.html").read_text(encoding="utf-8")
    assert '<html lang="fr">' in raw_index
    index = read(out / "index.html")
    for section in ("bodies", "working-groups", "elections", "motions"):
        assert index.ids[section] in ("Instances", "Groupes de travail", "Élections", "Motions"), section
    assert "Élections, des plus récentes aux plus anciennes" in index.plain
    assert "conseil d'administration · 3 membres" in index.plain
    assert "1 membre ·" in index.plain  # the working group: French singular
    assert "Bodies" not in index.plain and "Elections, newest first" not in index.plain
    # the generation time in Paris (17:00), written the French way
    assert "Publié par govbot le 1 déc. 2026, 17:00 CET" in index.plain

    page = read(out / "elections" / "board-2027.html")
    text = page.plain
    for phrase in (
        "Résultat",
        "Élu·es",
        "Tour par tour",
        "Voix par candidature à chaque tour (élu·e ✓, éliminé·e ✗)",
        "Participation par catégorie d'organisation",
        "Méthode de décompte VUT Meek",
        "Phase résultat certifié",
        "5 bulletins dépouillés pour 3 sièges. Le secrétariat a certifié ce résultat.",
        "Scrutin secret : cette page",  # plain text folds the no-break space
        "Chaîne d'audit",
        "Tête de chaîne",
        "govbot audit verify election-board-2027.zip",
    ):
        assert phrase in text, phrase
    assert all(name in page.ids["elected"] for name in run.board.elected)
    assert f"Tour {len(run.board.rounds)}" in text and "Quota" in text
    assert "1,25" in text and "1.25" not in text  # fractional counts with the French decimal sign
    assert "Chen Wei élu·e" in text and "Arjun Rao non élu·e" in text  # standings translated
    assert "Round" not in text and "Elected" not in text and "Turnout" not in text
    rounds, turnout = page.all("img")
    assert rounds["alt"].startswith("Graphique linéaire du décompte de Board of Directors 2027 (VUT Meek)")
    assert f"Élu·es{NBSP}: Chen Wei (tour" in rounds["alt"] and "Quota 1,22." in rounds["alt"]
    assert turnout["alt"].startswith("Diagramme en barres de la participation")
    assert "générale" in turnout["alt"] and "premier rang" in turnout["alt"]
    assert "Graphiques" in text

    motion = read(out / "motions" / f"m{run.roll_call_id}.html")
    roll = motion.plain
    assert "Appel nominal" in roll and f"Vote de chaque membre sur M{run.roll_call_id}" in roll
    for name, vote in (("Alice Martin", "pour"), ("Chen Wei", "contre"), ("Dana Kowalski", "abstention")):
        assert f"{name} {vote}" in roll
    assert "Adoptée." in roll and "Seuil plus de 1/2 des suffrages exprimés hors abstentions" in roll
    # the recorded reason is built again from the recorded figures, in French
    assert "Adoptée : quorum atteint (4 participant·es, 2 requis sur 4 en fonction)" in roll
    assert str(run.roll_call["reason"]) not in roll and 'lang="en"' not in (
        out / "motions" / f"m{run.roll_call_id}.html"
    ).read_text(encoding="utf-8")
    (chart,) = motion.all("img")
    assert chart["alt"].startswith(f"Diagramme en barres des votes sur M{run.roll_call_id}")
    assert "2 pour, 1 contre" in chart["alt"]

    for name in report.pages:
        assert accessibility_problems(read(out / name)) == [], name
        assert '<html lang="fr">' in (out / name).read_text(encoding="utf-8"), name


async def test_an_english_build_of_the_same_run_stays_english(run: Run, tmp_path: Path) -> None:
    out = tmp_path / "site"
    await site.publish(run.ctx, out, generated=GENERATED)
    assert '<html lang="en">' in (out / "index.html").read_text(encoding="utf-8")
    index = read(out / "index.html").plain
    assert "Elections, newest first" in index and "board · 3 members" in index
    assert "Published by govbot on 2026-12-01 16:00 UTC" in index
    page = read(out / "elections" / "board-2027.html")
    assert "5 ballots counted for 3 seats. The secretariat certified this result." in page.plain
    assert "Counting method Meek STV" in page.plain and "1.25" in page.plain
    assert "Chen Wei elected" in page.plain and "Arjun Rao not elected" in page.plain
    alt = page.all("img")[0]["alt"]
    assert alt.startswith("Line chart of the count of Board of Directors 2027 (Meek STV)")
    assert "Gouvernance" not in page.plain and "Tour" not in page.plain


async def test_an_unknown_language_or_zone_is_refused_before_anything_is_written(
    run: Run, tmp_path: Path
) -> None:
    with pytest.raises(InvalidInput, match="cannot publish the site in 'de'"):
        await site.publish(run.ctx, tmp_path / "de", locale="de")
    with pytest.raises(InvalidInput, match="Unknown time zone 'Mars/Olympus'"):
        await site.publish(run.ctx, tmp_path / "mars", timezone="Mars/Olympus")
    assert list(tmp_path.iterdir()) == []
    report = await site.publish(run.ctx, tmp_path / "fr", locale="fr-CA")  # a regional variant is French
    assert '<html lang="fr">' in (report.out / "index.html").read_text(encoding="utf-8")


def test_charts_speak_the_current_locale_with_its_numbers() -> None:
    rows = [TierTurnout("général", 1234, 2000), TierTurnout("académique", 5, None)]
    big = count_motion(1200, 34, seated=1500, quorum=Fraction(1, 2), threshold=Fraction(2, 3))
    with i18n.using_locale("fr"):
        (chart,) = charts.charts_for_election(None, title="CA 2027", turnout=rows, gettext=i18n.gettext)
        motion = charts.motion_chart(big, "M9", i18n.gettext)
    assert chart.title == f"Participation{NBSP}: CA 2027"
    assert f"général{NBSP}: 1{NNBSP}234 sur 2{NNBSP}000" in chart.alt
    assert f"académique{NBSP}: 5" in chart.alt
    assert f"1{NNBSP}200 pour, 34 contre" in motion.alt
    assert f"sur 1{NNBSP}500 membres en fonction" in motion.alt
    with i18n.using_locale("en"):
        english = charts.motion_chart(big, "M9", i18n.gettext)
    assert "1,200 yes, 34 no" in english.alt and english.png.startswith(b"\x89PNG")


def test_method_names_are_translated_and_unknown_ones_shown_as_stored() -> None:
    french = lambda text: i18n.translate(text, "fr")  # noqa: E731
    assert charts.method_name("stv-scottish", french) == "VUT écossais"
    assert charts.method_name("irv", french) == "vote alternatif"
    assert charts.method_name("stv-meek") == "Meek STV"
    assert charts.method_name("borda-local", french) == "borda-local"


def test_the_catalog_translates_every_message_of_the_site_and_the_charts() -> None:
    """The site's and the charts' share of tests/test_i18n.py, which also covers every other module (and
    fails until their messages are translated): complete, not fuzzy, placeholders kept."""
    catalog = i18n.catalog("fr")
    assert catalog is not None
    problems = []
    seen = 0
    for filename, lineno, message, _comments, _context in extract_from_dir(
        str(ROOT),
        method_map=SITE_SOURCES,
        options_map={"bot/templates/**.html": {"trimmed": "true"}},
        keywords={**DEFAULT_KEYWORDS, "tr": None},
    ):
        seen += 1
        key = message[0] if isinstance(message, tuple) else message
        entry = catalog.get(key)
        strings = entry.string if entry is not None else None
        translated = strings if isinstance(strings, tuple | list) else (strings,)
        if entry is None or entry.fuzzy or not all(translated):
            problems.append(f"{filename}:{lineno}: untranslated {message!r}")
            continue
        ids = message if isinstance(message, tuple) else (message,)
        expected = set().union(*(_fields(i) for i in ids)) - {"n"}
        if any(_fields(t) - {"n"} != expected for t in translated):
            problems.append(f"{filename}:{lineno}: placeholders differ in {translated!r}")
    assert seen > 150
    assert problems == []


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_govbot_publish_takes_its_language_from_the_option_or_the_setting(
    run: Run, db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("GOVBOT_SECRET", "test-secret-not-for-production")
    monkeypatch.setenv("GOVBOT_LOCALE", "fr")
    await run.ctx.db.dispose()
    monkeypatch.setattr("bot.schema.ensure_current", _current)
    assert await _cli(["publish", "--out", str(tmp_path / "setting")]) == 0
    assert '<html lang="fr">' in (tmp_path / "setting" / "index.html").read_text(encoding="utf-8")
    assert await _cli(["publish", "--out", str(tmp_path / "option"), "--locale", "en"]) == 0
    assert '<html lang="en">' in (tmp_path / "option" / "index.html").read_text(encoding="utf-8")
    monkeypatch.setenv("GOVBOT_LOCALE", "de")
    assert await _cli(["publish", "--out", str(tmp_path / "refused")]) == 1
    assert "cannot publish the site in 'de'" in capsys.readouterr().err
    assert not (tmp_path / "refused").exists()


async def _current(db: object) -> None:
    """The test database is made from the models, not migrated: it is current by construction."""


async def _cli(argv: list[str]) -> int:
    import asyncio

    return await asyncio.to_thread(cli_main, argv)
