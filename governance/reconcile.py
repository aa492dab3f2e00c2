"""The log accounts for every ballot: a poll's ballot events, who-voted rows, slots and ballots agree.

A ballot's audit event is written *pending* (``governance.audit.append_pending``): until the close seals
it into the chain it carries only the hash of its own content, so deleting it, or inserting a forged
one, breaks no chain. What does break is arithmetic. Every ballot written through govbot writes, in one
transaction:

* a first ballot: a ``ballot.cast`` event (motions: ``motion.voted``), a who-voted row (``voters``,
  ``times`` = 1), a replaceable-ballot slot (``ballot_slots``) and the ballot the slot holds;
* a replacement: a ``ballot.replaced`` event (``motion.vote_changed``), ``times`` + 1, the slot moved
  to the new ballot, the old ballot deleted and its receipt retired (``retired_receipts``).

So, for every poll at every moment:

1. who-voted rows = events of a first ballot;
2. the ``times`` of the who-voted rows add up to all ballot events;
3. slots = who-voted rows, and each slot holds a ballot of the poll, and each ballot is held by a slot;
4. ballots = who-voted rows (one standing ballot per voter);
5. retired receipts = events of a replacement;
6. after the close, the ballots counted (the close event's ``ballots``) = the ballots stored.

``ledger`` reads the figures in ONE statement (one snapshot even under PostgreSQL's read committed, so a
ballot committing meanwhile cannot make a false alarm); ``differences`` names every rule that fails.
The close of an election (``services.elections.counting.close``) and of a motion (``services.motions``) call
``require_reconciled`` before counting and refuse on any difference; ``audit verify`` of the database
(``governance.poll_checks``) and ``governance.verify`` (a bundle: events, ballots and the close's
recorded ledger) fail on it.

What this cannot see: a whole vote erased consistently (its event, who-voted row, slot and ballot all
deleted). The voter's receipt then answers "unknown" (``receipt``), and after the close the sealed chain
and the signed heads protect the count.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from governance.errors import Conflict, suggest
from governance.i18n import _
from governance.ledger_rules import FIRST as FIRST
from governance.ledger_rules import REPLACED as REPLACED
from governance.ledger_rules import RULE as RULE
from governance.ledger_rules import close_payload as close_payload
from governance.ledger_rules import log_differences as log_differences
from governance.models import AuditEvent, Ballot, BallotSlot, Election, Motion, RetiredReceipt, Voter


@dataclass(frozen=True)
class Ledger:
    """The figures of one poll that must agree (see the module note); ``to_json`` is what a close records."""

    stream: str
    first_events: int
    replace_events: int
    voters: int
    votes: int  # the who-voted rows' ``times`` added up
    slots: int
    ballots: int
    retired: int
    slots_without_ballot: int = 0
    ballots_without_slot: int = 0

    def to_json(self) -> dict[str, Any]:
        """The figures as recorded in the close event (and checked again from a bundle)."""
        data = asdict(self)
        del data["stream"], data["slots_without_ballot"], data["ballots_without_slot"]
        return data


class BallotsUnaccounted(Conflict):
    """A close refused because the poll's ballots, their events and who voted do not agree."""

    rule = RULE

    def __init__(self, stream: str, problems: Sequence[str]) -> None:
        super().__init__(
            _(
                "The ballots of {stream} do not add up, so it was not counted: {problem}",
                stream=stream,
                problem=problems[0],
            ),
            suggest=suggest("reconcile", ("audit", "verify", stream), rule=RULE),
            details=problems,
        )
        self.problems = list(problems)


def _count(stmt: Any) -> Any:
    return select(func.count()).select_from(stmt.subquery()).scalar_subquery()


async def ledger(
    session: AsyncSession, *, election: Election | None = None, motion: Motion | None = None
) -> Ledger:
    """Read one poll's figures (give ``election`` or ``motion``) in a single statement."""
    if election is not None:
        kind, stream, poll_id = "election", f"election:{election.slug}", election.id
        ballot_poll, slot_poll, voter_poll = (
            col(Ballot.election_id),
            col(BallotSlot.election_id),
            col(Voter.election_id),
        )
    elif motion is not None:
        kind, stream, poll_id = "motion", f"motion:{motion.id}", motion.id
        ballot_poll, slot_poll, voter_poll = (
            col(Ballot.motion_id),
            col(BallotSlot.motion_id),
            col(Voter.motion_id),
        )
    else:
        raise ValueError("give an election or a motion")
    retired_poll = f"{kind}:{poll_id}"
    poll_ballots = select(col(Ballot.id)).where(ballot_poll == poll_id)
    poll_slots = select(col(BallotSlot.ballot_id)).where(slot_poll == poll_id)

    def events(event_kind: str) -> Any:
        return _count(
            select(col(AuditEvent.id)).where(
                col(AuditEvent.stream) == stream, col(AuditEvent.kind) == event_kind
            )
        )

    row = (
        await session.execute(
            select(
                events(FIRST[kind]),
                events(REPLACED[kind]),
                _count(select(col(Voter.id)).where(voter_poll == poll_id)),
                select(func.coalesce(func.sum(col(Voter.times)), 0))
                .where(voter_poll == poll_id)
                .scalar_subquery(),
                _count(poll_slots),
                _count(poll_ballots),
                _count(select(col(RetiredReceipt.receipt)).where(col(RetiredReceipt.poll) == retired_poll)),
                _count(poll_slots.where(col(BallotSlot.ballot_id).not_in(poll_ballots))),
                _count(poll_ballots.where(col(Ballot.id).not_in(poll_slots))),
            )
        )
    ).one()
    return Ledger(stream, *(int(v) for v in row))


def differences(book: Ledger) -> list[str]:
    """Every rule of the module note that ``book`` breaks, each named with its figures; [] when they agree."""
    out: list[str] = []
    if book.voters > book.first_events:
        out.append(
            _(
                "{n} who-voted row(s) without a ballot event ({voters} who-voted rows, {events} events of a "
                "first ballot): a ballot event was deleted, or a who-voted row added",
                n=book.voters - book.first_events,
                voters=book.voters,
                events=book.first_events,
            )
        )
    elif book.voters < book.first_events:
        out.append(
            _(
                "{n} ballot event(s) without a who-voted row ({events} events of a first ballot, {voters} "
                "who-voted rows): a ballot event was forged, or a who-voted row deleted",
                n=book.first_events - book.voters,
                voters=book.voters,
                events=book.first_events,
            )
        )
    if book.votes != book.first_events + book.replace_events:
        out.append(
            _(
                "the who-voted rows record {votes} ballot(s) cast, the log {events} ballot event(s)",
                votes=book.votes,
                events=book.first_events + book.replace_events,
            )
        )
    if book.ballots != book.voters:
        out.append(
            _(
                "{ballots} ballot(s) stored for {voters} voter(s): a ballot was deleted or added",
                ballots=book.ballots,
                voters=book.voters,
            )
        )
    if book.slots != book.voters:
        out.append(_("{slots} ballot slot(s) for {voters} voter(s)", slots=book.slots, voters=book.voters))
    if book.slots_without_ballot:
        out.append(
            _(
                "{n} ballot slot(s) hold a ballot that is not stored (a ballot was deleted)",
                n=book.slots_without_ballot,
            )
        )
    if book.ballots_without_slot:
        out.append(
            _(
                "{n} ballot(s) stored that no voter's slot holds (a ballot was added)",
                n=book.ballots_without_slot,
            )
        )
    if book.retired != book.replace_events:
        out.append(
            _(
                "{retired} replaced receipt(s) for {events} replacement event(s)",
                retired=book.retired,
                events=book.replace_events,
            )
        )
    return out


async def require_reconciled(
    session: AsyncSession, *, election: Election | None = None, motion: Motion | None = None
) -> Ledger:
    """The poll's ledger, or ``BallotsUnaccounted`` naming every difference (a close calls it first)."""
    book = await ledger(session, election=election, motion=motion)
    problems = differences(book)
    if problems:
        raise BallotsUnaccounted(book.stream, problems)
    return book


def counted_differences(book: Ledger, counted: int | None) -> list[str]:
    """After the close: the ballots it counted against those stored now (rule 6)."""
    if counted is None or counted == book.ballots:
        return []
    return [
        _(
            "the close counted {counted} ballot(s), {ballots} are stored now",
            counted=counted,
            ballots=book.ballots,
        )
    ]


def counted_in(kind: str, close: Mapping[str, Any] | None) -> int | None:
    """How many ballots a close event's payload says were counted (None without a close)."""
    if close is None:
        return None
    if kind == "election":
        return int(close["ballots"]) if "ballots" in close else None
    counts = (close.get("result") or {}).get("counts")
    return sum(int(v) for v in counts.values()) if isinstance(counts, dict) else None
