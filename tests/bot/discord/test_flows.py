"""Full flows through the real discord.py client and the loopback fake: slash commands arrive as
INTERACTION_CREATE on the gateway, answers leave as interaction callbacks, DMs and channel posts."""

from __future__ import annotations

from datetime import timedelta

from bot.discord.ballots import OPTIONS_PER_SELECT
from governance.clock import ManualClock
from governance.services import bodies, elections, motions, roster
from governance.services.common import Actor
from tests.fakes.discord_api import Callback
from tests.fakes.discord_harness import UNLINKED_USER, Running, slash, user_id

EPHEMERAL = 64


async def press(bot: Running, handle: str, custom_id: str, values: list[str] | None = None) -> Callback:
    """Press a button (or choose ``values`` in a select) as ``handle``."""
    payload = bot.fake.component_payload(custom_id, user_id=user_id(handle), username=handle, values=values)
    return await bot.fake.interact(payload)


async def add_candidates(bot: Running, count: int) -> list[str]:
    """``count`` more people who nominate themselves in board-2027 (seeded with 5 candidates)."""
    system = Actor.system("test")
    orgs = ["acme", "globex", "initech", "univ-lyon", "opendata"]
    handles = []
    for i in range(count):
        handle = f"cand{i:02d}"
        await roster.add_person(bot.ctx, system, handle, f"Zed Candidate {i:02d}", organisation=orgs[i % 5])
        await elections.nominate(bot.ctx, await roster.actor_for_handle(bot.ctx, handle), "board-2027")
        handles.append(handle)
    return handles


async def test_start_syncs_commands_to_the_guild_over_the_fake(bot: Running) -> None:
    fake = bot.fake
    assert ("GET", "/api/v10/gateway/bot") in fake.requests
    assert fake.identified[0]["token"] == "test-token"
    assert fake.identified[0]["shard"] == [0, 1]
    names = {c["name"] for c in fake.commands[fake.guild_id]}
    assert {"election", "vote", "motion", "wg", "roster", "audit", "gov", "body"} <= names
    election = next(c for c in fake.commands[fake.guild_id] if c["name"] == "election")
    assert any(o["name"] == "open-voting" for o in election["options"])
    assert "global" not in fake.commands


async def test_election_with_31_candidates_splits_the_ballot_and_counts(
    bot: Running, clock: ManualClock
) -> None:
    extra = await add_candidates(bot, 26)
    opened = await slash(bot, "sec", ["election", "open-voting"], election="board-2027", close="+7d")
    assert "Voting in Board of Directors 2027 is open" in opened.content
    assert not opened.ephemeral

    ballot = await slash(bot, "alice", ["vote"], election="board-2027")
    assert ballot.ephemeral and ballot.type == 4
    selects = [c for c in ballot.components() if c["type"] == 3]
    assert [len(s["options"]) for s in selects] == [OPTIONS_PER_SELECT, 6]
    assert all(len(row["components"]) <= 5 for row in ballot.data["components"])
    assert len(ballot.data["components"]) <= 5
    offered = [o["value"] for s in selects for o in s["options"]]
    assert sorted(offered) == sorted(["arjun", "farid", "chen", "dana", "emma", *extra])

    late = selects[1]["options"][-1]["value"]  # from the second select: beyond the first 25
    first = await press(bot, "alice", selects[1]["custom_id"], [late])
    assert first.type == 7 and "1. " in first.content and f"(@{late})" in first.content
    second_select = next(c for c in first.components() if c["type"] == 3)
    assert late not in [o["value"] for o in second_select["options"]]
    second = await press(bot, "alice", second_select["custom_id"], ["chen"])
    assert "2. Chen Wei (@chen)" in second.content
    cast_id = next(c["custom_id"] for c in second.components() if c.get("label") == "Cast ballot")
    cast = await press(bot, "alice", cast_id)
    assert cast.type == 7 and "Ballot recorded in board-2027" in cast.content and cast.components() == []
    receipt = cast.content.split("Your receipt: ")[1].split(" ")[0]
    await bot.fake.wait_for(lambda: bot.fake.dms_to(user_id("alice")))
    assert receipt in bot.fake.dms_to(user_id("alice"))[0].content
    assert (await elections.show(bot.ctx, "board-2027")).voters == 1

    closed = await slash(bot, "sec", ["election", "close"], election="board-2027")
    assert closed.type == 5  # deferred: counting may take a while
    await bot.fake.wait_for(lambda: bot.fake.followups)
    result = bot.fake.followups[-1]
    assert "Closed. Elected:" in result.content
    assert result.payload["embeds"][0]["title"] == "Result of board-2027"

    # a ballot after the close: the menu press is refused, privately, and nothing is cast
    retry = await press(bot, "alice", second_select["custom_id"], ["dana"])
    assert retry.ephemeral and "not open for voting" in retry.content
    assert (await elections.show(bot.ctx, "board-2027")).voters == 1
    again = await slash(bot, "alice", ["vote"], election="board-2027", choices="chen dana")
    assert again.ephemeral and "not open for voting" in again.content


async def test_motion_proposed_and_voted_with_buttons_and_slash(bot: Running) -> None:
    proposed = await slash(
        bot, "alice", ["motion", "propose"], body="toc", title="Adopt the model licence", deadline="+7d"
    )
    assert "Motion M1 is open" in proposed.content and not proposed.ephemeral
    buttons = {c["label"]: c["custom_id"] for c in proposed.components()}
    assert set(buttons) == {"Yes", "No", "Abstain"}

    yes = await press(bot, "bea", buttons["Yes"])
    assert yes.ephemeral and "Your vote on M1 recorded: yes" in yes.content
    private = await slash(bot, "chen", ["motion", "vote"], motion="1")
    assert private.ephemeral and {c["label"] for c in private.components()} == {"Yes", "No", "Abstain"}
    no = await slash(bot, "chen", ["motion", "vote"], motion="1", choice="no")
    assert no.ephemeral and "recorded: no" in no.content
    changed = await press(bot, "bea", buttons["No"])
    assert "changed to no" in changed.content
    view = await motions.show(bot.ctx, 1)
    assert view.voters == 2 and dict(view.roll_call) == {"Béatrice Dubois": "no", "Chen Wei": "no"}
    await bot.fake.wait_for(lambda: bot.fake.dms_to(user_id("bea")))

    outsider = await press(bot, "emma", buttons["Yes"])
    assert outsider.ephemeral and "not a voting member" in outsider.content
    assert (await motions.show(bot.ctx, 1)).voters == 2


async def test_working_group_join_and_approve(bot: Running) -> None:
    asked = await slash(bot, "farid", ["wg", "join"], wg="safety")
    assert asked.ephemeral and "waiting for a chair's approval" in asked.content
    pending = await slash(bot, "dana", ["wg", "pending"], wg="safety")
    assert pending.ephemeral and "farid" in pending.text
    refused = await slash(bot, "chen", ["wg", "approve"], wg="safety", handle="farid")
    assert refused.ephemeral and refused.content.startswith("⚠️")
    approved = await slash(bot, "dana", ["wg", "approve"], wg="safety", handle="farid")
    assert "@farid is now a member of safety" in approved.content
    _, members = await bodies.members(bot.ctx, "safety")
    assert "farid" in [m.handle for m in members]


async def test_unlinked_user_gets_a_private_error_and_nothing_changes(bot: Running) -> None:
    answer = await slash(bot, None, ["wg", "join"], wg="safety")
    assert answer.ephemeral and "not linked" in answer.content and UNLINKED_USER in answer.content
    ballot_press = await bot.fake.interact(
        bot.fake.component_payload("gb:mv:vote:1:yes", user_id=UNLINKED_USER)
    )
    assert ballot_press.ephemeral and "not linked" in ballot_press.content
    _, pending = await bodies.members(bot.ctx, "safety", status="pending")
    assert pending == []


async def test_member_without_the_admin_role_is_refused_before_the_services(bot: Running) -> None:
    answer = await slash(bot, "alice", ["election", "create"], slug="board-2028", body="board")
    assert answer.ephemeral and "for the secretariat" in answer.content
    assert [e.slug for e, _ in await elections.list_elections(bot.ctx)] == ["board-2027"]


async def test_malformed_interactions_get_a_private_error_and_change_nothing(bot: Running) -> None:
    unknown = await bot.fake.interact(bot.fake.command_payload(["frobnicate"], {}, user_id=user_id("alice")))
    assert unknown.ephemeral and "did not understand that command" in unknown.content
    bogus = await press(bot, "alice", "gb:rk:explode")
    assert bogus.ephemeral and "did not understand that button" in bogus.content
    await slash(bot, "sec", ["election", "open-voting"], election="board-2027", close="+7d")
    stranger = await press(bot, "alice", "gb:rk:pick:board-2027:0s0", ["sec"])
    assert stranger.ephemeral and "not a candidate you can still rank" in stranger.content
    dashes = await slash(bot, "alice", ["vote"], election="board-2027", choices="--admin")
    assert dashes.ephemeral and "--admin is not a candidate" in dashes.content  # a value, never an option
    assert (await elections.show(bot.ctx, "board-2027")).voters == 0


async def test_autocomplete_offers_elections_and_candidates(bot: Running) -> None:
    fake = bot.fake
    elections_ = await fake.interact(
        fake.command_payload(["vote"], {"election": "board"}, user_id=user_id("alice"), focused="election")
    )
    assert elections_.type == 8
    assert [c["value"] for c in elections_.data["choices"]] == ["board-2027"]
    candidates = await fake.interact(
        fake.command_payload(
            ["vote"],
            {"election": "board-2027", "choices": "chen "},
            user_id=user_id("alice"),
            focused="choices",
        )
    )
    values = [c["value"] for c in candidates.data["choices"]]
    assert "chen dana" in values and not any(v.endswith(" chen") for v in values)
    groups = await fake.interact(
        fake.command_payload(["wg", "join"], {"wg": ""}, user_id=user_id("alice"), focused="wg")
    )
    assert [c["value"] for c in groups.data["choices"]] == ["safety"]


async def test_time_is_shown_in_the_configured_zone(bot: Running, clock: ManualClock) -> None:
    clock.advance(timedelta(hours=1))
    opened = await slash(
        bot, "sec", ["election", "open-voting"], election="board-2027", close="2026-02-01T18:00"
    )
    assert "2026-02-01 18:00 CET" in opened.content
