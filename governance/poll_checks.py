"""``audit verify`` of a poll in the database: its ballots reconcile, and once closed they check as a bundle.

The ledger's rules are ``governance.reconcile``'s and a bundle's checks are ``governance.verify``'s; this
module applies both to a poll read from the database (``verify_poll``, ``verify_polls``), so neither of
those modules needs the other's database side and no import circle joins them. ``verify_everything`` and
``verify_one`` are the ``audit verify`` use cases, each one read-only transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from governance import audit, export, verify
from governance.models import AuditEvent, Election, Motion
from governance.reconcile import close_payload, counted_differences, counted_in, differences, ledger
from governance.services import electorate
from governance.services.common import Context


async def _poll(session: AsyncSession, stream: str) -> tuple[str, Election | Motion] | None:
    kind, _sep, ref = stream.partition(":")
    if kind == "election":
        found = (await session.execute(select(Election).where(col(Election.slug) == ref))).scalar()
        return ("election", found) if found is not None else None
    if kind == "motion" and ref.isdigit():
        motion = await session.get(Motion, int(ref))
        return ("motion", motion) if motion is not None else None
    return None


@dataclass
class PollCheck:
    """What ``verify_poll`` found: the differences (none when it verifies) and what was checked."""

    problems: list[str] = field(default_factory=list)
    checked: list[str] = field(default_factory=list)


async def verify_poll(session: AsyncSession, stream: str, *, now: datetime) -> PollCheck:
    """``audit verify`` of a poll in the database: its ledger agrees, and once closed, the ballots are
    checked as a bundle's are (count, SHA-256, seed, re-count; ``governance.verify``), whose lines of what
    was checked (the seed, the re-count) come back in ``checked``. Empty when ``stream`` is not a poll's."""
    found = await _poll(session, stream)
    if found is None:
        return PollCheck()
    kind, poll = found
    election = poll if isinstance(poll, Election) else None
    motion = poll if isinstance(poll, Motion) else None
    book = await ledger(session, election=election, motion=motion)
    done = PollCheck(differences(book))
    rows = (
        await session.execute(
            select(AuditEvent).where(
                col(AuditEvent.stream) == stream, col(AuditEvent.kind) == f"{kind}.closed"
            )
        )
    ).scalars()
    close = close_payload(list(rows), kind)
    done.problems += counted_differences(book, counted_in(kind, close))
    if election is not None and close is None:  # once closed, the bundle check below does it
        done.problems += await _electorate_differences(session, election, stream)
    if close is not None:
        ref = poll.slug if isinstance(poll, Election) else str(poll.id)
        files = await export.collect(session, export.Subject(kind, ref), generated_at=now)
        report = verify.verify_files(files)
        done.problems += report.problems
        done.checked += report.checked
    return done


async def _electorate_differences(session: AsyncSession, election: Election, stream: str) -> list[str]:
    """The frozen electorate in the database against the log's record of it (as a bundle's is checked):
    a row added to or removed from ``electorate`` outside govbot is named before the close."""
    entries = await electorate.frozen(session, election)
    fixed_at = election.electorate_fixed_at
    settings = (
        {} if entries is None or fixed_at is None else {"electorate": electorate.summary(entries, fixed_at)}
    )
    events = [
        {"kind": e.kind, "payload": e.payload, "seq": e.seq}
        for e in (
            await session.execute(
                select(AuditEvent)
                .where(
                    col(AuditEvent.stream) == stream,
                    col(AuditEvent.kind).in_(("election.electorate_fixed", "election.exception_granted")),
                )
                .order_by(col(AuditEvent.id))
            )
        ).scalars()
    ]
    report = verify.Report()
    verify.check_electorate(stream, settings, events, report, name=stream)
    return report.problems


async def verify_polls(session: AsyncSession, *, now: datetime) -> dict[str, list[str]]:
    """``verify_poll`` of every election and motion: stream -> its problems (only polls with some)."""
    streams = [f"election:{slug}" for slug in (await session.execute(select(col(Election.slug)))).scalars()]
    streams += [f"motion:{n}" for n in (await session.execute(select(col(Motion.id)))).scalars()]
    out = {}
    for stream in streams:
        problems = (await verify_poll(session, stream, now=now)).problems
        if problems:
            out[stream] = problems
    return out


@dataclass(frozen=True)
class DeploymentVerdict:
    """``audit verify all``: every chain checked, and the polls whose ballots do not add up."""

    chains: list[audit.ChainCheck]
    unaccounted: dict[str, list[str]]


@dataclass(frozen=True)
class StreamVerdict:
    """``audit verify <stream>``: its chain, and for a poll whose chain holds, its ballots."""

    chain: audit.ChainCheck
    poll: PollCheck | None


async def verify_everything(ctx: Context) -> DeploymentVerdict:
    """Every chain and every poll's ledger, in one read-only transaction (one consistent picture)."""
    async with ctx.db.reading() as session:
        chains = await audit.verify_deployment(session)
        return DeploymentVerdict(chains, await verify_polls(session, now=ctx.now()))


async def verify_one(ctx: Context, stream: str) -> StreamVerdict:
    """One chain, and, when it holds and is a poll's, that poll's ballots, in one read-only transaction."""
    async with ctx.db.reading() as session:
        chain = await audit.verify_stream(session, stream)
        poll = await verify_poll(session, stream, now=ctx.now()) if chain.ok else None
        return StreamVerdict(chain, poll)
