"""Dispatch takes a typed ``Command`` or a typed line, and both take the same road: the same handler,
the same answer, the same refusals; a failure's log line never carries a ballot's choices."""

from __future__ import annotations

import logging

import pytest

from bot.commands import Command, dispatch, parse
from governance.services import elections, roster
from governance.services.common import Context


async def test_a_command_and_its_line_get_the_same_answer(seeded: Context) -> None:
    sec = await roster.actor_for_handle(seeded, "sec")
    for line in ("roster orgs", "election show board-2027", "help election create", "wg members safety"):
        typed = await dispatch(seeded, sec, parse(line))
        read = await dispatch(seeded, sec, line)
        assert typed.ok and typed == read, line


async def test_a_typed_command_is_refused_like_its_line(seeded: Context) -> None:
    alice = await roster.actor_for_handle(seeded, "alice")
    typed = await dispatch(seeded, alice, Command(("election", "create"), ("x",), {"body": "board"}))
    read = await dispatch(seeded, alice, "election create x --body board")
    assert not typed.ok and typed == read
    unknown = await dispatch(seeded, alice, Command(("election", "frobnicate")))
    assert not unknown.ok and unknown.text == (await dispatch(seeded, alice, "election frobnicate")).text
    empty = await dispatch(seeded, alice, "")
    assert empty.ok and empty == await dispatch(seeded, alice, Command(("help",)))


async def test_a_typed_vote_that_fails_is_logged_without_its_choices(
    seeded: Context, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    alice = await roster.actor_for_handle(seeded, "alice")

    async def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(elections, "cast_ballot", broken)
    with caplog.at_level(logging.ERROR, logger="bot.commands"):
        reply = await dispatch(seeded, alice, Command(("vote",), ("board-2027", "chen", "arjun dana")))
    assert not reply.ok and "reference" in reply.text
    logged = " ".join(r.getMessage() for r in caplog.records if r.name == "bot.commands")
    assert "vote board-2027 [hidden]" in logged
    assert "chen" not in logged and "arjun" not in logged
