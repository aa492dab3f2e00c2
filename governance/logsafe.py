"""Secrets stay out of logs, at every log level.

The libraries under govbot log what passes through them when their loggers are at DEBUG: the SQLite
driver every statement with its parameters (a ballot's ranking, its receipt, its tag, next to the
insert naming its voter), SQLAlchemy each row it fetches, the chat libraries each request and response
body (a ``/gov vote`` command's text and the receipt sent back to the voter). :func:`protect` puts a
filter on those loggers that keeps their DEBUG records but replaces what they carry with ``[hidden]``:
an operator still sees what happened and when, never with what content. SQLAlchemy's own statement
parameters are hidden by the engine (``hide_parameters``, see :mod:`governance.db`), at every level.
"""

from __future__ import annotations

import logging

HIDDEN = "[hidden]"
# Loggers of the database layer; the chat adapters add their own libraries' prefixes.
DATABASE_LOGGERS = ("aiosqlite", "asyncpg", "sqlalchemy.engine", "sqlalchemy.pool", "sqlalchemy.orm")


class HidePayloads(logging.Filter):
    """Keeps a library's DEBUG record but not its payload: arguments become ``[hidden]``, and a message
    the library formatted itself is cut after its first colon."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite a DEBUG (or lower) record in place; records at INFO and above pass unchanged."""
        if record.levelno >= logging.INFO:
            return True
        if record.args:
            if isinstance(record.args, dict):
                record.args = {key: HIDDEN for key in record.args}
            else:
                record.args = tuple(HIDDEN for _ in record.args)
        else:
            text = str(record.msg)
            head, colon, _rest = text.partition(":")
            if colon:
                record.msg = f"{head}: {HIDDEN}"
            elif len(text) > 40:
                record.msg = f"{text[:40]} {HIDDEN}"
        return True


_FILTER = HidePayloads()


def protect(prefixes: tuple[str, ...] = DATABASE_LOGGERS, *names: str) -> None:
    """Put the payload filter on every existing logger under ``prefixes`` and on ``names``.

    A logger's filters apply only to records logged on that very logger (not its children), so each
    one is filtered by name; call this after the libraries are imported (and again when a component
    creates its logger). Idempotent.
    """
    loggers = [logging.getLogger(name) for name in names]
    for name, logger in list(logging.root.manager.loggerDict.items()):
        if isinstance(logger, logging.Logger) and any(
            name == p or name.startswith(p + ".") for p in prefixes
        ):
            loggers.append(logger)
    for prefix in prefixes:
        loggers.append(logging.getLogger(prefix))
    for logger in loggers:
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)


_SECRET_COMMANDS = (("vote",), ("motion", "vote"), ("receipt",))


def command_for_log(text: str) -> str:
    """A command line fit for a log: a ballot (``vote``, ``motion vote``) or a receipt check keeps its
    command and poll, and its choices or code become ``[hidden]``; any other command is kept whole."""
    words = text.split()
    lowered = [w.lower().lstrip("/") for w in words]
    for prefix in _SECRET_COMMANDS:
        if tuple(lowered[: len(prefix)]) == prefix and len(words) > len(prefix) + 1:
            return " ".join([*words[: len(prefix) + 1], HIDDEN])
    return text
