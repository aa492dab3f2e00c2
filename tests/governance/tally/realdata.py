"""Test-only readers for the real election data in ``../shared/data/elections`` (see its SOURCES.md).

* Debian: the ``debian/toi`` PrefLib files (ties kept), ``INDEX.tsv`` and devotee's ``*_results.txt``
  (published pairwise matrix, quorum and majority lines).
* Kubernetes: the ballot CSVs (header = candidates, a row = one ballot's ranks; CIVS years write an
  unranked candidate as rank = number of candidates, Elekto years as ``No opinion``; both mean "below
  every ranked candidate", which is also what the highest rank means) and the results files.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from governance.tally.profile import Profile

DATA = Path(__file__).resolve().parents[4] / "shared" / "data" / "elections"
DEBIAN = DATA / "debian"
KUBERNETES = DATA / "kubernetes"


def read_toi(path: Path) -> Profile:
    """A PrefLib .soi/.toi file as a Profile (``{a,b}`` is a tie; unlisted candidates unranked)."""
    names: dict[int, str] = {}
    ballots: list[tuple[list[list[int]], int]] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("#"):
            m = re.match(r"# ALTERNATIVE NAME (\d+): (.*)$", line)
            if m:
                names[int(m.group(1))] = m.group(2).strip()
            continue
        if not line.strip():
            continue
        count_text, _, order = line.partition(":")
        tiers: list[list[int]] = []
        for m in re.finditer(r"\{([^}]*)\}|(\d+)", order):
            if m.group(1) is not None:
                tiers.append([int(x) - 1 for x in m.group(1).split(",") if x.strip()])
            else:
                tiers.append([int(m.group(2)) - 1])
        ballots.append((tiers, int(count_text)))
    candidates = [names[i] for i in range(1, len(names) + 1)]
    return Profile.build(candidates, ballots, title=path.stem)


@dataclass
class DebianVote:
    """One row of ``debian/INDEX.tsv`` with what its results file publishes."""

    key: str  # e.g. "2008/vote_003"
    ballots: int
    quorum: Fraction
    dropped: list[int]  # 0-based options dropped for majority, per INDEX
    winner: int  # 0-based
    matrix: list[list[int]] | None  # published pairwise matrix (diagonal 0)
    ratios: dict[int, Fraction]  # 0-based option -> the N of its N:1 requirement, per results file

    @property
    def toi(self) -> Path:
        return DEBIAN / "toi" / (self.key.replace("/", "_") + ".toi")

    @property
    def results(self) -> Path | None:
        year, name = self.key.split("/")
        path = DEBIAN / year / f"{name}_results.txt"
        return path if path.exists() else None

    @property
    def supermajority(self) -> dict[int, Fraction]:
        return {k: v for k, v in self.ratios.items() if v != 1}


def parse_results(path: Path) -> tuple[list[list[int]], dict[int, Fraction], list[int]]:
    """Devotee's results file: (pairwise matrix, option -> N of its N:1 test, options dropped)."""
    text = path.read_text(encoding="utf-8", errors="replace")
    rows: dict[int, list[int | None]] = {}
    header = re.search(r"^\s+((?:\d+\s+)+)$", text, re.M)
    assert header, path
    width = len(header.group(1).split())
    for m in re.finditer(r"^Option (\d+)((?:\s+\d+)*)\s*$", text, re.M):
        rows[int(m.group(1))] = [int(x) for x in m.group(2).split()]  # type: ignore[misc]
    matrix = [[0] * width for _ in range(width)]
    for r in range(1, width + 1):
        values = [int(x) for x in (rows.get(r) or [])]
        others = [c for c in range(width) if c != r - 1]
        assert len(values) == len(others), (path, r, values)
        for c, value in zip(others, values, strict=True):
            matrix[r - 1][c] = value
    ratios: dict[int, Fraction] = {}
    dropped: list[int] = []
    majority = re.compile(
        r"^(Dropping )?Option (\d+) (?:passes Majority|because of Majority)"
        r".*?\((\d+)/(\d+)\)\s*(<=|>=|<|>)\s*(\d+)",
        re.M,
    )
    for m in majority.finditer(text):
        option = int(m.group(2)) - 1
        ratios[option] = Fraction(int(m.group(6)))
        if m.group(1):
            dropped.append(option)
    return matrix, ratios, dropped


def debian_index() -> list[DebianVote]:
    """Every vote of ``debian/INDEX.tsv`` with its published matrix and majority requirements."""
    votes: list[DebianVote] = []
    lines = (DEBIAN / "INDEX.tsv").read_text(encoding="utf-8").splitlines()
    for line in lines[1:]:
        key, _title, ballots, _options, quorum, dropped, winner = line.split("\t")
        dropped_idx = [int(m) - 1 for m in re.findall(r"opt(\d+)\(Majority\)", dropped)]
        vote = DebianVote(
            key=key,
            ballots=int(ballots),
            quorum=Fraction(quorum),
            dropped=dropped_idx,
            winner=int(winner.split(":")[0]) - 1,
            matrix=None,
            ratios={},
        )
        if vote.results is not None:
            vote.matrix, vote.ratios, _ = parse_results(vote.results)
        votes.append(vote)
    return votes


def marker_ratio(name: str) -> Fraction | None:
    """The N of an ``[N:1]`` / ``[needs N:1]`` / ``[N:1 majority needed]`` marker in an option name."""
    m = re.search(r"\[(?:needs )?(\d+):1(?: majority needed)?\]", name)
    return Fraction(int(m.group(1))) if m else None


# ---------------------------------------------------------------------------------------- Kubernetes


def read_kubernetes_csv(path: Path) -> Profile:
    """A Kubernetes ballot CSV as a Profile: ranks become tiers; ``No opinion`` is left unranked."""
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    header = [h.strip() for h in rows[0]]
    ballots: list[tuple[list[list[int]], int]] = []
    for row in rows[1:]:
        if not any(cell.strip() for cell in row):
            continue
        by_rank: dict[int, list[int]] = {}
        for index, cell in enumerate(row):
            cell = cell.strip()
            if not cell or cell.lower() == "no opinion":
                continue
            by_rank.setdefault(int(cell), []).append(index)
        ballots.append(([by_rank[r] for r in sorted(by_rank)], 1))
    return Profile.build(header, ballots, title=str(path))


def kubernetes_ballots(election: str) -> Path:
    """The ballot file of ``steering/2021`` or ``code-of-conduct/2023`` (name case varies by year)."""
    folder = KUBERNETES / election
    for name in ("ballots.csv", "BALLOTS.csv"):
        if (folder / name).exists():
            return folder / name
    raise FileNotFoundError(folder)


def kubernetes_ranking(election: str) -> list[str]:
    """The published order (winners first, then placements) with names as written in the results.

    Elekto results link each name to ``https://github.com/<handle>``: the handle is returned there,
    which is what the ballot CSV header uses.
    """
    folder = KUBERNETES / election
    path = next(p for p in (folder / "results.md", folder / "RESULTS.md") if p.exists())
    text = path.read_text(encoding="utf-8")
    order: list[str] = []
    for line in text.splitlines():
        m = re.match(r"^\s*\d+\.\s+(?:\(Tie\)\s+)?(.*?)\s*$", line)
        if not m:
            continue
        entry = m.group(1)
        link = re.match(r"\[[^\]]*\]\(https://github\.com/([^)]+)\)", entry)
        name = link.group(1) if link else entry
        if name not in order:
            order.append(name)
    return order
