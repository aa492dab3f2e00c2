"""Signed checkpoints: the deployment's key vouches for every audit chain's head at a moment.

Hash chains show an edit only to someone who kept a head from before it: whoever can write the database
can rehash a stream, its anchor, the heads and a bundle's manifest after an edit, and everything checks
again. A **checkpoint** closes that gap. It is the canonical JSON of

* ``heads`` — every stream's head (sequence number and hash) and ``anchor`` — the anchor chain's head,
* ``at`` — the time, ``seq``/``prev`` — its place in the chain of checkpoints (the previous one's hash),
* ``key_id`` — the deployment key that signs it, ``reason``/``subject`` — why it was made,

signed with the deployment's Ed25519 key (``governance.signing``; the private key never leaves the
server: no export, site file, message or log carries it). Checkpoints are made

* at each close and certification of an election and each decided motion, **in the same transaction**
  as the decision: the decision cannot commit without the checkpoint that pins it, and the notice to
  the body's channel (``audit.checkpoint``, with the checkpoint's hash) rides in that transaction's
  outbox like the result itself. The decision's anchored append already holds the anchor's head row
  until commit, which also numbers checkpoints without gaps or races;
* periodically by the scheduler's audit sealer (``periodic``), when any head moved;
* by every export (``ensure_current``), so a bundle always carries a checkpoint covering its heads.

Anyone holding an earlier checkpoint, or just the deployment's public key, then catches a consistent
forgery: a rewritten event changes the hash at a place a signed checkpoint pinned
(``governance.checkpoint_verify``). Election monitors co-sign a closed poll's checkpoint with their own
keys (``governance.services.monitors``), so forging it needs them too.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from governance import audit, signing
from governance.models import AuditHead, Checkpoint, CheckpointCosignature, ElectionMonitor, Person
from governance.services.common import Context, notify

FORMAT = "govbot-checkpoint/1"
PERIODIC_EVERY = timedelta(hours=1)
"""The scheduler signs a checkpoint at most this often, and only when a head moved."""


def body_hash(body: str) -> str:
    """The SHA-256 (hex) of a checkpoint's signed body: the name the channel and monitors use."""
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


async def _heads(session: AsyncSession) -> tuple[dict[str, dict[str, Any]], dict[str, Any]]:
    rows = (await session.execute(select(AuditHead).where(col(AuditHead.seq) > 0))).scalars()
    heads = {h.stream: {"seq": h.seq, "hash": h.hash} for h in rows}
    anchor = heads.pop(audit.ANCHOR, {"seq": 0, "hash": audit.GENESIS})
    return heads, anchor


async def latest(session: AsyncSession) -> Checkpoint | None:
    """The newest checkpoint, or None before the first."""
    return (
        await session.execute(select(Checkpoint).order_by(col(Checkpoint.seq).desc()).limit(1))
    ).scalar_one_or_none()


async def make(
    session: AsyncSession,
    ctx: Context,
    *,
    reason: str,
    subject: str = "",
    body_id: int | None = None,
) -> Checkpoint:
    """Sign a checkpoint of every head as the caller's transaction sees them, and store it.

    Locks the anchor's head row until commit (a decision's anchored append already holds it), so
    checkpoints are numbered one after another. With ``body_id`` the body's channel is told the
    checkpoint's number and hash (an outbox notice in the same transaction).
    """
    await audit._lock_head(session, audit.ANCHOR)
    heads, anchor = await _heads(session)
    previous = await latest(session)
    key = ctx.deployment_key()
    public = signing.public_hex(key)
    at = ctx.now()
    seq = (previous.seq + 1) if previous else 1
    kid = signing.key_id(public)
    content: dict[str, Any] = {
        "format": FORMAT,
        "seq": seq,
        "prev": previous.hash if previous else audit.GENESIS,
        "at": at.isoformat(),
        "key_id": kid,
        "reason": reason,
        "subject": subject,
        "anchor": anchor,
        "heads": heads,
    }
    body = audit.canonical_json(content)
    checkpoint = Checkpoint(
        seq=seq,
        at=at,
        reason=reason,
        subject=subject,
        key_id=kid,
        public_key=public,
        body=body,
        hash=body_hash(body),
        signature=signing.sign(key, body.encode("utf-8")),
    )
    session.add(checkpoint)
    await session.flush()
    if body_id is not None:
        notify(
            session,
            ctx,
            kind="audit.checkpoint",
            body_id=body_id,
            dedupe_key=f"checkpoint:{checkpoint.seq}",
            params={
                "checkpoint": checkpoint.seq,
                "subject": subject,
                "hash": checkpoint.hash,
                "key_id": checkpoint.key_id,
            },
        )
    return checkpoint


async def _moved(session: AsyncSession, last: Checkpoint | None) -> bool:
    if last is None:
        return True
    heads, anchor = await _heads(session)
    signed = json.loads(last.body)
    return bool(signed["heads"] != heads or signed["anchor"] != anchor)


async def ensure_current(session: AsyncSession, ctx: Context, *, reason: str) -> Checkpoint:
    """The newest checkpoint, signing a new one first when any head moved since (for exports)."""
    last = await latest(session)
    if last is not None and not await _moved(session, last):
        return last
    return await make(session, ctx, reason=reason)


async def periodic(
    session: AsyncSession, ctx: Context, every: timedelta = PERIODIC_EVERY
) -> Checkpoint | None:
    """The scheduler's checkpoint: signed when a head moved and the last is older than ``every``."""
    last = await latest(session)
    if last is not None and ctx.now() - last.at < every:
        return None
    if not await _moved(session, last):
        return None
    return await make(session, ctx, reason="periodic")


async def for_subject(session: AsyncSession, reason: str, subject: str) -> Checkpoint | None:
    """The newest checkpoint made for ``reason`` on ``subject`` (e.g. an election's close)."""
    return (
        await session.execute(
            select(Checkpoint)
            .where(col(Checkpoint.reason) == reason, col(Checkpoint.subject) == subject)
            .order_by(col(Checkpoint.seq).desc())
            .limit(1)
        )
    ).scalar_one_or_none()


@dataclass(frozen=True)
class Published:
    """A checkpoint as bundles and the site publish it: the signed body and who signed it."""

    body: str
    hash: str
    signature: str
    public_key: str
    cosignatures: tuple[Mapping[str, str], ...]

    def to_json(self) -> dict[str, Any]:
        """The published form (one line of ``checkpoints.jsonl``, one item of the site's list)."""
        return {
            "body": self.body,
            "hash": self.hash,
            "signature": self.signature,
            "public_key": self.public_key,
            "cosignatures": list(self.cosignatures),
        }


async def published(session: AsyncSession, since: datetime | None = None) -> list[Published]:
    """Every checkpoint in order with its monitors' co-signatures (public keys and signatures only)."""
    query = select(Checkpoint).order_by(col(Checkpoint.seq))
    if since is not None:
        query = query.where(col(Checkpoint.at) >= since)
    rows = list((await session.execute(query)).scalars())
    cosigned: dict[int, list[dict[str, str]]] = {}
    for cosignature, monitor, person in (
        await session.execute(
            select(CheckpointCosignature, ElectionMonitor, Person)
            .join(ElectionMonitor, col(ElectionMonitor.id) == col(CheckpointCosignature.monitor_id))
            .join(Person, col(Person.id) == col(ElectionMonitor.person_id))
            .order_by(col(CheckpointCosignature.id))
        )
    ).all():
        cosigned.setdefault(cosignature.checkpoint_id, []).append(
            {
                "monitor": person.handle,
                "public_key": monitor.public_key,
                "key_id": monitor.key_id,
                "signature": cosignature.signature,
            }
        )
    return [
        Published(c.body, c.hash, c.signature, c.public_key, tuple(cosigned.get(c.id or 0, []))) for c in rows
    ]


def jsonl(items: list[Published]) -> bytes:
    """``checkpoints.jsonl``: one published checkpoint per line, canonical JSON."""
    return "".join(audit.canonical_json(p.to_json()) + "\n" for p in items).encode("utf-8")


def public_keys(items: list[Published], ctx: Context | None = None) -> bytes:
    """``deployment.pub``: the deployment's public key(s), 64 hex digits a line, oldest first."""
    keys = list(dict.fromkeys(p.public_key for p in items))
    if not keys and ctx is not None:
        keys = [signing.public_hex(ctx.deployment_key())]
    return "".join(f"{k}\n" for k in keys).encode("ascii")


async def site_files(ctx: Context) -> dict[str, bytes]:
    """The transparency site's ``checkpoints.json`` (every signed checkpoint, co-signatures included) and
    ``deployment.pub`` (the public key to check them with); nothing private."""
    async with ctx.db.reading() as session:
        items = await published(session)
    listing = [item.to_json() for item in items]
    return {
        "checkpoints.json": (json.dumps(listing, indent=2, ensure_ascii=False) + "\n").encode("utf-8"),
        "deployment.pub": public_keys(items, ctx),
    }
