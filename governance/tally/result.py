"""What a count returns: who won, how, round by round, and how any tie was broken.

A ``Result`` is plain data: it renders to JSON (for audit bundles and ``govbot tally --format json``)
and to a text table (for people). Vote counts are kept as ``Fraction`` or ``int`` where the method is
exact and as decimals where the method rounds (Scottish STV: 5 places), and are written to JSON as
strings of their exact decimal value so that a re-count can compare them byte for byte.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Any

Number = int | Fraction | Decimal | float


def number_to_json(value: Number) -> int | str | float:
    """A count as JSON: ints stay ints, exact fractions and decimals become decimal strings."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, Fraction):
        if value.denominator == 1:
            return value.numerator
        return f"{float(value):.9f}".rstrip("0")
    if isinstance(value, Decimal):
        return format(value, "f")
    return round(value, 9)


@dataclass(slots=True)
class TieBreak:
    """A tie the count had to break: between whom, for what, by which rule, and who it chose."""

    round: int
    purpose: str  # e.g. "exclude", "elect", "rank"
    between: list[str]
    rule: str  # e.g. "earlier round counts", "lot"
    chosen: str
    seed: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The tie-break as a JSON-ready dict."""
        return {
            "round": self.round,
            "purpose": self.purpose,
            "between": self.between,
            "rule": self.rule,
            "chosen": self.chosen,
            "seed": self.seed,
        }


@dataclass(slots=True)
class Round:
    """One stage of a count: the standing of every candidate and what happened."""

    number: int
    counts: dict[str, Number]
    quota: Number | None = None
    exhausted: Number = 0
    elected: list[str] = field(default_factory=list)
    excluded: list[str] = field(default_factory=list)
    transfers: dict[str, Number] = field(default_factory=dict)
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The round as a JSON-ready dict."""
        data: dict[str, Any] = {
            "round": self.number,
            "counts": {name: number_to_json(v) for name, v in self.counts.items()},
            "exhausted": number_to_json(self.exhausted),
            "elected": self.elected,
            "excluded": self.excluded,
            "note": self.note,
        }
        if self.quota is not None:
            data["quota"] = number_to_json(self.quota)
        if self.transfers:
            data["transfers"] = {name: number_to_json(v) for name, v in self.transfers.items()}
        if self.extra:
            data["extra"] = self.extra
        return data


@dataclass(slots=True)
class Result:
    """The outcome of one count with everything needed to explain and repeat it."""

    method: str
    seats: int
    candidates: list[str]
    elected: list[str]
    rounds: list[Round] = field(default_factory=list)
    ranking: list[list[str]] | None = None
    tie_breaks: list[TieBreak] = field(default_factory=list)
    params: dict[str, Any] = field(default_factory=dict)
    seed: str | None = None
    ballots: int = 0
    notes: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """The whole result as a JSON-ready dict (stable key order)."""
        return {
            "method": self.method,
            "seats": self.seats,
            "params": self.params,
            "seed": self.seed,
            "ballots": self.ballots,
            "candidates": self.candidates,
            "elected": self.elected,
            "ranking": self.ranking,
            "rounds": [r.to_json() for r in self.rounds],
            "tie_breaks": [t.to_json() for t in self.tie_breaks],
            "notes": self.notes,
        }

    def dumps(self) -> str:
        """The JSON text of the result, indented for people and stable for diffs."""
        return json.dumps(self.to_json(), indent=2, ensure_ascii=False)

    def to_text(self) -> str:
        """A readable table: one column per round, one row per candidate, then the outcome."""
        lines = [f"Method: {self.method}   Seats: {self.seats}   Ballots: {self.ballots}"]
        if self.params:
            lines.append("Parameters: " + ", ".join(f"{k}={v}" for k, v in sorted(self.params.items())))
        if self.rounds:
            names = self.candidates
            width = max([len(n) for n in names] + [9])
            header = "Candidate".ljust(width) + "".join(f"{'R' + str(r.number):>13}" for r in self.rounds)
            lines.append(header)
            lines.append("-" * len(header))
            for name in names:
                cells = []
                for r in self.rounds:
                    value = r.counts.get(name)
                    mark = "*" if name in r.elected else ("x" if name in r.excluded else " ")
                    cells.append(f" {_fmt(value):>11}{mark}" if value is not None else f"{'':>13}")
                lines.append(name.ljust(width) + "".join(cells))
            if any(r.exhausted for r in self.rounds):
                lines.append(
                    "Exhausted".ljust(width) + "".join(f" {_fmt(r.exhausted):>11} " for r in self.rounds)
                )
            if any(r.quota is not None for r in self.rounds):
                lines.append("Quota".ljust(width) + "".join(f" {_fmt(r.quota):>11} " for r in self.rounds))
            lines.append("(* elected, x excluded)")
            for r in self.rounds:
                if r.note:
                    lines.append(f"R{r.number}: {r.note}")
        if self.ranking is not None:
            lines.append("Ranking: " + " > ".join(" = ".join(tier) for tier in self.ranking))
        lines.append("Elected: " + (", ".join(self.elected) if self.elected else "(none)"))
        for t in self.tie_breaks:
            seed = f" (seed {t.seed})" if t.seed is not None else ""
            lines.append(
                f"Tie in round {t.round} to {t.purpose} between {', '.join(t.between)}: "
                f"{t.chosen} by {t.rule}{seed}"
            )
        lines.extend(self.notes)
        return "\n".join(lines)


def _fmt(value: Number | None) -> str:
    if value is None:
        return ""
    if isinstance(value, Fraction):
        return f"{float(value):.5f}".rstrip("0").rstrip(".") if value.denominator != 1 else str(value)
    if isinstance(value, float | Decimal):
        text = f"{value:.5f}".rstrip("0").rstrip(".")
        return "0" if text in ("-0", "") else text
    return str(value)
