"""Text and numbers people type: one validator for every field, so odd input gets a clear answer.

Every name, title, statement and reason a person types passes :func:`clean` before a service stores it:
the text is normalised (Unicode NFC, surrounding blanks trimmed, ``\\r\\n`` read as a newline), and it is
refused, with a message naming the rule and what to do, when it holds

* a control character (C0 ``U+0000``-``U+001F`` and ``U+007F``, C1 ``U+0080``-``U+009F``), a line or
  paragraph separator, or half of a surrogate pair; a newline (and a tab) only where the field allows
  several lines (statements, a motion's text);
* a bidirectional embedding, override or isolate (``U+202A``-``U+202E``, ``U+2066``-``U+2069``), which
  make ``\\u202egnp.exe`` display as ``exe.png`` (the marks ``U+200E``/``U+200F`` that right-to-left
  names need stay allowed);
* more characters than its kind allows (:data:`LIMITS`: names 200, titles 200, reasons 500, statements
  and motion texts 4,000, ...).

Numbers people type (a motion's number, a count of seats) go through :func:`parse_number`: ASCII digits
only (``²`` is a digit to Python but not a number), within the range the database can hold, else a clear
refusal instead of an internal error. And whatever a refusal echoes back of the input is cut by
:func:`echo`, so an error reply never repeats a 3,000-character line, nor carries its control characters.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from governance.errors import InvalidInput, Suggestion
from governance.i18n import _

ID_MAX = 2**31 - 1
"""The largest row number (motion, meeting series) the database holds: PostgreSQL's ``integer``."""

ECHO_MAX = 60
"""How many characters of a person's input a refusal repeats back (then an ellipsis)."""

BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
"""Embeddings, overrides and isolates: they reorder how text is displayed."""

SEPARATORS = frozenset("\u2028\u2029\u0085")
"""Unicode's line and paragraph separators (and NEL): line breaks in disguise."""


@dataclass(frozen=True)
class Field:
    """A kind of typed text: its length limit and whether it may span several lines."""

    kind: str
    limit: int
    multiline: bool = False


NAME = Field("name", 200)
TITLE = Field("title", 200)
REASON = Field("reason", 500)
STATEMENT = Field("statement", 4000, multiline=True)
MOTION_TEXT = Field("motion text", 4000, multiline=True)
LINK = Field("link", 500)
EMAIL = Field("e-mail address", 254)
CHAT_ID = Field("chat id", 64)
ROLE_NAME = Field("role name", 100)
CHANNEL = Field("channel", 100)

LIMITS: dict[str, Field] = {
    f.kind: f for f in (NAME, TITLE, REASON, STATEMENT, MOTION_TEXT, LINK, EMAIL, CHAT_ID, ROLE_NAME, CHANNEL)
}
"""Every kind of field by its name, for README and tests."""


class BadText(InvalidInput):
    """Typed text or a number that breaks a rule of this module; ``rule`` names it.

    Rules: ``text-empty``, ``text-length``, ``text-lines``, ``text-control``, ``text-bidi``,
    ``number-format``, ``number-range``.
    """

    def __init__(
        self, message: str, hint: str | None = None, *, rule: str, suggest: Suggestion | None = None
    ) -> None:
        super().__init__(message, hint, suggest=suggest)
        self.rule = rule


def forbidden(ch: str, *, multiline: bool = False) -> str | None:
    """The rule a character breaks in a field (``text-control``, ``text-bidi``, ``text-lines``), or None.

    Why: a control character, a disguised line break or a bidirectional override changes how a name is
    displayed or what a chat platform does with it; the people reading it must see what was typed.
    """
    if ch in BIDI_CONTROLS:
        return "text-bidi"
    if ch in "\n\t":
        return None if multiline else "text-lines"
    if ch in SEPARATORS:
        return "text-lines"
    category = unicodedata.category(ch)
    if category in ("Cc", "Cs"):
        return "text-control"
    return None


def _visible(ch: str) -> str:
    return f"U+{ord(ch):04X}"


def clean(value: str | None, field: Field, what: str, *, required: bool = True) -> str | None:
    """``value`` normalised (NFC, trimmed) if it is fit to store as ``field``, else a ``BadText``.

    ``what`` names the field as a sentence would (``_("the motion's title")``), already translated. An
    empty value is refused when ``required`` and returned as None otherwise. Nothing is neutralised
    silently: the person is told which character or limit is the trouble, so what is stored is what
    they meant.
    """
    text = unicodedata.normalize("NFC", (value or "").replace("\r\n", "\n")).strip()
    label = what[:1].upper() + what[1:]
    if not text:
        if required:
            raise BadText(_("{field} cannot be empty.", field=label), rule="text-empty")
        return None
    for ch in text:
        rule = forbidden(ch, multiline=field.multiline)
        if rule == "text-bidi":
            raise BadText(
                _(
                    "{field} contains a bidirectional control character ({code}), which changes how the "
                    "text is displayed.",
                    field=label,
                    code=_visible(ch),
                ),
                _("Type it again without it (copying from some documents brings it along)."),
                rule=rule,
            )
        if rule == "text-lines":
            raise BadText(
                _("{field} must be on one line.", field=label),
                _("Remove the line break ({code}).", code=_visible(ch)),
                rule=rule,
            )
        if rule == "text-control":
            raise BadText(
                _(
                    "{field} contains an invisible control character ({code}).",
                    field=label,
                    code=_visible(ch),
                ),
                _("Type it again without it."),
                rule=rule,
            )
    if len(text) > field.limit:
        raise BadText(
            _(
                "{field} is too long ({length} characters); the limit is {limit}.",
                field=label,
                length=len(text),
                limit=field.limit,
            ),
            _("Shorten it to {limit} characters or fewer.", limit=field.limit),
            rule="text-length",
        )
    return text


def echo(value: object, limit: int = ECHO_MAX) -> str:
    """What a reply may repeat of a person's input: at most ``limit`` characters (then ``…``), with
    control and bidirectional characters shown as their code (``<U+202E>``) instead of acting.

    Why: a refusal that quotes the input back must neither flood the channel nor reorder its text.
    """
    text = str(value)
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return "".join(f"<{_visible(ch)}>" if forbidden(ch) else ch for ch in text)


NUMBER_RE = re.compile(r"[0-9]+", re.ASCII)


def parse_number(
    value: str,
    what: str,
    *,
    low: int = 1,
    high: int = ID_MAX,
    hint: str | None = None,
    suggest: Suggestion | None = None,
) -> int:
    """A whole number typed as ASCII digits, between ``low`` and ``high``, else a clear ``BadText``.

    ``what`` names the number (``_("A motion number")``), already translated; ``hint`` says where to find
    a valid one (``suggest``: a command that lists them). Why: Python reads ``²`` or a 30-digit number
    happily, and the database then fails with an internal error; the person should instead learn the
    range.
    """
    text = value.strip()
    if not NUMBER_RE.fullmatch(text):
        raise BadText(
            _("{what} is a whole number, not {value!r}.", what=what, value=echo(value)),
            hint,
            rule="number-format",
            suggest=suggest,
        )
    number = int(text) if len(text) <= 20 else high + 1
    if not low <= number <= high:
        raise BadText(
            _("{what} must be between {low} and {high}.", what=what, low=low, high=high),
            hint,
            rule="number-range",
            suggest=suggest,
        )
    return number


MESSAGE_MAX = 600
"""The longest message or hint a refusal shows (its details are capped one by one)."""

DETAIL_MAX = 300


def capped(
    message: str, hint: str | None, details: tuple[str, ...] | list[str] = ()
) -> tuple[str, str | None, tuple[str, ...]]:
    """A refusal's message, hint and details, each cut to what a reply shows (then ``…``).

    Why: every refusal quotes some input; the ones that quote it through :func:`echo` are short already,
    and this is the net under the rest, so no error reply repeats thousands of typed characters.
    """

    def cut(text: str, limit: int) -> str:
        return text if len(text) <= limit else text[: limit - 1] + "…"

    return (
        cut(message, MESSAGE_MAX),
        cut(hint, MESSAGE_MAX) if hint else hint,
        tuple(cut(d, DETAIL_MAX) for d in details),
    )


def check_line(line: str) -> None:
    """Refuse a command line holding a control character other than a line break or a tab.

    Why: no command needs one, PostgreSQL cannot store a NUL, and a refusal is clearer than the
    internal error the database would give. Bidirectional controls are refused field by field
    (:func:`clean`), where the message can name the field.
    """
    for ch in line:
        if forbidden(ch, multiline=True) == "text-control":
            raise BadText(
                _("The command contains an invisible control character ({code}).", code=_visible(ch)),
                _("Type it again without it."),
                rule="text-control",
            )
