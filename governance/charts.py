"""Charts of results, drawn headless: PNG bytes with a title and alt text, ready for chat, site and bundles.

Every chart is a pure function of stored result data (an election's result JSON or ``Result``, a motion's
result JSON or ``MotionResult``, turnout figures) and draws on its own ``matplotlib.figure.Figure`` with
the Agg canvas, never pyplot's global state, so charts can be drawn from several threads at once.

Charts are 1080 pixels wide with large type, to stay readable on a phone, and use the Okabe–Ito palette
(and viridis for the pairwise heat map), which stays distinct for colour-blind readers; elected,
excluded and "did not vote" are also told apart by marker or hatching, not by colour alone.

Every visible string goes through the ``gettext`` argument (the identity by default), called as ``tr``
inside: pass ``governance.i18n.gettext`` to translate labels, titles and alt text into the current locale
(``tr`` is an extraction keyword of ``make messages``). Numbers are written in the current locale too
(``governance.i18n.using_locale``: 1,234.5 or 1 234,5). Names inside come from the stored results.
"""

from __future__ import annotations

import io
import textwrap
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import Any, Protocol, cast

import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import Normalize
from matplotlib.figure import Figure

from governance import i18n, labels
from governance.tally.motion import MotionResult, reason_in
from governance.tally.result import Result

Gettext = Callable[[str], str]

WIDTH_PX = 1080
DPI = 100
OKABE_ITO = (
    "#0072B2",  # blue
    "#E69F00",  # orange
    "#009E73",  # bluish green
    "#D55E00",  # vermillion
    "#CC79A7",  # reddish purple
    "#56B4E9",  # sky blue
    "#000000",  # black
    "#F0E442",  # yellow (last: weakest on white)
)
GREY = "#BBBBBB"
LIGHT_GREY = "#E6E6E6"
LINE_STYLES = ("-", "--", ":", "-.")
TITLE_PT = 26
LABEL_PT = 22
TICK_PT = 20
NOTE_PT = 18

METHOD_NAMES = labels.METHODS  # English names, translated where shown
THRESHOLD_BASES = labels.THRESHOLD_BASES  # what a motion's threshold is measured against


@dataclass(frozen=True, slots=True)
class Chart:
    """One rendered chart: ``name`` (file stem, e.g. ``rounds``), title, alt text, PNG bytes, pixel size."""

    name: str
    title: str
    alt: str
    png: bytes
    width: int
    height: int

    @property
    def filename(self) -> str:
        """The file name to publish the chart under."""
        return f"{self.name}.png"


@dataclass(frozen=True, slots=True)
class TierTurnout:
    """Turnout of one organisation tier: how many voted, out of how many could (None when unknown)."""

    tier: str
    voted: int
    eligible: int | None


class _ElectionViewLike(Protocol):
    """What ``charts_for_election`` reads of ``governance.services.elections.ElectionView``."""

    @property
    def result(self) -> dict[str, object] | None: ...


class _MotionViewLike(Protocol):
    """What ``charts_for_motion`` reads of ``governance.services.motions.MotionView``."""

    @property
    def result(self) -> dict[str, object] | None: ...


def _identity(text: str) -> str:
    return text


def to_number(value: object) -> float:
    """A stored count (int, float, decimal string, ``Fraction``, ``"p/q"``) as a float to plot."""
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, int | float | Fraction | Decimal):
        return float(value)
    if isinstance(value, str):
        try:
            return float(Fraction(value)) if "/" in value else float(Decimal(value))
        except (InvalidOperation, ValueError, ZeroDivisionError):
            raise ValueError(f"not a count: {value!r}") from None
    raise ValueError(f"not a count: {value!r}")


def format_number(value: float) -> str:
    """A count for people in the current locale: whole numbers as such, others with at most two decimals
    (1,234.5 in English, 1 234,5 in French)."""
    if abs(value - round(value)) < 1e-6:
        return i18n.format_number(round(value))
    return i18n.format_number(Decimal(f"{value:.2f}").normalize())


def _result_data(result: Result | Mapping[str, Any]) -> Mapping[str, Any]:
    return result.to_json() if isinstance(result, Result) else result


def _figure(height_px: int) -> tuple[Figure, FigureCanvasAgg]:
    fig = Figure(figsize=(WIDTH_PX / DPI, height_px / DPI), dpi=DPI, layout="constrained")
    fig.get_layout_engine().set(h_pad=0.12, w_pad=0.12)  # type: ignore[union-attr, call-arg]
    return fig, FigureCanvasAgg(fig)


def _render(name: str, title: str, alt: str, fig: Figure, canvas: FigureCanvasAgg) -> Chart:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI, facecolor="white")
    width, height = canvas.get_width_height()
    return Chart(name=name, title=title, alt=alt, png=buffer.getvalue(), width=width, height=height)


def _wrap(text: str, width: int) -> str:
    return "\n".join(textwrap.wrap(text, width, break_on_hyphens=False))


def _title(fig: Figure, ax: Axes, title: str, subtitle: str | None = None, width: int = 50) -> None:
    fig.suptitle(_wrap(title, 40), fontsize=TITLE_PT, fontweight="bold")
    if subtitle:  # centred over the axes, which long tick labels can push right: ``width`` keeps it inside
        ax.set_title(_wrap(subtitle, width), fontsize=LABEL_PT, pad=16)


def _style_axes(ax: Axes) -> None:
    ax.tick_params(labelsize=TICK_PT)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)


def method_name(method: str, tr: Gettext = _identity) -> str:
    """A counting method's name for people (``stv-meek`` -> Meek STV), translated by ``tr``; unknown
    methods (an operator's own) are shown as stored."""
    return tr(METHOD_NAMES[method]) if method in METHOD_NAMES else method


def _method(data: Mapping[str, Any], tr: Gettext) -> str:
    return method_name(str(data.get("method", "")), tr)


def rounds_chart(result: Result | Mapping[str, Any], title: str, gettext: Gettext | None = None) -> Chart:
    """A count round by round: each candidate's votes per round, the quota, and who was elected or excluded.

    One line per candidate (colour, line style and marker differ, so eight or more stay apart), a star
    where a candidate is elected and a cross where one is excluded; the quota as a dashed black step
    line, and the exhausted votes in grey. The legend says each candidate's fate and round.
    """
    tr = gettext or _identity
    data = _result_data(result)
    rounds: list[Mapping[str, Any]] = list(data.get("rounds", []))
    candidates: list[str] = [str(c) for c in data.get("candidates", [])]
    numbers = [int(r["round"]) for r in rounds]
    fate: dict[str, tuple[str, int]] = {}
    for r in rounds:
        for name in r.get("elected", []):
            fate.setdefault(str(name), ("elected", int(r["round"])))
        for name in r.get("excluded", []):
            fate.setdefault(str(name), ("excluded", int(r["round"])))
    shown = [c for c in candidates if any(c in r.get("counts", {}) for r in rounds)]
    legend_rows = len(shown) + 2
    height = 860 + 44 * legend_rows
    fig, canvas = _figure(height)
    ax = fig.add_subplot()
    _style_axes(ax)
    for index, name in enumerate(shown):
        colour = OKABE_ITO[index % len(OKABE_ITO)]
        style = LINE_STYLES[(index // len(OKABE_ITO)) % len(LINE_STYLES)]
        xs: list[int] = []
        ys: list[float] = []
        for r in rounds:
            if name in r.get("counts", {}):
                xs.append(int(r["round"]))
                ys.append(to_number(r["counts"][name]))
            if fate.get(name, ("", 0)) == ("excluded", int(r["round"])):
                break
        status, at = fate.get(name, ("", 0))
        if status == "elected":
            label = tr("{name}: elected in round {round}").format(name=name, round=at)
        elif status == "excluded":
            label = tr("{name}: excluded in round {round}").format(name=name, round=at)
        else:
            label = tr("{name}: not elected").format(name=name)
        ax.plot(xs, ys, style, color=colour, linewidth=3.5, marker="o", markersize=7, label=label)
        if status and at in xs:
            y = ys[xs.index(at)]
            marker = "*" if status == "elected" else "X"
            ax.plot(
                [at],
                [y],
                marker,
                color=colour,
                markersize=26 if status == "elected" else 20,
                markeredgecolor="black",
                markeredgewidth=1.5,
                zorder=5,
            )
    quotas = [(int(r["round"]), to_number(r["quota"])) for r in rounds if r.get("quota") is not None]
    if quotas:
        ax.step(
            [q[0] for q in quotas],
            [q[1] for q in quotas],
            "--",
            where="mid",
            color="black",
            linewidth=2.5,
            label=tr("quota"),
        )
    exhausted = [to_number(r.get("exhausted", 0)) for r in rounds]
    if any(exhausted):
        ax.plot(
            numbers, exhausted, ":", color="#666666", linewidth=2.5, label=tr("exhausted (no further choice)")
        )
    ax.set_xticks(numbers)
    ax.set_xlabel(tr("round"), fontsize=LABEL_PT)
    ax.set_ylabel(tr("votes"), fontsize=LABEL_PT)
    ax.set_ylim(bottom=0)
    ax.grid(axis="y", color=LIGHT_GREY)
    fig.legend(loc="outside lower center", fontsize=NOTE_PT, frameon=False)
    subtitle = tr("{method}, {seats} seat(s), {ballots} ballots").format(
        method=_method(data, tr),
        seats=format_number(to_number(data.get("seats", 0))),
        ballots=format_number(to_number(data.get("ballots", 0))),
    )
    _title(fig, ax, title, subtitle)
    alt = _rounds_alt(data, rounds, shown, fate, title, tr)
    return _render("rounds", title, alt, fig, canvas)


def _rounds_alt(
    data: Mapping[str, Any],
    rounds: Sequence[Mapping[str, Any]],
    shown: Sequence[str],
    fate: Mapping[str, tuple[str, int]],
    title: str,
    tr: Gettext,
) -> str:
    parts = [
        tr(
            "Line chart of the count of {title} ({method}) over {n} rounds: votes per candidate per round."
        ).format(title=title, method=_method(data, tr), n=len(rounds))
    ]
    if rounds:
        first, last = rounds[0], rounds[-1]
        parts.append(
            tr("Round 1: {counts}.").format(
                counts=", ".join(
                    f"{n} {format_number(to_number(v))}" for n, v in first.get("counts", {}).items()
                )
            )
        )
        if len(rounds) > 1:
            parts.append(
                tr("Round {round}: {counts}.").format(
                    round=last["round"],
                    counts=", ".join(
                        f"{n} {format_number(to_number(v))}" for n, v in last.get("counts", {}).items()
                    ),
                )
            )
        if last.get("quota") is not None:
            parts.append(tr("Quota {quota}.").format(quota=format_number(to_number(last["quota"]))))
    elected = [f"{n} ({tr('round')} {fate[n][1]})" for n in shown if fate.get(n, ("", 0))[0] == "elected"]
    excluded = [f"{n} ({tr('round')} {fate[n][1]})" for n in shown if fate.get(n, ("", 0))[0] == "excluded"]
    parts.append(tr("Elected: {names}.").format(names=", ".join(elected) or tr("nobody")))
    if excluded:
        parts.append(tr("Excluded: {names}.").format(names=", ".join(excluded)))
    return " ".join(parts)


def counts_chart(result: Result | Mapping[str, Any], title: str, gettext: Gettext | None = None) -> Chart:
    """A single-round count (plurality, approval) as horizontal bars, the elected filled and marked."""
    tr = gettext or _identity
    data = _result_data(result)
    rounds = list(data.get("rounds", []))
    counts: Mapping[str, Any] = rounds[-1].get("counts", {}) if rounds else {}
    elected = {str(n) for n in data.get("elected", [])}
    order = sorted(counts, key=lambda n: (-to_number(counts[n]), n))
    fig, canvas = _figure(320 + 80 * max(len(order), 1))
    ax = fig.add_subplot()
    _style_axes(ax)
    values = [to_number(counts[n]) for n in order]
    labels = [f"{n} ✓" if n in elected else n for n in order]
    colours = [OKABE_ITO[0] if n in elected else GREY for n in order]
    hatches = ["" if n in elected else "//" for n in order]
    bars = ax.barh(labels, values, color=colours, hatch=hatches, edgecolor="black")
    ax.bar_label(bars, labels=[format_number(v) for v in values], fontsize=TICK_PT, padding=6)
    ax.invert_yaxis()
    ax.set_xlabel(tr("votes"), fontsize=LABEL_PT)
    ax.set_xlim(0, max([*values, 1]) * 1.15)
    subtitle = tr("{method}, {seats} seat(s), {ballots} ballots; ✓ elected").format(
        method=_method(data, tr),
        seats=format_number(to_number(data.get("seats", 0))),
        ballots=format_number(to_number(data.get("ballots", 0))),
    )
    _title(fig, ax, title, subtitle)
    alt = tr("Bar chart of {title} ({method}): {counts}. Elected: {names}.").format(
        title=title,
        method=_method(data, tr),
        counts=", ".join(f"{n} {format_number(v)}" for n, v in zip(order, values, strict=True)),
        names=", ".join(n for n in order if n in elected) or tr("nobody"),
    )
    return _render("tally", title, alt, fig, canvas)


def _pairwise_round(data: Mapping[str, Any]) -> Mapping[str, Any] | None:
    for r in reversed(list(data.get("rounds", []))):
        extra = r.get("extra") or {}
        if "pairwise" in extra and "candidates" in extra:
            return dict(extra)
    return None


def ranking_text(ranking: Sequence[Sequence[str]]) -> str:
    """A ranking as people write it: ``Ann > Bob = Cy > Di`` (``=`` joins candidates ranked equally)."""
    return " > ".join(" = ".join(tier) for tier in ranking)


def pairwise_chart(result: Result | Mapping[str, Any], title: str, gettext: Gettext | None = None) -> Chart:
    """The Condorcet pairwise matrix as a heat map, rows and columns in the order of the method's ranking.

    Cell (row, column) holds the number of voters who put the row's candidate above the column's; its
    colour (viridis) is that number's share of the voters who told the two apart, so a row of bright
    cells is a candidate who beats everyone. Raises ``ValueError`` for a result with no pairwise matrix.
    """
    tr = gettext or _identity
    data = _result_data(result)
    extra = _pairwise_round(data)
    if extra is None:
        raise ValueError("this result has no pairwise matrix (only Condorcet counts have one)")
    names = [str(n) for n in extra["candidates"]]
    matrix = np.array(extra["pairwise"], dtype=np.float64)
    ranking: list[list[str]] = [list(map(str, t)) for t in (data.get("ranking") or [[n] for n in names])]
    order = [n for tier in ranking for n in tier if n in names]
    idx = [names.index(n) for n in order]
    sub = matrix[np.ix_(idx, idx)]
    both = sub + sub.T
    share = np.divide(sub, both, out=np.full_like(sub, 0.5), where=both > 0)
    n = len(order)
    fig, canvas = _figure(max(760, 420 + 78 * n))
    ax = fig.add_subplot()
    norm = Normalize(0.0, 1.0)
    cells = np.where(np.eye(n, dtype=bool), np.nan, share)  # the diagonal is left blank
    image = ax.imshow(cells, cmap="viridis", norm=norm, aspect="auto")
    place = {name: tier_no for tier_no, tier in enumerate(ranking, start=1) for name in tier}
    ax.set_xticks(range(n), order, rotation=40, ha="right", fontsize=TICK_PT)
    ax.set_yticks(range(n), [f"{place.get(c, '')}. {c}" for c in order], fontsize=TICK_PT)
    ax.tick_params(length=0)
    cell_pt = max(12, min(LABEL_PT, int(260 / max(n, 1))))
    for i in range(n):
        for j in range(n):
            if i == j:
                ax.text(j, i, "–", ha="center", va="center", fontsize=cell_pt, color="#444444")
                continue
            bright = share[i, j] > 0.6
            ax.text(
                j,
                i,
                format_number(sub[i, j]),
                ha="center",
                va="center",
                fontsize=cell_pt,
                color="black" if bright else "white",
                fontweight="bold",
            )
    ax.set_xlabel(
        _wrap(tr("Each cell: voters who prefer the row's candidate to the column's"), 50),
        fontsize=NOTE_PT,
    )
    bar = fig.colorbar(image, ax=ax, location="bottom", shrink=0.8)
    bar.set_label(
        _wrap(tr("colour: their share of the voters who ranked the two apart"), 50), fontsize=NOTE_PT
    )
    bar.ax.tick_params(labelsize=NOTE_PT)
    method = _method(data, tr)
    subtitle = tr("{method} ranking: {ranking}").format(method=method, ranking=ranking_text(ranking))
    _title(fig, ax, title, subtitle, width=36)
    wins = []
    for i, a in enumerate(order):
        beaten = [order[j] for j in range(n) if j != i and sub[i, j] > sub[j, i]]
        if beaten:
            wins.append(tr("{name} beats {names}").format(name=a, names=", ".join(beaten)))
    alt = " ".join(
        [
            tr("Heat map of the pairwise preferences in {title} ({method}), {ballots} ballots.").format(
                title=title, method=method, ballots=format_number(to_number(data.get("ballots", 0)))
            ),
            tr("Ranking: {ranking}.").format(ranking=ranking_text(ranking)),
            ("; ".join(wins) + ".") if wins else tr("No candidate beats another."),
            tr("Elected: {names}.").format(
                names=", ".join(map(str, data.get("elected", []))) or tr("nobody")
            ),
        ]
    )
    return _render("pairwise", title, alt, fig, canvas)


def _motion_data(result: MotionResult | Mapping[str, Any]) -> Mapping[str, Any]:
    return result.to_json() if isinstance(result, MotionResult) else result


def motion_chart(
    result: MotionResult | Mapping[str, Any], title: str, gettext: Gettext | None = None
) -> Chart:
    """A motion's votes against its quorum and its threshold, as two stacked bars of seated members.

    The first bar shows who took part (yes, no, abstain, did not vote) with the quorum marked; the
    second shows the yes votes within the threshold's base with the number of yes votes needed marked.
    """
    tr = gettext or _identity
    data = _motion_data(result)
    counts = data["counts"]
    yes, no, abstain = int(counts["yes"]), int(counts["no"]), int(counts["abstain"])
    seated = int(data["seated"])
    absent = max(seated - yes - no - abstain, 0)
    base_of = str(data.get("threshold_of", "cast_excluding_abstentions"))
    fig, canvas = _figure(820)
    ax = fig.add_subplot()
    _style_axes(ax)
    segments = [
        (tr("yes"), OKABE_ITO[0], "", "white"),
        (tr("no"), OKABE_ITO[3], "", "white"),
        (tr("abstain"), OKABE_ITO[1], "..", "black"),
        (tr("did not vote"), LIGHT_GREY, "//", "black"),
    ]
    rows = {
        tr("taking part"): [yes, no, abstain, absent],
        tr("threshold"): [
            yes,
            no,
            abstain if base_of in ("cast", "seated") else 0,
            absent if base_of == "seated" else 0,
        ],
    }
    labels = list(rows)
    for k, (label, colour, hatch, ink) in enumerate(segments):
        widths = [rows[r][k] for r in labels]
        lefts = [sum(rows[r][:k]) for r in labels]
        bars = ax.barh(
            labels, widths, left=lefts, color=colour, hatch=hatch, edgecolor="black", height=0.55, label=label
        )
        numbers = ax.bar_label(
            bars,
            labels=[format_number(w) if w else "" for w in widths],
            label_type="center",
            fontsize=LABEL_PT,
            color=ink,
            fontweight="bold",
        )
        if hatch:  # a white patch keeps the number legible over the hatching
            for number in numbers:
                number.set_bbox({"boxstyle": "round,pad=0.2", "facecolor": "white", "edgecolor": "none"})
    ax.invert_yaxis()
    quorum_needed = int(data["quorum_needed"])
    yes_needed = int(data["yes_needed"])
    comparison = str(data.get("comparison", ">="))
    for row, at, text in (
        (0, quorum_needed, tr("quorum: {n}").format(n=format_number(quorum_needed))),
        (1, yes_needed, tr("needed: {n} yes").format(n=format_number(yes_needed))),
    ):
        ax.plot([at, at], [row - 0.42, row + 0.42], color="black", linewidth=4, linestyle="--")
        ax.annotate(
            text,
            (at, row - 0.42),
            xytext=(0, 6),
            textcoords="offset points",
            ha="center",
            va="bottom",
            fontsize=NOTE_PT,
            fontweight="bold",
        )
    ax.set_xlim(0, max(seated, yes_needed, quorum_needed, 1) * 1.08)
    ax.set_ylim(1.75, -0.85)
    ax.set_xlabel(tr("seated members ({n})").format(n=format_number(seated)), fontsize=LABEL_PT)
    ax.xaxis.get_major_locator().set_params(integer=True)  # type: ignore[call-arg]
    fig.legend(loc="outside lower center", ncols=4, fontsize=NOTE_PT, frameon=False)
    verdict = (
        tr("passed")
        if data.get("passed")
        else (tr("failed: no quorum") if not data.get("quorum_met") else tr("failed"))
    )
    subtitle = tr("{verdict}; threshold {threshold} ({comparison}) of {base}").format(
        verdict=verdict,
        threshold=data.get("threshold", ""),
        comparison=comparison,
        base=tr(THRESHOLD_BASES[base_of]) if base_of in THRESHOLD_BASES else base_of,
    )
    _title(fig, ax, title, subtitle)
    alt = tr(
        "Bar chart of the votes on {title}: {yes} yes, {no} no, {abstain} abstain, {absent} did not vote, "
        "of {seated} seated. Quorum {quorum} needed, {taking} taking part. {needed} yes needed. {reason}"
    ).format(
        title=title,
        yes=format_number(yes),
        no=format_number(no),
        abstain=format_number(abstain),
        absent=format_number(absent),
        seated=format_number(seated),
        quorum=format_number(quorum_needed),
        taking=format_number(to_number(data.get("participation", yes + no + abstain))),
        needed=format_number(yes_needed),
        reason=reason_in(data, lambda msgid, /, **fields: tr(msgid).format(**fields))
        or data.get("reason", ""),
    )
    return _render("motion", title, alt, fig, canvas)


def turnout_chart(rows: Sequence[TierTurnout], title: str, gettext: Gettext | None = None) -> Chart:
    """Turnout by organisation tier: the share of each tier's electorate that voted, with the counts.

    A tier whose electorate is unknown (``eligible`` None) shows its voters without a share.
    """
    tr = gettext or _identity
    fig, canvas = _figure(340 + 90 * max(len(rows), 1))
    ax = fig.add_subplot()
    _style_axes(ax)
    known = all(r.eligible for r in rows)
    if known and rows:
        shares = [100.0 * r.voted / (r.eligible or 1) for r in rows]
        labels = [
            tr("{tier}\n{voted} of {eligible} ({share})").format(
                tier=r.tier,
                voted=format_number(r.voted),
                eligible=format_number(r.eligible or 0),
                share=i18n.format_percent(round(s) / 100),
            )
            for r, s in zip(rows, shares, strict=True)
        ]
        ax.barh(
            labels,
            [100.0] * len(rows),
            color=LIGHT_GREY,
            hatch="//",
            edgecolor="black",
            height=0.6,
            label=tr("did not vote"),
        )
        ax.barh(labels, shares, color=OKABE_ITO[0], edgecolor="black", height=0.6, label=tr("voted"))
        ax.set_xlim(0, 100)
        ax.set_xlabel(tr("% of the tier's electorate"), fontsize=LABEL_PT)
        fig.legend(loc="outside lower center", ncols=2, fontsize=NOTE_PT, frameon=False)
    else:
        labels = [r.tier for r in rows]
        values = [r.voted for r in rows]
        bars = ax.barh(labels, values, color=OKABE_ITO[0], edgecolor="black", height=0.6)
        ax.bar_label(bars, labels=[format_number(v) for v in values], fontsize=NOTE_PT, padding=8)
        ax.set_xlim(0, max([*values, 1]) * 1.2)
        ax.set_xlabel(tr("voters"), fontsize=LABEL_PT)
    ax.invert_yaxis()
    total_voted = sum(r.voted for r in rows)
    total_eligible = sum(r.eligible or 0 for r in rows)
    subtitle = (
        tr("turnout {voted} of {eligible}").format(
            voted=format_number(total_voted), eligible=format_number(total_eligible)
        )
        if known and rows
        else tr("{voted} voters").format(voted=format_number(total_voted))
    )
    _title(fig, ax, title, subtitle)
    details = "; ".join(
        tr("{tier}: {voted} of {eligible}").format(
            tier=r.tier, voted=format_number(r.voted), eligible=format_number(r.eligible)
        )
        if r.eligible
        else tr("{tier}: {voted}").format(tier=r.tier, voted=format_number(r.voted))
        for r in rows
    )
    alt = tr("Bar chart of turnout by organisation tier in {title}: {details}.").format(
        title=title, details=details or tr("no voters")
    )
    return _render("turnout", title, alt, fig, canvas)


def charts_for_election(
    election: _ElectionViewLike | Result | Mapping[str, Any] | None,
    *,
    title: str,
    turnout: Sequence[TierTurnout] = (),
    gettext: Gettext | None = None,
) -> list[Chart]:
    """Every chart that explains an election's result, in reading order.

    ``election`` is what the services give: an ``ElectionView`` (its stored result JSON is read), a
    ``Result`` from ``elections.close``, or the result JSON itself; None (no result yet) gives only the
    turnout chart. Condorcet counts get the pairwise heat map, counts of several rounds the round-by-round
    chart, single-round counts a bar chart; turnout by tier follows when given.
    """
    tr = gettext or _identity
    data: Mapping[str, Any] | None
    if election is None or isinstance(election, Result | Mapping):
        data = _result_data(election) if election is not None else None
    else:
        data = cast("Mapping[str, Any] | None", election.result)
    charts: list[Chart] = []
    if data is not None:
        if _pairwise_round(data) is not None:
            charts.append(pairwise_chart(data, title, tr))
        elif len(data.get("rounds", [])) > 1:
            charts.append(rounds_chart(data, title, tr))
        elif data.get("rounds"):
            charts.append(counts_chart(data, title, tr))
    if turnout:
        charts.append(turnout_chart(turnout, tr("Turnout: {title}").format(title=title), tr))
    return charts


def charts_for_motion(
    motion: _MotionViewLike | MotionResult | Mapping[str, Any] | None,
    *,
    title: str,
    gettext: Gettext | None = None,
) -> list[Chart]:
    """The chart of a decided motion (a ``MotionView``, a ``MotionResult`` or its JSON); none while open."""
    if motion is None:
        return []
    data: Mapping[str, Any] | None = (
        _motion_data(motion) if isinstance(motion, MotionResult | Mapping) else motion.result
    )
    if data is None:
        return []
    return [motion_chart(data, title, gettext)]
