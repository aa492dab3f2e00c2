"""Dispatch: a typed command (or a line read into one) -> spec -> handler -> ``Reply``; never raises."""

from __future__ import annotations

import logging
import uuid
from zoneinfo import ZoneInfo

from bot.grammar import Command, Invocation, parse, resolve
from bot.present import errors as present_errors
from bot.present.replies import Reply, error
from governance import logsafe
from governance import text as text_rules
from governance.db import count_writes
from governance.errors import GovError
from governance.i18n import _, current_locale, using_locale
from governance.services.common import Actor, Context

log = logging.getLogger("bot.commands")  # the name operators filter on


async def dispatch(
    ctx: Context,
    actor: Actor,
    command: Command | str,
    *,
    tz: ZoneInfo | None = None,
    platform: str = "console",
    locale: str | None = None,
) -> Reply:
    """Run one command for ``actor`` and answer it, in ``locale``; never raises.

    ``command`` is a typed :class:`~bot.grammar.Command` (Discord's app commands, buttons and forms
    build one) or a line a person typed (the console, Slack's ``/gov``), read by ``bot.grammar.parse``;
    both take the same road to the same handler. ``platform`` says where it came from (``console``,
    ``slack``, ``discord``): a few commands, such as ``roster import`` that reads a file on the server,
    only run from the console. ``locale`` is the reader's language as the platform negotiated it (see
    ``governance.i18n.negotiate``); every message the command builds, refusals included, is in it.
    """
    with using_locale(locale or current_locale()):
        return await _dispatch(ctx, actor, command, tz, platform)


async def _dispatch(
    ctx: Context, actor: Actor, command: Command | str, tz: ZoneInfo | None, platform: str
) -> Reply:
    written = count_writes()  # a failure after a commit must not claim that nothing changed
    try:
        typed = parse(command) if isinstance(command, str) else command
        spec = resolve(typed)
        invocation = Invocation(
            ctx, actor, spec, list(typed.args), dict(typed.options), tz or ZoneInfo("UTC"), platform
        )
        return await spec.handler(invocation)
    except GovError as exc:
        return error(*text_rules.capped(exc.message, present_errors.hint(exc, platform), exc.details))
    except Exception:
        ref = uuid.uuid4().hex[:8]
        line = command if isinstance(command, str) else command.line()
        log.exception("command failed (ref %s): %r", ref, logsafe.command_for_log(line))
        if written[0]:
            return error(
                _(
                    "Your command was carried out, but govbot failed while writing its answer (reference "
                    "{ref}): the change is saved.",
                    ref=ref,
                ),
                _("Check with the matching `show` or `list` command before running it again."),
            )
        return error(
            _("Something went wrong on our side (reference {ref}); nothing was changed.", ref=ref),
            _("Try again; if it persists, give the reference to the secretariat."),
        )
