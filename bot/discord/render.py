"""Render platform-neutral ``Reply`` objects as Discord message parts (content and embeds), within
Discord's documented limits: 2,000 characters of content, 4,096 of embed description, 25 fields and
256-character titles per embed, 10 embeds and 6,000 embed characters per message."""

from __future__ import annotations

from dataclasses import dataclass, field

import discord

from bot.replies import Reply, Table
from governance import labels
from governance.i18n import _, format_number

CONTENT_LIMIT = 2000
DESCRIPTION_LIMIT = 4096
TITLE_LIMIT = 256
EMBEDS_LIMIT = 10
EMBED_TOTAL_LIMIT = 6000
OK_COLOUR = discord.Colour(0x2E8B57)
ERROR_COLOUR = discord.Colour(0xC0392B)
RESULT_COLOUR = discord.Colour(0x2C6FBB)


@dataclass
class Rendered:
    """A reply as Discord message parts."""

    content: str
    embeds: list[discord.Embed] = field(default_factory=list)
    ephemeral: bool = False


def clip(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, ending with an ellipsis when cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _code(text: str, limit: int) -> str:
    body = text.replace("```", "'''")
    room = limit - 8
    if len(body) > room:
        body = body[: room - 2] + "\n…"
    return f"```\n{body}\n```"


def _table_embed(table: Table, colour: discord.Colour) -> discord.Embed:
    return discord.Embed(
        title=clip(table.title, TITLE_LIMIT) if table.title else None,
        description=_code(table.to_text() if table.rows else _("(none)"), DESCRIPTION_LIMIT),
        colour=colour,
    )


def render(reply: Reply, *, ephemeral: bool | None = None, title: str | None = None) -> Rendered:
    """Content (the sentence and hint), tables and the preformatted block as embeds.

    Failures get a red embed so they stand out; a block (a count's rounds, help) is shown monospaced.
    """
    colour = OK_COLOUR if reply.ok else ERROR_COLOUR
    text = reply.text if reply.ok else f"⚠️ {reply.text}"
    if reply.hint:
        text += f"\n{reply.hint}"
    embeds: list[discord.Embed] = []
    if reply.block:
        colour_block = RESULT_COLOUR if title else colour
        embeds.append(
            discord.Embed(
                title=clip(title, TITLE_LIMIT) if title else None,
                description=_code(reply.block, DESCRIPTION_LIMIT),
                colour=colour_block,
            )
        )
    embeds += [_table_embed(t, colour) for t in reply.tables]
    embeds = embeds[:EMBEDS_LIMIT]
    while embeds and sum(len(e) for e in embeds) > EMBED_TOTAL_LIMIT:
        last = embeds[-1]
        if len(embeds) > 1 and len(last) > 200:
            embeds.pop()
            continue
        last.description = _code((last.description or "").strip("`\n"), max(200, EMBED_TOTAL_LIMIT // 2))
        break
    private = (reply.ephemeral or not reply.ok) if ephemeral is None else ephemeral
    return Rendered(clip(text, CONTENT_LIMIT), embeds, private)


def result_embed(title: str, elected: list[str], method: str, ballots: int, rounds: str) -> discord.Embed:
    """An election result as an embed: who was elected, how it was counted, every round (in the current
    locale: the method by its name, the count with the locale's digits)."""
    embed = discord.Embed(
        title=clip(_("Result: {title}", title=title), TITLE_LIMIT),
        colour=RESULT_COLOUR,
        description=_code(rounds, DESCRIPTION_LIMIT - 100),
    )
    embed.add_field(name=_("Elected"), value=clip(", ".join(elected) or _("nobody"), 1024), inline=False)
    embed.add_field(name=_("Method"), value=labels.method_name(method))
    embed.add_field(name=_("Ballots"), value=format_number(ballots))
    return embed
