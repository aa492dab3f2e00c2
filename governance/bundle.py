"""The audit bundle's format, read without a database: its format name, its ``ballots.csv`` and the
ballot profile an election was counted on (``governance.export`` writes bundles, ``governance.verify``
checks them and imports only this side).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Mapping
from typing import Any

from governance.tally.profile import Profile

FORMAT = "govbot-audit-bundle/1"


def read_ballots_csv(text: str) -> list[dict[str, str]]:
    """The rows of a ``ballots.csv`` as dicts (receipt, ballot and, when public, voter); ``#`` lines
    before the header (the seed) are skipped."""
    lines = text.splitlines(keepends=True)
    while lines and lines[0].startswith("#"):
        lines.pop(0)
    return list(csv.DictReader(io.StringIO("".join(lines))))


def election_profile(count: Mapping[str, Any], contents: Iterable[str], title: str = "") -> Profile:
    """The ballot profile an election was counted on, from its ``count`` settings and stored ballots.

    The same construction as the close: handles map to candidate positions; unknown handles are dropped.
    """
    index = {h: i for i, h in enumerate(count["handles"])}
    ballots = []
    for content in contents:
        ranking = [[index[h] for h in tier if h in index] for tier in json.loads(content)]
        ballots.append((ranking, 1))
    return Profile.build(
        list(count["candidates"]), ballots, withdrawn=count["withdrawn"], title=title, seats=count["seats"]
    )
