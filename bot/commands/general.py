"""General commands: help and whoami."""

from __future__ import annotations

from bot.grammar import REGISTRY as REGISTRY
from bot.grammar import Invocation, command
from bot.grammar import Spec as Spec
from bot.grammar import parse_when as parse_when
from bot.present.replies import Reply, Table, error
from governance import labels
from governance.i18n import _
from governance.services import roster


async def help_reply(words: list[str]) -> Reply:
    """The list of commands, or the usage and examples of those starting with ``words``."""
    if words:
        matching = [s for s in REGISTRY if list(s.path[: len(words)]) == [w.lower() for w in words]]
        if not matching:
            return error(
                _("No help for {join_words!r}: no such command.", join_words=" ".join(words)),
                _("Try `help`."),
            )
        lines = []
        for s in matching:
            lines.append(f"{s.usage}\n    {_(s.summary)}")
            lines += ["    " + _("e.g. {example}", example=e) for e in s.examples]
        return Reply(
            text=_("Help for {join_words}:", join_words=" ".join(words)),
            block="\n".join(lines),
            ephemeral=True,
        )
    rows = [[" ".join(s.path), _(s.summary)] for s in REGISTRY]
    return Reply(
        text=_("Commands (`help <command>` for details and examples):"),
        tables=[Table([_("command"), _("what it does")], rows)],
        ephemeral=True,
    )


@command("help", "[command...]", "List the commands, or explain one.", examples=("help election create",))
async def help_cmd(inv: Invocation) -> Reply:
    """help [command...]"""
    return await help_reply(inv.positional)


@command("whoami", "", "Show who govbot thinks you are.")
async def whoami(inv: Invocation) -> Reply:
    """whoami"""
    person = await roster.get_person(inv.ctx, inv.actor.handle)
    if person.is_admin:
        text = _(
            "You are {person_name} (@{person_handle}), admin (secretariat), {status}.",
            person_name=person.name,
            person_handle=person.handle,
            status=labels.label(labels.MEMBER_STATES, person.status),
        )
    else:
        text = _(
            "You are {person_name} (@{person_handle}), member, {status}.",
            person_name=person.name,
            person_handle=person.handle,
            status=labels.label(labels.MEMBER_STATES, person.status),
        )
    return Reply(text=text, ephemeral=True)
