"""Election monitors: people named by the secretariat to watch one election and co-sign its close.

A monitor is a role on one election (``election_monitors``), granted by an admin with the monitor's
Ed25519 public key (``govbot audit keygen`` makes the pair on the monitor's own machine; the private key
never reaches govbot). Granting is audited in the election's chain and allowed only until the close,
so nobody picks monitors once the result is known, and a candidate cannot monitor their own election.

What a monitor may do: read the poll's state (``status``: phase, turnout, the chain's head and check,
the close's checkpoint and who co-signed it — never a voter's choice, which govbot does not link to a
voter for a secret poll anyway), and co-sign the signed checkpoint made at the close (``cosign``) with
a signature made offline (``govbot audit cosign``). A policy may require k such co-signatures before
the election is certified (``ElectionRules.monitor_signatures``; ``require_cosignatures``).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from governance import audit, checkpoints, signing
from governance import text as text_rules
from governance.audit import ChainCheck
from governance.errors import Conflict, Forbidden, InvalidInput, NotFound, suggest
from governance.i18n import _
from governance.models import (
    Body,
    Candidate,
    Checkpoint,
    CheckpointCosignature,
    Election,
    ElectionMonitor,
    Person,
    Voter,
)
from governance.policies.base import ElectionRules, state_refusal
from governance.services.common import (
    Actor,
    Context,
    actor_facts,
    election_policy,
    election_stream,
    enforce,
    person_by_handle,
    record,
    write_transaction,
)

OPEN_PHASES = ("draft", "nominating", "voting")
RULE_ADMIN = "monitor.admin_only"
RULE_AFTER_CLOSE = "monitor.added_after_close"
RULE_CANDIDATE = "monitor.candidate"
RULE_NOT_MONITOR = "monitor.not_a_monitor"
RULE_COSIGNATURES = "monitor_signatures"


async def _election(session: AsyncSession, slug: str) -> Election:
    slug = slug.strip().lower()
    election = (
        await session.execute(select(Election).where(col(Election.slug) == slug))
    ).scalar_one_or_none()
    if election is None:
        raise NotFound(
            _("No election {slug!r}.", slug=text_rules.echo(slug)), suggest=suggest("see", "election list")
        )
    return election


_stream = election_stream


async def add_monitor(ctx: Context, actor: Actor, slug: str, handle: str, public_key: str) -> ElectionMonitor:
    """Name ``handle`` a monitor of election ``slug`` with their public key (admins, until the close)."""
    key = signing.parse_public(public_key)
    if not actor.is_admin:
        raise Forbidden(
            _("Only the secretariat (an admin) names election monitors."), _("Ask an admin."), rule=RULE_ADMIN
        )
    async with write_transaction(
        ctx, _("This person was just named a monitor by a concurrent request.")
    ) as session:
        election = await _election(session, slug)
        body = await session.get(Body, election.body_id)
        assert body is not None
        policy = election_policy(election)
        # member states bind admins too: a suspended admin names no monitor (rule member-state)
        enforce(
            state_refusal(await actor_facts(session, actor, body), "administer", policy.member_states), policy
        )
        if election.phase not in OPEN_PHASES:
            raise Forbidden(
                _(
                    "{slug} is already closed: monitors are named before the result is known.",
                    slug=election.slug,
                ),
                _("Name monitors when you create the next election."),
                rule=RULE_AFTER_CLOSE,
            )
        person = await person_by_handle(session, handle)
        candidate = (
            await session.execute(
                select(col(Candidate.id)).where(
                    col(Candidate.election_id) == election.id, col(Candidate.person_id) == person.id
                )
            )
        ).first()
        if candidate is not None:
            raise Forbidden(
                _(
                    "{handle} stands in {slug} and cannot monitor it.",
                    handle=person.handle,
                    slug=election.slug,
                ),
                _("Choose someone who is not a candidate."),
                rule=RULE_CANDIDATE,
            )
        exists = (
            await session.execute(
                select(col(ElectionMonitor.id)).where(
                    col(ElectionMonitor.election_id) == election.id,
                    col(ElectionMonitor.person_id) == person.id,
                )
            )
        ).first()
        if exists is not None:
            raise Conflict(
                _("{handle} is already a monitor of {slug}.", handle=person.handle, slug=election.slug),
                suggest=suggest("see", ("election", "monitor", "status", election.slug)),
            )
        assert election.id is not None and person.id is not None
        monitor = ElectionMonitor(
            election_id=election.id,
            person_id=person.id,
            public_key=key,
            key_id=signing.key_id(key),
            added_at=ctx.now(),
            added_by_id=actor.person_id,
        )
        session.add(monitor)
        await record(
            session,
            ctx,
            actor,
            stream=_stream(election),
            kind="election.monitor_added",
            subject=election.slug,
            payload={"monitor": person.handle, "public_key": key, "key_id": monitor.key_id},
        )
        await session.flush()
        return monitor


async def _monitor_of(session: AsyncSession, actor: Actor, election: Election) -> ElectionMonitor | None:
    if actor.person_id is None:
        return None
    return (
        await session.execute(
            select(ElectionMonitor).where(
                col(ElectionMonitor.election_id) == election.id,
                col(ElectionMonitor.person_id) == actor.person_id,
            )
        )
    ).scalar_one_or_none()


def _not_monitor(election: Election) -> Forbidden:
    return Forbidden(
        _("You are not a monitor of {slug}.", slug=election.slug),
        suggest=suggest("name_monitors", "election monitor add"),
        rule=RULE_NOT_MONITOR,
    )


async def close_checkpoint(ctx: Context, slug: str) -> tuple[Election, Checkpoint]:
    """The signed checkpoint made at the election's close (public: anyone may fetch and keep it)."""
    async with ctx.db.reading() as session:
        election = await _election(session, slug)
        found = await checkpoints.for_subject(session, "election.closed", _stream(election))
    if found is None:
        raise Conflict(
            _("{slug} has no close checkpoint yet: it is signed when voting closes.", slug=election.slug),
            _("Try again after the close."),
        )
    return election, found


async def cosign(ctx: Context, actor: Actor, slug: str, signature: str) -> tuple[Checkpoint, int]:
    """Record a monitor's signature of the close's checkpoint; (checkpoint, co-signatures so far).

    The signature is checked against the monitor's registered key before anything is written.
    """
    signature = "".join(signature.split()).lower()
    async with write_transaction(
        ctx, _("Your co-signature was just recorded by a concurrent request.")
    ) as session:
        election = await _election(session, slug)
        monitor = await _monitor_of(session, actor, election)
        if monitor is None:
            raise _not_monitor(election)
        checkpoint = await checkpoints.for_subject(session, "election.closed", _stream(election))
        if checkpoint is None:
            raise Conflict(
                _("{slug} has no close checkpoint yet: it is signed when voting closes.", slug=election.slug),
                _("Try again after the close."),
            )
        if not signing.verify(monitor.public_key, checkpoint.body.encode("utf-8"), signature):
            raise InvalidInput(
                _(
                    "That signature does not verify with your key {key_id} for checkpoint {seq} of {slug}.",
                    key_id=monitor.key_id,
                    seq=checkpoint.seq,
                    slug=election.slug,
                ),
                suggest=suggest("cosign_fetch", ("election", "monitor", "checkpoint", election.slug)),
            )
        done = (
            await session.execute(
                select(col(CheckpointCosignature.id)).where(
                    col(CheckpointCosignature.checkpoint_id) == checkpoint.id,
                    col(CheckpointCosignature.monitor_id) == monitor.id,
                )
            )
        ).first()
        if done is not None:
            raise Conflict(
                _("You already co-signed checkpoint {seq} of {slug}.", seq=checkpoint.seq, slug=election.slug)
            )
        assert checkpoint.id is not None and monitor.id is not None
        session.add(
            CheckpointCosignature(
                checkpoint_id=checkpoint.id, monitor_id=monitor.id, signature=signature, at=ctx.now()
            )
        )
        await record(
            session,
            ctx,
            actor,
            stream=_stream(election),
            kind="election.cosigned",
            subject=election.slug,
            payload={
                "monitor": actor.handle,
                "key_id": monitor.key_id,
                "checkpoint": checkpoint.seq,
                "checkpoint_hash": checkpoint.hash,
                "signature": signature,
            },
        )
        await session.flush()
        return checkpoint, await _cosignature_count(session, checkpoint, election)


async def _cosignature_count(session: AsyncSession, checkpoint: Checkpoint, election: Election) -> int:
    return int(
        (
            await session.execute(
                select(func.count())
                .select_from(CheckpointCosignature)
                .join(ElectionMonitor, col(ElectionMonitor.id) == col(CheckpointCosignature.monitor_id))
                .where(
                    col(CheckpointCosignature.checkpoint_id) == checkpoint.id,
                    col(ElectionMonitor.election_id) == election.id,
                )
            )
        ).scalar_one()
    )


async def require_cosignatures(session: AsyncSession, election: Election, rules: ElectionRules) -> None:
    """Refuse to certify (rule ``monitor_signatures``) until the policy's k monitors co-signed the close."""
    needed = rules.monitor_signatures
    if needed <= 0:
        return
    checkpoint = await checkpoints.for_subject(session, "election.closed", _stream(election))
    have = 0 if checkpoint is None else await _cosignature_count(session, checkpoint, election)
    if have < needed:
        raise Forbidden(
            _(
                "{slug} needs {needed} monitor co-signature(s) of its close checkpoint before it is "
                "certified; it has {have}.",
                slug=election.slug,
                needed=needed,
                have=have,
            ),
            suggest=suggest(
                "cosign_ask",
                ("election", "monitor", "checkpoint", election.slug),
                ("election", "monitor", "cosign", election.slug, "<signature>"),
            ),
            rule=RULE_COSIGNATURES,
        )


@dataclass(frozen=True)
class MonitorView:
    """What a monitor sees of a poll: its state and evidence, never a voter's choice."""

    election: Election
    monitors: list[tuple[str, str]]  # (handle, key id)
    voters: int
    chain: ChainCheck
    checkpoint: Checkpoint | None
    cosigners: list[str]


async def status(ctx: Context, actor: Actor, slug: str) -> MonitorView:
    """The poll's state for its monitors and admins: phase, turnout, chain check, close checkpoint."""
    async with ctx.db.reading() as session:
        election = await _election(session, slug)
        if not actor.is_admin and await _monitor_of(session, actor, election) is None:
            raise _not_monitor(election)
        monitors = [
            (handle, key_id)
            for handle, key_id in (
                await session.execute(
                    select(col(Person.handle), col(ElectionMonitor.key_id))
                    .join(Person, col(Person.id) == col(ElectionMonitor.person_id))
                    .where(col(ElectionMonitor.election_id) == election.id)
                    .order_by(col(Person.handle))
                )
            ).all()
        ]
        voters = int(
            (
                await session.execute(
                    select(func.count()).select_from(Voter).where(col(Voter.election_id) == election.id)
                )
            ).scalar_one()
        )
        chain = await audit.verify_stream(session, _stream(election))
        checkpoint = await checkpoints.for_subject(session, "election.closed", _stream(election))
        cosigners: list[str] = []
        if checkpoint is not None:
            cosigners = list(
                (
                    await session.execute(
                        select(col(Person.handle))
                        .select_from(CheckpointCosignature)
                        .join(
                            ElectionMonitor, col(ElectionMonitor.id) == col(CheckpointCosignature.monitor_id)
                        )
                        .join(Person, col(Person.id) == col(ElectionMonitor.person_id))
                        .where(col(CheckpointCosignature.checkpoint_id) == checkpoint.id)
                        .order_by(col(Person.handle))
                    )
                ).scalars()
            )
    return MonitorView(election, monitors, voters, chain, checkpoint, cosigners)
