"""Render platform-neutral ``Reply`` objects as Discord message parts (content and embeds), within
Discord's documented limits: 2,000 characters of content, 4,096 of embed description, 25 fields and
256-character titles per embed, 10 embeds and 6,000 embed characters per message.

Nothing is lost silently: a text over 2,000 characters is split on line boundaries into further messages
(``Rendered.more``), a block or table cut to fit says how many lines are not shown, and tables left out of
a message are named in it."""

from __future__ import annotations

from dataclasses import dataclass, field

import discord

from bot.present.replies import Reply, Table
from governance import labels
from governance.i18n import _, format_number, ngettext

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
    more: list[str] = field(default_factory=list)
    """The rest of a text longer than one message allows: sent as further messages, never dropped."""


def clip(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, ending with an ellipsis when cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def split_lines(text: str, limit: int = CONTENT_LIMIT) -> list[str]:
    """``text`` in parts of at most ``limit`` characters, cut at line boundaries (a line longer than a
    part at its last space, else anywhere), so a long receipt or list goes as several messages, whole.

    Discord refuses a message over 2,000 characters (50035): it must be split, never sent as is."""
    parts: list[str] = []
    rest = text
    while len(rest) > limit:
        cut = rest.rfind("\n", 0, limit + 1)
        if cut <= 0:
            cut = rest.rfind(" ", 0, limit + 1)
        if cut <= 0:
            cut = limit
        parts.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip("\n ")
    parts.append(rest)
    return [p for p in parts if p] or [""]


def _shortened(n: int) -> str:
    return _("… (shortened: {n} more characters are not shown here)", n=format_number(n))


def shorten(text: str, limit: int = CONTENT_LIMIT) -> str:
    """``text`` within ``limit`` characters: whole lines kept, and a translated note saying how much is
    not shown when it had to be cut (for a message that cannot go in several parts)."""
    if len(text) <= limit:
        return text
    room = max(1, limit - len(_shortened(len(text))) - 1)
    head = split_lines(text, room)[0]
    return f"{head}\n{_shortened(len(text) - len(head))}"


def _code(text: str, limit: int) -> str:
    body = text.replace("```", "'''")
    room = limit - 8
    if len(body) > room:
        lines = body.splitlines()
        note = _("… (shortened: {n} more lines are not shown here)", n=format_number(len(lines)))
        kept: list[str] = []
        used = len(note) + 1
        for line in lines:
            if used + len(line) + 1 > room:
                break
            kept.append(line)
            used += len(line) + 1
        if not kept:
            kept = [body[: max(0, room - len(note) - 1)]]
        note = _("… (shortened: {n} more lines are not shown here)", n=format_number(len(lines) - len(kept)))
        body = "\n".join([*kept, note])
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
    left_out = embeds[EMBEDS_LIMIT:]
    embeds = embeds[:EMBEDS_LIMIT]
    while embeds and sum(len(e) for e in embeds) > EMBED_TOTAL_LIMIT:
        last = embeds[-1]
        if len(embeds) > 1 and len(last) > 200:
            left_out.insert(0, embeds.pop())
            continue
        last.description = _code((last.description or "").strip("`\n"), max(200, EMBED_TOTAL_LIMIT // 2))
        break
    if left_out:  # never dropped silently: the reader is told what is missing and where to see it
        text += "\n" + ngettext(
            "⚠️ {n} more table is not shown ({titles}): a Discord message holds at most 6,000 characters "
            "of tables; `govbot console` shows everything.",
            "⚠️ {n} more tables are not shown ({titles}): a Discord message holds at most 6,000 characters "
            "of tables; `govbot console` shows everything.",
            len(left_out),
            titles=clip(", ".join(e.title or "…" for e in left_out), 300),
        )
    private = (reply.ephemeral or not reply.ok) if ephemeral is None else ephemeral
    first, *more = split_lines(text, CONTENT_LIMIT)
    return Rendered(first, embeds, private, more)


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
