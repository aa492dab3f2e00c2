"""Discord's app commands build the typed command itself: the same ``Command`` the console would read
from the typed line, with no line written and split again, so a value (``--seats 9``, quotes, spaces)
stays a value; and the client treats each command as its spec's flags say (``public``, ``slow``,
``opens_ballot``, ``console_only``)."""

from __future__ import annotations

import dataclasses
import shlex
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.commands import REGISTRY, Command, Spec, parse
from bot.config import Settings
from bot.discord import appcommands, components, permissions
from bot.discord.appcommands import build_groups, command_of, params_of
from bot.discord.client import GovBot
from bot.grammar import resolve
from bot.present.replies import Reply
from governance.errors import InvalidInput
from governance.services.common import Actor, Context


def spec(path: str) -> Spec:
    return next(s for s in REGISTRY if s.name == path)


def typed_line(path: str, args: list[str], options: list[tuple[str, str]]) -> str:
    """The line a person would type for these values, each quoted."""
    words = [path, *(shlex.quote(a) for a in args)]
    for name, value in options:
        words += [f"--{name}", shlex.quote(value)]
    return " ".join(words)


CASES: list[tuple[str, dict[str, Any], list[str], list[tuple[str, str]]]] = [
    ("roster org add", {"slug": "acme2", "name": "Acme Corp"}, ["acme2", "Acme Corp"], []),
    (
        "roster org add",
        {"slug": "q", "name": 'O\'Brien "Labs"', "tier": "premier"},
        ["q", 'O\'Brien "Labs"'],
        [("tier", "premier")],
    ),
    (
        "election create",
        {"slug": "board-2028", "body": "board", "title": "--seats 9"},
        ["board-2028"],
        [("body", "board"), ("title", "--seats 9")],
    ),
    (
        "wg deny",
        {"wg": "safety", "handle": "bea", "reason": "-- not this year"},
        ["safety", "bea"],
        [("reason", "-- not this year")],
    ),
    (
        "motion vote",
        {"motion": "3", "choice": "yes", "proxy_for": "alice"},
        ["3", "yes"],
        [("proxy-for", "alice")],
    ),
]


@pytest.mark.parametrize(("path", "values", "args", "options"), CASES)
def test_the_app_command_builds_the_command_the_typed_line_reads(
    path: str, values: dict[str, Any], args: list[str], options: list[tuple[str, str]]
) -> None:
    s = spec(path)
    built = command_of(s, params_of(s), values)
    assert built == parse(typed_line(path, args, options))
    assert resolve(built) is s


def test_a_value_that_looks_like_an_option_is_never_read_as_one() -> None:
    create = spec("election create")
    built = command_of(create, params_of(create), {"slug": "b", "body": "board", "title": "--seats 9"})
    assert built.options == {"body": "board", "title": "--seats 9"}  # no --seats was given
    vote = spec("vote")
    ranked = command_of(vote, params_of(vote), {"election": "b", "choices": "alice --proxy-for=sec bob"})
    assert ranked.args == ("b", "alice", "--proxy-for=sec", "bob") and ranked.options == {}
    statement = spec("election statement")
    text = {"election": "board-2027", "text": "--admin; rm -rf /"}
    assert command_of(statement, params_of(statement), text).args == ("board-2027", "--admin; rm -rf /")
    with pytest.raises(InvalidInput, match="has no option"):  # typed, the same words would be an option
        parse("election statement board-2027 '--admin; rm -rf /'")


def test_a_typed_command_is_checked_against_its_spec() -> None:
    with pytest.raises(InvalidInput, match="has no option --nope"):
        resolve(Command(("roster", "person", "add"), ("x", "X"), {"nope": "1"}))
    with pytest.raises(InvalidInput, match="--admin takes no value"):
        resolve(Command(("roster", "person", "add"), ("x", "X"), {"admin": "yes"}))
    with pytest.raises(InvalidInput, match="Missing <name>"):
        resolve(Command(("roster", "org", "add"), ("acme",)))
    with pytest.raises(InvalidInput, match="Unexpected"):
        resolve(Command(("whoami",), ("extra",)))
    with pytest.raises(InvalidInput, match="control character"):
        resolve(Command(("election", "statement"), ("b", "a\x00b")))
    with pytest.raises(InvalidInput, match="needs a value"):
        resolve(Command(("election", "create"), ("b",), {"body": True}))
    with pytest.raises(InvalidInput, match="Unknown command"):
        resolve(Command(("frobnicate",)))


def test_console_only_commands_are_not_offered_as_app_commands(monkeypatch: pytest.MonkeyPatch) -> None:
    def names() -> set[str]:
        found: set[str] = set()

        def walk(item: Any, prefix: str) -> None:
            name = f"{prefix} {item.name}".strip()
            for child in getattr(item, "commands", []):
                walk(child, name)
            if not getattr(item, "commands", None):
                found.add(name)

        for item in build_groups(_no_run, {}):
            walk(item, "")
        return found

    assert "roster import" not in names() and "wg list" in names()
    flagged = [dataclasses.replace(s, console_only=True) if s.name == "wg list" else s for s in REGISTRY]
    monkeypatch.setattr(appcommands, "REGISTRY", flagged)
    assert "wg list" not in names()


async def _no_run(*_args: Any) -> None:
    raise AssertionError("not run")


# ---------------------------------------------------------------- the client reads the flags


class Response:
    """What the client does with an interaction's response, recorded."""

    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []
        self.deferred: list[dict[str, Any]] = []

    def is_done(self) -> bool:
        return bool(self.sent or self.deferred)

    async def send_message(self, **kwargs: Any) -> None:
        self.sent.append(kwargs)

    async def defer(self, **kwargs: Any) -> None:
        self.deferred.append(kwargs)


class Followup:
    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []

    async def send(self, *args: Any, **kwargs: Any) -> None:
        self.sent.append(kwargs)


class User:
    id = 1234

    def __init__(self) -> None:
        self.dms: list[str] = []

    async def send(self, text: str, **_kwargs: Any) -> None:
        self.dms.append(text)


class Interaction:
    """The parts of a ``discord.Interaction`` the client reads when it answers a slash command."""

    def __init__(self) -> None:
        self.response = Response()
        self.followup = Followup()
        self.user = User()
        self.guild = None
        self.guild_id = 800000000000000001


@pytest.fixture
def client(ctx: Context, monkeypatch: pytest.MonkeyPatch) -> tuple[GovBot, list[Command]]:
    """A client whose look-ups and dispatch are stubbed: the commands it would run are recorded."""
    settings = Settings(_env_file=None, DISCORD_TOKEN="t", GOVBOT_SECRET="test")  # type: ignore[call-arg]
    bot = GovBot(ctx, settings, tz=ZoneInfo("UTC"), delivery_interval=None)
    ran: list[Command] = []

    async def actor_for(_interaction: Any) -> Actor:
        return Actor(1, "sec", "Sam", is_admin=True)

    async def permitted(*_args: Any) -> bool:
        return True

    async def run_typed(_interaction: Any, _actor: Actor, command: Command) -> Reply:
        ran.append(command)
        return Reply(text="Done.")

    monkeypatch.setattr(bot, "actor_for", actor_for)
    monkeypatch.setattr(bot, "permitted", permitted)
    monkeypatch.setattr(bot, "run_typed", run_typed)
    return bot, ran


async def answer(bot: GovBot, s: Spec, values: dict[str, Any]) -> Interaction:
    interaction = Interaction()
    await bot._answer_command(interaction, s, params_of(s), values)  # type: ignore[arg-type]
    return interaction


async def test_public_decides_whether_the_channel_sees_the_answer(
    client: tuple[GovBot, list[Command]],
) -> None:
    bot, ran = client
    listed = spec("election list")
    assert listed.public
    shown = await answer(bot, listed, {})
    assert shown.response.sent[-1]["ephemeral"] is False
    private = await answer(bot, dataclasses.replace(listed, public=False), {})
    assert private.response.sent[-1]["ephemeral"] is True
    assert ran == [Command(("election", "list")), Command(("election", "list"))]


async def test_slow_acknowledges_before_running(client: tuple[GovBot, list[Command]]) -> None:
    bot, _ran = client
    result = spec("election result")
    assert not result.slow
    quick = await answer(bot, result, {"election": "board-2027"})
    assert quick.response.deferred == [] and quick.response.sent
    slow = await answer(bot, dataclasses.replace(result, slow=True), {"election": "board-2027"})
    assert slow.response.deferred == [{"thinking": True, "ephemeral": False}]
    assert slow.followup.sent and not slow.response.sent


async def test_opens_ballot_shows_the_ballot_without_a_choice_and_receipts_with_one(
    client: tuple[GovBot, list[Command]], monkeypatch: pytest.MonkeyPatch
) -> None:
    bot, ran = client
    opened: list[str] = []

    async def open_ballot(_bot: Any, _interaction: Any, slug: str) -> None:
        opened.append(slug)

    monkeypatch.setattr(components, "open_ballot", open_ballot)
    vote = spec("vote")
    assert vote.opens_ballot == "election"
    await answer(bot, vote, {"election": "board-2027"})
    assert opened == ["board-2027"] and ran == []
    cast = await answer(bot, vote, {"election": "board-2027", "choices": "chen dana"})
    assert ran == [Command(("vote",), ("board-2027", "chen", "dana"))]
    assert cast.user.dms and "Done." in cast.user.dms[0]  # the handler's answer, by DM as the receipt
    plain = dataclasses.replace(vote, opens_ballot="")
    await answer(bot, plain, {"election": "board-2027"})
    assert opened == ["board-2027"]  # no ballot without the flag: the command runs (and is refused there)
    assert ran[-1] == Command(("vote",), ("board-2027",))
    assert appcommands.offers_ballot(vote, "choice") and not appcommands.offers_ballot(plain, "choice")


def test_admin_only_and_chair_only_decide_the_early_refusal() -> None:
    member = Actor(2, "alice", "Alice")
    listed = spec("wg list")
    assert permissions.check(listed, member) is None
    denied = permissions.check(dataclasses.replace(listed, admin_only=True), member)
    assert denied is not None and "for the secretariat" in denied.message
    chairs = {"820000000000000003": "chair"}
    assert permissions.check(listed, member, [], chairs) is None
    refused = permissions.check(dataclasses.replace(listed, chair_only=True), member, [], chairs)
    assert refused is not None and "govbot chair" in refused.message
