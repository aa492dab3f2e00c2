"""Issue 21 item 10 in the grammar every adapter shares (console, Slack, Discord): a command that fails
after its service committed says the change is saved, never "nothing was changed"; one that fails before
any write still says nothing changed. On SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest

from governance import labels
from governance.services import elections
from governance.services.common import Context
from tests.factories import snapshot
from tests.fakes.console import say


def broken(*args: Any, **kwargs: Any) -> Any:
    """A reply builder that fails, as a bug would."""
    raise RuntimeError("the reply could not be built")


async def test_a_failure_after_the_commit_says_the_change_is_saved(
    alliance: Context,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The election is created, then building the answer fails: the admin used to read 'nothing was
    changed' and would create it again."""
    monkeypatch.setattr(labels, "method_name", broken)
    reply = await say(alliance, "sec", 'election create toc-2027 --body toc --title "TOC 2027"')
    assert not reply.ok
    assert "carried out" in reply.text and "the change is saved" in reply.text
    assert "nothing was changed" not in reply.to_text()
    assert (await elections.show(alliance, "toc-2027")).election.title == "TOC 2027"


async def test_a_failure_before_any_write_still_says_nothing_changed(
    alliance: Context,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A read that fails wrote nothing, and the answer says so."""
    monkeypatch.setattr(elections, "show", broken)
    before = await snapshot(alliance)
    reply = await say(alliance, "alice", "election show board-2027")
    assert not reply.ok and "nothing was changed" in reply.text
    assert await snapshot(alliance) == before
