"""Post-count constraints a charter puts on who may take a seat, as ``GroupCap`` values.

The counting methods already go down their order of candidates passing over one whose group is at its
cap (``GroupCap.blocked``) and taking the next; this module builds the cap a charter's words give.

**A share of the board** (``share_cap``). The PSF bylaws, Section 5.15 "Limits on Co-affiliation of
Board Members": "No more than one quarter (1/4) of the members of the Board of Directors may share a
common affiliation", and "A person who would bring the Board of Directors above the limit on
co-affiliation is ineligible to be seated", so the count skips to the next candidate. The limit is on
the whole board, continuing directors included (``held``), and "no more than a quarter" means at most
``board / 4`` seats: ``floor(board * share)``, computed exactly (a board of 11 allows 2 per
affiliation, 2.75 rounded down; a board of 12 allows 3). A fixed limit (``at_most``, "at most k per
affiliation") may be given as well; the smaller of the two applies.
"""

from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction

from governance.tally.caps import GroupCap
from governance.tally.errors import TallyInputError

QUARTER = Fraction(1, 4)


def share_limit(board: int, share: Fraction = QUARTER) -> int:
    """The most seats one group may hold when no more than ``share`` of a ``board`` may share it."""
    if board < 1:
        raise TallyInputError(f"the board needs at least one seat, got {board}")
    if not 0 < share <= 1:
        raise TallyInputError(f"a share of the board must be above 0 and at most 1, got {share}")
    return board * share.numerator // share.denominator


def share_cap(
    groups: Mapping[str, str],
    board: int,
    share: Fraction = QUARTER,
    *,
    held: Mapping[str, int] | None = None,
    at_most: int | None = None,
) -> GroupCap:
    """The cap "no more than ``share`` of the ``board`` may share a group", as a ``GroupCap``.

    ``groups`` maps a candidate to their affiliation; ``held`` counts the seats each affiliation keeps
    through continuing directors; ``at_most`` adds a fixed per-group limit. A limit under one seat (a
    board too small for the share) is refused: nobody with an affiliation could be seated.
    """
    limit = share_limit(board, share)
    if at_most is not None:
        limit = min(limit, at_most)
    if limit < 1:
        raise TallyInputError(
            f"no more than {share} of a board of {board} leaves no seat for anyone with an affiliation"
        )
    return GroupCap(groups=dict(groups), cap=limit, held=dict(held or {}))
