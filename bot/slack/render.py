"""Render platform-neutral ``Reply`` objects as Slack Block Kit, within Slack's limits.

Slack limits: 50 blocks per message, 3,000 characters per section text, 10 fields of 2,000
characters per section, 150 characters per header. A reply is rendered as its sentence (flagged with a
warning sign when it is an error, with the hint under it), each table as section fields when it is a
small two-column table and as a preformatted block otherwise, and the preformatted block last. What
does not fit is cut with a note saying how to see it whole (the console or ``govbot`` CLI).
"""

from __future__ import annotations

from typing import Any

from bot.present.replies import Reply, Table
from bot.slack.files import describe
from governance.i18n import _

MAX_BLOCKS = 50
MAX_SECTION = 3000
MAX_FIELD = 2000
MAX_FIELDS = 10
FENCE = "```"

Block = dict[str, Any]


def escape(text: str) -> str:
    """Escape the three characters Slack's mrkdwn gives meaning to (``&``, ``<``, ``>``).

    Typed text goes through here wherever it is posted, so ``<!channel>``, ``<!here>``, ``<!everyone>``,
    ``<@U…>`` and ``<#C…>`` in a title show as typed and never notify anyone; the bot's own formatting
    (``*bold*``, `` `code` ``) is not touched.
    """
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def clip(text: str, limit: int) -> str:
    """Cut ``text`` to ``limit`` characters, marking the cut with an ellipsis."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def plain(text: str, limit: int = 75) -> dict[str, Any]:
    """A ``plain_text`` object (labels, option texts, titles) cut to ``limit``."""
    return {"type": "plain_text", "text": clip(text, limit) or " ", "emoji": True}


def mrkdwn(text: str) -> dict[str, Any]:
    """A ``mrkdwn`` text object cut to the section limit."""
    return {"type": "mrkdwn", "text": clip(text, MAX_SECTION) or " "}


def section(text: str) -> Block:
    """A section block of mrkdwn text."""
    return {"type": "section", "text": mrkdwn(text)}


def sections(text: str) -> list[Block]:
    """Typed text (a motion's text, up to 4,000 characters and more once escaped) as as many sections as
    it needs, escaped, cut between words where it can, so none passes 3,000 characters and none of it is
    lost."""
    blocks: list[Block] = []
    current = ""
    for word in text.split(" "):
        piece = escape(word) if not current else " " + escape(word)
        while len(current) + len(piece) > MAX_SECTION:
            if current:
                blocks.append(section(current))
                current, piece = "", piece.lstrip(" ")
                continue
            cut = MAX_SECTION
            amp = piece.rfind("&", cut - 4, cut)  # never split an entity (&amp; &lt; &gt;)
            cut = amp if amp > 0 else cut
            blocks.append(section(piece[:cut]))
            piece = piece[cut:]
        current += piece
    if current or not blocks:
        blocks.append(section(current))
    return blocks


def context(text: str) -> Block:
    """A context block (small grey text) of mrkdwn."""
    return {"type": "context", "elements": [mrkdwn(text)]}


def preformatted(text: str) -> list[Block]:
    """A preformatted text split over as many sections as it needs (each under 3,000 characters)."""
    budget = MAX_SECTION - 2 * len(FENCE) - 2
    chunks: list[str] = []
    current: list[str] = []
    size = 0
    for line in escape(text).splitlines() or [""]:
        line = clip(line, budget)
        if current and size + len(line) + 1 > budget:
            chunks.append("\n".join(current))
            current, size = [], 0
        current.append(line)
        size += len(line) + 1
    if current:
        chunks.append("\n".join(current))
    return [section(f"{FENCE}\n{chunk}\n{FENCE}") for chunk in chunks]


def table_blocks(table: Table) -> list[Block]:
    """A table: section fields when it has two columns and few rows, else a preformatted block."""
    blocks: list[Block] = []
    if table.title:
        blocks.append(section(f"*{escape(table.title)}*"))
    if not table.rows:
        blocks.append(context("_" + _("(none)") + "_"))
        return blocks
    if len(table.headers) == 2 and 2 * (len(table.rows) + 1) <= MAX_FIELDS:
        fields = [mrkdwn(f"*{escape(h)}*") for h in table.headers]
        for row in table.rows:
            fields += [{"type": "mrkdwn", "text": clip(escape(cell) or "-", MAX_FIELD)} for cell in row]
        blocks.append({"type": "section", "fields": fields})
        return blocks
    blocks += preformatted(Table(table.headers, table.rows).to_text())
    return blocks


def reply_blocks(reply: Reply) -> list[Block]:
    """Every block of a reply, errors flagged, cut to Slack's 50-block limit with a note when cut."""
    head = escape(reply.text)
    if not reply.ok:
        head = f":warning: *{head}*"
    blocks: list[Block] = [section(head)]
    if reply.hint:
        blocks.append(context(escape(reply.hint)))
    for table in reply.tables:
        blocks += table_blocks(table)
    if reply.block:
        blocks += preformatted(reply.block)
    room = MAX_BLOCKS - (1 if reply.attachments else 0)
    if len(blocks) > room:
        blocks = blocks[: room - 1]
        blocks.append(
            context("_" + _("Cut to fit Slack; the console (`govbot console`) shows it whole.") + "_")
        )
    if reply.attachments:
        blocks.append(context(escape(describe(reply.attachments))))
    return blocks


def fallback_text(reply: Reply) -> str:
    """The notification / screen-reader text of a reply: its sentence (and hint), plain."""
    text = reply.text if reply.ok else _("Error: {text}", text=reply.text)
    if reply.hint:
        text += f" {reply.hint}"
    return escape(clip(text, 3000))  # notifications parse it as mrkdwn too: no mention may slip through


def message(reply: Reply) -> dict[str, Any]:
    """The ``text`` and ``blocks`` of a Slack message carrying ``reply``."""
    return {"text": fallback_text(reply), "blocks": reply_blocks(reply)}
