"""A motion as shown, and the list of motions."""

from __future__ import annotations

import json
from dataclasses import dataclass

from sqlalchemy import select
from sqlmodel import col

from governance.errors import Conflict, InvalidInput
from governance.models import (
    Ballot,
    Body,
    Motion,
    Person,
    Voter,
)
from governance.policies.base import MotionRules
from governance.services import bounds
from governance.services.common import (
    Context,
    body_by_slug,
    body_facts,
    count_rows,
)
from governance.services.motions.lookup import (
    motion_by_ref,
    policy_of,
    stream_of,
)


@dataclass(frozen=True)
class MotionView:
    """A motion as shown: settings, turnout so far, the roll call when public, the result when closed."""

    motion: Motion
    body: Body
    voters: int
    roll_call: list[tuple[str, str]]
    result: dict[str, object] | None
    choices: tuple[str, ...] = ()  # the per-motion choices made, with the policy's bounds, in words


async def show(ctx: Context, ref: str | int) -> MotionView:
    """Everything public about a motion."""
    async with ctx.db.reading() as session:
        motion = await motion_by_ref(session, ref)
        body = await session.get(Body, motion.body_id)
        assert body is not None
        voters = await count_rows(session, select(col(Voter.id)).where(col(Voter.motion_id) == motion.id))
        roll: list[tuple[str, str]] = []
        if not motion.secret:
            rows = (
                await session.execute(
                    select(col(Person.name), col(Ballot.content))
                    .join(Person, col(Ballot.voter_id) == col(Person.id))
                    .where(col(Ballot.motion_id) == motion.id)
                    .order_by(col(Person.name))
                )
            ).all()
            roll = [(name, json.loads(content)) for name, content in rows]
        try:
            rules: MotionRules | None = policy_of(motion).motion_rules(body_facts(body), motion.kind)
        except (Conflict, InvalidInput):
            rules = None
        choices = bounds.describe_motion(await bounds.recorded_choices(session, stream_of(motion)), rules)
        result = json.loads(motion.result) if motion.result else None
        return MotionView(motion, body, voters, roll, result, tuple(choices))


async def list_motions(ctx: Context, body: str | None = None) -> list[tuple[Motion, Body]]:
    """Motions, newest first, optionally of one body."""
    async with ctx.db.reading() as session:
        stmt = select(Motion, Body).join(Body, col(Motion.body_id) == col(Body.id))
        if body:
            target = await body_by_slug(session, body)
            stmt = stmt.where(col(Motion.body_id) == target.id)
        return [(m, b) for m, b in (await session.execute(stmt.order_by(col(Motion.id).desc()))).all()]
