"""The error tree of the core. Every message is written for the person who typed the command.

A ``GovError`` carries what went wrong and, in ``hint``, what to do about it (``details`` lists the
individual problems when there are several, e.g. one per bad line of an imported file); services raise one
before writing anything, or inside the transaction so that it rolls back whole (DESIGN.md invariant 5).

A command to run next is never written into the message: ``suggest`` carries it as data (a
:class:`Suggestion`), and the presentation (``bot/present/errors.py``) writes the sentence that carries
it, with the command in the platform's syntax (``/gov body list`` on Slack, the slash command on Discord,
bare in the console).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Suggestion:
    """A command (or several) to suggest with a refusal, as data.

    ``sentence`` names the sentence that carries it (a key of ``bot.present.errors.SENTENCES``, e.g.
    ``"see"``: "See {command}."); ``commands`` are command lines as words (the grammar's path, then its
    arguments and options; ``<handle>`` stands for what the person fills in); ``params`` fill the
    sentence's other placeholders.
    """

    sentence: str
    commands: tuple[tuple[str, ...], ...]
    params: Mapping[str, object] = field(default_factory=dict)

    def __str__(self) -> str:
        """The commands, bare (for logs and the plain ``str()`` of an error)."""
        return "; ".join(" ".join(words) for words in self.commands)


def suggest(sentence: str, *commands: tuple[str, ...] | str, **params: object) -> Suggestion:
    """A :class:`Suggestion`; a command given as one string is split on spaces (``"body list"``)."""
    return Suggestion(
        sentence, tuple(tuple(c.split()) if isinstance(c, str) else tuple(c) for c in commands), params
    )


class GovError(Exception):
    """A refusal or failure fit to show a person: ``message`` says what, ``hint`` says what to do."""

    kind = "error"

    def __init__(
        self,
        message: str,
        hint: str | None = None,
        *,
        details: Sequence[str] = (),
        suggest: Suggestion | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.details = tuple(details)
        self.suggestion = suggest

    def __str__(self) -> str:
        parts = [self.message, self.hint or "", f"[{self.suggestion}]" if self.suggestion else ""]
        return " ".join(p for p in parts if p)


class NotFound(GovError):
    """A named thing (person, organisation, body, election, motion, candidate) does not exist."""

    kind = "not_found"


class InvalidInput(GovError):
    """The request is malformed: wrong arguments, duplicate ranks, bad dates or numbers."""

    kind = "invalid"


class Conflict(GovError):
    """The request clashes with existing state (already exists, already member, wrong phase)."""

    kind = "conflict"


class Forbidden(GovError):
    """The actor may not do this; ``rule`` names the policy rule that refused, when one did."""

    kind = "forbidden"

    def __init__(
        self,
        message: str,
        hint: str | None = None,
        *,
        rule: str | None = None,
        details: Sequence[str] = (),
        suggest: Suggestion | None = None,
    ) -> None:
        super().__init__(message, hint, details=details, suggest=suggest)
        self.rule = rule


class Closed(GovError):
    """The window for this action has passed (ballot after the deadline, motion already closed)."""

    kind = "closed"
