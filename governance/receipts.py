"""Receipts: a voter checks that their ballot is stored, and once counted published, as they cast it."""

from __future__ import annotations

import json
from dataclasses import dataclass

from sqlalchemy import select
from sqlmodel import col

from governance.errors import InvalidInput, NotFound, suggest
from governance.export import parse_subject
from governance.i18n import _
from governance.models import Ballot, Election, Motion, RetiredReceipt
from governance.services.common import Context


@dataclass(frozen=True)
class ReceiptCheck:
    """What a receipt says: ``counted`` (in the published list), ``stored`` (voting still open),
    ``replaced`` (a later ballot took its place: it verifies nothing) or ``unknown``."""

    poll: str
    status: str
    ballot: object | None = None


def _normalise(code: str) -> str:
    return code.strip().upper().replace(" ", "")


async def check_receipt(ctx: Context, poll_ref: str, code: str) -> ReceiptCheck:
    """Look a receipt up in one election or motion; anyone may ask (the receipt is the secret)."""
    subject = parse_subject(poll_ref)
    if subject.kind == "all":
        raise InvalidInput(
            _("Name the election or motion of the receipt."),
            suggest=suggest("example", "receipt board-2027 ABCDE-FGHJK"),
        )
    receipt = _normalise(code)
    if not receipt:
        raise InvalidInput(_("Give the receipt code you were sent when you voted."))
    async with ctx.db.reading() as session:
        if subject.kind == "election":
            election = (
                await session.execute(select(Election).where(col(Election.slug) == subject.ref))
            ).scalar_one_or_none()
            if election is None:
                raise NotFound(
                    _("No election {subject_ref!r}.", subject_ref=subject.ref),
                    suggest=suggest("see", "election list"),
                )
            poll, label, published = f"election:{election.id}", election.slug, election.result is not None
            where = col(Ballot.election_id) == election.id
        else:
            motion = await session.get(Motion, int(subject.ref))
            if motion is None:
                raise NotFound(
                    _("No motion M{subject_ref}.", subject_ref=subject.ref),
                    suggest=suggest("see", "motion list"),
                )
            poll, label, published = f"motion:{motion.id}", f"M{motion.id}", motion.result is not None
            where = col(Ballot.motion_id) == motion.id
        content = (
            await session.execute(select(col(Ballot.content)).where(where, col(Ballot.receipt) == receipt))
        ).scalar_one_or_none()
        if content is not None:
            return ReceiptCheck(label, "counted" if published else "stored", json.loads(content))
        retired = await session.get(RetiredReceipt, (poll, receipt))
        return ReceiptCheck(label, "replaced" if retired is not None else "unknown")
