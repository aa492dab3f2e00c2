"""Motions: propose, vote yes/no/abstain (and change the vote before the deadline), close with quorum and
threshold applied. Roll-call motions are public (each ballot names its voter, as the policy says);
secret motions use the same secrecy layout as elections.

The procedure is fixed from the body's policy when the motion is proposed: lazy consensus (passes at
the deadline unless someone votes no, i.e. objects), early close (the motion closes as soon as its
outcome can no longer change: conservatively, counting as votes still to come every member who could
vote before the deadline, suspended, emeritus or withdrawn ones included; only members who left or were
removed are gone), vote replacement, and proxies (a voter names another eligible voter to
vote for them on this motion; voting in person afterwards revokes the proxy and replaces its vote).

Modules: ``lookup`` (a motion by number, its policy, its voting members), ``proposing``, ``voting`` (and
proxies), ``closing`` (deadline, early and settled closes, the count, withdrawal), ``views``.
"""

from governance.services.motions.closing import close, close_if_settled, settled_candidates, withdraw
from governance.services.motions.lookup import CHOICES, KINDS, VOTING_ROLES, motion_by_ref
from governance.services.motions.proposing import propose
from governance.services.motions.views import MotionView, list_motions, show
from governance.services.motions.voting import MotionVoteReceipt, delegate, vote

__all__ = [
    "CHOICES",
    "KINDS",
    "VOTING_ROLES",
    "MotionView",
    "MotionVoteReceipt",
    "close",
    "close_if_settled",
    "delegate",
    "list_motions",
    "motion_by_ref",
    "propose",
    "settled_candidates",
    "show",
    "vote",
    "withdraw",
]
