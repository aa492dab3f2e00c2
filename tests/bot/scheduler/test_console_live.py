"""The interactive console prints what the scheduler queues (a reminder, a result at the deadline) while
it waits at the prompt, before the next command is typed: through ``run_interactive``'s real code path,
with standard input fed through a pipe and the ManualClock moved by the test."""

from __future__ import annotations

import asyncio
import io
import os
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import TextIO
from zoneinfo import ZoneInfo

import pytest
from rich.console import Console

from bot import console
from bot.scheduler import Scheduler
from governance.clock import ManualClock
from governance.services import roster
from governance.services.common import Context
from tests.factories import board_voting


@pytest.fixture
def stdin(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[TextIO]:
    """Standard input is a pipe the test writes lines into; the history file is the test's own."""
    read_end, write_end = os.pipe()
    reader = os.fdopen(read_end, "r", encoding="utf-8")
    writer = os.fdopen(write_end, "w", encoding="utf-8")
    monkeypatch.setattr(sys, "stdin", reader)
    monkeypatch.setattr(console, "HISTORY", tmp_path / "history")
    try:
        yield writer
    finally:
        if not writer.closed:
            writer.close()  # end of input: a prompt still waiting returns
        reader.close()


async def printed(out: io.StringIO, text: str, count: int = 1, timeout: float = 5.0) -> str:
    """Wait until the terminal shows ``text`` (``count`` times); returns everything shown so far."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while out.getvalue().count(text) < count:
        assert loop.time() < deadline, f"never printed {text!r}; the terminal shows:\n{out.getvalue()}"
        await asyncio.sleep(0.02)
    return out.getvalue()


def type_line(stdin: TextIO, line: str) -> None:
    stdin.write(line + "\n")
    stdin.flush()


async def test_a_reminder_appears_at_the_prompt_before_the_next_command(
    ctx: Context, clock: ManualClock, stdin: TextIO
) -> None:
    deadline = await board_voting(ctx, clock)
    out = io.StringIO()
    term = Console(file=out, width=200, color_system=None, highlight=False)
    await console.deliver(ctx, term)  # what seeding and opening the vote queued
    out.truncate(0)
    out.seek(0)
    session = console.Session(
        ctx, await roster.actor_for_handle(ctx, "alice"), term, tz=ZoneInfo("UTC"), deliver=True
    )
    running = asyncio.ensure_future(console.run_interactive(session, watch_seconds=0.05))
    await printed(out, "govbot console")

    clock.set(deadline - timedelta(hours=72))
    scheduler = Scheduler(ctx, worker="w")
    [reminded] = await scheduler.sweep()
    assert reminded.result == "done: 5 reminded"
    shown = await printed(out, "Reminder: voting in Board of Directors 2027 closes", count=5)
    assert "DM to @alice: Reminder: voting in Board of Directors 2027 closes" in shown
    assert "You are" not in shown  # nothing was typed: the reminders came on their own

    type_line(stdin, "whoami")
    shown = await printed(out, "You are Alice Martin")
    clock.set(deadline)
    await scheduler.sweep()  # the deadline: voting closes and the result is posted
    shown = await printed(out, "✉ #board: ")
    assert shown.index("Reminder: voting") < shown.index("You are Alice Martin") < shown.index("✉ #board: ")
    type_line(stdin, ":quit")
    assert await asyncio.wait_for(running, 5) == 0
    assert out.getvalue().count("Reminder: voting in Board of Directors 2027") == 5


async def test_without_delivery_the_prompt_prints_no_notification(
    ctx: Context, clock: ManualClock, stdin: TextIO
) -> None:
    deadline = await board_voting(ctx, clock)
    out = io.StringIO()
    term = Console(file=out, width=200, color_system=None, highlight=False)
    session = console.Session(
        ctx, await roster.actor_for_handle(ctx, "alice"), term, tz=ZoneInfo("UTC"), deliver=False
    )
    running = asyncio.ensure_future(console.run_interactive(session, watch_seconds=0.05))
    clock.set(deadline - timedelta(hours=72))
    await Scheduler(ctx, worker="w").sweep()
    type_line(stdin, "whoami")
    await printed(out, "You are Alice Martin")
    stdin.close()  # end of input leaves the console
    assert await asyncio.wait_for(running, 5) == 0
    assert "✉" not in out.getvalue()


@pytest.mark.parametrize("trouble", ["marked elsewhere", "database away"])
async def test_the_prompt_is_redrawn_after_printing_whatever_marking_does(
    ctx: Context, clock: ManualClock, monkeypatch: pytest.MonkeyPatch, trouble: str
) -> None:
    await board_voting(ctx, clock)
    out = io.StringIO()
    term = Console(file=out, width=200, color_system=None, highlight=False)
    session = console.Session(
        ctx, await roster.actor_for_handle(ctx, "alice"), term, tz=ZoneInfo("UTC"), deliver=True
    )

    async def mark_sent(ctx: Context, message_id: int) -> bool:
        if trouble == "database away":
            raise ConnectionError("the database went away")
        return False  # another deliverer marked it first

    monkeypatch.setattr(console.outbox, "mark_sent", mark_sent)
    drawn: list[str] = []
    stop = asyncio.Event()
    watching = asyncio.ensure_future(
        session.watch(
            stop, interval=0.01, before=lambda: drawn.append("clear"), after=lambda: drawn.append("prompt")
        )
    )
    await printed(out, "✉")
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 5
    while "prompt" not in drawn:
        assert loop.time() < deadline, f"the prompt was never redrawn: {drawn}"
        await asyncio.sleep(0.01)
    stop.set()
    await asyncio.wait_for(watching, 5)
    assert drawn[:2] == ["clear", "prompt"]
