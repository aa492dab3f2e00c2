"""The console: the same command grammar in a terminal, for local use, demos and support.

Interactive (a prompt with history and colours) when standard input is a terminal; otherwise, or with
``--script FILE``, it runs one command per line, prints each reply and exits non-zero if any failed.
Lines starting with ``#`` are comments. Two console-only commands: ``:as <handle>`` changes who you
are, ``:quit`` leaves. Files a reply attaches (an audit export) are saved in the working directory and
their paths printed. Notifications the commands queue (DMs, channel posts) are delivered here, as
lines under the reply, when the console is the bot's platform; at the interactive prompt, those the
scheduler queues (reminders, results at a deadline) are printed as they become due, without waiting
for the next command (the prompt and what was typed so far are drawn again below them).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TextIO
from zoneinfo import ZoneInfo

from rich.console import Console
from rich.table import Table as RichTable

from bot.commands import dispatch
from bot.present.errors import hint
from bot.present.notices import render_pending
from bot.present.replies import Attachment, Reply
from governance.errors import GovError
from governance.i18n import DEFAULT_LOCALE, _, current_locale, negotiate, using_locale
from governance.models import Body, Person
from governance.notices import NoticeError
from governance.services import outbox, roster
from governance.services.common import Actor, Context

HISTORY = Path("~/.govbot_history").expanduser()
WATCH_SECONDS = 1.0  # how often the interactive prompt looks for notifications that became due

log = logging.getLogger(__name__)


def render(console: Console, reply: Reply) -> None:
    """Print a reply: green or red headline, tables, then any preformatted block."""
    style = "green" if reply.ok else "bold red"
    console.print(reply.text, style=style, markup=False, highlight=False, soft_wrap=True)
    if reply.hint:
        console.print(reply.hint, style="yellow", markup=False, highlight=False, soft_wrap=True)
    for table in reply.tables:
        rich_table = RichTable(title=table.title, header_style="bold cyan", show_lines=False)
        for header in table.headers:
            rich_table.add_column(header, overflow="fold")
        for row in table.rows:
            rich_table.add_row(*row)
        console.print(rich_table)
    if reply.block:
        console.print(reply.block, markup=False, highlight=False, soft_wrap=True)


def save_attachments(attachments: Iterable[Attachment], directory: Path) -> list[Path]:
    """Write a reply's attached files into ``directory`` and return their paths.

    Only the base name of each file is used, and an existing file is never overwritten: ``x.zip``
    becomes ``x-1.zip``, ``x-2.zip``, ... so an earlier export stays as it was.
    """
    directory.mkdir(parents=True, exist_ok=True)
    saved = []
    for attachment in attachments:
        name = Path(attachment.filename).name or "attachment"
        target = directory / name
        suffix = "".join(Path(name).suffixes)
        stem = name[: len(name) - len(suffix)]
        number = 0
        while True:
            try:
                with target.open("xb") as handle:
                    handle.write(attachment.data)
                break
            except FileExistsError:
                number += 1
                target = directory / f"{stem}-{number}{suffix}"
        saved.append(target.resolve())
    return saved


async def deliver(
    ctx: Context, console: Console, locale: str | None = None, *, before: Callable[[], None] | None = None
) -> int:
    """Deliver due outbox messages to the terminal, in ``locale`` (default: the current one), and mark
    them sent; returns how many. ``before`` runs once before the first line is printed (to clear the
    prompt's line)."""
    chosen = negotiate(locale or current_locale())
    delivered = 0
    for number, message in enumerate(await outbox.due(ctx)):
        if number == 0 and before is not None:
            before()
        try:
            text = render_pending(message, locale=chosen, platform="console").text
        except NoticeError:  # queued by a newer version: left for one that knows how to say it
            continue
        async with ctx.db.reading() as session:
            if message.person_id is not None:
                person = await session.get(Person, message.person_id)
                with using_locale(chosen):
                    if person:
                        line = "  ✉ " + _("DM to @{handle}: {text}", handle=person.handle, text=text)
                    else:
                        line = "  ✉ " + _("DM: {text}", text=text)
            else:
                body = await session.get(Body, message.body_id) if message.body_id else None
                channel = f"#{body.channel or body.slug}" if body else "#general"
                line = f"  ✉ {channel}: {text}"
        console.print(line, style="dim", markup=False, highlight=False, soft_wrap=True)
        if await outbox.mark_sent(ctx, message.id):
            delivered += 1
    return delivered


class Session:
    """One console user's session: who they are, the time zone, and whether to deliver notifications."""

    def __init__(
        self,
        ctx: Context,
        actor: Actor,
        console: Console,
        *,
        tz: ZoneInfo,
        deliver: bool,
        attachments_dir: Path | None = None,
        locale: str = DEFAULT_LOCALE,
    ) -> None:
        self.ctx = ctx
        self.actor = actor
        self.console = console
        self.tz = tz
        self.locale = negotiate(locale)
        self.deliver = deliver
        self.attachments_dir = attachments_dir if attachments_dir is not None else Path.cwd()
        self.printing = asyncio.Lock()  # a command's reply and notifications arriving never interleave

    @property
    def prompt(self) -> str:
        """The prompt: who you are."""
        return f"@{self.actor.handle}> "

    async def run_line(self, line: str) -> bool | None:
        """Run one line; True/False for success/failure, None for blank lines and comments.

        Everything the line prints is in the session's locale, the console's own messages included.
        """
        with using_locale(self.locale):
            async with self.printing:
                return await self._run_line(line)

    async def watch(
        self,
        stop: asyncio.Event,
        *,
        interval: float = WATCH_SECONDS,
        before: Callable[[], None] | None = None,
        after: Callable[[], None] | None = None,
    ) -> None:
        """Until ``stop``: every ``interval`` seconds print the notifications that became due (what the
        scheduler queued: reminders, results posted at a deadline), between ``before`` (clear the
        prompt's line) and ``after`` (draw the prompt again), never in the middle of a command's reply."""
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=interval)
            if stop.is_set():
                return
            cleared = False  # a line was printed over the prompt (marked sent by this look or not)

            def clear() -> None:
                nonlocal cleared
                cleared = True
                if before is not None:
                    before()

            try:
                async with self.printing:
                    with using_locale(self.locale):
                        await deliver(self.ctx, self.console, self.locale, before=clear)
            except Exception:  # the database was away: the next look tries again
                log.exception("console: notifications could not be read; trying again")
            finally:
                if cleared and after is not None:  # whatever happened after printing, the prompt comes back
                    after()

    async def _run_line(self, line: str) -> bool | None:
        text = line.strip()
        if not text or text.startswith("#"):
            return None
        if text in (":quit", ":q", "exit", "quit"):
            raise EOFError
        word, _sep, rest = text.partition(" ")
        if word == ":as":
            handle = rest.strip()
            if not handle:
                render(self.console, Reply(text=_("Say who to be: `:as <handle>`."), ok=False))
                return False
            try:
                self.actor = await roster.actor_for_handle(self.ctx, handle)
            except GovError as exc:
                render(self.console, Reply(text=exc.message, ok=False, hint=hint(exc, "console")))
                return False
            self.console.print(
                _("You are now {name} (@{handle}).", name=self.actor.name, handle=self.actor.handle),
                style="cyan",
                markup=False,
            )
            return True
        if word.startswith(":"):
            render(
                self.console,
                Reply(
                    text=_("Unknown console command {word!r}.", word=word),
                    ok=False,
                    hint=_("Console commands: `:as <handle>`, `:quit`."),
                ),
            )
            return False
        reply = await dispatch(self.ctx, self.actor, text, tz=self.tz, platform="console", locale=self.locale)
        render(self.console, reply)
        for path in save_attachments(reply.attachments, self.attachments_dir):
            self.console.print(
                _("Saved {path}", path=path), style="cyan", markup=False, highlight=False, soft_wrap=True
            )
        if self.deliver:
            await deliver(self.ctx, self.console, self.locale)
        return reply.ok


async def run_script(session: Session, lines: Iterable[str], *, echo: bool) -> int:
    """Run commands line by line; exit status 1 if any failed, else 0."""
    failed = 0
    for line in lines:
        if echo and line.strip() and not line.strip().startswith("#"):
            session.console.print(f"@{session.actor.handle}> {line.strip()}", style="bold", markup=False)
        try:
            outcome = await session.run_line(line)
        except EOFError:
            break
        if outcome is False:
            failed += 1
    return 1 if failed else 0


async def run_interactive(session: Session, *, watch_seconds: float = WATCH_SECONDS) -> int:
    """A prompt with history (readline) until :quit or end of input; notifications that become due while
    it waits are printed within ``watch_seconds``."""
    try:
        import readline

        if HISTORY.exists():
            readline.read_history_file(HISTORY)
        readline.set_history_length(2000)
    except (ImportError, OSError):
        readline = None  # type: ignore[assignment]
    with using_locale(session.locale):
        banner = _("govbot console — type `help`, `:as <handle>` to switch person, `:quit` to leave.")
    session.console.print(banner, style="bold cyan", markup=False)
    loop = asyncio.get_running_loop()
    terminal = session.console.is_terminal
    out = session.console.file

    def clear_prompt() -> None:
        if terminal:
            out.write("\r\x1b[2K")

    def redraw_prompt() -> None:
        if terminal:
            out.write(session.prompt + (readline.get_line_buffer() if readline is not None else ""))
            out.flush()

    stop = asyncio.Event()
    watcher = (
        asyncio.ensure_future(
            session.watch(stop, interval=watch_seconds, before=clear_prompt, after=redraw_prompt)
        )
        if session.deliver
        else None
    )
    try:
        while True:
            try:
                line = await loop.run_in_executor(None, input, session.prompt)
            except (EOFError, KeyboardInterrupt):
                session.console.print()
                break
            try:
                await session.run_line(line)
            except EOFError:
                break
    finally:
        stop.set()
        if watcher is not None:
            await watcher
        if readline is not None:
            with contextlib.suppress(OSError):
                readline.write_history_file(HISTORY)
    return 0


async def main(
    ctx: Context,
    handle: str,
    *,
    script: TextIO | None = None,
    tz: ZoneInfo,
    deliver: bool = True,
    echo: bool | None = None,
    attachments_dir: Path | None = None,
    locale: str = DEFAULT_LOCALE,
) -> int:
    """Run the console as ``handle`` in ``locale``: interactively on a terminal, else as a script."""
    console = Console(highlight=False)
    with using_locale(locale):
        try:
            actor = await roster.actor_for_handle(ctx, handle)
        except GovError as exc:
            console.print(f"{exc.message} {hint(exc, 'console') or ''}", style="bold red", markup=False)
            console.print(
                _("Run `govbot seed` for a sample alliance, or add people with `roster person add`.")
            )
            return 2
    session = Session(
        ctx, actor, console, tz=tz, deliver=deliver, attachments_dir=attachments_dir, locale=locale
    )
    if script is None and sys.stdin.isatty():
        return await run_interactive(session)
    source = script or sys.stdin
    return await run_script(session, source, echo=echo if echo is not None else not sys.stdout.isatty())
