"""Charts drawn from real counts: the counting engine's results and the services' stored results.

Each chart must be a PNG of the size it reports, 1080 pixels wide, with real content (many colours, not
a blank canvas), a title and alt text that state the outcome in words.
"""

from __future__ import annotations

import io
import threading
from fractions import Fraction

import pytest
from PIL import Image

from governance import charts, tally
from governance.charts import Chart, TierTurnout
from governance.services import elections, motions
from governance.tally.motion import count_motion
from tests.factories import Run

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

CANDIDATES = ["Arjun Rao", "Farid Haddad", "Chen Wei", "Dana Kowalski", "Emma Okafor"]
BALLOTS: list[tuple[list[list[int]], int]] = [
    ([[2], [0], [3]], 6),
    ([[1], [4], [3]], 4),
    ([[3], [4], [2]], 3),
    ([[4], [3], [1]], 2),
    ([[0], [1]], 3),
    ([[2, 3], [4]], 1),  # a tie: only Condorcet counts accept it; others read it as written
]


def profile(ties: bool) -> tally.Profile:
    ballots = BALLOTS if ties else BALLOTS[:-1]
    return tally.Profile.build(CANDIDATES, ballots)


def check_png(chart: Chart, *, min_height: int = 400) -> Image.Image:
    """The chart is a real PNG of the size it says, 1080 wide, with drawn content."""
    assert chart.png.startswith(PNG_SIGNATURE)
    assert len(chart.png) > 10_000
    image = Image.open(io.BytesIO(chart.png))
    image.load()
    assert image.format == "PNG"
    assert image.size == (chart.width, chart.height)
    assert chart.width == charts.WIDTH_PX
    assert chart.height >= min_height
    colours = image.convert("RGB").getcolors(maxcolors=1_000_000)
    assert colours is not None and len(colours) > 50  # lines, text and fills, not an empty canvas
    assert chart.title and chart.alt
    return image


def rgb(hex_colour: str) -> tuple[int, int, int]:
    return tuple(int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))  # type: ignore[return-value]


def has_colour(image: Image.Image, hex_colour: str) -> bool:
    return any(c == rgb(hex_colour) for _, c in image.convert("RGB").getcolors(maxcolors=1_000_000) or [])


@pytest.mark.parametrize("method", ["stv-meek", "stv-scottish", "irv"])
def test_rounds_chart_from_each_transferable_count(method: str) -> None:
    seats = 1 if method == "irv" else 2
    result = tally.count(method, profile(False), seats)
    assert len(result.rounds) > 1
    made = charts.charts_for_election(result, title="Board 2027")
    assert [c.name for c in made] == ["rounds"]
    chart = made[0]
    image = check_png(chart, min_height=900)
    assert has_colour(image, charts.OKABE_ITO[0])  # the first candidate's line
    for name in result.elected:
        assert f"{name} (round" in chart.alt
    assert "Elected: " in chart.alt
    excluded = {n for r in result.rounds for n in r.excluded}
    assert excluded and all(n in chart.alt for n in excluded)
    if method.startswith("stv"):
        assert "Quota" in chart.alt


def test_rounds_chart_reads_the_stored_json_exactly_as_the_result() -> None:
    result = tally.count("stv-meek", profile(False), 2)
    from_result = charts.rounds_chart(result, "Board")
    from_json = charts.rounds_chart(result.to_json(), "Board")
    assert from_result.alt == from_json.alt
    assert (from_result.width, from_result.height) == (from_json.width, from_json.height)


def test_legend_makes_room_for_many_candidates() -> None:
    names = [f"Candidate {i:02d}" for i in range(14)]
    ballots = [([[i], [(i + 1) % 14]], 14 - i) for i in range(14)]
    result = tally.count("stv-scottish", tally.Profile.build(names, ballots), 3)
    few = charts.rounds_chart(tally.count("stv-scottish", profile(False), 2), "Few")
    many = charts.rounds_chart(result, "Many")
    check_png(many)
    assert many.height > few.height  # one legend line per candidate, never cut off


@pytest.mark.parametrize("method", ["schulze", "ranked-pairs"])
def test_pairwise_heat_map_with_the_ranking(method: str) -> None:
    result = tally.count(method, profile(True), 2)
    made = charts.charts_for_election(result, title="Steering 2027")
    assert [c.name for c in made] == ["pairwise"]
    chart = made[0]
    image = check_png(chart, min_height=700)
    ranking = charts.ranking_text(result.ranking or [])
    assert f"Ranking: {ranking}." in chart.alt
    assert result.elected[0] in chart.alt.split("Elected: ")[1]
    # viridis at both ends of the scale is drawn in the colour bar
    assert has_colour(image, "#440154") or has_colour(image, "#440256")


def test_pairwise_wins_in_the_alt_text_follow_the_matrix() -> None:
    result = tally.count("schulze", profile(False), 1)
    matrix = result.rounds[0].extra["pairwise"]
    chart = charts.pairwise_chart(result, "Steering")
    for a, name in enumerate(CANDIDATES):
        beaten = [CANDIDATES[b] for b in range(len(CANDIDATES)) if matrix[a][b] > matrix[b][a]]
        if beaten:
            assert f"{name} beats {', '.join(sorted(beaten, key=order(result).index))}" in chart.alt
        else:
            assert f"{name} beats" not in chart.alt


def order(result: tally.Result) -> list[str]:
    return [n for tier in result.ranking or [] for n in tier]


def test_debian_result_gets_the_pairwise_chart() -> None:
    options = ["Option A", "Option B", "None of the above"]
    ballots = [([[0], [1], [2]], 5), ([[1], [0], [2]], 3), ([[2]], 1)]
    result = tally.count("debian", tally.Profile.build(options, ballots), 1)
    chart = charts.charts_for_election(result, title="GR 2027-1")[0]
    assert chart.name == "pairwise"
    check_png(chart)


@pytest.mark.parametrize("method", ["plurality", "approval"])
def test_single_round_counts_as_bars(method: str) -> None:
    result = tally.count(method, profile(False), 2)
    chart = charts.charts_for_election(result, title="Treasurer")[0]
    assert chart.name == "tally"
    check_png(chart)
    assert f"Elected: {', '.join(result.elected)}." in chart.alt


def test_a_pairwise_chart_needs_a_pairwise_matrix() -> None:
    with pytest.raises(ValueError, match="no pairwise matrix"):
        charts.pairwise_chart(tally.count("irv", profile(False), 1), "Board")


@pytest.mark.parametrize(
    ("votes", "kwargs", "verdict"),
    [
        ((4, 1, 1), {"seated": 7, "quorum": Fraction(1, 2), "threshold": Fraction(2, 3)}, "passed"),
        (
            (3, 1, 1),
            {"seated": 6, "quorum": Fraction(1, 2), "threshold": Fraction(2, 3), "threshold_of": "cast"},
            "failed",
        ),
        ((1, 0, 0), {"seated": 9, "quorum": Fraction(1, 2)}, "failed: no quorum"),
        ((0, 0, 0), {"seated": 3}, "failed"),
    ],
)
def test_motion_chart_against_quorum_and_threshold(
    votes: tuple[int, int, int], kwargs: dict[str, object], verdict: str
) -> None:
    outcome = count_motion(*votes, **kwargs)  # type: ignore[arg-type]
    chart = charts.charts_for_motion(outcome, title="M7: Adopt the licence")[0]
    image = check_png(chart)
    yes, no, abstain = votes
    assert f"{yes} yes, {no} no, {abstain} abstain" in chart.alt
    assert f"Quorum {outcome.quorum_needed} needed" in chart.alt
    assert f"{outcome.yes_needed} yes needed" in chart.alt
    assert outcome.reason in chart.alt
    if yes:
        assert has_colour(image, charts.OKABE_ITO[0])  # the yes segment
    assert charts.charts_for_motion(outcome.to_json(), title="M7: Adopt the licence")[0].alt == chart.alt
    assert verdict in ("passed", "failed", "failed: no quorum")
    assert outcome.passed == (verdict == "passed")


def test_turnout_chart_by_tier() -> None:
    rows = [TierTurnout("premier", 1, 1), TierTurnout("general", 1, 2), TierTurnout("academic", 0, 1)]
    chart = charts.turnout_chart(rows, "Turnout: Board 2027")
    check_png(chart)
    assert "premier: 1 of 1; general: 1 of 2; academic: 0 of 1" in chart.alt
    unknown = charts.turnout_chart([TierTurnout("general", 3, None)], "Turnout")
    check_png(unknown)
    assert "general: 3" in unknown.alt


def test_no_result_no_chart() -> None:
    assert charts.charts_for_election(None, title="Board") == []
    assert charts.charts_for_motion(None, title="M1") == []
    turnout = charts.charts_for_election(None, title="Board", turnout=[TierTurnout("general", 1, 2)])
    assert [c.name for c in turnout] == ["turnout"]


def test_charts_draw_in_parallel_threads() -> None:
    """No pyplot state: charts drawn at once from several threads come out as drawn alone."""
    result = tally.count("stv-meek", profile(False), 2)
    alone = charts.rounds_chart(result, "Board").png
    out: list[bytes] = []
    errors: list[BaseException] = []

    def draw() -> None:
        try:
            out.append(charts.rounds_chart(result, "Board").png)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=draw) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert out == [alone] * 4


async def test_charts_from_the_services_stored_results(run: Run) -> None:
    view = await elections.show(run.ctx, "board-2027")
    made = charts.charts_for_election(view, title=view.election.title)
    assert [c.name for c in made] == ["rounds"]
    chart = made[0]
    check_png(chart)
    assert run.board.elected and all(f"{n} (round" in chart.alt for n in run.board.elected)
    # the re-read stored result draws the same chart as the result the close returned
    assert charts.charts_for_election(run.board, title=view.election.title)[0].alt == chart.alt
    motion_view = await motions.show(run.ctx, run.roll_call_id)
    motion_chart = charts.charts_for_motion(motion_view, title=motion_view.motion.title)[0]
    check_png(motion_chart)
    assert str(run.roll_call["reason"]) in motion_chart.alt
    assert "2 yes, 1 no, 1 abstain" in motion_chart.alt
