"""English and French: message catalogs, the reader's locale, and dates and numbers in that locale.

Every sentence a person reads is written in English in the code and wrapped in ``_()`` (or
``ngettext()`` when it depends on a count). It is translated when it is built, into the locale of the
person it is built for: platform adapters and the console set that locale for the duration of a command
with :func:`using_locale` (a context variable, so concurrent commands in one process each keep their own).
A notice for someone else (a DM queued in the outbox) is stored as data (``governance.notices``) and
written at delivery in the recipient's locale by the presentation (``bot/present``), whose sentences are
marked with ``N_()`` or built inside :func:`using_locale`.

Catalogs are gettext PO files, ``governance/locale/<lang>/LC_MESSAGES/govbot.po``, read with Babel when
first needed: no compile step, so a fresh checkout runs as it is. ``make messages`` re-extracts the
template and merges it into each catalog; ``tests/test_i18n.py`` fails on any message without a French
translation or whose placeholders differ from the English.

Parameters are named and formatted with ``str.format`` after translation (``_("{org} holds {n} seats",
org=..., n=...)``), so a translator may reorder them.
"""

from __future__ import annotations

import contextlib
import gettext as _gettext
import re
from collections.abc import Iterator, Mapping
from contextvars import ContextVar
from datetime import datetime
from decimal import Decimal
from fractions import Fraction
from functools import cache, lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from babel import Locale, UnknownLocaleError
from babel.dates import format_date as _babel_date
from babel.dates import format_datetime as _babel_datetime
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po
from babel.numbers import format_decimal as _babel_decimal
from babel.numbers import format_percent as _babel_percent

DOMAIN = "govbot"
LOCALE_DIR = Path(__file__).parent / "locale"
DEFAULT_LOCALE = "en"
SUPPORTED_LOCALES: tuple[str, ...] = ("en", "fr")

_current: ContextVar[str] = ContextVar("govbot_locale", default=DEFAULT_LOCALE)
CONTEXT = re.compile(r" \[[^\]]*\]$")
"""A translators' context at the end of a message id (left out of the English text)."""


def negotiate(*preferences: str | None, default: str = DEFAULT_LOCALE) -> str:
    """The first supported locale among the reader's preferences, most specific first.

    Platforms name locales in several ways (Slack ``fr-FR``, Discord ``fr``, POSIX ``fr_CA.UTF-8``); the
    language is what selects a catalog. Unknown or empty preferences are passed over, so a reader whose
    own locale is unsupported falls back to the workspace's, then to ``default``.
    """
    for preference in preferences:
        if not preference:
            continue
        language = preference.replace("-", "_").split(".")[0].split("_")[0].lower()
        if language in SUPPORTED_LOCALES:
            return language
    return default if default in SUPPORTED_LOCALES else DEFAULT_LOCALE


def current_locale() -> str:
    """The locale of the person the current command is answering."""
    return _current.get()


@contextlib.contextmanager
def using_locale(locale: str) -> Iterator[str]:
    """Build every message inside the block in ``locale`` (negotiated to a supported one)."""
    chosen = negotiate(locale)
    token = _current.set(chosen)
    try:
        yield chosen
    finally:
        _current.reset(token)


@cache
def catalog(locale: str) -> Catalog | None:
    """The parsed catalog of ``locale``, or None for English (the source language) or a missing file."""
    if locale == DEFAULT_LOCALE:
        return None
    path = LOCALE_DIR / locale / "LC_MESSAGES" / f"{DOMAIN}.po"
    if not path.exists():
        return None
    with path.open("rb") as handle:
        return read_po(handle, locale=locale, domain=DOMAIN)


def _lookup(msgid: str | tuple[str, str], locale: str) -> Any:
    found = catalog(locale)
    if found is None:
        return None
    message = found.get(msgid)
    if message is None or message.fuzzy or not message.string:
        return None
    strings = message.string
    if isinstance(strings, tuple | list) and not all(strings):
        return None
    return strings


def _format(text: str, params: Mapping[str, object]) -> str:
    return text.format(**params) if params else text


class Translated(str):
    """A message as built for the current reader, remembering its English source and parameters.

    It is an ordinary string wherever it goes; a notification queued now and read later by someone else
    (a DM, a post in a channel) keeps ``msgid`` and ``params`` so it can be rendered again in that
    reader's locale (:meth:`in_locale`).
    """

    msgid: str
    params: dict[str, object]

    def __new__(cls, text: str, msgid: str, params: Mapping[str, object]) -> Translated:
        made = super().__new__(cls, text)
        made.msgid = msgid
        made.params = dict(params)
        return made

    def in_locale(self, locale: str) -> str:
        """The same message in ``locale`` (this text itself if its parameters no longer fit)."""
        return render(self.msgid, self.params, locale, fallback=str(self))


def render(msgid: str, params: Mapping[str, object], locale: str, *, fallback: str | None = None) -> str:
    """A stored message (``msgid`` and ``params``) in ``locale``; ``fallback`` if it cannot be filled.

    A parameter that is itself a translated message (a ``Translated``, e.g. a state's label or a
    motion's reason) is rendered in ``locale`` too.
    """
    try:
        values = {k: v.in_locale(locale) if isinstance(v, Translated) else v for k, v in params.items()}
        return translate(msgid, locale, **values)
    except (KeyError, IndexError, ValueError, TypeError):
        return fallback if fallback is not None else msgid


def stored(text: str) -> dict[str, object] | None:
    """What to keep of a message to render it again in another locale later (None for plain text).

    Parameters are kept JSON-safe: times as ISO strings marked as such, so a ``{when:%Y-%m-%d}``
    placeholder still formats; a parameter that is a translated message itself (a label, a reason) is
    kept as one, to be rendered in the reader's locale too; anything else that is not a plain value is
    kept as its text.
    """
    if not isinstance(text, Translated):
        return None
    return {"msgid": text.msgid, "params": {k: _jsonable(v) for k, v in text.params.items()}}


def render_stored(data: Mapping[str, Any], locale: str, fallback: str) -> str:
    """A message kept by :func:`stored`, rendered in ``locale``."""
    msgid = data.get("msgid")
    params = data.get("params")
    if not isinstance(msgid, str) or not isinstance(params, dict):
        return fallback
    return render(msgid, {k: _restored(v) for k, v in params.items()}, locale, fallback=fallback)


def _jsonable(value: object) -> object:
    if isinstance(value, Translated):
        return {"$message": stored(value)}
    if isinstance(value, datetime):
        return {"$datetime": value.isoformat()}
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def _restored(value: object) -> object:
    if isinstance(value, dict) and isinstance(value.get("$datetime"), str):
        return datetime.fromisoformat(value["$datetime"])
    if isinstance(value, dict) and isinstance(inner := value.get("$message"), dict):
        msgid, params = inner.get("msgid"), inner.get("params")
        if isinstance(msgid, str) and isinstance(params, dict):
            restored = {k: _restored(v) for k, v in params.items()}
            return Translated(render(msgid, restored, DEFAULT_LOCALE), msgid, restored)
    return value


def gettext(msgid: str, /, **params: object) -> str:
    """``msgid`` in the current locale, with its named ``{placeholders}`` filled from ``params``."""
    return Translated(translate(msgid, current_locale(), **params), msgid, params)


_ = gettext


def translate(msgid: str, locale: str, /, **params: object) -> str:
    """``msgid`` in a given locale: for messages built for someone other than the current reader.

    A message id may end with a translators' context in brackets (``"active [member state]"``), for a
    word that another sentence translates differently; the English text leaves it out.
    """
    found = _lookup(msgid, negotiate(locale))
    return _format(found if isinstance(found, str) else CONTEXT.sub("", msgid), params)


def ngettext(singular: str, plural: str, n: int, /, **params: object) -> str:
    """The singular or plural form for ``n`` in the current locale; ``{n}`` is available to both.

    French treats 0 and 1 as singular, English only 1: the catalog's plural rule decides, not the code.
    """
    locale = current_locale()
    values = {"n": format_number(n), **params}
    found = _lookup((singular, plural), locale)
    rules = catalog(locale)
    if isinstance(found, tuple | list) and rules is not None:
        index = int(_plural_rule(rules.plural_expr)(n))
        return _format(found[min(index, len(found) - 1)], values)
    return _format(singular if n == 1 else plural, values)


@lru_cache(maxsize=8)
def _plural_rule(expression: str) -> Any:
    # The catalog's own gettext rule ("(n > 1)" in French), evaluated as gettext itself does.
    return _gettext.c2py(expression)


def N_(msgid: str) -> str:
    """Mark ``msgid`` for extraction without translating it now (it is translated at delivery)."""
    return msgid


def format_datetime(when: datetime, tz: ZoneInfo | str, locale: str | None = None) -> str:
    """A moment as the reader writes it, in their time zone, the zone named.

    English keeps the unambiguous ``2026-12-01 17:00 CET`` an international membership reads without
    guessing day from month; French writes ``1 déc. 2026, 17:00 CET``.
    """
    zone = ZoneInfo(tz) if isinstance(tz, str) else tz
    local = when.astimezone(zone)
    chosen = negotiate(locale or current_locale())
    if chosen == DEFAULT_LOCALE:
        return local.strftime("%Y-%m-%d %H:%M %Z")
    return f"{_babel_datetime(local, format='d MMM y, HH:mm', locale=chosen)} {local.strftime('%Z')}"


def format_date(when: datetime, tz: ZoneInfo | str, locale: str | None = None) -> str:
    """The day of a moment as the reader writes it, in their time zone: ``2026-10-02``, ``2 oct. 2026``."""
    zone = ZoneInfo(tz) if isinstance(tz, str) else tz
    local = when.astimezone(zone)
    chosen = negotiate(locale or current_locale())
    if chosen == DEFAULT_LOCALE:
        return local.strftime("%Y-%m-%d")
    return _babel_date(local.date(), format="d MMM y", locale=chosen)


def format_number(value: int | float | Decimal | Fraction, locale: str | None = None) -> str:
    """A count or a vote weight with the locale's digit grouping and decimal sign (1 234,5 in French)."""
    number = Decimal(value.numerator) / Decimal(value.denominator) if isinstance(value, Fraction) else value
    return _babel_decimal(number, locale=negotiate(locale or current_locale()))


def format_percent(value: float | Fraction, locale: str | None = None) -> str:
    """A share (0.667) as a percentage in the reader's locale: 66.7% or 66,7 %."""
    share = round(float(value), 3)  # one decimal of a percent: 66.7%, as results are published
    return _babel_percent(share, locale=negotiate(locale or current_locale()), decimal_quantization=False)


def language_name(locale: str, in_locale: str | None = None) -> str:
    """A language's own name for menus and ``locale`` replies (English, français)."""
    try:
        return Locale.parse(locale).get_display_name(negotiate(in_locale or locale)) or locale
    except (UnknownLocaleError, ValueError):
        return locale
