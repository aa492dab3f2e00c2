"""Slack's ``/gov`` reads how to treat a command from its spec: ``opens_ballot`` (a ballot command given
only its poll opens the form) and ``changes_identity`` (cached identities are dropped after it)."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from bot import grammar
from bot.commands import REGISTRY
from bot.slack import commands


def flagged(monkeypatch: pytest.MonkeyPatch, path: str, **flags: Any) -> None:
    """The registry with ``path``'s spec carrying ``flags`` instead (for this test only)."""
    changed = [dataclasses.replace(s, **flags) if s.name == path else s for s in REGISTRY]
    monkeypatch.setattr(grammar, "REGISTRY", changed)


def test_opens_ballot_makes_a_ballot_command_without_its_choice_open_the_form(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert commands.ballot_target("vote board-2027") == ("election", "board-2027")
    assert commands.ballot_target("/gov motion vote 3") == ("motion", "3")
    assert commands.ballot_target("vote board-2027 chen dana") is None  # a choice: the vote is cast
    assert commands.ballot_target("election show board-2027") is None
    flagged(monkeypatch, "vote", opens_ballot="")
    assert commands.ballot_target("vote board-2027") is None
    flagged(monkeypatch, "election show", opens_ballot="election")
    assert commands.ballot_target("election show board-2027") == ("election", "board-2027")


class Delivery:
    def __init__(self) -> None:
        self.kicks = 0

    def kick(self) -> None:
        self.kicks += 1


class Runtime:
    """The part of the Slack runtime ``after_command`` touches."""

    def __init__(self) -> None:
        self.forgotten = 0
        self.delivery = Delivery()

    def forget(self) -> None:
        self.forgotten += 1


def test_changes_identity_drops_the_cached_identities(monkeypatch: pytest.MonkeyPatch) -> None:
    rt = Runtime()
    commands.after_command(rt, "roster link alice slack T1 U1")  # type: ignore[arg-type]
    commands.after_command(rt, "wg list")  # type: ignore[arg-type]
    assert rt.forgotten == 1 and rt.delivery.kicks == 2
    flagged(monkeypatch, "wg list", changes_identity=True)
    commands.after_command(rt, "wg list")  # type: ignore[arg-type]
    flagged(monkeypatch, "roster link", changes_identity=False)
    commands.after_command(rt, "roster link alice slack T1 U1")  # type: ignore[arg-type]
    assert rt.forgotten == 2 and rt.delivery.kicks == 4
