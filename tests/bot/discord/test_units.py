"""The adapter's pure parts: grammar text from options, rendering within Discord's limits, permissions,
ballot layout and custom ids; and global command sync without a guild."""

from __future__ import annotations

import aiohttp
import discord
from discord import app_commands

from bot.commands import REGISTRY, Command, parse
from bot.discord import ballots, permissions
from bot.discord.appcommands import GovTranslator, build_groups, command_of, params_of
from bot.discord.render import render
from bot.present.replies import Reply, Table
from governance.services.common import Actor, Context
from tests.fakes.discord_api import FakeDiscord, command_upload_problems
from tests.fakes.discord_harness import running, seeded, settings_for


def spec(path: str):
    return next(s for s in REGISTRY if " ".join(s.path) == path)


def test_options_become_the_command_the_console_would_read() -> None:
    s = spec("election create")
    built = command_of(
        s,
        params_of(s),
        {
            "slug": "board-2028",
            "body": "board",
            "title": "Board 'Next' 2028",
            "seats": "3",
            "nominations_close": "+7d",
        },
    )
    typed = "election create board-2028 --body board --seats 3 --title \"Board 'Next' 2028\""
    assert built == parse(typed + " --nominations-close +7d")
    vote = spec("vote")
    built = command_of(vote, params_of(vote), {"election": "b", "choices": "alice bob=carol"})
    assert built == Command(("vote",), ("b", "alice", "bob=carol"))
    wg = spec("wg create")
    built = command_of(wg, params_of(wg), {"slug": "s", "name": "S", "chair": "alice, bob"})
    assert built == Command(("wg", "create"), ("s", "S"), {"chair": ["alice", "bob"]})
    # a value that looks like an option stays a value: it is never read as --admin
    assert command_of(vote, params_of(vote), {"election": "b", "choices": "--admin"}).options == {}
    assert command_of(spec("whoami"), [], {}) == Command(("whoami",))


def test_render_keeps_within_discord_limits() -> None:
    rows = [[f"person{i}", "x" * 40] for i in range(400)]
    out = render(Reply(text="y" * 3000, tables=[Table(["a", "b"], rows)] * 12, block="z" * 9000))
    assert len(out.content) <= 2000 and len(out.embeds) <= 10
    assert sum(len(e) for e in out.embeds) <= 6000
    failure = render(Reply(text="No.", ok=False, hint="Do this."))
    assert failure.ephemeral and failure.content == "⚠️ No.\nDo this."


def test_permissions_roster_only_and_with_a_role_mapping() -> None:
    admin = Actor(1, "sec", "Sam", is_admin=True)
    member = Actor(2, "alice", "Alice")
    create = spec("election create")
    assert permissions.check(create, admin) is None
    assert permissions.check(create, member) is not None
    assert permissions.check(spec("vote"), member) is None
    mapping = {"820000000000000001": "admin"}
    assert permissions.check(create, admin, [820000000000000001], mapping) is None
    denied = permissions.check(create, admin, [820000000000000002], mapping)
    assert denied is not None and "Secretariat" in denied.message
    assert spec("wg approve").chair_only and spec("election create").admin_only  # declared on the specs
    assert permissions.check(create, admin, [], {}) is None  # an empty mapping: the roster alone
    chair = Actor(3, "dana", "Dana")
    approve = spec("wg approve")
    assert permissions.check(approve, chair, [], mapping) is None  # no role mapped to chair
    chairs = {**mapping, "820000000000000003": "chair"}
    refused = permissions.check(approve, chair, [820000000000000002], chairs)
    assert refused is not None and "govbot chair" in refused.message
    assert permissions.check(approve, chair, ["820000000000000003"], chairs) is None


def test_ballot_layout_pages_beyond_one_hundred_candidates() -> None:
    choices = [ballots.Choice(f"c{i:03d}", f"Candidate {i:03d}") for i in range(130)]
    _, view = ballots.ranked_ballot("Big", "big", choices, [])
    rows = view.to_components()
    assert len(rows) == 5 and all(len(r["components"]) <= 5 for r in rows)
    assert [len(r["components"][0]["options"]) for r in rows[:4]] == [25, 25, 25, 25]
    labels = [c["label"] for c in rows[4]["components"]]
    assert labels == ["◀", "▶", "Undo", "Clear", "Cast ballot"]
    _, page2 = ballots.ranked_ballot("Big", "big", choices, ["c000"], page=1)
    assert sum(len(r["components"][0].get("options", [])) for r in page2.to_components()[:-1]) == 29
    assert ballots.approval_ballot("Big", "big", choices, 3, "approval") is None
    ids = [c["custom_id"] for r in rows for c in r["components"]]
    assert len(ids) == len(set(ids)) and all(ballots.parse_custom_id(i) for i in ids)
    assert ballots.parse_custom_id("gb:rk:pick:../../x") is None


async def test_without_a_guild_id_commands_sync_globally(ctx: Context, fake: FakeDiscord) -> None:
    await seeded(ctx, fake)
    async with running(ctx, fake, settings_for(fake, guild=False)) as client:
        assert "global" in fake.commands and fake.guild_id not in fake.commands
        assert client.workspace() == fake.guild_id  # the only guild it is in


def _subcommand(n: int) -> dict[str, object]:
    return {"type": 1, "name": f"sub-{n}", "description": "A subcommand"}


async def test_the_fake_refuses_an_upload_breaking_discords_limits_as_discord_does(fake: FakeDiscord) -> None:
    """A group of 26 subcommands, an upper-case name and an oversize command are refused with 400 (code
    50035) and nothing is stored; so a command tree govbot outgrows fails its tests, not its deployment."""
    url = f"{fake.api_base}/applications/{fake.application_id}/guilds/{fake.guild_id}/commands"
    big = {"name": "election", "description": "Elections", "options": [_subcommand(n) for n in range(26)]}
    wordy = {
        "name": "wordy",
        "description": "d" * 100,
        "options": [
            {**_subcommand(n), "description": "x" * 100, "description_localizations": {"fr": "y" * 100}}
            for n in range(25)
        ],
        "description_localizations": {"fr": "z" * 100},
    }
    wordy["options"] = [  # 4 groups of 25 wordy subcommands: well past 8,000 characters
        {"type": 2, "name": f"g{g}", "description": "g", "options": wordy["options"]} for g in range(4)
    ]
    async with aiohttp.ClientSession() as http:
        for tree, problem in (
            ([big], "/election: 26 options, must be 25 or fewer"),
            ([{"name": "Vote", "description": "Vote"}], "/Vote: name 'Vote' must be 1-32 lowercase"),
            ([wordy], "/wordy: command exceeds maximum size (8000)"),
        ):
            async with http.put(url, json=tree) as answer:
                assert answer.status == 400
                body = await answer.json()
            assert body["code"] == 50035
            assert any(e["message"].startswith(problem) for e in body["errors"]["_errors"]), body
            assert fake.guild_id not in fake.commands
        async with http.put(url, json=[{**big, "options": big["options"][:25]}]) as answer:
            assert answer.status == 200
    assert len(fake.take_refusals()) == 3


async def test_govbots_command_tree_keeps_within_discords_limits() -> None:
    """Every group (election has the most subcommands) stays within 25 options and 8,000 characters,
    French descriptions included (each field counts at its longest localisation), as synced."""
    tree = app_commands.CommandTree(discord.Client(intents=discord.Intents.none()))
    for group in build_groups(_never_run, {}):
        tree.add_command(group)
    translator = GovTranslator()
    payload = [await c.get_translated_payload(tree, translator) for c in tree.get_commands()]
    assert command_upload_problems(payload) == []
    election = next(c for c in payload if c["name"] == "election")
    assert 15 < len(election["options"]) <= 25
    assert any(o.get("description_localizations") for o in election["options"])


async def _never_run(*args: object) -> None:
    raise AssertionError("not run")
