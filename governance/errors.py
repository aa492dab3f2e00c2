"""The error tree of the core. Every message is written for the person who typed the command.

A ``GovError`` carries what went wrong and, in ``hint``, what to do about it (``details`` lists the
individual problems when there are several, e.g. one per bad line of an imported file); services raise one
before writing anything, or inside the transaction so that it rolls back whole (DESIGN.md invariant 5).
"""

from __future__ import annotations

from collections.abc import Sequence


class GovError(Exception):
    """A refusal or failure fit to show a person: ``message`` says what, ``hint`` says what to do."""

    kind = "error"

    def __init__(self, message: str, hint: str | None = None, *, details: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.details = tuple(details)

    def __str__(self) -> str:
        return f"{self.message} {self.hint}" if self.hint else self.message


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
        self, message: str, hint: str | None = None, *, rule: str | None = None, details: Sequence[str] = ()
    ) -> None:
        super().__init__(message, hint, details=details)
        self.rule = rule


class Closed(GovError):
    """The window for this action has passed (ballot after the deadline, motion already closed)."""

    kind = "closed"
