"""``govbot publish --out DIR``: the transparency site, static HTML anyone can read without JavaScript.

It shows bodies and their members, working groups with their charters, elections and motions with their
results, charts (PNG with alt text), round-by-round tables, the policy that governed each poll (name,
version, SHA-256 of its source) and the head of each audit chain, with the downloadable audit bundle
(``governance.export``) with the command that verifies it.
Secret ballots stay secret: an election page gives totals and turnout, never a ballot or who chose
what; roll-call motions list each member's vote by name.

What may be published is decided by ``governance.services.publication`` (a poll's ballots, roll call
and result only once it is counted; never an open poll's ballots) and read there in read-only
transactions: this module renders what it is given and reads no table. The site is built
in a fresh directory beside ``DIR`` and moved into place when complete, so a web server never serves a
half-written site; a directory that holds something other than a previous site is never overwritten.

Each build is in one language (``--locale en|fr``): every heading, label, caption and chart is translated
through ``governance.i18n`` (templates use ``{% trans %}`` blocks, whose ``%(name)s`` placeholders the
catalog checks), ``<html lang>`` names it, and dates and numbers are written as that language writes them,
dates in the deployment's time zone. Names, titles and motion texts are shown as the alliance wrote them.
A count's notes and tie-breaks and a motion's reason are shown in the site's language from the message
ids the count kept; a result recorded before counts kept them shows its notes in English, marked
``lang="en"`` for screen readers.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from governance import charts, checkpoints, export, i18n
from governance.charts import Chart, TierTurnout
from governance.errors import Conflict, InvalidInput
from governance.i18n import N_
from governance.services import bodies, elections, motions, publication
from governance.services.common import Context
from governance.services.publication import NO_ORGANISATION
from governance.tally.motion import reason_text
from governance.tally.result import Number, default_option_names, notes_in, round_note_in, tie_words

TEMPLATES = Path(__file__).parent / "templates" / "site"
MARKER = ".govbot-site"
# Stored values (phases, kinds, roles, standings, outcomes, votes, tiers) as people read them; a value
# not listed here (an operator's own tier or role) is shown as stored, underscores as spaces.
LABELS: dict[str, str] = {
    "draft": N_("in preparation"),
    "nominating": N_("taking nominations"),
    "voting": N_("voting"),
    "open": N_("open for votes"),
    "closed": N_("closed"),
    "certified": N_("certified"),
    "cancelled": N_("cancelled"),
    "board": N_("board"),
    "committee": N_("committee"),
    "working_group": N_("working group"),
    "member": N_("member"),
    "chair": N_("chair"),
    "co_chair": N_("co-chair"),
    "voting_rep": N_("voting representative"),
    "observer": N_("observer"),
    "emeritus": N_("emeritus"),
    "nominated": N_("nominated"),
    "accepted": N_("accepted"),
    "declined": N_("declined"),
    "withdrawn": N_("withdrawn"),
    "elected": N_("elected"),
    "not_elected": N_("not elected"),
    "ordinary": N_("ordinary"),
    "charter": N_("charter change"),
    "passed": N_("passed"),
    "failed": N_("failed"),
    "yes": N_("yes"),
    "no": N_("no"),
    "abstain": N_("abstain"),
    "premier": N_("premier"),
    "general": N_("general"),
    "academic": N_("academic"),
    "nonprofit": N_("non-profit"),
    NO_ORGANISATION: N_("no organisation"),
    **charts.THRESHOLD_BASES,
}


@dataclass(frozen=True)
class PublishedChart:
    """A chart written into the site: its file (relative to the site root), title, alt text and size."""

    path: str
    title: str
    alt: str
    width: int
    height: int


@dataclass(frozen=True)
class RoundTable:
    """A count's rounds as a table: one row per candidate, one column per round, then quota and exhausted."""

    rounds: list[int]
    rows: list[tuple[str, list[tuple[str, str]]]]  # name, [(count, "elected"/"excluded"/"")]
    quota: list[str] | None
    exhausted: list[str] | None
    notes: list[tuple[int, str, str]]  # round, note, the note's language


@dataclass
class SiteReport:
    """What ``publish`` wrote: page and chart counts and where."""

    out: Path
    pages: list[str] = field(default_factory=list)
    charts: list[str] = field(default_factory=list)
    bundles: list[str] = field(default_factory=list)


def _environment(locale: str, timezone: str) -> Environment:
    """The site's templates, translating into ``locale`` and writing times in ``timezone``."""
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        extensions=["jinja2.ext.i18n"],
    )

    def plural(singular: str, plural: str, n: int) -> str:
        with i18n.using_locale(locale):
            return i18n.ngettext(singular, plural, n)

    # newstyle: the template's %(name)s parameters are filled (and HTML-escaped) after translation
    env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=lambda msgid: i18n.translate(msgid, locale), ngettext=plural, newstyle=True
    )
    env.globals["lang"] = locale
    env.filters["date"] = lambda when: local_time(when, timezone, locale)
    env.filters["num"] = lambda value: i18n.format_number(value, locale) if value is not None else ""
    env.filters["label"] = lambda value: label(value, locale)
    env.filters["method"] = lambda name: charts.method_name(str(name), lambda m: i18n.translate(m, locale))
    env.filters["tie"] = lambda words: tie_words(str(words), locale)
    env.filters["notes"] = lambda result: result_notes(result, locale)
    env.filters["reason"] = lambda result: motion_reason(result, locale)
    return env


def label(value: object, locale: str) -> str:
    """A stored value (``working_group``, ``voting``, ``abstain``) as readers of ``locale`` say it."""
    text = str(value)
    if text in LABELS:
        return i18n.translate(LABELS[text], locale)
    return text.replace("_", " ").replace("-", " ")


def local_time(when: datetime | None, timezone: str, locale: str) -> str:
    """A stored UTC moment in the site's time zone and language, the zone named (2026-12-01 16:00 UTC,
    1 déc. 2026, 17:00 CET)."""
    if when is None:
        return ""
    moment = when if when.tzinfo else when.replace(tzinfo=UTC)
    return i18n.format_datetime(moment, timezone, locale)


def _utc(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def _cell(value: Number | str | None) -> str:
    if value is None:
        return ""
    return charts.format_number(charts.to_number(value))


def _in_language(english: str, shown: str, locale: str) -> tuple[str, str]:
    """A recorded sentence as shown, with its language: the site's, or English where it stayed English."""
    return shown, (locale if shown != english or locale == i18n.DEFAULT_LOCALE else "en")


def result_notes(result: Mapping[str, Any], locale: str) -> list[tuple[str, str]]:
    """A stored result's notes in ``locale``, each with its language."""
    english = [str(n) for n in result.get("notes", [])]
    return [_in_language(e, n, locale) for e, n in zip(english, notes_in(result, locale), strict=True)]


def motion_reason(result: Mapping[str, Any], locale: str) -> tuple[str, str]:
    """A stored motion result's reason in ``locale``, with its language."""
    return _in_language(str(result.get("reason", "")), reason_text(result, locale), locale)


def round_table(result: Mapping[str, Any], locale: str | None = None) -> RoundTable | None:
    """The rounds of a stored result as a table (None for a result without rounds), notes in ``locale``
    (the current one by default)."""
    locale = locale or i18n.current_locale()
    rounds: list[Mapping[str, Any]] = list(result.get("rounds", []))
    if not rounds:
        return None
    names = [str(n) for n in result.get("candidates", [])]
    shown = default_option_names(result, locale)  # "None Of The Above" in the site's language
    rows = []
    for name in names:
        cells = []
        for r in rounds:
            mark = (
                "elected"
                if name in r.get("elected", [])
                else "excluded"
                if name in r.get("excluded", [])
                else ""
            )
            cells.append((_cell(r.get("counts", {}).get(name)), mark))
        if any(value or mark for value, mark in cells):
            rows.append((shown.get(name, name), cells))
    quota = (
        [_cell(r.get("quota")) for r in rounds] if any(r.get("quota") is not None for r in rounds) else None
    )
    exhausted = [_cell(r.get("exhausted", 0)) for r in rounds]
    return RoundTable(
        rounds=[int(r["round"]) for r in rounds],
        rows=rows,
        quota=quota,
        exhausted=exhausted if any(charts.to_number(r.get("exhausted", 0)) for r in rounds) else None,
        notes=[
            (int(r["round"]), *_in_language(str(r["note"]), round_note_in(r, locale, shown), locale))
            for r in rounds
            if r.get("note")
        ],
    )


def _ranking(result: Mapping[str, Any] | None) -> str | None:
    ranking = (result or {}).get("ranking")
    return charts.ranking_text(ranking) if ranking else None


def _write_charts(site: Path, folder: str, made: Sequence[Chart], report: SiteReport) -> list[PublishedChart]:
    target = site / "charts" / folder
    target.mkdir(parents=True, exist_ok=True)
    out = []
    for chart in made:
        (target / chart.filename).write_bytes(chart.png)
        path = f"charts/{folder}/{chart.filename}"
        report.charts.append(path)
        out.append(PublishedChart(path, chart.title, chart.alt, chart.width, chart.height))
    return out


async def _bundle(ctx: Context, site: Path, subject: export.Subject, report: SiteReport) -> str:
    """Write the poll's audit bundle (zip) as the publication use case gives it; its path in the site."""
    path = f"bundles/{subject.folder}.zip"
    export.write_bundle(await publication.bundle(ctx, subject), site / path)
    report.bundles.append(path)
    return path


def _page(env: Environment, site: Path, path: str, template: str, report: SiteReport, **context: Any) -> None:
    depth = path.count("/")
    html = env.get_template(template).render(
        root="../" * depth, generated=context.pop("generated"), **context
    )
    target = site / path
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(html, encoding="utf-8")
    report.pages.append(path)


async def build(
    ctx: Context,
    site: Path,
    *,
    generated: datetime | None = None,
    locale: str = i18n.DEFAULT_LOCALE,
    timezone: str = "UTC",
) -> SiteReport:
    """Write the whole site into the empty directory ``site`` in ``locale``; returns what was written."""
    with i18n.using_locale(locale) as chosen:  # charts and round tables read the current locale
        return await _build(ctx, site, generated or ctx.now(), chosen, timezone)


async def _build(ctx: Context, site: Path, when: datetime, locale: str, timezone: str) -> SiteReport:
    env = _environment(locale, timezone)
    report = SiteReport(site)
    common: dict[str, Any] = {"generated": when}

    all_bodies = await bodies.list_bodies(ctx)
    body_pages = []
    for body, _count in all_bodies:
        _body, members = await bodies.members(ctx, body.slug)
        body_pages.append((body, members))
        _page(
            env,
            site,
            f"bodies/{body.slug}.html",
            "body.html",
            report,
            body=body,
            members=members,
            head=await publication.chain_head(ctx, f"body:{body.slug}"),
            elections=[e for e, b in await elections.list_elections(ctx, body.slug)],
            motions=[m for m, b in await motions.list_motions(ctx, body.slug)],
            **common,
        )

    election_rows = await elections.list_elections(ctx)
    for election, _body in election_rows:
        bundle = await _bundle(ctx, site, export.Subject("election", election.slug), report)
        shown = await publication.election_page(ctx, election.slug)
        view = shown.view
        tiers = [TierTurnout(label(t.tier, locale), t.voted, t.eligible) for t in shown.turnout]
        made = charts.charts_for_election(
            view, title=election.title, turnout=tiers if view.voters else (), gettext=i18n.gettext
        )
        _page(
            env,
            site,
            f"elections/{election.slug}.html",
            "election.html",
            report,
            view=view,
            result=view.result,
            table=round_table(view.result) if view.result else None,
            ranking=_ranking(view.result),
            charts=_write_charts(site, f"election-{election.slug}", made, report),
            turnout=shown.turnout,
            bundle=bundle,
            head=shown.head,
            **common,
        )

    motion_rows = await motions.list_motions(ctx)
    for motion, _body in motion_rows:
        bundle = await _bundle(ctx, site, export.Subject("motion", str(motion.id)), report)
        mshown = await publication.motion_page(ctx, motion.id or 0)
        mview = mshown.view
        made = charts.charts_for_motion(mview, title=f"M{motion.id}: {motion.title}", gettext=i18n.gettext)
        _page(
            env,
            site,
            f"motions/m{motion.id}.html",
            "motion.html",
            report,
            view=mview,
            result=mview.result,
            charts=_write_charts(site, f"motion-{motion.id}", made, report),
            bundle=bundle,
            head=mshown.head,
            **common,
        )

    for name, data in (await checkpoints.site_files(ctx)).items():  # signed heads and the public key
        (site / name).write_bytes(data)
    _page(
        env,
        site,
        "index.html",
        "index.html",
        report,
        bodies=[(b, m) for b, m in body_pages if b.kind != "working_group"],
        groups=[(b, m) for b, m in body_pages if b.kind == "working_group"],
        elections=election_rows,
        motions=motion_rows,
        **common,
    )
    shutil.copyfile(TEMPLATES / "style.css", site / "style.css")
    (site / MARKER).write_text(f"govbot transparency site, generated {_utc(when)}\n", encoding="utf-8")
    return report


async def publish(
    ctx: Context,
    out: Path,
    *,
    generated: datetime | None = None,
    locale: str = i18n.DEFAULT_LOCALE,
    timezone: str = "UTC",
) -> SiteReport:
    """Build the site in ``locale`` beside ``out`` and move it into place whole, replacing a previous
    govbot site; times are shown in ``timezone`` (an IANA name).

    Refuses (``InvalidInput``/``Conflict``, nothing written) when the locale is not one govbot speaks,
    the time zone is unknown, ``out`` is a file, or a non-empty directory that is not a site govbot wrote.
    """
    chosen = i18n.negotiate(locale)
    if not locale.replace("-", "_").lower().startswith(chosen):  # negotiate falls back to English
        raise InvalidInput(
            f"govbot cannot publish the site in {locale!r}.",
            f"Choose one of: {', '.join(i18n.SUPPORTED_LOCALES)}.",
        )
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput(
            f"Unknown time zone {timezone!r}.", "Give an IANA name such as UTC or Europe/Paris."
        ) from None
    out = out.expanduser().resolve()
    if out.exists() and not out.is_dir():
        raise InvalidInput(
            f"{out} is a file, not a directory.", "Give --out a directory to write the site into."
        )
    if out.is_dir() and any(out.iterdir()) and not (out / MARKER).exists():
        raise Conflict(
            f"{out} already holds files that govbot did not write.",
            "Give --out an empty or new directory (a previous govbot site there is replaced).",
        )
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    staging.chmod(0o755)  # mkdtemp makes it private; the site is for everyone to read
    try:
        report = await build(ctx, staging, generated=generated, locale=chosen, timezone=timezone)
        if out.exists():
            old = out.with_name(f".{out.name}.old")
            shutil.rmtree(old, ignore_errors=True)
            out.rename(old)
            staging.rename(out)
            shutil.rmtree(old, ignore_errors=True)
        else:
            staging.rename(out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    report.out = out
    return report
