"""Pure, deterministic counting: a ballot profile in, a ``Result`` with its rounds out. No I/O here."""

from governance.tally.profile import Profile, Ranking, Tier
from governance.tally.result import Result, Round, TieBreak

__all__ = ["Profile", "Ranking", "Result", "Round", "Tier", "TieBreak"]
