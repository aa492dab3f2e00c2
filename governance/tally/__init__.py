"""Pure, deterministic counting: a ballot profile in, a ``Result`` with its rounds out. No I/O here.

Public API: ``count(method, profile, seats, seed=..., caps=...)`` over ``METHODS``; the methods
themselves; ``count_scores`` over ``SCORE_METHODS`` for score ballots (``ScoreProfile``: STAR,
cumulative voting); ``share_cap`` for a charter's "no more than a share of the board" rule;
``count_motion``/``settled`` for yes/no motions; the BLT, PrefLib and score-CSV readers/writers in
``governance.tally.formats`` (the only module that touches files).
"""

from governance.tally.caps import GroupCap
from governance.tally.condorcet_irv import condorcet_irv
from governance.tally.constraints import share_cap
from governance.tally.count import METHODS, SCORE_METHODS, count, count_scores
from governance.tally.cumulative import cumulative
from governance.tally.errors import TallyInputError
from governance.tally.irv import irv
from governance.tally.lot import draw, lot_order
from governance.tally.motion import MotionResult, count_motion, settled
from governance.tally.plurality import approval, plurality
from governance.tally.profile import Profile, Ranking, Tier
from governance.tally.result import Result, Round, TieBreak
from governance.tally.scores import ScoreProfile
from governance.tally.star import star

__all__ = [
    "METHODS",
    "SCORE_METHODS",
    "GroupCap",
    "MotionResult",
    "Profile",
    "Ranking",
    "Result",
    "Round",
    "ScoreProfile",
    "TallyInputError",
    "TieBreak",
    "Tier",
    "approval",
    "condorcet_irv",
    "count",
    "count_motion",
    "count_scores",
    "cumulative",
    "draw",
    "irv",
    "lot_order",
    "plurality",
    "settled",
    "share_cap",
    "star",
]
