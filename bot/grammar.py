"""The command grammar every platform shares: a command's spec, its registry, and the typed command.

A command is a path of words (``election create``) followed by positional arguments and ``--options``.
Handler modules declare their commands with :func:`command`, which records a :class:`Spec` in
:data:`REGISTRY`; the spec also carries how adapters treat the command (``public``, ``slow``,
``opens_ballot``, ``admin_only``...), so no adapter keeps its own list of command names.

Every adapter hands dispatch a :class:`Command`. The console and Slack's ``/gov`` read a typed line into
one with :func:`parse` (quotes group words: ``"Acme Corp"``); Discord's app commands, and the buttons and
forms of both platforms, build one directly from typed values, so a value is never read as an option.
:func:`resolve` checks a command against its spec, and an :class:`Invocation` hands it to the handler.
``bot.commands`` imports every handler module and dispatches; no handler module imports it, so the
registration needs no import circle.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.present.replies import Reply
from governance import text as text_rules
from governance.errors import InvalidInput
from governance.i18n import _, format_datetime
from governance.services.common import Actor, Context

Handler = Callable[["Invocation"], Awaitable[Reply]]
OptionValue = str | bool | list[str]
BALLOT_KINDS = ("election", "motion")


@dataclass(frozen=True)
class Spec:
    """A command's grammar: its words, positional arguments, options, help and examples."""

    path: tuple[str, ...]
    args: tuple[str, ...]
    summary: str
    handler: Handler
    options: dict[str, str] = field(default_factory=dict)  # name -> "value" | "flag" | "multi"
    examples: tuple[str, ...] = ()
    public: bool = False  # its answer may be shown to the channel (Discord), not only to who asked
    slow: bool = False  # may take longer than a platform's 3 s to answer: acknowledge first
    opens_ballot: str = ""  # "election" | "motion": casts a ballot; without its choice, opens the form
    admin_only: bool = False  # for the secretariat (the services enforce it; adapters refuse early)
    chair_only: bool = False  # for a body's chairs (likewise)
    console_only: bool = False  # reads the server's files: not offered on chat platforms
    changes_identity: bool = False  # may link, unlink or change a person: adapters drop cached identities

    @property
    def name(self) -> str:
        """The command's words, e.g. ``election create``."""
        return " ".join(self.path)

    @property
    def usage(self) -> str:
        """The one-line usage, e.g. ``election create <slug> --body <body> [--seats N]``."""
        opts = " ".join(f"[--{n}]" if k == "flag" else f"[--{n} <{n}>]" for n, k in self.options.items())
        return " ".join([*self.path, *self.args, opts]).strip()


@dataclass(frozen=True)
class Command:
    """A typed command: its path, positional arguments and options, as values, never as a line to split.

    ``options`` maps an option's name to its value: a string (``--seats 3``), True (a flag) or a list of
    strings (a repeatable option). :func:`parse` builds one from a typed line; adapters build one from
    typed values (``Command(("vote",), ("board-2027", "alice", "bob"))``).
    """

    path: tuple[str, ...]
    args: tuple[str, ...] = ()
    options: dict[str, OptionValue] = field(default_factory=dict)

    def line(self) -> str:
        """The command as a person would type it (quoted where needed): for logs and notices only; it is
        never read back."""
        words = [*self.path, *self.args]
        for name, value in self.options.items():
            if value is True:
                words.append(f"--{name}")
            elif isinstance(value, list):
                for item in value:
                    words += [f"--{name}", item]
            elif isinstance(value, str):
                words += [f"--{name}", value]
        return " ".join(shlex.quote(w) if w != "" else "''" for w in words)


@dataclass
class Invocation:
    """One parsed command: who runs it, in which context, with which arguments."""

    ctx: Context
    actor: Actor
    spec: Spec
    positional: list[str]
    options: dict[str, OptionValue]
    tz: ZoneInfo
    platform: str = "console"  # where the command came from: console, slack or discord

    def arg(self, name: str) -> str:
        """A positional argument by its name in the spec (``<slug>``; ``[x]`` ones may be absent)."""
        names = [a.strip("<>[].") for a in self.spec.args]
        index = names.index(name)
        if index < len(self.positional):
            return self.positional[index]
        return ""

    def rest(self, name: str) -> list[str]:
        """A variadic positional argument (``<choice>...``): every word from its position on."""
        names = [a.strip("<>[].") for a in self.spec.args]
        return self.positional[names.index(name) :]

    def opt(self, name: str) -> str | None:
        """An option's value, or None when not given."""
        value = self.options.get(name)
        return value if isinstance(value, str) else None

    def flag(self, name: str) -> bool:
        """Whether a flag option was given."""
        return bool(self.options.get(name))

    def many(self, name: str) -> list[str]:
        """A repeatable option's values."""
        value = self.options.get(name)
        return value if isinstance(value, list) else []

    def when(self, name: str) -> datetime | None:
        """A time option parsed in the reader's zone and stored in UTC."""
        value = self.opt(name)
        return parse_when(value, self.tz, self.ctx.now()) if value else None

    def show_time(self, when: datetime | None) -> str:
        """A stored UTC time shown in the reader's zone, written the way the reader's locale writes it."""
        if when is None:
            return "-"
        return format_datetime(when, self.tz)


RELATIVE_RE = re.compile(r"\+([0-9]{1,7})([dhm])", re.ASCII)
RELATIVE_UNITS = {"d": "days", "h": "hours", "m": "minutes"}


def parse_when(text: str, tz: ZoneInfo, now: datetime) -> datetime:
    """A time as people type it, returned in UTC.

    ``2026-12-01`` (its last minute), ``2026-12-01 17:00`` or ``2026-12-01T17:00`` in the zone ``tz``,
    or relative to ``now``: ``+7d``, ``+36h``, ``+90m``.
    """
    value = text.strip()
    relative = RELATIVE_RE.fullmatch(value)
    if relative:
        amount, unit = int(relative.group(1)), relative.group(2)
        try:
            return now + timedelta(**{RELATIVE_UNITS[unit]: amount})
        except OverflowError:
            raise InvalidInput(
                _("{text!r} is too far in the future.", text=text_rules.echo(text)),
                _("Give a time within a few years."),
            ) from None
    for fmt in ("%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d"):
        try:
            parsed = datetime.strptime(value, fmt)
        except ValueError:
            continue
        if fmt == "%Y-%m-%d":
            parsed = parsed.replace(hour=23, minute=59)
        try:
            return parsed.replace(tzinfo=tz).astimezone(now.tzinfo)
        except OverflowError:
            raise InvalidInput(
                _("{text!r} is out of range.", text=text_rules.echo(text)),
                _("Give a time within a few years."),
            ) from None
    raise InvalidInput(
        _("{text!r} is not a time I understand.", text=text_rules.echo(text)),
        _("Write 2026-12-01, 2026-12-01T17:00 (your time zone) or +7d, +36h, +90m."),
    )


REGISTRY: list[Spec] = []


def command(
    path: str,
    args: str = "",
    summary: str = "",
    *,
    options: dict[str, str] | None = None,
    examples: tuple[str, ...] = (),
    public: bool = False,
    slow: bool = False,
    opens_ballot: str = "",
    admin_only: bool = False,
    chair_only: bool = False,
    console_only: bool = False,
    changes_identity: bool = False,
) -> Callable[[Handler], Handler]:
    """Register a handler for a command path, with how adapters treat it (see :class:`Spec`)."""
    if opens_ballot and opens_ballot not in BALLOT_KINDS:
        raise ValueError(f"opens_ballot is one of {BALLOT_KINDS}, not {opens_ballot!r}")

    def register(handler: Handler) -> Handler:
        REGISTRY.append(
            Spec(
                tuple(path.split()),
                tuple(args.split()),
                summary,
                handler,
                options or {},
                examples,
                public=public,
                slow=slow,
                opens_ballot=opens_ballot,
                admin_only=admin_only,
                chair_only=chair_only,
                console_only=console_only,
                changes_identity=changes_identity,
            )
        )
        return handler

    return register


def find(words: list[str]) -> tuple[Spec | None, list[str]]:
    """The command whose path is the longest prefix of ``words``, and the words after it."""
    best: Spec | None = None
    for spec in REGISTRY:
        n = len(spec.path)
        if [w.lower() for w in words[:n]] == list(spec.path) and (best is None or n > len(best.path)):
            best = spec
    return best, (words[len(best.path) :] if best else words)


def _is_option(spec: Spec, word: str) -> bool:
    return word.startswith("--") and word[2:].partition("=")[0] in spec.options


def parse_arguments(spec: Spec, words: list[str]) -> tuple[list[str], dict[str, OptionValue]]:
    """Read the words after a command's path into its positional arguments and options."""
    positional: list[str] = []
    options: dict[str, OptionValue] = {}
    i = 0
    while i < len(words):
        word = words[i]
        if word.startswith("--") and len(word) > 2:
            name, has_inline, inline = word[2:].partition("=")
            kind = spec.options.get(name)
            if kind is None:
                known = ", ".join(f"--{o}" for o in spec.options) or "none"
                raise InvalidInput(
                    _(
                        "`{join_spec_path}` has no option --{name}.",
                        join_spec_path=" ".join(spec.path),
                        name=text_rules.echo(name),
                    ),
                    _("Options: {known}. Usage: {spec_usage}", known=known, spec_usage=spec.usage),
                )
            if kind == "flag":
                if has_inline:
                    raise InvalidInput(
                        _("--{name} takes no value: give it alone.", name=text_rules.echo(name)),
                        _("Usage: {spec_usage}", spec_usage=spec.usage),
                    )
                options[name] = True
            else:
                if not has_inline:
                    following = words[i + 1] if i + 1 < len(words) else None
                    if following is None or _is_option(spec, following):
                        raise InvalidInput(
                            _("--{name} needs a value.", name=name),
                            _("Usage: {spec_usage}", spec_usage=spec.usage),
                        )
                    i += 1
                    inline = following
                if kind == "multi":
                    existing = options.setdefault(name, [])
                    assert isinstance(existing, list)
                    existing.append(inline)
                elif name in options:
                    raise InvalidInput(_("--{name} is given twice.", name=name), _("Give each option once."))
                else:
                    options[name] = inline
        else:
            positional.append(word)
        i += 1
    _check_count(spec, positional)
    return positional, options


def _check_count(spec: Spec, positional: list[str] | tuple[str, ...]) -> None:
    """Refuse too few positional arguments, or too many for a command without a variadic one."""
    required = [a for a in spec.args if a.startswith("<")]
    variadic = any(a.rstrip("]").endswith("...") for a in spec.args)
    if len(positional) < len(required):
        missing = required[len(positional)]
        raise InvalidInput(
            _(
                "Missing {missing} for `{join_spec_path}`.",
                missing=missing,
                join_spec_path=" ".join(spec.path),
            ),
            _("Usage: {spec_usage}", spec_usage=spec.usage),
        )
    if not variadic and len(positional) > len(spec.args):
        extra = " ".join(positional[len(spec.args) :])
        raise InvalidInput(
            _(
                "Unexpected {extra!r} after `{join_spec_path}`.",
                extra=text_rules.echo(extra),
                join_spec_path=" ".join(spec.path),
            ),
            _("Usage: {spec_usage} (quote names with spaces).", spec_usage=spec.usage),
        )


def tokenize(text: str) -> list[str]:
    """Split a command line into words; ``/gov`` or ``gov`` in front is optional.

    A line holding a control character (other than a line break or tab) is refused whole: no command
    needs one, and some databases cannot store them (``governance.text`` checks each field again).
    """
    text_rules.check_line(text)
    try:
        words = shlex.split(text.replace("“", '"').replace("”", '"').replace("’", "'"))
    except ValueError as exc:
        raise InvalidInput(
            _("Could not read the command: {exc}.", exc=exc), _("Close every quote you open.")
        ) from exc
    if words and words[0].lower() in ("/gov", "gov"):
        words = words[1:]
    return words


def unknown(words: list[str]) -> InvalidInput:
    """The refusal of a line whose first words name no command, with the commands it may have meant."""
    first = words[0].lower()
    groups = sorted({s.path[0] for s in REGISTRY})
    close = [s.name for s in REGISTRY if s.path[0] == first]
    if close:
        return InvalidInput(
            _("`{join_words_2}` is not a command.", join_words_2=text_rules.echo(" ".join(words[:2]))),
            _("Try: {commands}", commands=", ".join(f"`{c}`" for c in close)),
        )
    return InvalidInput(
        _("Unknown command {first!r}.", first=text_rules.echo(first)),
        _("Commands start with: {join_groups}. Try `help`.", join_groups=", ".join(groups)),
    )


def parse(text: str) -> Command:
    """Read a typed command line (the console, Slack's ``/gov``) into a :class:`Command`.

    An empty line is ``help``; a line naming no command, or breaking its command's grammar, is refused
    with an :class:`InvalidInput` that says what to type instead.
    """
    words = tokenize(text)
    if not words:
        return Command(("help",))
    spec, rest = find(words)
    if spec is None:
        raise unknown(words)
    positional, options = parse_arguments(spec, rest)
    return Command(spec.path, tuple(positional), options)


def spec_for(path: tuple[str, ...]) -> Spec | None:
    """The registered command whose path is exactly ``path`` (any case)."""
    wanted = tuple(w.lower() for w in path)
    return next((s for s in REGISTRY if s.path == wanted), None)


def resolve(command: Command) -> Spec:
    """The spec of a typed command, after checking the command against it: a known path, known options
    of the right kind, no control character in any value, and as many positional arguments as it takes.

    A typed command's values are values: ``--seats 9`` given as a title stays that title.
    """
    spec = spec_for(command.path)
    if spec is None:
        raise unknown(list(command.path) or ["help"])
    for arg in command.args:
        text_rules.check_line(arg)
    for name, value in command.options.items():
        kind = spec.options.get(name)
        if kind is None:
            known = ", ".join(f"--{o}" for o in spec.options) or "none"
            raise InvalidInput(
                _(
                    "`{join_spec_path}` has no option --{name}.",
                    join_spec_path=spec.name,
                    name=text_rules.echo(name),
                ),
                _("Options: {known}. Usage: {spec_usage}", known=known, spec_usage=spec.usage),
            )
        fits = {
            "flag": isinstance(value, bool),
            "value": isinstance(value, str),
            "multi": isinstance(value, list) and all(isinstance(v, str) for v in value),
        }[kind]
        if not fits and kind == "flag":
            raise InvalidInput(
                _("--{name} takes no value: give it alone.", name=text_rules.echo(name)),
                _("Usage: {spec_usage}", spec_usage=spec.usage),
            )
        if not fits:
            raise InvalidInput(
                _("--{name} needs a value.", name=name), _("Usage: {spec_usage}", spec_usage=spec.usage)
            )
        texts = value if isinstance(value, list) else [value] if isinstance(value, str) else []
        for piece in texts:
            text_rules.check_line(piece)
    _check_count(spec, command.args)
    return spec
