"""Issue 21 items 10 and 11 on Discord, through the real discord.py client and the loopback fake: an
answer Discord refuses after the command ran says what was done (never "nothing was changed"), typed
mentions never ping, and autocomplete answers only people every command would serve."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import discord.webhook.async_ as webhook_module
import pytest

from bot.discord.delivery import deliver_due
from governance.services import bodies, elections, roster
from tests.fakes.discord_api import Callback, pinged
from tests.fakes.discord_harness import UNLINKED_USER, Running, user_id


class _NoWait:
    """discord.py's webhook module with its retry pauses cut to nothing (it retries a 500 five times,
    sleeping 1 + 2n seconds between tries); every other asyncio name is the real one."""

    def __getattr__(self, name: str) -> Any:
        return getattr(asyncio, name)

    @staticmethod
    async def sleep(delay: float, result: Any = None) -> Any:
        await asyncio.sleep(0)
        return result


@pytest.fixture
def no_retry_pause(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Discord's 500s are retried by discord.py without the real pauses."""
    monkeypatch.setattr(webhook_module, "asyncio", _NoWait())
    yield


async def slash(run: Running, who: str | None, path: list[str], /, **options: object) -> Callback:
    """A slash command as ``who`` (None: an unlinked Discord account)."""
    uid = user_id(who) if who else UNLINKED_USER
    return await run.fake.interact(run.fake.command_payload(path, dict(options), user_id=uid, username="x"))


async def test_a_vote_whose_confirmation_discord_refused_says_it_is_recorded(
    bot: Running,
    no_retry_pause: None,
) -> None:
    """Discord answers 500 to the interaction response after the ballot is stored: the voter used to
    read 'Something went wrong on our side; nothing was changed'."""
    await slash(bot, "sec", ["election", "open-voting"], election="board-2027", close="+7d")
    bot.fake.fail_responses = 5  # every try discord.py makes of the first answer
    answer = await slash(bot, "alice", ["vote"], election="board-2027", choices="chen dana")
    assert "Your vote is recorded" in answer.content
    assert "nothing was changed" not in answer.content and "Something went wrong" not in answer.content
    assert "receipt" in answer.content.lower() and answer.ephemeral
    assert (await elections.show(bot.ctx, "board-2027")).voters == 1
    await bot.fake.wait_for(lambda: bot.fake.dms_to(user_id("alice")))


async def test_when_discord_refuses_every_answer_the_notice_goes_by_direct_message(
    bot: Running,
    no_retry_pause: None,
) -> None:
    """The response and its retry both fail: the voter still learns, privately, that the vote counts."""
    await slash(bot, "sec", ["election", "open-voting"], election="board-2027", close="+7d")
    bot.fake.fail_responses = 10
    payload = bot.fake.command_payload(
        ["vote"], {"election": "board-2027", "choices": "chen"}, user_id=user_id("bea"), username="bea"
    )
    await bot.fake.dispatch("INTERACTION_CREATE", payload)
    await bot.fake.wait_for(lambda: len(bot.fake.dms_to(user_id("bea"))) >= 2)
    texts = [m.content for m in bot.fake.dms_to(user_id("bea"))]
    assert any("Your vote is recorded" in t for t in texts)
    assert not any("nothing was changed" in t for t in texts)
    assert (await elections.show(bot.ctx, "board-2027")).voters == 1


async def test_a_close_whose_result_discord_refused_says_it_was_carried_out(
    bot: Running,
    no_retry_pause: None,
) -> None:
    """`election close` is deferred, then its result follow-up answers 500: the admin is told the
    election is closed (and not to run it again), with the result."""
    await slash(bot, "sec", ["election", "open-voting"], election="board-2027", close="+7d")
    await slash(bot, "alice", ["vote"], election="board-2027", choices="chen dana")
    bot.fake.fail_followups = 5
    deferred = await slash(bot, "sec", ["election", "close"], election="board-2027")
    assert deferred.type == 5
    await bot.fake.wait_for(lambda: bot.fake.followups)
    told = bot.fake.followups[-1].content
    assert "`/election close board-2027` was carried out" in told and "Closed. Elected:" in told
    assert "nothing was changed" not in told
    assert (await elections.show(bot.ctx, "board-2027")).election.phase == "closed"


async def test_typed_mentions_never_ping_in_the_answer_or_the_channel_post(bot: Running) -> None:
    """A motion titled '@everyone <@&role> <@user>' used to ping the whole guild twice: in the channel
    answer and in the outbox post."""
    server, ctx = bot.fake, bot.ctx
    sec = await roster.actor_for_handle(ctx, "sec")
    await bodies.create_body(
        ctx, sec, "wg2", "Second WG", "working_group", chairs=["alice"], channel="#safety"
    )
    await bodies.seat(ctx, sec, "wg2", "bea")
    title = f"@everyone read this <@&820000000000000002> <@{user_id('bea')}> @here"
    assert pinged({"content": title})  # without allowed_mentions, Discord would ping them all
    proposed = await slash(bot, "alice", ["motion", "propose"], body="wg2", title=title, deadline="+7d")
    assert not proposed.ephemeral and proposed.data["allowed_mentions"]["parse"] == []
    await deliver_due(bot.client, ctx, guild_id=server.guild_id)
    posts = [m for m in server.in_channel("810000000000000002") if "@everyone" in m.content]
    assert posts and all(m.payload["allowed_mentions"]["parse"] == [] for m in posts)
    assert server.pings == []


async def test_autocomplete_answers_nobody_every_command_would_refuse(bot: Running) -> None:
    """Unlinked accounts, direct messages and other guilds used to get roster handles, names and draft
    election titles; a member who may not run elections does not see drafts."""
    server, ctx = bot.fake, bot.ctx
    sec = await roster.actor_for_handle(ctx, "sec")
    await elections.create_election(ctx, sec, "toc", "toc-2027", "Secret reshuffle")

    async def complete(uid: str, path: list[str], option: str, value: str, **kw: Any) -> list[str]:
        payload = server.command_payload(path, {option: value}, user_id=uid, focused=option, **kw)
        answer = await server.interact(payload)
        assert answer.type == 8
        return [c["value"] for c in answer.data["choices"]]

    for uid, kw in ((UNLINKED_USER, {}), (user_id("alice"), {"guild": False})):
        assert await complete(uid, ["vote"], "election", "", **kw) == []
        assert await complete(uid, ["body", "seat"], "handle", "", **kw) == []
        assert await complete(uid, ["roster", "rep"], "org", "", **kw) == []
    # another guild: its commands are not this guild's (discord.py does not even route them), and the
    # asker there is nobody, even for an account linked here
    elsewhere = SimpleNamespace(guild_id=800000000000000099, user=SimpleNamespace(id=int(user_id("alice"))))
    assert await bot.client.asker(elsewhere) is None  # type: ignore[arg-type]
    here = SimpleNamespace(guild_id=int(server.guild_id), user=SimpleNamespace(id=int(user_id("alice"))))
    assert (await bot.client.asker(here)) is not None  # type: ignore[arg-type]

    assert await complete(user_id("alice"), ["vote"], "election", "") == ["board-2027"]
    assert await complete(user_id("sec"), ["vote"], "election", "") == ["toc-2027", "board-2027"]
    assert "alice" in await complete(user_id("alice"), ["body", "seat"], "handle", "ali")
