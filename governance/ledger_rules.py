"""The ballot ledger's rules that need no database: the event kinds of a first and a replaced ballot,
and a bundle's check of a closed poll's chain against its exported ballots and recorded ledger
(``governance.reconcile`` applies the rules to the database; ``governance.verify`` to a bundle).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from governance.i18n import _

RULE = "ballots-reconcile"
"""The rule id a refused close and a failed verification name."""

FIRST = {"election": "ballot.cast", "motion": "motion.voted"}
"""The event of a voter's first ballot, by kind of poll."""

REPLACED = {"election": "ballot.replaced", "motion": "motion.vote_changed"}
"""The event of a replaced ballot, by kind of poll."""


def log_differences(
    events: Sequence[Mapping[str, Any]], kind: str, ballots: int, close: Mapping[str, Any] | None
) -> list[str]:
    """A bundle's check: a closed poll's chain (``events``), its exported ``ballots`` and the ledger its
    close recorded must agree (one ballot per first-ballot event; the recorded figures as in the chain)."""
    first = sum(1 for e in events if e.get("kind") == FIRST[kind])
    replaced = sum(1 for e in events if e.get("kind") == REPLACED[kind])
    out = []
    if ballots != first:
        out.append(
            _(
                "{ballots} ballot(s) exported, but the log has {events} event(s) of a first ballot",
                ballots=ballots,
                events=first,
            )
        )
    recorded = (close or {}).get("ledger")
    if isinstance(recorded, dict):
        seen = {"first_events": first, "replace_events": replaced, "ballots": ballots}
        for key, value in seen.items():
            if key in recorded and int(recorded[key]) != value:
                out.append(
                    _(
                        "the close recorded {key} = {recorded}, the bundle gives {value}",
                        key=key,
                        recorded=recorded[key],
                        value=value,
                    )
                )
    return out


def close_payload(events: Sequence[Any], kind: str) -> dict[str, Any] | None:
    """The payload of a poll's last close event among ``events`` (rows or parsed JSON lines)."""
    wanted = f"{kind}.closed"
    found = None
    for event in events:
        if (event.get("kind") if isinstance(event, Mapping) else event.kind) == wanted:
            found = event
    if found is None:
        return None
    payload = found.get("payload") if isinstance(found, Mapping) else found.payload
    data = json.loads(str(payload))
    return data if isinstance(data, dict) else None
