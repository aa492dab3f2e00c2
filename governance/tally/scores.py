"""Score ballots (STAR, cumulative voting): each ballot gives every candidate a whole number of points.

A ``ScoreProfile`` is to score ballots what ``Profile`` is to rankings: identical ballots aggregated
with their count, over named candidates. A ballot is a tuple of integer scores, one per candidate in
the order of ``ScoreProfile.candidates``; a candidate the ballot leaves blank scores 0. Scores are
never negative; what range a method accepts (0-5 for STAR, at most N in all for cumulative voting) is
checked by the method, which names the offending ballot by the line of the file it came from.

File format (PrefLib has no score format; this is govbot's own, a CSV any spreadsheet writes)::

    # comments and blank lines are ignored
    count,Alice,Bob,Carol
    3,5,0,2
    1,,4,5

The first row that is not a comment is the header: the word ``count`` then the candidate names (unique,
non-empty; quote a name that holds a comma). Every other row is one ballot repeated ``count`` times
(a whole number, at least 1) followed by one score per candidate (a whole number, at least 0; an empty
cell is 0). A row with the wrong number of cells, or a cell that is not a whole number, is refused
with ``TallyInputError`` naming the file and the line.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from governance.tally.errors import TallyInputError

ScoreBallot = tuple[int, ...]


@dataclass(frozen=True, slots=True)
class ScoreProfile:
    """An aggregated, immutable set of score ballots over named candidates.

    ``ballots[i]`` is a distinct ballot (one score per candidate), ``counts[i]`` how many voters cast it
    and ``lines[i]`` the line of the file where it first appeared (None for a ballot built in code).
    """

    candidates: tuple[str, ...]
    ballots: tuple[ScoreBallot, ...]
    counts: tuple[int, ...]
    lines: tuple[int | None, ...] = ()
    withdrawn: frozenset[int] = field(default_factory=frozenset)
    title: str = ""

    @property
    def total(self) -> int:
        """Number of ballots, duplicates included."""
        return sum(self.counts)

    @property
    def distinct(self) -> int:
        """The number of distinct ballots."""
        return len(self.ballots)

    def index(self, name: str) -> int:
        """The index of a candidate by its exact name (KeyError if absent)."""
        try:
            return self.candidates.index(name)
        except ValueError:
            raise KeyError(name) from None

    def describe(self, i: int) -> str:
        """Ballot ``i`` as a person finds it: its line in the file when known, and the scores it gives."""
        given = ", ".join(f"{self.candidates[c]} {s}" for c, s in enumerate(self.ballots[i]) if s)
        line = self.lines[i] if i < len(self.lines) else None
        where = f"the ballot on line {line}" if line is not None else f"ballot #{i + 1}"
        return f"{where} ({given or 'no score'})"

    @classmethod
    def build(
        cls,
        candidates: Sequence[str],
        ballots: Iterable[tuple[Sequence[int], int]],
        *,
        withdrawn: Iterable[int] = (),
        title: str = "",
        lines: Sequence[int | None] | None = None,
    ) -> ScoreProfile:
        """Aggregate (scores, count) pairs, merging identical ballots (first one first).

        Ballots with a count of zero or less are dropped. A ballot with the wrong number of scores or a
        negative score raises ``TallyInputError`` naming it. ``lines`` (parallel to ``ballots``) are the
        file lines the ballots came from, kept for the first ballot of each distinct kind.
        """
        n = len(candidates)
        if len(set(candidates)) != n:
            raise TallyInputError("two candidates have the same name")
        tally: dict[ScoreBallot, int] = {}
        first_line: dict[ScoreBallot, int | None] = {}
        for i, (scores, count) in enumerate(ballots):
            line = lines[i] if lines is not None else None
            key = tuple(int(s) for s in scores)
            if len(key) != n:
                where = f"the ballot on line {line}" if line is not None else f"ballot #{i + 1}"
                raise TallyInputError(f"{where} gives {len(key)} scores for {n} candidates")
            if any(s < 0 for s in key):
                where = f"the ballot on line {line}" if line is not None else f"ballot #{i + 1}"
                raise TallyInputError(f"{where} gives a negative score; scores start at 0")
            if count <= 0:
                continue
            if key not in tally:
                first_line[key] = line
            tally[key] = tally.get(key, 0) + count
        keys = tuple(tally)
        return cls(
            candidates=tuple(candidates),
            ballots=keys,
            counts=tuple(tally[k] for k in keys),
            lines=tuple(first_line[k] for k in keys),
            withdrawn=frozenset(withdrawn),
            title=title,
        )

    @classmethod
    def from_names(cls, candidates: Sequence[str], ballots: Iterable[Mapping[str, int]]) -> ScoreProfile:
        """Build a profile from ballots written as {candidate name: score} (missing names score 0)."""
        position = {name: i for i, name in enumerate(candidates)}
        rows: list[tuple[list[int], int]] = []
        for ballot in ballots:
            scores = [0] * len(candidates)
            for name, score in ballot.items():
                if name not in position:
                    raise TallyInputError(f"a ballot scores {name!r}, who is not a candidate")
                scores[position[name]] = score
            rows.append((scores, 1))
        return cls.build(candidates, rows)


def parse_scores(text: str, *, path: str = "<scores>") -> ScoreProfile:
    """Read score ballots in govbot's CSV format (see the module docstring); errors name the line."""
    header: list[str] | None = None
    rows: list[tuple[list[int], int]] = []
    lines: list[int | None] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip() or raw.lstrip().startswith("#"):
            continue
        try:
            cells = [cell.strip() for cell in next(csv.reader(io.StringIO(raw)))]
        except csv.Error as exc:
            raise TallyInputError(f"not a CSV row: {exc}", path=path, line=number) from None
        if header is None:
            if not cells or cells[0].lower() != "count":
                raise TallyInputError(
                    "expected the header row: count, then the candidate names", path=path, line=number
                )
            header = cells[1:]
            if not header or any(not name for name in header):
                raise TallyInputError("every candidate needs a name", path=path, line=number)
            if len(set(header)) != len(header):
                raise TallyInputError("two candidates have the same name", path=path, line=number)
            continue
        if len(cells) != len(header) + 1:
            raise TallyInputError(
                f"expected {len(header) + 1} cells (the count and {len(header)} scores), found {len(cells)}",
                path=path,
                line=number,
            )
        count = _whole(cells[0], "the count", path, number, blank_ok=False)
        if count < 1:
            raise TallyInputError("the count must be at least 1", path=path, line=number)
        scores = [
            _whole(cell, f"the score of {name}", path, number)
            for cell, name in zip(cells[1:], header, strict=True)
        ]
        rows.append((scores, count))
        lines.append(number)
    if header is None:
        raise TallyInputError("no header row: count, then the candidate names", path=path)
    return ScoreProfile.build(header, rows, lines=lines)


def _whole(cell: str, what: str, path: str, line: int, *, blank_ok: bool = True) -> int:
    """A cell as a whole number at least 0 (an empty cell is 0 where ``blank_ok``)."""
    if cell == "" and blank_ok:
        return 0
    if not cell.isdigit():
        raise TallyInputError(
            f"{what} must be a whole number, at least 0, found {cell!r}", path=path, line=line
        )
    return int(cell)


def write_scores(profile: ScoreProfile) -> str:
    """The profile in govbot's score CSV format (``parse_scores`` reads it back to an equal profile)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["count", *profile.candidates])
    for ballot, count in zip(profile.ballots, profile.counts, strict=True):
        writer.writerow([count, *ballot])
    return out.getvalue()


def check_range(profile: ScoreProfile, method: str, top: int) -> None:
    """Refuse a ballot that scores a candidate above ``top`` (the scale of ``method``), naming it."""
    for i, ballot in enumerate(profile.ballots):
        over = [c for c, s in enumerate(ballot) if s > top]
        if over:
            c = over[0]
            raise TallyInputError(
                f"{method} scores run from 0 to {top}, but {profile.describe(i)} gives "
                f"{profile.candidates[c]} {ballot[c]}"
            )
