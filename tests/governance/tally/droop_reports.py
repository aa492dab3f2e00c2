"""Read droop's reference count reports (``droop/ref/report``) into comparable figures (test helper)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

_CAND = re.compile(r"^\t(Elected|Hopeful|Pending):\s+(.*) \((-?[\d.]+)\)$")
_FIGURE = re.compile(r"^\t(Nontransferable votes|Residual): (-?[\d.]+)$")
_STAGE_ACTIONS = ("Action: Begin Count", "Action: Surplus transferred", "Action: Transfer defeated")


@dataclass
class Stage:
    """The standing after one droop action that ends a stage."""

    action: str
    counts: dict[str, Decimal] = field(default_factory=dict)
    nontransferable: Decimal = Decimal(0)
    residual: Decimal = Decimal(0)


@dataclass
class Report:
    """A droop report: the rule's final elected set and the stage figures."""

    elected: set[str]
    stages: list[Stage]
    quota: Decimal | None
    ties_by_lot: int


def read_report(path: Path) -> Report:
    """Parse a droop text report."""
    stages: list[Stage] = []
    current: Stage | None = None
    final_elected: set[str] = set()
    in_complete = False
    quota: Decimal | None = None
    lots = 0
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("\tQuota:") and quota is None:
            quota = Decimal(line.split(":")[1].strip())
        if line.startswith("Action:"):
            current = None
            in_complete = line.startswith("Action: Count Complete")
            if "Break tie by lot" in line:
                lots += 1
            if line.startswith(_STAGE_ACTIONS):
                current = Stage(line)
                stages.append(current)
            continue
        m = _CAND.match(line)
        if m:
            if in_complete and m.group(1) == "Elected":
                final_elected.add(m.group(2))
            if current is not None:
                current.counts[m.group(2)] = Decimal(m.group(3))
            continue
        f = _FIGURE.match(line)
        if f and current is not None:
            if f.group(1) == "Residual":
                current.residual = Decimal(f.group(2))
            else:
                current.nontransferable = Decimal(f.group(2))
    return Report(final_elected, stages, quota, lots)
