"""A refused `audit export ... --format csv|blt` writes nothing: the ballots of a secret poll not counted
stay sealed, and the refusal comes before the export seals, anchors or signs a checkpoint."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from bot.commands import dispatch
from governance import seed
from governance.services import roster
from governance.services.common import Context
from tests.factories import SYSTEM, snapshot


async def test_a_sealed_file_is_refused_before_anything_is_written(ctx: Context) -> None:
    await seed.seed(ctx)  # the board election is secret and in nominations: never counted
    sec = await roster.actor_for_handle(ctx, "sec")
    await roster.add_person(ctx, SYSTEM, "zoe", "Zoe")  # a head moved since the last anchoring
    before = await snapshot(ctx)
    for line in ("audit export board-2027 --format csv", "audit export board-2027 --format blt"):
        reply = await dispatch(ctx, sec, line, tz=ZoneInfo("UTC"))
        assert not reply.ok, line
        assert "its ballots stay sealed" in reply.text, (line, reply.text)
        assert await snapshot(ctx) == before, line
    assert (await dispatch(ctx, sec, "audit export board-2027 --format jsonl", tz=ZoneInfo("UTC"))).ok
