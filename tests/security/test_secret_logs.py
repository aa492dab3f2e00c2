"""No log level prints a secret ballot (issue 21, item 7): with every logger at DEBUG — the engine's,
the drivers' (aiosqlite, asyncpg), govbot's own — casting and replacing secret ballots on each backend
leaves no ranking, receipt or tag in any log record."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.commands import dispatch
from governance import seed
from governance.logsafe import command_for_log
from governance.models import Ballot, BallotSlot
from governance.services import elections, roster
from governance.services.common import Actor, Context
from tests.factories import secrets_in


async def test_secret_ballots_leave_nothing_in_debug_logs(
    ctx: Context, everything_at_debug: pytest.LogCaptureFixture
) -> None:
    await seed.seed(ctx)
    sec = await roster.actor_for_handle(ctx, "sec")
    await elections.open_voting(ctx, sec, "board-2027")
    everything_at_debug.clear()
    voters: dict[str, Actor] = {h: await roster.actor_for_handle(ctx, h) for h in ("alice", "bea", "carlos")}
    receipts = [
        (await elections.cast_ballot(ctx, voters["alice"], "board-2027", ["chen", "arjun", "dana"])).receipt,
        (await elections.cast_ballot(ctx, voters["bea"], "board-2027", ["farid", "emma"])).receipt,
        (
            await elections.cast_ballot(ctx, voters["alice"], "board-2027", ["dana", "farid"])
        ).receipt,  # replaces
        (await elections.cast_ballot(ctx, voters["carlos"], "board-2027", ["emma"])).receipt,
    ]
    assert any(r.name.startswith(("sqlalchemy", "aiosqlite")) for r in everything_at_debug.records), (
        "the database layer logged nothing: the test would prove nothing"
    )
    async with ctx.db.reading() as session:
        contents = set((await session.execute(select(Ballot.content))).scalars())  # type: ignore[call-overload]
        tags = set((await session.execute(select(BallotSlot.tag))).scalars())  # type: ignore[call-overload]
    secrets = {*receipts, *tags, *contents}
    assert len(contents) == 3 and len(tags) == 3
    assert secrets_in(everything_at_debug.records, secrets) == []


def test_a_command_line_in_a_log_keeps_its_command_and_hides_choices_and_codes() -> None:
    assert command_for_log("vote board-2027 chen arjun=dana") == "vote board-2027 [hidden]"
    assert command_for_log("Motion Vote 12 yes") == "Motion Vote 12 [hidden]"
    assert command_for_log("receipt board-2027 K7QX2-M9PLA") == "receipt board-2027 [hidden]"
    assert command_for_log("vote board-2027") == "vote board-2027"
    assert command_for_log("election show board-2027") == "election show board-2027"


async def test_a_vote_that_fails_unexpectedly_is_logged_without_its_choices(
    ctx: Context, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    await seed.seed(ctx)
    alice = await roster.actor_for_handle(ctx, "alice")

    async def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(elections, "cast_ballot", broken)
    reply = await dispatch(ctx, alice, "vote board-2027 chen arjun dana")
    assert not reply.ok and "reference" in reply.text
    failed = [r for r in caplog.records if r.name == "bot.commands"]
    assert failed and "vote board-2027 [hidden]" in failed[0].getMessage()
    assert secrets_in(caplog.records, {"chen arjun dana", "arjun"}) == []
