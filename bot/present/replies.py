"""Platform-neutral replies: what a command answers, for each adapter (console, Slack, Discord) to render."""

from __future__ import annotations

from dataclasses import dataclass, field

from governance.i18n import ngettext


@dataclass(frozen=True)
class Table:
    """Rows under headers; adapters render it as a terminal table, Block Kit fields or an embed."""

    headers: list[str]
    rows: list[list[str]]
    title: str | None = None

    def to_text(self) -> str:
        """A plain monospaced rendering (for logs, tests and platforms without tables)."""
        widths = [len(h) for h in self.headers]
        for row in self.rows:
            for i, cell in enumerate(row):
                widths[i] = max(widths[i], len(cell))
        lines = [f"{self.title}"] if self.title else []
        lines.append("  ".join(h.ljust(w) for h, w in zip(self.headers, widths, strict=True)).rstrip())
        lines.append("  ".join("-" * w for w in widths))
        lines += [
            "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in self.rows
        ]
        return "\n".join(lines)


@dataclass(frozen=True)
class Attachment:
    """A file that goes with a reply (e.g. an audit export): adapters upload it, the console saves it.

    ``filename`` is a bare name (no directories) such as ``board-2027-audit.zip``; ``data`` is the whole
    file; ``media_type`` helps platforms show it (``application/zip``, ``text/csv``, ...).
    """

    filename: str
    data: bytes
    media_type: str = "application/octet-stream"
    description: str | None = None


@dataclass(frozen=True)
class Reply:
    """The answer to one command: a sentence, tables, a preformatted block, and whether it failed."""

    text: str
    ok: bool = True
    tables: list[Table] = field(default_factory=list)
    block: str | None = None
    ephemeral: bool = False
    hint: str | None = None
    details: tuple[str, ...] = ()
    attachments: tuple[Attachment, ...] = ()
    title: str | None = None  # a heading adapters may show above it (a result's embed title)
    ballot: tuple[str, str] | None = None  # a ballot adapters may offer with it: ("motion", "3")

    def to_text(self) -> str:
        """Everything in the reply as plain text."""
        parts = [self.text]
        if self.hint:
            parts.append(self.hint)
        parts += [t.to_text() for t in self.tables]
        if self.block:
            parts.append(self.block)
        parts += [
            ngettext(
                "[attached: {filename}, {n} byte]",
                "[attached: {filename}, {n} bytes]",
                len(a.data),
                filename=a.filename,
            )
            for a in self.attachments
        ]
        return "\n\n".join(p for p in parts if p)


DETAILS_SHOWN = 50


def bullets(details: tuple[str, ...] | list[str], limit: int = DETAILS_SHOWN) -> str | None:
    """The individual problems of an error as a bulleted block (the first ``limit``, then a count)."""
    if not details:
        return None
    lines = [f"• {d}" for d in details[:limit]]
    if len(details) > limit:
        lines.append(ngettext("… and {n} more", "… and {n} more", len(details) - limit))
    return "\n".join(lines)


def error(message: str, hint: str | None = None, details: tuple[str, ...] | list[str] = ()) -> Reply:
    """A failure reply: says what was wrong and what to do; ``details`` (one per problem) as bullets."""
    return Reply(
        text=message, ok=False, hint=hint, ephemeral=True, block=bullets(details), details=tuple(details)
    )
