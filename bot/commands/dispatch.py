"""Dispatch: a command line -> its spec -> its handler -> a ``Reply``; never raises."""

from __future__ import annotations

import logging
import uuid
from zoneinfo import ZoneInfo

from bot.commands.general import help_reply
from bot.grammar import REGISTRY, Invocation, find, parse_arguments, tokenize
from bot.replies import Reply, error
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
    text: str,
    *,
    tz: ZoneInfo | None = None,
    platform: str = "console",
    locale: str | None = None,
) -> Reply:
    """Run one command line for ``actor`` and answer it, in ``locale``; never raises.

    ``platform`` says where the line came from (``console``, ``slack``, ``discord``): a few commands,
    such as ``roster import`` that reads a file on the server, only run from the console. ``locale`` is
    the reader's language as the platform negotiated it (see ``governance.i18n.negotiate``); every
    message the command builds, refusals included, is in that language.
    """
    with using_locale(locale or current_locale()):
        return await _dispatch(ctx, actor, text, tz, platform)


async def _dispatch(ctx: Context, actor: Actor, text: str, tz: ZoneInfo | None, platform: str) -> Reply:
    written = count_writes()  # a failure after a commit must not claim that nothing changed
    try:
        words = tokenize(text)
        if not words:
            return await help_reply([])
        spec, rest = find(words)
        if spec is None:
            return _unknown(words)
        positional, options = parse_arguments(spec, rest)
        invocation = Invocation(ctx, actor, spec, positional, options, tz or ZoneInfo("UTC"), platform)
        return await spec.handler(invocation)
    except GovError as exc:
        return error(*text_rules.capped(exc.message, exc.hint, exc.details))
    except Exception:
        ref = uuid.uuid4().hex[:8]
        log.exception("command failed (ref %s): %r", ref, logsafe.command_for_log(text))
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


def _unknown(words: list[str]) -> Reply:
    first = words[0].lower()
    groups = sorted({s.path[0] for s in REGISTRY})
    close = [" ".join(s.path) for s in REGISTRY if s.path[0] == first]
    if close:
        return error(
            _("`{join_words_2}` is not a command.", join_words_2=text_rules.echo(" ".join(words[:2]))),
            _("Try: {commands}", commands=", ".join(f"`{c}`" for c in close)),
        )
    return error(
        _("Unknown command {first!r}.", first=text_rules.echo(first)),
        _("Commands start with: {join_groups}. Try `help`.", join_groups=", ".join(groups)),
    )
