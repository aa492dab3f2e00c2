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
import shlex
import time
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
import discord
from discord import app_commands
from discord.utils import DEFAULT_FILE_SIZE_LIMIT_BYTES

from bot.commands import Spec, dispatch, find
from bot.config import Settings
from bot.discord import autocomplete, ballots, delivery, permissions, replay
from bot.discord.appcommands import GovTranslator, Param, build_groups, build_text
from bot.discord.render import CONTENT_LIMIT, Rendered, render, split_lines
from bot.present import undelivered
from bot.present.errors import hint
from bot.replies import Attachment, Reply, error
from governance import labels, logsafe
from governance.errors import GovError
from governance.i18n import N_, _, negotiate, using_locale
from governance.services import motions, outbox, roster
from governance.services.common import Actor, Context
from governance.services.replay import ReplayGuard

log = logging.getLogger(__name__)

PUBLIC_COMMANDS = frozenset(
    {
        "roster orgs",
        "roster people",
        "body list",
        "body show",
        "wg list",
        "wg members",
        "election list",
        "election show",
        "election create",
        "election open-nominations",
        "election open-voting",
        "election close",
        "election result",
        "election certify",
        "motion list",
        "motion propose",
        "motion show",
        "motion close",
        "audit verify",
    }
)
# counting, or packing an export, may take longer than Discord's 3 s to answer
SLOW_COMMANDS = frozenset({"election close", "audit export"})
BALLOT_COMMANDS = frozenset({"vote", "motion vote"})
AUTOCOMPLETE_LIMIT = 25
UNDELIVERED = (discord.HTTPException, aiohttp.ClientError, asyncio.TimeoutError)  # an answer that did not go
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
        path = " ".join(spec.path)
        actor = await self.actor_for(interaction)
        if isinstance(actor, Reply):
            await self.fail(interaction, actor)
            return
        if not await self.permitted(interaction, spec, actor):
            return
        if path == "vote" and not values.get("choices"):
            await self.open_ballot(interaction, actor, str(values.get("election") or ""))
            return
        if path == "motion vote" and not values.get("choice"):
            await self.open_motion_ballot(interaction, str(values.get("motion") or ""))
            return
        try:
            if path == "vote" and autocomplete.TOKEN in str(values.get("choices") or ""):
                _view, standing = await ballots.standing(self.ctx, str(values.get("election") or ""))
                words = autocomplete.ballot_words(standing)
                values = {**values, "choices": autocomplete.expand(str(values["choices"]), words)}
            text = build_text(spec, params, values)
        except GovError as exc:
            await self.fail(interaction, error(exc.message, hint(exc, "discord")))
            return
        public = path in PUBLIC_COMMANDS
        if path in SLOW_COMMANDS:
            await interaction.response.defer(thinking=True, ephemeral=not public)
        reply = await dispatch(
            self.ctx, actor, text, tz=self.tz, platform="discord", locale=self.locale_for(interaction)
        )
        title = None
        if reply.ok and path in ("election close", "election result"):
            title = _("Result of {election}", election=values.get("election"))
        rendered = render(
            reply, title=title, ephemeral=None if not public else (reply.ephemeral or not reply.ok)
        )
        if not public:
            rendered.ephemeral = True
        view = None
        if reply.ok and reply.vote and reply.vote.startswith("motion:"):
            view = ballots.motion_buttons(int(reply.vote.removeprefix("motion:")))
        try:
            await self.send(interaction, rendered, view, reply.attachments)
        except UNDELIVERED as exc:
            await self.undelivered(interaction, text, reply, exc)
        if reply.ok and path in BALLOT_COMMANDS:
            await self.dm_receipt(interaction, reply.text)

    async def undelivered(
        self, interaction: discord.Interaction, command: str, reply: Reply, exc: Exception
    ) -> None:
        """The command ran but Discord refused its answer: say what was (and was not) done, by a
        follow-up or else by direct message, never "nothing was changed" (``bot.undelivered``)."""
        log.warning("the answer to %r could not be sent: %s", command, exc)
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
        spec, _rest = find(["roster", "role"])
        assert spec is not None
        if not await self.permitted(interaction, spec, actor):
            return
        text = " ".join(
            [
                "roster role discord",
                guild,
                str(role.id),
                shlex.quote(govbot_role),
                shlex.quote(f"--name={role.name}"),
            ]
        )
        reply = await dispatch(
            self.ctx, actor, text, tz=self.tz, platform="discord", locale=self.locale_for(interaction)
        )
        if reply.ok:
            await self.role_mapping(guild, refresh=True)
        await self.send(interaction, render(reply, ephemeral=True))

    async def list_roles(self, interaction: discord.Interaction) -> None:
        """``/roster roles``: the roles of the interaction's guild mapped to govbot roles."""
        found = await self._guild_actor(interaction)
        if found is None:
            return
        guild, actor = found
        reply = await dispatch(
            self.ctx,
            actor,
            f"roster roles discord {guild}",
            tz=self.tz,
            platform="discord",
            locale=self.locale_for(interaction),
        )
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

    async def open_ballot(self, interaction: discord.Interaction, actor: Actor, slug: str) -> None:
        """Show the voter a private ballot for ``slug``: ranked selects, or approval multi-selects."""
        try:
            view_, choices = await ballots.standing(self.ctx, slug)
        except GovError as exc:
            await self.fail(interaction, error(exc.message, hint(exc, "discord")))
            return
        election = view_.election
        if election.phase != "voting":
            await self.fail(
                interaction,
                error(
                    _(
                        "{title} is not open for voting (it is {phase}).",
                        title=election.title,
                        phase=labels.label(labels.ELECTION_PHASES, election.phase),
                    ),
                    _("See `/election show`."),
                ),
            )
            return
        key = (self.workspace(interaction) or "", str(interaction.user.id), election.slug)
        self.drafts.reset(key)
        if ballots.is_ranked(election.method):
            text, components = ballots.ranked_ballot(election.title, election.slug, choices, [])
        else:
            most = election.seats if election.method == "plurality" else len(choices)
            built = ballots.approval_ballot(election.title, election.slug, choices, most, election.method)
            if built is None:
                await self.fail(
                    interaction,
                    error(
                        _("{title} has too many candidates for menus.", title=election.title),
                        _("Vote with `/vote election:{slug} choices:a b c`.", slug=election.slug),
                    ),
                )
                return
            text, components = built
        await interaction.response.send_message(text, view=components, ephemeral=True)

    async def open_motion_ballot(self, interaction: discord.Interaction, ref: str) -> None:
        """Show Yes / No / Abstain buttons for a motion, privately."""
        try:
            view_ = await motions.show(self.ctx, ref)
        except GovError as exc:
            await self.fail(interaction, error(exc.message, hint(exc, "discord")))
            return
        m = view_.motion
        assert m.id is not None
        await interaction.response.send_message(
            _("**M{id} {title}** — your vote:", id=m.id, title=m.title),
            view=ballots.motion_buttons(m.id),
            ephemeral=True,
        )

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
            await self._answer_component(interaction)

    async def _answer_component(self, interaction: discord.Interaction) -> None:
        data = interaction.data or {}
        raw = str(data.get("custom_id", ""))
        parsed = ballots.parse_custom_id(raw)
        if parsed is None:
            if raw.startswith(f"{ballots.PREFIX}:") or not raw:
                await self.fail(interaction, _not_understood())
            return
        try:
            await self._component(interaction, parsed, [str(v) for v in data.get("values", [])])
        except Exception:
            log.exception("component %s failed", raw)  # votes that ran are answered by `undelivered`
            if not interaction.response.is_done():
                await self.fail(interaction, undelivered.failed_before())

    async def _component(
        self, interaction: discord.Interaction, cid: ballots.CustomId, values: list[str]
    ) -> None:
        actor = await self.actor_for(interaction)
        if isinstance(actor, Reply):
            await self.fail(interaction, actor)
            return
        if cid.kind == "mv":
            if cid.arg not in ("yes", "no", "abstain"):
                await self.fail(interaction, error(_("That is not a vote on a motion; nothing was changed.")))
                return
            reply = await dispatch(
                self.ctx,
                actor,
                f"motion vote {cid.target} {cid.arg}",
                tz=self.tz,
                platform="discord",
                locale=self.locale_for(interaction),
            )
            try:
                await self.send(interaction, render(reply, ephemeral=True))
            except UNDELIVERED as exc:
                await self.undelivered(interaction, f"motion vote {cid.target} {cid.arg}", reply, exc)
            if reply.ok:
                await self.dm_receipt(interaction, reply.text)
            return
        if cid.kind == "ballot":
            await self.open_ballot(interaction, actor, cid.target)
            return
        key = (self.workspace(interaction) or "", str(interaction.user.id), cid.target)
        if cid.action == "cast":
            if cid.kind == "rk":
                picked = list(self.drafts.ranked.get(key, []))
            else:
                selections = self.drafts.approved.get(key, {})
                picked = [h for i in sorted(selections) for h in selections[i]]
            if not picked:
                await self.fail(
                    interaction,
                    error(
                        _("Your ballot is empty; nothing was cast."),
                        _("Choose at least one candidate first."),
                    ),
                )
                return
            reply = await dispatch(
                self.ctx,
                actor,
                " ".join(["vote", cid.target, *picked]),
                tz=self.tz,
                platform="discord",
                locale=self.locale_for(interaction),
            )
            if not reply.ok:
                await self.fail(interaction, reply)
                return
            self.drafts.reset(key)
            rendered = render(reply, ephemeral=True)
            try:
                await interaction.response.edit_message(
                    content=rendered.content, embeds=rendered.embeds, view=None
                )
                await self.send_more(interaction, rendered.more, True)
            except UNDELIVERED as exc:
                await self.undelivered(interaction, f"vote {cid.target}", reply, exc)
            await self.dm_receipt(interaction, reply.text)
            return
        if cid.kind == "ap" and cid.action == "pick" and cid.arg and cid.arg.startswith("s"):
            _shown, choices = await ballots.standing(self.ctx, cid.target)
            known = {c.handle for c in choices}
            selects = -(-len(choices) // ballots.OPTIONS_PER_SELECT)
            forged = not cid.arg[1:].isdigit() or int(cid.arg[1:]) >= selects
            if forged or any(v not in known for v in values):
                await self.fail(
                    interaction,
                    error(
                        _("That menu offered someone who is not standing; nothing was changed."),
                        _("Open a fresh ballot with `/vote`."),
                    ),
                )
                return
            self.drafts.approved.setdefault(key, {})[int(cid.arg[1:])] = values
            await interaction.response.defer()
            return
        if cid.kind != "rk":
            await self.fail(
                interaction, error(_("govbot did not understand that button or menu; nothing was changed."))
            )
            return
        view_, choices = await ballots.standing(self.ctx, cid.target)
        if view_.election.phase != "voting":
            await self.fail(
                interaction,
                error(
                    _(
                        "{title} is not open for voting (it is {phase}); nothing was cast.",
                        title=view_.election.title,
                        phase=labels.label(labels.ELECTION_PHASES, view_.election.phase),
                    )
                ),
            )
            return
        picked = self.drafts.ranked.get(key, [])
        # the page and the select a press names are checked before anything changes: a forged or stale
        # one is refused with the draft as it was
        page = ballots.pressed_page(cid, len(choices) - len(picked))
        if page is None or cid.action not in ("pick", "page", "undo", "clear"):
            await self.fail(interaction, _not_understood())
            return
        if cid.action == "pick":
            known = {c.handle for c in choices}
            if len(values) != 1 or values[0] not in known or values[0] in picked:
                await self.fail(
                    interaction,
                    error(
                        _("That choice is not a candidate you can still rank; nothing was changed."),
                        _("Open a fresh ballot with `/vote`."),
                    ),
                )
                return
            picked = self.drafts.ranked.setdefault(key, picked)
            picked.append(values[0])
        elif cid.action == "undo" and picked:
            picked.pop()
        elif cid.action == "clear":
            picked.clear()
        text, components = ballots.ranked_ballot(view_.election.title, cid.target, choices, picked, page)
        await interaction.response.edit_message(content=text, view=components)

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


def _not_understood() -> Reply:
    """The refusal of a button or menu govbot cannot read (forged, stale or from another version)."""
    return error(
        _("govbot did not understand that button or menu; nothing was changed."),
        _("Open a fresh ballot with `/vote`."),
    )
