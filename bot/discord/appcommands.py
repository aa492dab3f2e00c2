"""App command groups generated from the shared grammar (``bot.commands.REGISTRY``).

Each grammar command becomes a slash command: its first word is the top-level command (``/election``,
``/motion``, ``/wg``, ``/roster``, ``/body``, ``/audit``; ``help`` and ``whoami`` live under ``/gov``),
the middle words a subcommand group (``/roster org add``), positional arguments and ``--options``
become options. Running one builds the typed :class:`~bot.grammar.Command` from the option values
(:func:`command_of`: no command line is written or split again, so a value is never read as an option)
and hands it to :func:`bot.commands.dispatch`, so Discord and the console behave identically.

Command and option names stay English (they are the grammar's words, the same in every language);
descriptions and choice names are translated for each Discord language govbot has a catalog for by
:class:`GovTranslator`, which discord.py runs when the command tree is synced (Discord then shows each
person the descriptions in their client's language).
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import discord
from discord import app_commands

from bot.commands import REGISTRY, Command, Spec
from bot.discord.render import clip
from governance.i18n import DEFAULT_LOCALE, N_, SUPPORTED_LOCALES, translate

# roster role/roles take the interaction's guild and a Discord role instead of ids, so the client adds
# its own commands for them (console-only commands, ``Spec.console_only``, are left out too)
REPLACED = frozenset({"roster role", "roster roles"})
TOP_ALIASES = {"help": "gov", "whoami": "gov"}
GROUP_DESCRIPTIONS = {
    "gov": N_("govbot: help and who you are"),
    "roster": N_("Member organisations, people and voting representatives"),
    "body": N_("The board, committees and working groups"),
    "wg": N_("Working groups: join, approve, members"),
    "election": N_("Elections: nominate, vote, close, certify"),
    "motion": N_("Motions: propose, vote, close"),
    "audit": N_("Check the hash-chained audit log"),
    "org": N_("Member organisations"),
    "person": N_("People on the roster"),
}
DESCRIPTION_LIMIT = 100  # Discord's limit for descriptions and choice names, in every language
TRANSLATED = frozenset(
    {
        app_commands.TranslationContextLocation.command_description,
        app_commands.TranslationContextLocation.group_description,
        app_commands.TranslationContextLocation.parameter_description,
        app_commands.TranslationContextLocation.choice_name,
    }
)


@dataclass(frozen=True)
class Param:
    """One slash-command option and the grammar element it fills."""

    name: str  # the option's name on Discord (a Python identifier)
    grammar: str  # the grammar's argument or option name
    kind: str  # positional | variadic | value | flag | multi
    required: bool


def offers_ballot(spec: Spec, grammar: str) -> bool:
    """Whether leaving this argument out shows the ballot's components instead (``/vote`` with no
    choices, ``/motion vote`` with no choice): the command opens a ballot and this is its choice."""
    return bool(spec.opens_ballot) and grammar == "choice"


def params_of(spec: Spec) -> list[Param]:
    """The options of a grammar command, positional arguments first."""
    params: list[Param] = []
    for arg in spec.args:
        variadic = arg.rstrip("]>").endswith("...")
        name = arg.replace("...", "").strip("<>[]")
        required = arg.startswith("<") and not offers_ballot(spec, name)
        py = (name + "s" if variadic and not name.endswith("s") and name != "command" else name).replace(
            "-", "_"
        )
        params.append(Param(py, name, "variadic" if variadic else "positional", required))
    for name, kind in spec.options.items():
        params.append(Param(name.replace("-", "_"), name, kind, False))
    return params


def command_of(spec: Spec, params: list[Param], values: dict[str, Any]) -> Command:
    """The typed command for these option values, without writing or splitting a command line.

    A positional or ``--option`` value is kept whole, whatever it holds (``--seats 9`` typed as a title
    stays that title; quotes stay quotes); a variadic argument (``choices``) is its words, split at
    white space; a repeatable option (``chair``) its items, split at commas or white space.
    """
    args: list[str] = []
    options: dict[str, str | bool | list[str]] = {}
    for p in params:
        value = values.get(p.name)
        if value is None or value == "" or value is False:
            continue
        if p.kind == "flag":
            options[p.grammar] = True
        elif p.kind == "variadic":
            args += str(value).split()
        elif p.kind == "multi":
            options[p.grammar] = [w for w in str(value).replace(",", " ").split() if w]
        elif p.kind == "positional":
            args.append(str(value).strip())
        else:
            options[p.grammar] = str(value).strip()
    return Command(spec.path, tuple(args), options)


Runner = Callable[[discord.Interaction, Spec, list[Param], dict[str, Any]], Awaitable[None]]
Completer = Callable[[discord.Interaction, str], Awaitable[list[app_commands.Choice[str]]]]


def _callback(spec: Spec, params: list[Param], run: Runner) -> Callable[..., Awaitable[None]]:
    async def callback(interaction: discord.Interaction, **values: Any) -> None:
        await run(interaction, spec, params, values)

    signature = [
        inspect.Parameter(
            "interaction", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=discord.Interaction
        )
    ]
    for p in params:
        annotation = bool if p.kind == "flag" else str
        default = inspect.Parameter.empty if p.required else None
        signature.append(
            inspect.Parameter(p.name, inspect.Parameter.KEYWORD_ONLY, annotation=annotation, default=default)
        )
    callback.__signature__ = inspect.Signature(signature)  # type: ignore[attr-defined]
    callback.__name__ = "_".join(spec.path).replace("-", "_")
    callback.__qualname__ = callback.__name__
    return callback


def described(msgid: str, /, **params: object) -> app_commands.locale_str:
    """A description for Discord: the English (cut to Discord's limit) that the command tree shows by
    default, carrying its message id and parameters so :class:`GovTranslator` can translate it whole."""
    english = translate(msgid, DEFAULT_LOCALE, **params)
    return app_commands.locale_str(clip(english, DESCRIPTION_LIMIT), msgid=msgid, params=params)


def localised(string: app_commands.locale_str, locale: str) -> str | None:
    """``string`` in ``locale`` (cut to Discord's limit), or None where the catalog has nothing different
    from the English (Discord then shows the English)."""
    msgid = str(string.extras.get("msgid") or string.message)
    params = string.extras.get("params") or {}
    translated = translate(msgid, locale, **params)
    if translated == translate(msgid, DEFAULT_LOCALE, **params):
        return None
    return clip(translated, DESCRIPTION_LIMIT)


class GovTranslator(app_commands.Translator):
    """Descriptions and choice names in each Discord language govbot has a catalog for (French: Discord's
    ``fr``); command, group and option names are left as they are, the grammar's English words."""

    async def translate(
        self,
        string: app_commands.locale_str,
        locale: discord.Locale,
        context: app_commands.TranslationContextTypes,
    ) -> str | None:
        """The translation discord.py puts in ``*_localizations`` for ``locale``, or None for none."""
        if context.location not in TRANSLATED:
            return None
        language = locale.value.split("-")[0].lower()
        if language == DEFAULT_LOCALE or language not in SUPPORTED_LOCALES:
            return None
        return localised(string, language)


def _describe(spec: Spec, p: Param) -> app_commands.locale_str:
    if p.kind == "flag":
        return app_commands.locale_str(clip(f"--{p.grammar}", DESCRIPTION_LIMIT))
    if p.kind == "variadic":
        return (
            described(N_("Words separated by spaces"))
            if p.grammar == "command"
            else described(N_("Candidates, most preferred first (leave empty for a ballot with menus)"))
        )
    if offers_ballot(spec, p.grammar):
        return described(N_("yes, no or abstain (leave empty for buttons)"))
    if p.kind == "multi":
        return described(N_("One or more {option} (comma-separated)"), option=p.grammar)
    return described(N_("{option} — see /gov help {command}"), option=p.grammar, command=" ".join(spec.path))


def build_groups(
    run: Runner, completers: dict[str, Completer]
) -> list[app_commands.Group | app_commands.Command]:
    """Every grammar command as an app command, grouped like the grammar; ``completers`` by option name."""
    tops: dict[str, app_commands.Group] = {}
    singles: list[app_commands.Command] = []
    for spec in REGISTRY:
        path = spec.name
        if path in REPLACED or spec.console_only:
            continue
        params = params_of(spec)
        callback = _callback(spec, params, run)
        descriptions = {p.name: _describe(spec, p) for p in params}
        if descriptions:
            callback = app_commands.describe(**descriptions)(callback)
        auto = {
            p.name: completers.get(f"{path}:{p.grammar}") or completers[p.grammar]
            for p in params
            if p.kind != "flag" and (f"{path}:{p.grammar}" in completers or p.grammar in completers)
        }
        if auto:
            callback = app_commands.autocomplete(**auto)(callback)
        words = list(spec.path)
        if len(words) == 1 and words[0] not in TOP_ALIASES:
            singles.append(
                app_commands.Command(name=words[0], description=described(spec.summary), callback=callback)
            )
            continue
        if len(words) == 1:
            words = [TOP_ALIASES[words[0]], words[0]]
        top = tops.get(words[0])
        if top is None:
            top = tops[words[0]] = app_commands.Group(name=words[0], description=_group_text(words[0]))
        parent = top
        for middle in words[1:-1]:
            child = next((c for c in parent.commands if c.name == middle), None)
            if child is None:
                child = app_commands.Group(name=middle, description=_group_text(middle), parent=parent)
            assert isinstance(child, app_commands.Group)
            parent = child
        parent.add_command(
            app_commands.Command(name=words[-1], description=described(spec.summary), callback=callback)
        )
    return [*tops.values(), *singles]


def _group_text(word: str) -> app_commands.locale_str:
    return (
        described(GROUP_DESCRIPTIONS[word]) if word in GROUP_DESCRIPTIONS else app_commands.locale_str(word)
    )
