"""Election monitor commands, registered on import by bot.commands: name a monitor, see a poll's state as
its monitor, fetch the close's signed checkpoint and co-sign it with a signature made offline."""

from __future__ import annotations

from bot.grammar import Invocation, command
from bot.present.replies import Attachment, Reply
from governance import audit, checkpoints, labels
from governance.i18n import _
from governance.services import monitors
from governance.services.monitors import MonitorView

_EXAMPLE_KEY = "3b6a27bcceb6a42d62a3a8d02a6f0d73653215771de243a63ac048a18b59da29"


@command(
    "election monitor add",
    "<election> <handle> <public-key>",
    "Name a monitor of an election with their Ed25519 public key (from `govbot audit keygen`); admins, "
    "before the close.",
    examples=(f"election monitor add board-2027 farid {_EXAMPLE_KEY}",),
)
async def monitor_add(inv: Invocation) -> Reply:
    """election monitor add"""
    monitor = await monitors.add_monitor(
        inv.ctx, inv.actor, inv.arg("election"), inv.arg("handle"), inv.arg("public-key")
    )
    return Reply(
        text=_(
            "{handle} now monitors {election} (key {key_id}). They co-sign its close with "
            "`election monitor cosign`.",
            handle=inv.arg("handle").lower(),
            election=inv.arg("election").lower(),
            key_id=monitor.key_id,
        )
    )


def _status_text(view: MonitorView) -> str:
    election = view.election
    lines = [
        _(
            "{election}: {phase}, {voters} voter(s) so far. Monitors: {monitors}.",
            election=election.slug,
            phase=labels.label(labels.ELECTION_PHASES, election.phase),
            voters=view.voters,
            monitors=", ".join(f"{h} ({k})" for h, k in view.monitors) or "-",
        )
    ]
    if view.chain.ok:
        lines.append(
            _(
                "Audit chain OK: {events} event(s), head {head}.",
                events=view.chain.events,
                head=view.chain.head,
            )
        )
    else:
        lines.append(
            _(
                "Audit chain BROKEN at event {seq}: {problem}.",
                seq=view.chain.broken_seq,
                problem=view.chain.problem,
            )
        )
    if view.checkpoint is None:
        lines.append(_("No close checkpoint yet: it is signed when voting closes."))
    else:
        lines.append(
            _(
                "Close checkpoint {seq}: {hash}; co-signed by {cosigners}.",
                seq=view.checkpoint.seq,
                hash=view.checkpoint.hash,
                cosigners=", ".join(view.cosigners) or "-",
            )
        )
    return "\n".join(lines)


@command(
    "election monitor status",
    "<election>",
    "A poll's state for its monitors and admins: phase, turnout, audit chain, close checkpoint and "
    "co-signatures (never a voter's choice).",
    examples=("election monitor status board-2027",),
)
async def monitor_status(inv: Invocation) -> Reply:
    """election monitor status"""
    view = await monitors.status(inv.ctx, inv.actor, inv.arg("election"))
    return Reply(text=_status_text(view), ephemeral=True)


@command(
    "election monitor checkpoint",
    "<election>",
    "The signed checkpoint made at an election's close, as a file to keep or co-sign.",
    examples=("election monitor checkpoint board-2027",),
)
async def monitor_checkpoint(inv: Invocation) -> Reply:
    """election monitor checkpoint"""
    election, found = await monitors.close_checkpoint(inv.ctx, inv.arg("election"))
    item = checkpoints.Published(found.body, found.hash, found.signature, found.public_key, ())
    data = (audit.canonical_json(item.to_json()) + "\n").encode("utf-8")
    return Reply(
        text=_(
            "Checkpoint {seq} of {election}'s close: {hash}, signed by key {key_id}. Keep the file; a "
            "monitor signs it with `govbot audit cosign checkpoint-{election}.json --key YOUR.key`.",
            seq=found.seq,
            election=election.slug,
            hash=found.hash,
            key_id=found.key_id,
        ),
        attachments=(Attachment(f"checkpoint-{election.slug}.json", data, "application/json"),),
    )


@command(
    "election monitor cosign",
    "<election> <signature>",
    "Record your co-signature of an election's close checkpoint (made with `govbot audit cosign`); monitors.",
    examples=("election monitor cosign board-2027 9f2c…",),
)
async def monitor_cosign(inv: Invocation) -> Reply:
    """election monitor cosign"""
    found, count = await monitors.cosign(inv.ctx, inv.actor, inv.arg("election"), inv.arg("signature"))
    return Reply(
        text=_(
            "Co-signature recorded for checkpoint {seq} of {election} ({count} so far).",
            seq=found.seq,
            election=inv.arg("election").lower(),
            count=count,
        )
    )
