"""A test charter: the alliance's, except that an admin may choose any counting method per election.

The alliance fixes each body's counting method and seats (its committees elect one person by
instant-runoff), so the tests of other ballot forms and counts (plurality, approval, Condorcet ties, an
IRV board chair, long approval ballots in Slack) run on a body governed by this module: every method but
debian may be chosen, and 1 to 3 seats where terms are not staggered.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from governance.policies import alliance
from governance.policies.alliance import *  # noqa: F403
from governance.policies.base import BodyFacts, ElectionRules

NAME = "any-method"
VERSION = "test"
PATH = str(Path(__file__).resolve())
METHODS = frozenset(
    {"plurality", "approval", "irv", "stv-scottish", "stv-meek", "schulze", "ranked-pairs", "condorcet-irv"}
)


def election_rules(body: BodyFacts) -> ElectionRules:
    """The alliance's election rules, except that any method (and, unstaggered, 1-3 seats) may be chosen."""
    rules = alliance.election_rules(body)
    seats = None if rules.staggered else (1, 3)
    return replace(rules, bounds=replace(rules.bounds, methods=METHODS, seats=seats))
