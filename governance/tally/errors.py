"""Errors raised by the counting engine, each with a message fit to show a person."""

from __future__ import annotations


class TallyInputError(ValueError):
    """The ballots or the options given to a count cannot be counted as asked.

    Raised by the file readers (with the file name, the line number and what was expected) and by
    methods that need something the profile lacks, e.g. strict rankings for STV and IRV.
    """

    def __init__(self, message: str, *, path: str | None = None, line: int | None = None) -> None:
        self.path = path
        self.line = line
        where = ""
        if path is not None:
            where = f"{path}, line {line}: " if line is not None else f"{path}: "
        super().__init__(where + message)
