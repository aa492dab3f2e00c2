"""The Discord client: discord.py's ``AutoShardedClient`` (it asks ``GET /gateway/bot`` for the gateway
URL and shard count) with a ``CommandTree`` built from the shared grammar, ballots in components, and
the outbox delivery loop.

Entry points: :func:`build_client` (tests drive it against a loopback fake) and :func:`serve`, which
``govbot run --platform discord`` calls.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
import time
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
import discord
from discord import app_commands
from discord.utils import DEFAULT_FILE_SIZE_LIMIT_BYTES

from bot.commands import Command, Spec, dispatch
from bot.config import Settings
from bot.discord import autocomplete, ballots, components, delivery, permissions, replay
from bot.discord.appcommands import GovTranslator, Param, build_groups, command_of
from bot.discord.components import UNDELIVERED
from bot.discord.render import CONTENT_LIMIT, Rendered, render, split_lines
from bot.grammar import spec_for
from bot.present import undelivered
from bot.present.errors import hint
from bot.present.replies import Attachment, Reply, error
from governance import logsafe
from governance.errors import GovError
from governance.i18n import N_, _, negotiate, using_locale
from governance.services import outbox, roster
from governance.services.common import Actor, Context
from governance.services.replay import ReplayGuard

log = logging.getLogger(__name__)

ROLE_MAP_TTL = 60.0  # seconds a guild's role mapping is cached (a change made here refreshes it at once)
GOVBOT_ROLE_CHOICES = [  # names translated per Discord language by GovTranslator
    app_commands.Choice(name=N_("admin"), value="admin"),
    app_commands.Choice(name=N_("chair"), value="chair"),
    app_commands.Choice(name=N_("member"), value="member"),
    app_commands.Choice(name=N_("none (remove the mapping)"), value="none"),
]
READER_LOCALES = 50_000  # Discord users whose stored language is remembered in memory (to skip writes)


def configure_api_base(base_url: str | None) -> None:
    """Point every REST call discord.py makes (interaction callbacks included) at ``base_url``.

    discord.py builds each request URL from the class attribute ``discord.http.Route.BASE``; a shared
    rate-limit proxy in front of several replicas is configured here through ``DISCORD_API_BASE_URL``.
    """
    if base_url:
        discord.http.Route.BASE = base_url.rstrip("/")


class GovBot(discord.AutoShardedClient):
    """govbot on Discord: slash commands mirroring the grammar, ballots in components, outbox delivery."""

    def __init__(
        self,
        ctx: Context,
        settings: Settings,
        *,
        tz: ZoneInfo,
        delivery_interval: float | None = 5.0,
        **options: Any,
    ) -> None:
        intents = discord.Intents.none()
        intents.guilds = True  # channels and roles; no privileged intent is needed
        # Typed text never pings: no @everyone, role or user mention unless a send allows it explicitly.
        options.setdefault("allowed_mentions", discord.AllowedMentions.none())
        super().__init__(intents=intents, **options)
        self.ctx = ctx
        self.settings = settings
        self.tz = tz
        self._role_maps: dict[str, tuple[float, dict[str, str]]] = {}
        # the language last stored for each Discord user (so an unchanged one is not written again)
        self.stored_locales: outbox.BoundedCache[str, str] = outbox.BoundedCache(READER_LOCALES)
        self.delivery_interval = delivery_interval
        self.drafts = ballots.Drafts()
        self.tree = app_commands.CommandTree(self)
        self.tree.on_error = self._on_tree_error  # type: ignore[method-assign]
        # an interaction delivered twice is acted on once (bot/discord/replay.py)
        self.replays = ReplayGuard(ctx)
        self.tree.interaction_check = self._first_delivery  # type: ignore[method-assign]
        logsafe.protect(("discord",))  # no gateway event or REST body (a vote, a receipt) in DEBUG logs
        self.synced: list[app_commands.AppCommand] = []
        self._delivery_task: asyncio.Task[None] | None = None
        self.unparsed: dict[str, int] = {}  # gateway events discord.py could not parse, by type
        guard_parsers(self._connection.parsers, self.unparsed)
        for command in build_groups(self._run_command, autocomplete.completers(self)):
            if isinstance(command, app_commands.Group) and command.name == "roster":
                for extra in self._role_commands(command):
                    command.add_command(extra)
            self.tree.add_command(command)

    # ------------------------------------------------------------------ start-up

    async def setup_hook(self) -> None:
        """Sync commands (to the guild when ``DISCORD_GUILD_ID`` is set, else globally) with their French
        descriptions; start delivery."""
        await self.tree.set_translator(GovTranslator())
        if self.settings.discord_guild_id:
            guild = discord.Object(id=int(self.settings.discord_guild_id))
            self.tree.copy_global_to(guild=guild)
            self.synced = await self.tree.sync(guild=guild)
        else:
            self.synced = await self.tree.sync()
        log.info("synced %d application commands", len(self.synced))
        if self.delivery_interval is not None:
            self._delivery_task = asyncio.create_task(self._deliver_forever(self.delivery_interval))

    async def close(self) -> None:
        """Stop delivering, then close the connection."""
        if self._delivery_task is not None:
            self._delivery_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._delivery_task
        await super().close()

    async def _deliver_forever(self, interval: float) -> None:
        await self.wait_until_ready()
        while not self.is_closed():
            try:
                await delivery.deliver_due(self, self.ctx, guild_id=self.workspace())
            except Exception:
                log.exception("outbox delivery round failed; retrying in %.0fs", interval)
            await asyncio.sleep(interval)

    def workspace(self, interaction: discord.Interaction | None = None) -> str | None:
        """The guild whose linked accounts count: the interaction's guild, else ``DISCORD_GUILD_ID``,
        else the only guild the bot is in."""
        if interaction is not None and interaction.guild_id:
            return str(interaction.guild_id)
        if self.settings.discord_guild_id:
            return self.settings.discord_guild_id
        if len(self.guilds) == 1:
            return str(self.guilds[0].id)
        return None

    # ------------------------------------------------------------------ who is acting

    def locale_for(self, interaction: discord.Interaction) -> str:
        """The reader's language: their Discord client's, else the server's, else ``GOVBOT_LOCALE``."""
        return negotiate(
            interaction.locale.value if interaction.locale else None,
            interaction.guild_locale.value if interaction.guild_locale else None,
            default=self.settings.locale,
        )

    @contextlib.asynccontextmanager
    async def speaking(self, interaction: discord.Interaction) -> AsyncIterator[str]:
        """Build everything inside the block in the reader's language; store it for their later DMs."""
        locale = self.locale_for(interaction)
        await self.remember_locale(str(interaction.user.id), locale)
        with using_locale(locale):
            yield locale

    async def remember_locale(self, user_id: str, locale: str) -> None:
        """Keep the language a Discord user just used with their chat identity (the deliverer DMs them
        in it, after a restart and from any replica too); written only when it changed. A failure is
        logged: the language is a courtesy, never a reason to fail the interaction."""
        if self.stored_locales.get(user_id) == locale:
            return
        try:
            await outbox.remember_locale(self.ctx, "discord", None, user_id, locale)
        except Exception:
            log.exception("the language of Discord user %s could not be stored for their DMs", user_id)
            return
        self.stored_locales.put(user_id, locale)

    def dm_locale(self) -> str:
        """The language to DM someone whose own is not known yet: the only guild's preferred language,
        else ``GOVBOT_LOCALE``."""
        guild = self.guilds[0] if len(self.guilds) == 1 else None
        return negotiate(guild.preferred_locale.value if guild else None, default=self.settings.locale)

    async def actor_for(self, interaction: discord.Interaction) -> Actor | Reply:
        """The roster person this Discord account speaks for, or the error reply to send instead."""
        workspace = self.workspace(interaction)
        if workspace is None:
            return error(_("Use govbot's commands in the alliance's server, not in a direct message."))
        actor = await roster.resolve_identity(self.ctx, "discord", workspace, str(interaction.user.id))
        if actor is None:
            return error(
                _(
                    "Your Discord account is not linked to anyone on the alliance's roster, so govbot "
                    "cannot act for you; nothing was changed."
                ),
                _(
                    "Ask the secretariat to run `/roster link handle:<your handle> platform:discord "
                    "workspace:{workspace} user:{user}`.",
                    workspace=workspace,
                    user=interaction.user.id,
                ),
            )
        return actor

    async def role_mapping(self, guild_id: str | None, *, refresh: bool = False) -> dict[str, str]:
        """The guild's Discord-role mapping (role id -> govbot role), cached per guild for
        ``ROLE_MAP_TTL`` seconds; ``refresh`` reloads it (after a change made through this client)."""
        if guild_id is None:
            return {}
        cached = self._role_maps.get(guild_id)
        now = time.monotonic()
        if cached is None or refresh or cached[0] <= now:
            mapping = await roster.platform_role_map(self.ctx, "discord", guild_id)
            self._role_maps[guild_id] = (now + ROLE_MAP_TTL, mapping)
            return mapping
        return cached[1]

    async def permitted(self, interaction: discord.Interaction, spec: Spec, actor: Actor) -> bool:
        """Check the roster and the guild's role mapping; refuse privately (and return False) if denied."""
        mapping = await self.role_mapping(self.workspace(interaction))
        denied = permissions.check(spec, actor, self.member_role_ids(interaction), mapping)
        if denied is not None:
            await self.fail(interaction, error(denied.message, denied.hint))
            return False
        return True

    def member_role_ids(self, interaction: discord.Interaction) -> list[int]:
        """The Discord role ids of the member behind an interaction (none in a DM)."""
        user = interaction.user
        return [r.id for r in user.roles] if isinstance(user, discord.Member) else []

    # ------------------------------------------------------------------ answering

    async def send(
        self,
        interaction: discord.Interaction,
        rendered: Rendered,
        view: discord.ui.View | None = None,
        attachments: Sequence[Attachment] = (),
    ) -> None:
        """Answer an interaction (or follow up when it was already answered or deferred).

        Attachments (an audit export) go as files on a follow-up, with the reply's privacy; files larger
        than the server's upload limit are left off and the answer says so. A text longer than one
        message goes on in follow-ups (``Rendered.more``), with the same privacy.
        """
        kwargs: dict[str, Any] = {
            "content": rendered.content,
            "embeds": rendered.embeds,
            "ephemeral": rendered.ephemeral,
        }
        more = list(rendered.more)
        if view is not None:
            kwargs["view"] = view
        if attachments:
            limit = interaction.guild.filesize_limit if interaction.guild else DEFAULT_FILE_SIZE_LIMIT_BYTES
            fits = [a for a in attachments if len(a.data) <= limit]
            if len(fits) < len(attachments):
                names = ", ".join(a.filename for a in attachments if len(a.data) > limit)
                too_big = _(
                    "{names}: larger than this server's upload limit ({limit} MB), so not attached; "
                    "`govbot console` on the server saves it.",
                    names=names,
                    limit=limit // 1_000_000,
                )
                noted, *rest = split_lines(f"{rendered.content}\n⚠️ {too_big}", CONTENT_LIMIT)
                kwargs["content"], more = noted, [*rest, *more]
            if fits:
                await self._send_files(interaction, kwargs, fits)
                await self.send_more(interaction, more, rendered.ephemeral)
                return
        if interaction.response.is_done():
            await interaction.followup.send(**kwargs)
        else:
            await interaction.response.send_message(**kwargs)
        await self.send_more(interaction, more, rendered.ephemeral)

    async def send_more(
        self, interaction: discord.Interaction, parts: Sequence[str], ephemeral: bool
    ) -> None:
        """The rest of an answer too long for one message, as follow-ups in order (Discord takes 2,000
        characters a message; the rest is never dropped)."""
        for part in parts:
            await interaction.followup.send(part, ephemeral=ephemeral)

    async def _send_files(
        self, interaction: discord.Interaction, kwargs: dict[str, Any], attachments: Sequence[Attachment]
    ) -> None:
        """Send the answer as a follow-up carrying ``attachments``; if Discord refuses the upload, the
        answer still goes, with a note saying the files did not."""
        if not interaction.response.is_done():
            await interaction.response.defer(ephemeral=bool(kwargs["ephemeral"]), thinking=True)
        files = [
            discord.File(io.BytesIO(a.data), filename=a.filename, description=a.description)
            for a in attachments
        ]
        try:
            await interaction.followup.send(**kwargs, files=files)
        except discord.HTTPException as exc:
            log.warning("Discord refused %d file(s): %s", len(files), exc)
            names = ", ".join(a.filename for a in attachments)
            refused = _(
                "Discord would not take {names} ({reason}); run the command again, or `govbot console` on "
                "the server saves it.",
                names=names,
                reason=exc.text or exc.status,
            )
            first, *rest = split_lines(f"{kwargs['content']}\n⚠️ {refused}", CONTENT_LIMIT)
            await interaction.followup.send(**{**kwargs, "content": first})
            await self.send_more(interaction, rest, bool(kwargs["ephemeral"]))

    async def fail(self, interaction: discord.Interaction, reply: Reply) -> None:
        """Send a failure privately."""
        await self.send(interaction, render(reply, ephemeral=True))

    async def dm_receipt(self, interaction: discord.Interaction, text: str) -> None:
        """Send a ballot receipt by direct message, in as many messages as its length needs (a ranking of
        85 candidates is longer than Discord's 2,000 characters); a closed DM inbox only loses the copy,
        not the vote, and is logged as a warning."""
        try:
            for part in split_lines(f"🧾 {text}", CONTENT_LIMIT):
                await interaction.user.send(part)
        except UNDELIVERED as exc:
            log.warning("could not DM a receipt to %s: %s", interaction.user.id, exc)

    # ------------------------------------------------------------------ slash commands

    async def _run_command(
        self, interaction: discord.Interaction, spec: Spec, params: list[Param], values: dict[str, Any]
    ) -> None:
        async with self.speaking(interaction):
            await self._answer_command(interaction, spec, params, values)

    async def _answer_command(
        self, interaction: discord.Interaction, spec: Spec, params: list[Param], values: dict[str, Any]
    ) -> None:
        """Run a slash command: the typed command built from its option values, treated as its spec
        says (``public``, ``slow``, ``opens_ballot``)."""
        actor = await self.actor_for(interaction)
        if isinstance(actor, Reply):
            await self.fail(interaction, actor)
            return
        if not await self.permitted(interaction, spec, actor):
            return
        try:
            command = command_of(spec, params, await self._expanded(spec, values))
        except GovError as exc:
            await self.fail(interaction, error(exc.message, hint(exc, "discord")))
            return
        if spec.opens_ballot and len(command.args) < 2:  # no choice given: show the ballot instead
            ref = command.args[0] if command.args else ""
            if spec.opens_ballot == "election":
                await components.open_ballot(self, interaction, ref)
            else:
                await components.open_motion_ballot(self, interaction, ref)
            return
        if spec.slow:
            await interaction.response.defer(thinking=True, ephemeral=not spec.public)
        reply = await self.run_typed(interaction, actor, command)
        rendered = render(
            reply, title=reply.title, ephemeral=(reply.ephemeral or not reply.ok) if spec.public else None
        )
        if not spec.public:
            rendered.ephemeral = True
        view = None
        if reply.ok and reply.ballot is not None and reply.ballot[0] == "motion":
            view = ballots.motion_buttons(int(reply.ballot[1]))
        try:
            await self.send(interaction, rendered, view, reply.attachments)
        except UNDELIVERED as exc:
            await self.undelivered(interaction, command.line(), reply, exc)
        if reply.ok and spec.opens_ballot:
            await self.dm_receipt(interaction, reply.text)

    async def _expanded(self, spec: Spec, values: dict[str, Any]) -> dict[str, Any]:
        """``values`` with a ranking picked from autocomplete (encoded) written out again."""
        if spec.opens_ballot != "election" or autocomplete.TOKEN not in str(values.get("choices") or ""):
            return values
        _view, standing = await ballots.standing(self.ctx, str(values.get("election") or ""))
        words = autocomplete.ballot_words(standing)
        return {**values, "choices": autocomplete.expand(str(values["choices"]), words)}

    async def run_typed(self, interaction: discord.Interaction, actor: Actor, command: Command) -> Reply:
        """Dispatch a typed command as ``actor``, answered in the reader's language."""
        return await dispatch(
            self.ctx, actor, command, tz=self.tz, platform="discord", locale=self.locale_for(interaction)
        )

    async def undelivered(
        self, interaction: discord.Interaction, command: str, reply: Reply, exc: Exception
    ) -> None:
        """The command ran but Discord refused its answer: say what was (and was not) done, by a
        follow-up or else by direct message, never "nothing was changed" (``bot.undelivered``)."""
        log.warning("the answer to %r could not be sent: %s", logsafe.command_for_log(command), exc)
        reason = f"HTTP {exc.status}" if isinstance(exc, discord.HTTPException) else type(exc).__name__
        told = render(undelivered.notice(reply, command, "Discord", reason), ephemeral=True)
        try:
            await self.send(interaction, told)
        except UNDELIVERED:
            with contextlib.suppress(*UNDELIVERED):
                await interaction.user.send(told.content, embeds=told.embeds)
                for part in told.more:
                    await interaction.user.send(part)

    def _role_commands(self, parent: app_commands.Group) -> list[app_commands.Command[Any, Any, Any]]:
        """``/roster role`` (a Discord role of this server -> a govbot role) and ``/roster roles``."""

        @app_commands.describe(
            role=N_("A role of this server"),
            govbot_role=N_("What it means to govbot (none removes the mapping)"),
        )
        @app_commands.choices(govbot_role=GOVBOT_ROLE_CHOICES)
        async def role(interaction: discord.Interaction, role: discord.Role, govbot_role: str) -> None:
            async with self.speaking(interaction):
                await self.map_role(interaction, role, govbot_role)

        async def roles(interaction: discord.Interaction) -> None:
            async with self.speaking(interaction):
                await self.list_roles(interaction)

        return [
            app_commands.Command(
                name="role",
                description=N_("Map a role of this server to govbot admin, chair or member (admins)."),
                callback=role,
                parent=parent,
            ),
            app_commands.Command(
                name="roles",
                description=N_("List this server's roles mapped to govbot roles."),
                callback=roles,
                parent=parent,
            ),
        ]

    async def _guild_actor(self, interaction: discord.Interaction) -> tuple[str, Actor] | None:
        if not interaction.guild_id:
            await self.fail(
                interaction, error(_("Role mappings belong to a server: run this in the server."))
            )
            return None
        actor = await self.actor_for(interaction)
        if isinstance(actor, Reply):
            await self.fail(interaction, actor)
            return None
        return str(interaction.guild_id), actor

    async def map_role(self, interaction: discord.Interaction, role: discord.Role, govbot_role: str) -> None:
        """``/roster role``: map a role of this guild (admin-only: checked as any admin command)."""
        found = await self._guild_actor(interaction)
        if found is None:
            return
        guild, actor = found
        spec = spec_for(("roster", "role"))
        assert spec is not None
        if not await self.permitted(interaction, spec, actor):
            return
        command = Command(
            ("roster", "role"), ("discord", guild, str(role.id), govbot_role), {"name": role.name}
        )
        reply = await self.run_typed(interaction, actor, command)
        if reply.ok:
            await self.role_mapping(guild, refresh=True)
        await self.send(interaction, render(reply, ephemeral=True))

    async def list_roles(self, interaction: discord.Interaction) -> None:
        """``/roster roles``: the roles of the interaction's guild mapped to govbot roles."""
        found = await self._guild_actor(interaction)
        if found is None:
            return
        guild, actor = found
        reply = await self.run_typed(interaction, actor, Command(("roster", "roles"), ("discord", guild)))
        await self.send(interaction, render(reply, ephemeral=True))

    async def _on_tree_error(
        self, interaction: discord.Interaction, exc: app_commands.AppCommandError
    ) -> None:
        log.warning("app command failed: %s", exc, exc_info=not isinstance(exc, app_commands.CommandNotFound))
        async with self.speaking(interaction):
            reply = self._tree_error_reply(exc)
            with contextlib.suppress(discord.HTTPException):
                await self.fail(interaction, reply)

    def _tree_error_reply(self, exc: app_commands.AppCommandError) -> Reply:
        """What to tell the person when the command tree could not run their command."""
        if isinstance(
            exc,
            app_commands.CommandNotFound
            | app_commands.CommandSignatureMismatch
            | app_commands.TransformerError,
        ):
            return error(
                _("govbot did not understand that command (it may be out of date); nothing was changed."),
                _("Reload Discord (Ctrl+R) for the current commands, or try `/gov help`."),
            )
        return error(_("Something went wrong on our side; nothing was changed."), _("Try again."))

    # ------------------------------------------------------------------ ballots in components

    async def _first_delivery(self, interaction: discord.Interaction) -> bool:
        """Whether to act on an interaction: not when the gateway delivered it before (replay.py)."""
        return await replay.first_delivery(self.replays, interaction)

    async def on_interaction(self, interaction: discord.Interaction) -> None:
        """Route component presses by their custom id (slash commands go through the tree)."""
        if interaction.type is not discord.InteractionType.component:
            return
        if not await self._first_delivery(interaction):
            return
        async with self.speaking(interaction):
            await components.answer(self, interaction)

    # ------------------------------------------------------------------ autocomplete

    async def asker(self, interaction: discord.Interaction) -> Actor | None:
        """Who is typing, for a look-up: a person linked in the guild the interaction comes from; nobody
        in a direct message, another guild than ``DISCORD_GUILD_ID``, or for an unlinked account."""
        guild = str(interaction.guild_id) if interaction.guild_id else None
        if guild is None or (self.settings.discord_guild_id and guild != self.settings.discord_guild_id):
            return None
        return await roster.resolve_identity(self.ctx, "discord", guild, str(interaction.user.id))


def guard_parsers(parsers: dict[str, Callable[[Any], None]], unparsed: dict[str, int]) -> None:
    """Make each of discord.py's gateway event parsers survive an event it cannot parse.

    discord.py calls a parser straight from the gateway reader; an exception there (a field Discord
    added, changed or left out) ends the shard with ``terminate``, so one odd event stopped the whole
    bot. Guarded, the event is dropped and counted in ``unparsed``; the first of each type is logged with
    its trace (never its payload, which may hold a ballot), later ones in one line. The client goes on.
    """
    for event, parse in list(parsers.items()):
        parsers[event] = _guarded(event, parse, unparsed)


def _guarded(event: str, parse: Callable[[Any], None], unparsed: dict[str, int]) -> Callable[[Any], None]:
    def guarded(data: Any) -> None:
        try:
            parse(data)
        except Exception:
            seen = unparsed[event] = unparsed.get(event, 0) + 1
            if seen == 1:
                log.exception("gateway event %s could not be parsed; it is ignored", event)
            else:
                log.warning("gateway event %s could not be parsed (%d so far); ignored", event, seen)

    return guarded


def build_client(ctx: Context, settings: Settings, *, tz: ZoneInfo, **options: Any) -> GovBot:
    """A configured client (not yet started); ``DISCORD_API_BASE_URL`` sets ``discord.http.Route.BASE``.

    ``options`` go to :class:`GovBot` and discord.py (e.g. ``delivery_interval=None`` to deliver by hand,
    ``guild_ready_timeout`` to wait less for guilds at start).
    """
    configure_api_base(settings.discord_api_base_url)
    return GovBot(ctx, settings, tz=tz, **options)


async def serve(ctx: Context, settings: Settings, *, tz: ZoneInfo) -> int:
    """Run the Discord bot until it is stopped; returns the process exit status."""
    if not settings.discord_token:
        log.error("DISCORD_TOKEN is not set")
        return 2
    client = build_client(ctx, settings, tz=tz)
    try:
        async with client:
            await client.start(settings.discord_token)
    except discord.LoginFailure:
        log.error("Discord refused DISCORD_TOKEN (401): check the bot token")
        return 2
    except discord.PrivilegedIntentsRequired:
        log.error("Discord requires an intent govbot did not ask for")
        return 2
    except (OSError, aiohttp.ClientError, discord.GatewayNotFound) as exc:
        log.error("Cannot reach Discord at %s: %s", discord.http.Route.BASE, exc)
        return 2
    return 0


__all__ = ["GovBot", "build_client", "configure_api_base", "guard_parsers", "serve"]
