"""Ballots in Discord components: opening a ballot, and every button or menu press on one.

A press builds the same typed :class:`~bot.grammar.Command` a typed command would (``Command(("vote",),
(slug, *ranking))``, ``Command(("motion", "vote"), (ref, choice))``) and goes through the same dispatch
and the same handler, so the receipt is written once, by the handler. Drafts of a ranking live in
``bot.drafts`` until they are cast; a forged or stale press is refused with the draft as it was.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import Any, Protocol

import aiohttp
import discord

from bot.commands import Command
from bot.discord import ballots
from bot.discord.render import Rendered, render
from bot.present import undelivered
from bot.present.errors import hint
from bot.present.replies import Reply, error
from governance import labels
from governance.errors import GovError
from governance.i18n import _
from governance.services import motions
from governance.services.common import Actor, Context

log = logging.getLogger("bot.discord.client")
UNDELIVERED = (discord.HTTPException, aiohttp.ClientError, asyncio.TimeoutError)  # an answer that did not go


class Bot(Protocol):
    """What component handling needs of the client (``bot.discord.client.GovBot``)."""

    ctx: Context
    drafts: ballots.Drafts

    def workspace(self, interaction: discord.Interaction | None = None) -> str | None: ...

    async def actor_for(self, interaction: discord.Interaction) -> Actor | Reply: ...

    async def run_typed(self, interaction: discord.Interaction, actor: Actor, command: Command) -> Reply: ...

    async def send(self, interaction: discord.Interaction, rendered: Rendered) -> None: ...

    async def send_more(
        self, interaction: discord.Interaction, parts: Sequence[str], ephemeral: bool
    ) -> None: ...

    async def fail(self, interaction: discord.Interaction, reply: Reply) -> None: ...

    async def dm_receipt(self, interaction: discord.Interaction, text: str) -> None: ...

    async def undelivered(
        self, interaction: discord.Interaction, command: str, reply: Reply, exc: Exception
    ) -> None: ...


def not_understood() -> Reply:
    """The refusal of a button or menu govbot cannot read (forged, stale or from another version)."""
    return error(
        _("govbot did not understand that button or menu; nothing was changed."),
        _("Open a fresh ballot with `/vote`."),
    )


async def open_ballot(bot: Bot, interaction: discord.Interaction, slug: str) -> None:
    """Show the voter a private ballot for ``slug``: ranked selects, or approval multi-selects."""
    try:
        view_, choices = await ballots.standing(bot.ctx, slug)
    except GovError as exc:
        await bot.fail(interaction, error(exc.message, hint(exc, "discord")))
        return
    election = view_.election
    if election.phase != "voting":
        await bot.fail(
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
    key = (bot.workspace(interaction) or "", str(interaction.user.id), election.slug)
    bot.drafts.reset(key)
    if ballots.is_ranked(election.method):
        text, components = ballots.ranked_ballot(election.title, election.slug, choices, [])
    else:
        most = election.seats if election.method == "plurality" else len(choices)
        built = ballots.approval_ballot(election.title, election.slug, choices, most, election.method)
        if built is None:
            await bot.fail(
                interaction,
                error(
                    _("{title} has too many candidates for menus.", title=election.title),
                    _("Vote with `/vote election:{slug} choices:a b c`.", slug=election.slug),
                ),
            )
            return
        text, components = built
    await interaction.response.send_message(text, view=components, ephemeral=True)


async def open_motion_ballot(bot: Bot, interaction: discord.Interaction, ref: str) -> None:
    """Show Yes / No / Abstain buttons for a motion, privately."""
    try:
        view_ = await motions.show(bot.ctx, ref)
    except GovError as exc:
        await bot.fail(interaction, error(exc.message, hint(exc, "discord")))
        return
    m = view_.motion
    assert m.id is not None
    await interaction.response.send_message(
        _("**M{id} {title}** — your vote:", id=m.id, title=m.title),
        view=ballots.motion_buttons(m.id),
        ephemeral=True,
    )


async def answer(bot: Bot, interaction: discord.Interaction) -> None:
    """Answer one component press (its custom id says which ballot and what); never a stack trace."""
    data: Any = interaction.data or {}
    raw = str(data.get("custom_id", ""))
    parsed = ballots.parse_custom_id(raw)
    if parsed is None:
        if raw.startswith(f"{ballots.PREFIX}:") or not raw:
            await bot.fail(interaction, not_understood())
        return
    try:
        await _press(bot, interaction, parsed, [str(v) for v in data.get("values", [])])
    except Exception:
        log.exception("component %s failed", raw)  # votes that ran are answered by `undelivered`
        if not interaction.response.is_done():
            await bot.fail(interaction, undelivered.failed_before())


async def _press(
    bot: Bot, interaction: discord.Interaction, cid: ballots.CustomId, values: list[str]
) -> None:
    actor = await bot.actor_for(interaction)
    if isinstance(actor, Reply):
        await bot.fail(interaction, actor)
        return
    if cid.kind == "mv":
        await _motion_vote(bot, interaction, actor, cid)
    elif cid.kind == "ballot":
        await open_ballot(bot, interaction, cid.target)
    elif cid.action == "cast":
        await _cast(bot, interaction, actor, cid)
    elif cid.kind == "ap" and cid.action == "pick" and cid.arg and cid.arg.startswith("s"):
        await _approve(bot, interaction, cid, values)
    elif cid.kind == "rk":
        await _rank(bot, interaction, cid, values)
    else:
        await bot.fail(
            interaction, error(_("govbot did not understand that button or menu; nothing was changed."))
        )


async def _motion_vote(
    bot: Bot, interaction: discord.Interaction, actor: Actor, cid: ballots.CustomId
) -> None:
    """Yes / No / Abstain pressed: ``motion vote <n> <choice>``, answered and receipted as if typed."""
    if cid.arg not in ("yes", "no", "abstain"):
        await bot.fail(interaction, error(_("That is not a vote on a motion; nothing was changed.")))
        return
    command = Command(("motion", "vote"), (cid.target, cid.arg))
    reply = await bot.run_typed(interaction, actor, command)
    try:
        await bot.send(interaction, render(reply, ephemeral=True))
    except UNDELIVERED as exc:
        await bot.undelivered(interaction, command.line(), reply, exc)
    if reply.ok:
        await bot.dm_receipt(interaction, reply.text)


def _key(bot: Bot, interaction: discord.Interaction, slug: str) -> tuple[str, str, str]:
    return (bot.workspace(interaction) or "", str(interaction.user.id), slug)


async def _cast(bot: Bot, interaction: discord.Interaction, actor: Actor, cid: ballots.CustomId) -> None:
    """Cast the draft: ``vote <election> <picked...>``, answered in place of the ballot and receipted."""
    key = _key(bot, interaction, cid.target)
    if cid.kind == "rk":
        picked = list(bot.drafts.ranked.get(key, []))
    else:
        selections = bot.drafts.approved.get(key, {})
        picked = [h for i in sorted(selections) for h in selections[i]]
    if not picked:
        await bot.fail(
            interaction,
            error(_("Your ballot is empty; nothing was cast."), _("Choose at least one candidate first.")),
        )
        return
    reply = await bot.run_typed(interaction, actor, Command(("vote",), (cid.target, *picked)))
    if not reply.ok:
        await bot.fail(interaction, reply)
        return
    bot.drafts.reset(key)
    rendered = render(reply, ephemeral=True)
    try:
        await interaction.response.edit_message(content=rendered.content, embeds=rendered.embeds, view=None)
        await bot.send_more(interaction, rendered.more, True)
    except UNDELIVERED as exc:
        await bot.undelivered(interaction, f"vote {cid.target}", reply, exc)  # the choices stay private
    await bot.dm_receipt(interaction, reply.text)


async def _approve(
    bot: Bot, interaction: discord.Interaction, cid: ballots.CustomId, values: list[str]
) -> None:
    """A pick in one of an approval ballot's menus, kept in the draft after checking it."""
    assert cid.arg is not None
    _shown, choices = await ballots.standing(bot.ctx, cid.target)
    known = {c.handle for c in choices}
    selects = -(-len(choices) // ballots.OPTIONS_PER_SELECT)
    forged = not cid.arg[1:].isdigit() or int(cid.arg[1:]) >= selects
    if forged or any(v not in known for v in values):
        await bot.fail(
            interaction,
            error(
                _("That menu offered someone who is not standing; nothing was changed."),
                _("Open a fresh ballot with `/vote`."),
            ),
        )
        return
    bot.drafts.approved.setdefault(_key(bot, interaction, cid.target), {})[int(cid.arg[1:])] = values
    await interaction.response.defer()


async def _rank(bot: Bot, interaction: discord.Interaction, cid: ballots.CustomId, values: list[str]) -> None:
    """A press on a ranked ballot (pick, page, undo, clear): the draft changes and the ballot is redrawn."""
    view_, choices = await ballots.standing(bot.ctx, cid.target)
    if view_.election.phase != "voting":
        await bot.fail(
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
    key = _key(bot, interaction, cid.target)
    picked = bot.drafts.ranked.get(key, [])
    # the page and the select a press names are checked before anything changes: a forged or stale
    # one is refused with the draft as it was
    page = ballots.pressed_page(cid, len(choices) - len(picked))
    if page is None or cid.action not in ("pick", "page", "undo", "clear"):
        await bot.fail(interaction, not_understood())
        return
    if cid.action == "pick":
        known = {c.handle for c in choices}
        if len(values) != 1 or values[0] not in known or values[0] in picked:
            await bot.fail(
                interaction,
                error(
                    _("That choice is not a candidate you can still rank; nothing was changed."),
                    _("Open a fresh ballot with `/vote`."),
                ),
            )
            return
        picked = bot.drafts.ranked.setdefault(key, picked)
        picked.append(values[0])
    elif cid.action == "undo" and picked:
        picked.pop()
    elif cid.action == "clear":
        picked.clear()
    text, components = ballots.ranked_ballot(view_.election.title, cid.target, choices, picked, page)
    await interaction.response.edit_message(content=text, view=components)
