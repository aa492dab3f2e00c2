"""Scheduled work: what the scheduler runs when it is due, and the upkeep it does on every sweep.

- ``runner``: claim due rows atomically, run each once through the handler of its kind, record what
  happened, retry after a crash; catching up after downtime is the same sweep;
- ``transitions``: the elections' and motions' scheduled phase changes;
- ``reminders``: reminders of a vote's deadline to the eligible people who have not voted;
- ``timelines``: an election's dates or a motion's deadline edited after creation;
- ``sealing``: the periodic audit sealer;
- ``term_notices``: notices of terms coming to an end;
- ``reviews``: the review of inactive working-group members that a chair confirms.

Meetings and their reminders are in ``governance.services.meetings``; the rows of scheduled work are kept
in step with the timelines by ``governance.services.due``.
"""

from governance.services.scheduling.reminders import eligible_non_voters
from governance.services.scheduling.reviews import (
    INACTIVE_AFTER,
    InactiveMember,
    confirm_review,
    inactive_members,
    post_reviews,
    review,
)
from governance.services.scheduling.runner import (
    DEFAULT_LEASE,
    HANDLERS,
    Outcome,
    claim_due,
    close_settled_motions,
    failure_summary,
    history,
    pending,
    pending_times,
    run_due,
    run_task,
)
from governance.services.scheduling.sealing import seal_pending
from governance.services.scheduling.term_notices import TERM_NOTICE_OFFSETS, notify_expiring_terms
from governance.services.scheduling.timelines import set_election_timeline, set_motion_deadline
from governance.services.tasks import SCHEDULER, Claimed, Ran

__all__ = [
    "DEFAULT_LEASE",
    "HANDLERS",
    "INACTIVE_AFTER",
    "SCHEDULER",
    "TERM_NOTICE_OFFSETS",
    "Claimed",
    "InactiveMember",
    "Outcome",
    "Ran",
    "claim_due",
    "close_settled_motions",
    "confirm_review",
    "eligible_non_voters",
    "failure_summary",
    "history",
    "inactive_members",
    "notify_expiring_terms",
    "pending",
    "pending_times",
    "post_reviews",
    "review",
    "run_due",
    "run_task",
    "seal_pending",
    "set_election_timeline",
    "set_motion_deadline",
]
