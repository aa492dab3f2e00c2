"""The strict fake refuses what Discord refuses, and govbot keeps within it: long texts go whole in
several messages, tables left out are named, interaction tokens expire, a second answer is refused."""

from __future__ import annotations

import aiohttp
import discord
import pytest

from bot.discord import ballots
from bot.discord.render import CONTENT_LIMIT, render, shorten, split_lines
from bot.present.replies import Reply, Table
from governance.services import elections, roster
from governance.services.common import Actor
from tests.fakes.discord_api import Callback
from tests.fakes.discord_harness import Running, user_id
from tests.fakes.discord_limits import (
    autocomplete_problems,
    component_problems,
    embed_problems,
    message_problems,
)


async def slash(bot: Running, who: str, path: list[str], /, **options: object) -> Callback:
    """Run a slash command as ``who`` and return the bot's answer."""
    payload = bot.fake.command_payload(path, dict(options), user_id=user_id(who), username=who)
    return await bot.fake.interact(payload)


async def many_candidates(bot: Running, count: int, width: int = 20) -> list[str]:
    """``count`` more candidates in board-2027 with handles ``width`` characters long."""
    system = Actor.system("test")
    handles = []
    for i in range(count):
        handle = f"candidate-{i:03d}".ljust(width, "x")
        await roster.add_person(bot.ctx, system, handle, f"Person {i:03d}", organisation="acme")
        await elections.nominate(bot.ctx, await roster.actor_for_handle(bot.ctx, handle), "board-2027")
        handles.append(handle)
    return handles


def payload_of(rendered_content: str, embeds: list[discord.Embed]) -> dict[str, object]:
    """A message payload as discord.py sends it."""
    return {"content": rendered_content, "embeds": [e.to_dict() for e in embeds]}


# ---------------------------------------------------------------------- the fake's limits


def test_the_limits_refuse_what_discord_refuses_and_accept_what_it_takes() -> None:
    assert message_problems({"content": "x" * CONTENT_LIMIT}) == []
    assert message_problems({"content": "x" * (CONTENT_LIMIT + 1)}) == [
        "content: 2001 characters, must be 2000 or fewer"
    ]
    assert embed_problems([discord.Embed(title="t" * 257).to_dict()])
    assert embed_problems([discord.Embed(description="d" * 4097).to_dict()])
    many_fields = discord.Embed()
    for i in range(26):
        many_fields.add_field(name=f"f{i}", value="v")
    assert any("26, must be 25" in p for p in embed_problems([many_fields.to_dict()]))
    assert embed_problems([discord.Embed().add_field(name="n", value="v" * 1025).to_dict()])
    assert any("in all" in p for p in embed_problems([discord.Embed(description="d" * 4000).to_dict()] * 2))
    assert embed_problems([discord.Embed(title="t").to_dict()] * 11)
    buttons = [
        {"type": 2, "style": 2, "label": "b" * 81 if i == 0 else "ok", "custom_id": f"c{i}"} for i in range(6)
    ]
    rows = [{"type": 1, "components": buttons}]
    problems = component_problems(rows)
    assert any("6 buttons" in p for p in problems) and any("label" in p for p in problems)
    assert component_problems([{"type": 1, "components": [{"type": 2, "custom_id": "x" * 101}]}])
    assert component_problems([{"type": 1, "components": [{"type": 2, "custom_id": "a"}]}] * 6)
    select = {"type": 3, "custom_id": "s", "options": [{"label": str(i), "value": str(i)} for i in range(26)]}
    assert component_problems([{"type": 1, "components": [select]}])
    assert autocomplete_problems({"choices": [{"name": "n", "value": "v"}] * 26})
    assert autocomplete_problems({"choices": [{"name": "n", "value": "v" * 101}]})
    assert autocomplete_problems({"choices": [{"name": "n" * 100, "value": "v" * 100}]}) == []


def test_every_ballot_govbot_draws_keeps_within_discords_component_limits() -> None:
    for count in (1, 25, 26, 100, 101, 250):
        choices = [ballots.Choice(f"handle-{i:03d}".ljust(32, "x"), "N" * 120) for i in range(count)]
        for page in range(3):
            _text, view = ballots.ranked_ballot("T" * 200, "e" * 64, choices, [], page)
            assert component_problems(view.to_components()) == [], (count, page)
        approval = ballots.approval_ballot("T" * 200, "e" * 64, choices, 3, "approval")
        if approval is not None:
            assert component_problems(approval[1].to_components()) == []
    assert component_problems(ballots.motion_buttons(2147483647).to_components()) == []


async def test_the_fake_refuses_content_over_2000_characters_as_discord_does(bot: Running) -> None:
    channel = bot.client.get_partial_messageable(int(bot.fake.channel_id))
    with pytest.raises(discord.HTTPException) as refused:
        await channel.send("x" * 2001)
    assert refused.value.status == 400 and refused.value.code == 50035
    assert bot.fake.messages == []
    assert bot.fake.take_refusals() == [
        (
            f"/api/v10/channels/{bot.fake.channel_id}/messages",
            ["content: 2001 characters, must be 2000 or fewer"],
        )
    ]


async def test_a_second_initial_response_and_an_expired_token_are_refused(bot: Running) -> None:
    fake = bot.fake
    answered = await slash(bot, "alice", ["gov", "whoami"])
    base = f"{fake.api_base}/interactions/{answered.interaction_id}/{answered.token}/callback"
    async with aiohttp.ClientSession() as http:
        async with http.post(base, json={"type": 4, "data": {"content": "again"}}) as again:
            assert again.status == 400 and (await again.json())["code"] == 40060
        webhook = f"{fake.api_base}/webhooks/{fake.application_id}/{answered.token}"
        async with http.post(webhook, json={"content": "later"}) as followup:
            assert followup.status == 200  # within 15 minutes
        fake.age(answered.interaction_id, 15 * 60 + 1)
        async with http.post(webhook, json={"content": "too late"}) as expired:
            assert expired.status == 401 and (await expired.json())["code"] == 50027
    assert [codes for _path, codes in fake.take_refusals()] == [
        ["second initial response"],
        ["follow-up after 901s"],
    ]
    assert len([c for c in fake.callbacks if c.interaction_id == answered.interaction_id]) == 1


async def test_an_answer_after_three_seconds_is_refused_and_the_voter_still_learns_by_dm(
    bot: Running,
) -> None:
    """Discord drops an interaction not answered within 3 s (404 Unknown interaction): a vote that was
    recorded but answered too late is told by direct message, never lost and never "nothing changed"."""
    await slash(bot, "sec", ["election", "open-voting"], election="board-2027", close="+7d")
    bot.fake.response_window = -1.0  # every first answer comes too late
    payload = bot.fake.command_payload(
        ["vote"], {"election": "board-2027", "choices": "chen dana"}, user_id=user_id("bea"), username="bea"
    )
    await bot.fake.dispatch("INTERACTION_CREATE", payload)
    await bot.fake.wait_for(lambda: len(bot.fake.dms_to(user_id("bea"))) >= 2)
    texts = [m.content for m in bot.fake.dms_to(user_id("bea"))]
    assert any("Your vote is recorded" in t for t in texts)
    assert not any("nothing was changed" in t for t in texts)
    assert (await elections.show(bot.ctx, "board-2027")).voters == 1
    refused = bot.fake.take_refusals()
    assert refused and all(codes[0].startswith("first response after") for _p, codes in refused)


# ---------------------------------------------------------------------- what the fake caught, fixed


def test_split_lines_keeps_every_line_and_cuts_only_at_boundaries() -> None:
    text = "\n".join(f"{i}. handle-{i:03d} Person Name {i}" for i in range(300))
    parts = split_lines(text, CONTENT_LIMIT)
    assert len(parts) > 1 and all(len(p) <= CONTENT_LIMIT for p in parts)
    assert "\n".join(parts) == text
    one_line = " ".join(f"word{i}" for i in range(1000))
    parts = split_lines(one_line, 100)
    assert all(len(p) <= 100 for p in parts) and " ".join(parts) == one_line
    assert split_lines("x" * 250, 100) == ["x" * 100, "x" * 100, "x" * 50]
    assert split_lines("") == [""]
    short = shorten("line\n" * 1000, 300)
    assert len(short) <= 300 and short.endswith("more characters are not shown here)")


def test_tables_left_out_are_named_and_everything_fits_in_one_message() -> None:
    tables = [
        Table(["A", "B"], [[f"row{i}", "x" * 40] for i in range(30)], title=f"Table {n}") for n in range(12)
    ]
    rendered = render(Reply("Here they are.", tables=tables))
    assert message_problems(payload_of(rendered.content, rendered.embeds)) == []
    shown = {e.title for e in rendered.embeds}
    missing = [t.title for t in tables if t.title not in shown]
    assert missing, "the test must make render leave tables out"
    assert f"{len(missing)} more tables are not shown" in rendered.content
    assert all(title in rendered.content for title in missing)
    long = render(Reply("\n".join(f"line {i} " + "y" * 60 for i in range(100))))
    assert long.more and all(len(p) <= CONTENT_LIMIT for p in [long.content, *long.more])
    assert "\n".join([long.content, *long.more]).count("line ") == 100


async def test_a_ranking_of_85_candidates_keeps_its_receipt_in_several_dms(bot: Running) -> None:
    """85 candidates with 20-character handles: the answer and the receipt DM are about 2,800 characters,
    over Discord's 2,000; both used to be lost (refused, logged at info)."""
    handles = await many_candidates(bot, 85)
    await slash(bot, "sec", ["election", "open-voting"], election="board-2027", close="+7d")
    answer = await slash(bot, "alice", ["vote"], election="board-2027", choices=" ".join(handles))
    assert answer.content.startswith("Ballot recorded in")
    await bot.fake.wait_for(lambda: len(bot.fake.dms_to(user_id("alice"))) >= 2)
    dms = [m.content for m in bot.fake.dms_to(user_id("alice"))]
    assert all(len(d) <= CONTENT_LIMIT for d in dms)
    receipt = "\n".join(dms)
    assert receipt.startswith("🧾") and all(h in receipt for h in handles)
    whole = "\n".join([answer.content, *(m.content for m in bot.fake.followups)])
    assert all(h in whole for h in handles)
    assert (await elections.show(bot.ctx, "board-2027")).voters == 1


# ---------------------------------------------------------------------- a ranking typed in /vote


async def test_vote_suggestions_carry_a_long_ranking_whole(bot: Running) -> None:
    """Each suggestion holds the whole ranking typed so far; past 100 characters it is encoded, and the
    vote cast from a picked suggestion counts every preference, in order."""
    handles = await many_candidates(bot, 40)
    await slash(bot, "sec", ["election", "open-voting"], election="board-2027", close="+7d")
    typed = " ".join(handles[:30]) + " cand"
    payload = bot.fake.command_payload(
        ["vote"],
        {"election": "board-2027", "choices": typed},
        user_id=user_id("alice"),
        username="alice",
        focused="choices",
    )
    suggested = await bot.fake.interact(payload)
    choices = suggested.data["choices"]
    assert choices and all(len(c["value"]) <= 100 and len(c["name"]) <= 100 for c in choices)
    assert choices[0]["value"].startswith("~") and choices[0]["name"].endswith(
        f"31. {handles[30]} — Person 030"
    )
    picked = f"{choices[0]['value']} chen"
    answer = await slash(bot, "alice", ["vote"], election="board-2027", choices=picked)
    assert answer.content.startswith("Ballot recorded in")
    await bot.fake.wait_for(lambda: bot.fake.dms_to(user_id("alice")))
    receipt = "\n".join(m.content for m in bot.fake.dms_to(user_id("alice")))
    ranked = [*handles[:31], "chen"]
    assert [receipt.index(h) for h in ranked] == sorted(receipt.index(h) for h in ranked)


async def test_a_stale_or_forged_suggestion_is_refused_and_nothing_is_cast(bot: Running) -> None:
    await slash(bot, "sec", ["election", "open-voting"], election="board-2027", close="+7d")
    for forged in ("~zzz012", "~", "chen ~abc"):
        answer = await slash(bot, "alice", ["vote"], election="board-2027", choices=forged)
        assert (
            answer.ephemeral
            and "no longer matches the candidates standing; nothing was cast" in answer.content
        )
    assert (await elections.show(bot.ctx, "board-2027")).voters == 0


# ---------------------------------------------------------------------- forged component ids


@pytest.mark.parametrize(
    "custom_id",
    [
        "gb:rk:pick:board-2027:9s0",
        "gb:rk:pick:board-2027:0s4",
        "gb:rk:pick:board-2027:xs0",
        "gb:rk:pick:board-2027",
    ],
)
async def test_a_forged_page_in_a_ballot_press_is_refused_before_the_draft_changes(
    bot: Running, custom_id: str
) -> None:
    await slash(bot, "sec", ["election", "open-voting"], election="board-2027", close="+7d")
    await slash(bot, "alice", ["vote"], election="board-2027")
    payload = bot.fake.component_payload(
        custom_id, user_id=user_id("alice"), username="alice", values=["chen"]
    )
    refused = await bot.fake.interact(payload)
    assert refused.ephemeral and "nothing was changed" in refused.content
    page = bot.fake.component_payload("gb:rk:page:board-2027:n7", user_id=user_id("alice"), username="alice")
    assert "nothing was changed" in (await bot.fake.interact(page)).content
    valid = bot.fake.component_payload(
        "gb:rk:pick:board-2027:0s0", user_id=user_id("alice"), username="alice", values=["dana"]
    )
    after = await bot.fake.interact(valid)
    ranking = after.content.split("Your ranking so far:")[1].split("Choose")[0]
    assert "1. " in ranking and "(@dana)" in ranking and "2. " not in ranking and "(@chen)" not in ranking
