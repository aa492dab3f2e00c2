"""The console: script mode, identities, and notifications delivered from the outbox exactly once."""

from __future__ import annotations

import io
from zoneinfo import ZoneInfo

import pytest
from rich.console import Console
from sqlalchemy import select
from sqlmodel import col

from bot import console
from bot.present.replies import Reply, Table
from governance.models import OutboxMessage
from governance.services import roster
from governance.services.common import Context

UTC = ZoneInfo("UTC")


def _terminal() -> tuple[Console, io.StringIO]:
    out = io.StringIO()
    return Console(file=out, width=200, color_system=None, highlight=False), out


async def _session(
    ctx: Context, handle: str = "sec", *, deliver: bool = True
) -> tuple[console.Session, io.StringIO]:
    term, out = _terminal()
    actor = await roster.actor_for_handle(ctx, handle)
    return console.Session(ctx, actor, term, tz=UTC, deliver=deliver), out


async def test_script_prints_each_reply_and_exits_zero(seeded: Context) -> None:
    session, out = await _session(seeded)
    status = await console.run_script(session, ["whoami\n", "election show board-2027\n"], echo=True)
    text = out.getvalue()
    assert status == 0
    assert "@sec> whoami" in text and "You are Sam Secretariat" in text
    assert "@sec> election show board-2027" in text and "phase nominating" in text


async def test_script_exits_one_if_any_command_failed_and_goes_on(seeded: Context) -> None:
    session, out = await _session(seeded)
    status = await console.run_script(session, ["frobnicate", "whoami"], echo=False)
    text = out.getvalue()
    assert status == 1
    assert "Unknown command 'frobnicate'" in text
    assert "You are Sam Secretariat" in text  # the script went on after the failure


async def test_comments_and_blank_lines_are_skipped(seeded: Context) -> None:
    session, out = await _session(seeded)
    status = await console.run_script(
        session, ["# a comment", "", "   ", "  # indented comment", "whoami"], echo=True
    )
    assert status == 0
    text = out.getvalue()
    assert "comment" not in text
    assert text.count("@sec>") == 1


async def test_as_switches_identity(seeded: Context) -> None:
    session, out = await _session(seeded)
    status = await console.run_script(session, [":as alice", "whoami", ":as @bea", "whoami"], echo=False)
    text = out.getvalue()
    assert status == 0
    assert "You are now Alice Martin (@alice)" in text and "You are Alice Martin" in text
    assert "You are Béatrice Dubois" in text
    assert session.actor.handle == "bea"


async def test_as_an_unknown_handle_fails_and_keeps_identity(seeded: Context) -> None:
    session, out = await _session(seeded)
    status = await console.run_script(session, [":as ghost", "whoami"], echo=False)
    assert status == 1
    assert "No person with handle 'ghost'" in out.getvalue()
    assert session.actor.handle == "sec"


async def test_as_needs_a_handle_and_unknown_console_commands_fail(seeded: Context) -> None:
    session, out = await _session(seeded)
    assert await console.run_script(session, [":as"], echo=False) == 1
    assert "`:as <handle>`" in out.getvalue()
    assert await console.run_script(session, [":asalice"], echo=False) == 1
    assert "Unknown console command ':asalice'" in out.getvalue()
    assert session.actor.handle == "sec"


async def test_long_replies_are_not_broken_across_lines(seeded: Context) -> None:
    out = io.StringIO()
    term = Console(file=out, width=40, color_system=None)
    session = console.Session(
        seeded, await roster.actor_for_handle(seeded, "sec"), term, tz=UTC, deliver=True
    )
    await console.run_script(session, ["election open-voting board-2027 --close +7d"], echo=False)
    assert "Voting in Board of Directors 2027 is open until" in out.getvalue()


async def test_quit_ends_the_script(seeded: Context) -> None:
    session, out = await _session(seeded)
    status = await console.run_script(session, ["whoami", ":quit", "frobnicate"], echo=False)
    assert status == 0
    assert "frobnicate" not in out.getvalue()


async def _unsent(ctx: Context) -> list[OutboxMessage]:
    async with ctx.db.reading() as session:
        return list(
            (
                await session.execute(select(OutboxMessage).where(col(OutboxMessage.sent_at).is_(None)))
            ).scalars()
        )


async def test_outbox_lines_are_printed_once_and_marked_sent(seeded: Context) -> None:
    session, out = await _session(seeded)
    assert await _unsent(seeded)  # the seed queued the nominations notice
    status = await console.run_script(
        session,
        ["election open-voting board-2027 --close +7d", "whoami", "election show board-2027"],
        echo=False,
    )
    text = out.getvalue()
    assert status == 0
    assert text.count("✉ #board: Voting is open in Board of Directors 2027") == 1
    assert text.count("✉ #board: Nominations are open") == 1
    assert await _unsent(seeded) == []
    # Another console on the same database has nothing left to deliver.
    term, again = _terminal()
    assert await console.deliver(seeded, term) == 0
    assert again.getvalue() == ""


async def test_direct_messages_name_their_recipient(seeded: Context) -> None:
    session, out = await _session(seeded, "alice")
    assert await console.run_script(session, ["election nominate board-2027 bea"], echo=False) == 0
    assert "✉ DM to @bea: Alice Martin nominated you" in out.getvalue()


async def test_without_delivery_the_outbox_is_left_alone(seeded: Context) -> None:
    session, out = await _session(seeded, deliver=False)
    before = len(await _unsent(seeded))
    assert await console.run_script(session, ["election open-voting board-2027 --close +7d"], echo=False) == 0
    assert "✉" not in out.getvalue()
    assert len(await _unsent(seeded)) == before + 1


async def test_main_runs_a_script_as_the_given_person(
    seeded: Context, capsys: pytest.CaptureFixture[str]
) -> None:
    script = io.StringIO("whoami\nfrobnicate\n")
    status = await console.main(seeded, "alice", script=script, tz=UTC, echo=True)
    captured = capsys.readouterr().out
    assert status == 1
    assert "@alice> whoami" in captured and "You are Alice Martin" in captured
    assert "Unknown command" in captured


async def test_main_refuses_an_unknown_person(seeded: Context, capsys: pytest.CaptureFixture[str]) -> None:
    status = await console.main(seeded, "ghost", script=io.StringIO("whoami\n"), tz=UTC)
    assert status == 2
    assert "No person with handle 'ghost'" in capsys.readouterr().out


def test_render_shows_text_hint_tables_and_block() -> None:
    term, out = _terminal()
    reply = Reply(
        text="Done.", hint="Next: vote.", tables=[Table(["a", "b"], [["1", "two"]], "T")], block="R1"
    )
    console.render(term, reply)
    text = out.getvalue()
    for part in ("Done.", "Next: vote.", "two", "R1", "T"):
        assert part in text


def test_render_does_not_interpret_markup() -> None:
    term, out = _terminal()
    console.render(term, Reply(text="[bold]not markup[/bold]", block="[red]x[/red]"))
    assert "[bold]not markup[/bold]" in out.getvalue() and "[red]x[/red]" in out.getvalue()
