"""Discord roles mapped to govbot roles per guild, through the real client and the loopback fake: the
mapping is set with ``/roster role`` (a Discord role option), cached per guild, and checked together
with the roster for admin-only and chair-only commands."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import discord
import pytest

from bot.discord import client as client_module
from governance.services import bodies, elections, roster
from tests.factories import snapshot
from tests.fakes.discord_api import Callback, FakeDiscord
from tests.fakes.discord_harness import Running, user_id

SECRETARIAT, MEMBER = "820000000000000001", "820000000000000002"
CHAIRS = "820000000000000003"


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    """The fake Discord with a third role, "WG chairs", in its guild."""
    server = FakeDiscord(roles={SECRETARIAT: "Secretariat", MEMBER: "Member", CHAIRS: "WG chairs"})
    await server.start()
    original = discord.http.Route.BASE
    try:
        yield server
    finally:
        discord.http.Route.BASE = original
        await server.stop()


async def map_role(bot: Running, who: str, role_id: str, govbot_role: str, roles: list[str]) -> Callback:
    """``/roster role role:<role> govbot_role:<govbot_role>`` as ``who`` holding ``roles``."""
    fake = bot.fake
    payload = fake.command_payload(
        ["roster", "role"],
        {"role": role_id, "govbot_role": govbot_role},
        user_id=user_id(who),
        username=who,
        roles=roles,
    )
    leaf: list[dict[str, Any]] = payload["data"]["options"][0]["options"]
    next(o for o in leaf if o["name"] == "role")["type"] = 8  # a ROLE option
    payload["data"]["resolved"] = {
        "roles": {
            role_id: {
                "id": role_id,
                "name": fake.roles[role_id],
                "color": 0,
                "hoist": False,
                "position": 1,
                "permissions": "0",
                "managed": False,
                "mentionable": True,
                "flags": 0,
            }
        }
    }
    return await fake.interact(payload)


async def as_member(bot: Running, who: str, path: list[str], roles: list[str], **options: object) -> Callback:
    payload = bot.fake.command_payload(path, dict(options), user_id=user_id(who), username=who, roles=roles)
    return await bot.fake.interact(payload)


async def test_role_commands_are_synced_with_a_role_option(bot: Running) -> None:
    roster_cmd = next(c for c in bot.fake.commands[bot.fake.guild_id] if c["name"] == "roster")
    subs = {o["name"]: o for o in roster_cmd["options"]}
    assert {"role", "roles", "unlink"} <= set(subs) and "import" not in subs
    options = {o["name"]: o for o in subs["role"]["options"]}
    assert options["role"]["type"] == 8 and options["role"]["required"]
    assert [c["value"] for c in options["govbot_role"]["choices"]] == ["admin", "chair", "member", "none"]


@pytest.mark.parametrize("bot", [False], indirect=True)
async def test_mapping_the_secretariat_role_then_admin_commands_need_it(bot: Running) -> None:
    ctx, guild = bot.ctx, bot.fake.guild_id
    # no mapping yet: the roster alone decides, the admin maps the Secretariat role
    listed = await as_member(bot, "alice", ["roster", "roles"], [])
    assert listed.ephemeral and "No discord roles are mapped" in listed.content
    mapped = await map_role(bot, "sec", SECRETARIAT, "admin", [])
    assert mapped.ephemeral and "Secretariat" in mapped.text and "now means govbot admin" in mapped.text
    assert await roster.platform_role_map(ctx, "discord", guild) == {SECRETARIAT: "admin"}
    listed = await as_member(bot, "alice", ["roster", "roles"], [])
    assert "Secretariat" in listed.text and SECRETARIAT in listed.text

    # now the roster's admin flag is not enough: without the role, refused privately, nothing written
    before = await snapshot(ctx)
    refused = await as_member(bot, "sec", ["election", "create"], [MEMBER], slug="board-2028", body="board")
    assert refused.ephemeral and "needs a Discord role mapped to govbot admin" in refused.content
    assert "nothing was changed" in refused.content
    again = await map_role(bot, "sec", MEMBER, "member", [MEMBER])
    assert again.ephemeral and "needs a Discord role mapped to govbot admin" in again.content
    assert await snapshot(ctx) == before
    # with the role it works
    created = await as_member(
        bot, "sec", ["election", "create"], [SECRETARIAT], slug="board-2028", body="board"
    )
    assert "Created" in created.content
    assert "board-2028" in [e.slug for e, _ in await elections.list_elections(ctx)]
    # the role alone does not make a member an admin: the roster must agree
    impostor = await as_member(
        bot, "alice", ["election", "create"], [SECRETARIAT], slug="board-2029", body="board"
    )
    assert impostor.ephemeral and "not a govbot admin" in impostor.content
    assert "board-2029" not in [e.slug for e, _ in await elections.list_elections(ctx)]


async def test_chair_commands_need_the_chair_role_once_one_is_mapped(bot: Running) -> None:
    ctx = bot.ctx
    await map_role(bot, "sec", SECRETARIAT, "admin", [])
    mapped = await map_role(bot, "sec", CHAIRS, "chair", [SECRETARIAT])
    assert "now means govbot chair" in mapped.text
    farid = await roster.actor_for_handle(ctx, "farid")
    await bodies.request_join(ctx, farid, "safety")
    before = await snapshot(ctx)
    # dana chairs safety on the roster, but lacks the Discord chair role
    refused = await as_member(bot, "dana", ["wg", "approve"], [MEMBER], wg="safety", handle="farid")
    assert refused.ephemeral and "needs a Discord role mapped to govbot chair" in refused.content
    # chen has the Discord role but does not chair safety: the services refuse
    not_chair = await as_member(bot, "chen", ["wg", "approve"], [CHAIRS], wg="safety", handle="farid")
    assert not_chair.ephemeral and not_chair.content.startswith("⚠️")
    assert await snapshot(ctx) == before
    approved = await as_member(bot, "dana", ["wg", "approve"], [CHAIRS], wg="safety", handle="farid")
    assert "@farid is now a member of safety" in approved.content
    # removing the chair mapping: the roster alone decides for chairs again
    removed = await map_role(bot, "sec", CHAIRS, "none", [SECRETARIAT])
    assert "Removed the mapping" in removed.text
    pending = await as_member(bot, "dana", ["wg", "pending"], [], wg="safety")
    assert pending.ephemeral and "needs a Discord role" not in pending.content


async def test_a_member_cannot_map_roles_and_bad_mappings_change_nothing(bot: Running) -> None:
    ctx = bot.ctx
    before = await snapshot(ctx)
    refused = await map_role(bot, "alice", SECRETARIAT, "admin", [SECRETARIAT])
    assert refused.ephemeral and "for the secretariat" in refused.content
    no_admin = await map_role(bot, "sec", CHAIRS, "chair", [])
    assert no_admin.ephemeral and "no role mapped to admin yet" in no_admin.content
    assert await snapshot(ctx) == before
    assert await roster.platform_role_map(ctx, "discord", bot.fake.guild_id) == {}


async def test_the_mapping_is_cached_per_guild_and_refreshed_after_a_change(
    bot: Running, monkeypatch: Any
) -> None:
    ctx, guild, client = bot.ctx, bot.fake.guild_id, bot.client
    loads: list[str] = []
    original = roster.platform_role_map

    async def counting(ctx_: Any, platform: str, workspace: str) -> dict[str, str]:
        loads.append(workspace)
        return await original(ctx_, platform, workspace)

    monkeypatch.setattr(client_module.roster, "platform_role_map", counting)
    await as_member(bot, "alice", ["wg", "members"], [], wg="safety")
    await as_member(bot, "alice", ["wg", "members"], [], wg="safety")
    assert loads == [guild]  # loaded once, then cached
    await map_role(bot, "sec", SECRETARIAT, "admin", [])
    assert loads[-1] == guild and await client.role_mapping(guild) == {SECRETARIAT: "admin"}
    # a change made elsewhere (the console) is seen once the cache expires
    sec = await roster.actor_for_handle(ctx, "sec")
    await roster.map_platform_role(ctx, sec, "discord", guild, CHAIRS, "chair")
    assert CHAIRS not in await client.role_mapping(guild)
    monkeypatch.setattr(client_module, "ROLE_MAP_TTL", 0.0)
    await client.role_mapping(guild, refresh=True)
    assert CHAIRS in await client.role_mapping(guild)
