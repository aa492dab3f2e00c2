"""Pure, deterministic counting: a ballot profile in, a ``Result`` with its rounds out. No I/O here.

Public API: ``count(method, profile, seats, seed=..., caps=...)`` over ``METHODS``; the methods
themselves; ``count_motion``/``settled`` for yes/no motions; the BLT and PrefLib readers/writers in
``governance.tally.formats`` (the only module that touches files).
"""

from governance.tally.caps import GroupCap
from governance.tally.count import METHODS, count
from governance.tally.errors import TallyInputError
from governance.tally.irv import irv
from governance.tally.lot import draw, lot_order
from governance.tally.motion import MotionResult, count_motion, settled
from governance.tally.plurality import approval, plurality
from governance.tally.profile import Profile, Ranking, Tier
from governance.tally.result import Result, Round, TieBreak

__all__ = [
    "METHODS",
    "GroupCap",
    "MotionResult",
    "Profile",
    "Ranking",
    "Result",
    "Round",
    "TallyInputError",
    "TieBreak",
    "Tier",
    "approval",
    "count",
    "count_motion",
    "draw",
    "irv",
    "lot_order",
    "plurality",
    "settled",
]
