"""English and French: the catalog is complete, placeholders survive translation, locales are chosen right."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir

from governance import i18n
from governance.i18n import _, ngettext, using_locale
from tests.factories import placeholders as _fields

ROOT = Path(__file__).resolve().parent.parent
METHOD_MAP = [
    ("governance/**.py", "python"),
    ("bot/**.py", "python"),
    ("bot/templates/**.html", "jinja2"),
]


def _source_messages() -> dict[str | tuple[str, ...], str]:
    """Every translatable message in the code and templates, with where it was found."""
    found: dict[str | tuple[str, ...], str] = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
        str(ROOT),
        method_map=METHOD_MAP,
        options_map={"bot/templates/**.html": {"trimmed": "true"}},
        # charts translate through their ``tr`` argument; a command's help summary is its third argument
        keywords={**DEFAULT_KEYWORDS, "tr": None, "command": (3,)},
    ):
        if not message or (isinstance(message, tuple) and not all(message)):
            continue
        key = message if isinstance(message, str) else tuple(m for m in message if m)
        found.setdefault(key if len(key) > 1 or isinstance(key, str) else key[0], f"{filename}:{lineno}")
    return found


def test_every_message_has_a_french_translation() -> None:
    catalog = i18n.catalog("fr")
    assert catalog is not None, "governance/locale/fr/LC_MESSAGES/govbot.po is missing"
    missing = []
    for msgid, where in _source_messages().items():
        entry = catalog.get(msgid)
        if entry is None or entry.fuzzy or not entry.string or (
            isinstance(entry.string, tuple | list) and not all(entry.string)
        ):
            missing.append(f"{where}: {msgid!r}")
    assert not missing, "untranslated (run `make messages` and translate):\n" + "\n".join(sorted(missing))


def test_translations_keep_the_placeholders_of_the_english() -> None:
    catalog = i18n.catalog("fr")
    assert catalog is not None
    wrong = []
    for entry in catalog:
        if not entry.id or not entry.string:
            continue
        ids = entry.id if isinstance(entry.id, tuple | list) else (entry.id,)
        strings = entry.string if isinstance(entry.string, tuple | list) else (entry.string,)
        expected = set().union(*(_fields(i) for i in ids)) - {"n"}
        for translated in strings:
            if _fields(translated) - {"n"} != expected:
                wrong.append(f"{entry.id!r} -> {translated!r}")
    assert not wrong, "placeholders differ:\n" + "\n".join(wrong)


def test_the_catalog_carries_no_stale_entries() -> None:
    catalog = i18n.catalog("fr")
    assert catalog is not None
    live = set(_source_messages())
    stale = [e.id for e in catalog if e.id and e.id not in live and tuple(e.id) not in live]
    assert not stale, f"catalog entries no longer in the code (run `make messages`): {stale[:20]}"


@pytest.mark.parametrize(
    ("preferences", "expected"),
    [
        (("fr-FR",), "fr"),
        (("fr_CA.UTF-8",), "fr"),
        (("de-DE", "fr"), "fr"),
        (("es-ES", None), "en"),
        ((None, ""), "en"),
        (("EN-gb",), "en"),
    ],
)
def test_negotiate_takes_the_first_supported_language(
    preferences: tuple[str | None, ...], expected: str
) -> None:
    assert i18n.negotiate(*preferences) == expected


def test_negotiate_falls_back_to_the_workspace_default() -> None:
    assert i18n.negotiate("pt-BR", default="fr") == "fr"
    assert i18n.negotiate("pt-BR", default="xx") == "en"


def test_untranslated_text_falls_back_to_english_with_its_parameters() -> None:
    with using_locale("fr"):
        assert _("no such message {x} in any catalog", x=3) == "no such message 3 in any catalog"


def test_english_plural_and_french_plural_rules_differ_at_zero() -> None:
    with using_locale("en"):
        assert ngettext("{n} ballot", "{n} ballots", 0) == "0 ballots"
        assert ngettext("{n} ballot", "{n} ballots", 1) == "1 ballot"
        assert ngettext("{n} ballot", "{n} ballots", 1234) == "1,234 ballots"


async def test_concurrent_commands_keep_their_own_locale() -> None:
    async def reader(locale: str) -> str:
        with using_locale(locale):
            await asyncio.sleep(0)
            return i18n.current_locale()

    assert await asyncio.gather(reader("fr"), reader("en"), reader("fr-BE")) == ["fr", "en", "fr"]
    assert i18n.current_locale() == "en"


def test_dates_are_shown_in_the_readers_zone_and_language() -> None:
    moment = datetime(2026, 12, 1, 16, 0, tzinfo=UTC)
    english = i18n.format_datetime(moment, "America/New_York", "en")
    french = i18n.format_datetime(moment, ZoneInfo("Europe/Paris"), "fr")
    assert english == "2026-12-01 11:00 EST"
    assert french == "1 déc. 2026, 17:00 CET"


def test_numbers_use_the_locales_grouping_and_decimal_sign() -> None:
    assert i18n.format_number(1234.5, "en") == "1,234.5"
    assert i18n.format_number(1234.5, "fr") == "1\u202f234,5"
    assert i18n.format_percent(2 / 3, "en") == "66.7%"
    assert i18n.format_percent(2 / 3, "fr") == "66,7\u00a0%"


def test_language_names_are_given_in_their_own_language() -> None:
    assert i18n.language_name("fr") == "français"
    assert i18n.language_name("en", "fr") == "anglais"


def test_a_translated_message_remembers_its_source_to_render_again() -> None:
    with using_locale("en"):
        text = _("Voting in {slug} closes at {when:%H:%M}.", slug="board", when=datetime(2026, 12, 1, 17, 5))
    assert text == "Voting in board closes at 17:05."
    kept = i18n.stored(text)
    assert kept == {
        "msgid": "Voting in {slug} closes at {when:%H:%M}.",
        "params": {"slug": "board", "when": {"$datetime": "2026-12-01T17:05:00"}},
    }
    assert i18n.render_stored(kept, "en", "fallback") == "Voting in board closes at 17:05."
    assert i18n.stored("plain text") is None
    unfit = {"msgid": "{missing}", "params": {"other": 1}}
    assert i18n.render_stored(unfit, "fr", "as queued") == "as queued"


def test_a_stored_message_renders_its_translated_parameters_in_the_readers_language() -> None:
    with using_locale("en"):
        reason = _("Passed by lazy consensus: nobody objected before the deadline.")
        text = _("Motion M{id} ({title}) passed: {reason}", id=3, title="Licence", reason=reason)
    kept = i18n.stored(text)
    assert kept is not None
    assert kept["params"]["reason"] == {  # type: ignore[index]
        "$message": {"msgid": "Passed by lazy consensus: nobody objected before the deadline.", "params": {}}
    }
    assert i18n.render_stored(kept, "en", "fallback") == str(text)
    assert i18n.render_stored(kept, "fr", "fallback") == (
        "Motion M3 (Licence) adoptée : Adoptée par consensus tacite : personne ne s'y est opposé avant "
        "l'échéance."
    )


def test_a_translators_context_in_brackets_stays_out_of_english() -> None:
    assert i18n.translate("active [member state]", "en") == "active"
    assert i18n.translate("active [member state]", "fr") == "actif·ve"
    assert i18n.translate("active", "fr") == "active"  # the organisation's column keeps its own word
    with using_locale("en"):
        assert _("vote [action]") == "vote"
