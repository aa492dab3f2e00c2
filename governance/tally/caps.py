"""Per-group seat caps, e.g. at most one board seat per member organisation.

A cap counts the seats a group already holds through continuing members (``held``), so a group with a
sitting director may win fewer seats in this election. Counting methods consult it: STV excludes a
capped group's remaining candidates (their votes transfer), ranking methods skip them going down the
ranking; either way the result records who was passed over and why.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class GroupCap:
    """At most ``cap`` seats per group; ``groups`` maps a candidate name to its group."""

    groups: Mapping[str, str]
    cap: int
    held: Mapping[str, int] = field(default_factory=dict)
    # Per-group caps overriding ``cap`` (e.g. by an organisation's membership tier).
    limits: Mapping[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.cap < 1 or any(limit < 1 for limit in self.limits.values()):
            raise ValueError("a group cap must allow at least one seat")

    def cap_of(self, group: str | None) -> int:
        """The cap of ``group``: its own limit, else the general cap."""
        return self.limits.get(group, self.cap) if group is not None else self.cap

    def group_of(self, candidate: str) -> str | None:
        """The candidate's group, or None when the candidate belongs to none."""
        return self.groups.get(candidate)

    def room(self, group: str | None, elected: list[str]) -> int:
        """How many more seats ``group`` may win given those already ``elected`` in this count."""
        if group is None:
            return 1 << 30
        won = sum(1 for name in elected if self.groups.get(name) == group)
        return self.cap_of(group) - self.held.get(group, 0) - won

    def blocked(self, candidate: str, elected: list[str]) -> bool:
        """Whether electing ``candidate`` now would put its group over the cap."""
        return self.room(self.group_of(candidate), elected) <= 0

    def to_json(self) -> dict[str, object]:
        """The cap as recorded in a result's parameters."""
        out: dict[str, object] = {"cap": self.cap, "groups": dict(self.groups), "held": dict(self.held)}
        if self.limits:
            out["limits"] = dict(self.limits)
        return out
