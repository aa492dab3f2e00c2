"""Commands answered in French: refusals, replies and queued notifications in the reader's language."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.commands import dispatch
from bot.present.notices import render_pending
from governance import seed
from governance.errors import InvalidInput
from governance.i18n import using_locale
from governance.services import elections, outbox, roster
from governance.services.common import Context
from tests.factories import snapshot


async def test_a_refusal_is_in_french_and_changes_nothing(seeded: Context) -> None:
    before = await snapshot(seeded)
    bea = await roster.actor_for_handle(seeded, "bea")
    reply = await dispatch(seeded, bea, "roster org add evil 'Evil Corp'", tz=ZoneInfo("UTC"), locale="fr")
    assert not reply.ok
    assert "administrateur" in reply.text or "secrétariat" in reply.text
    assert await snapshot(seeded) == before


async def test_help_and_unknown_words_in_french(seeded: Context) -> None:
    sec = await roster.actor_for_handle(seeded, "sec")
    unknown = await dispatch(seeded, sec, "electoin list", locale="fr-FR")
    assert unknown.text == "Commande inconnue : 'electoin'."
    assert "Essayez `help`" in (unknown.hint or "")
    english = await dispatch(seeded, sec, "electoin list", locale="en")
    assert english.text == "Unknown command 'electoin'."


async def test_a_notification_queued_by_a_french_reader_is_delivered_in_the_recipients_language(
    seeded: Context,
) -> None:
    sec = await roster.actor_for_handle(seeded, "sec")
    reply = await dispatch(seeded, sec, "election open-voting board-2027 --close +7d", locale="fr")
    assert reply.ok, reply.text
    queued = await outbox.due(seeded, limit=500)
    assert queued, "opening the vote notifies the body and its voters"
    texts_fr = [notice_text(m, "fr") for m in queued]
    texts_en = [notice_text(m, "en") for m in queued]
    assert texts_fr != texts_en
    assert any("vote" in t.lower() for t in texts_fr)
    assert all(t == notice_text(m, "en") for t, m in zip(texts_en, queued, strict=True))


async def test_stored_words_are_translated_in_french_replies(seeded: Context) -> None:
    sec = await roster.actor_for_handle(seeded, "sec")
    shown = await dispatch(seeded, sec, "election show board-2027", locale="fr")
    assert shown.ok and "VUT Meek, phase appel à candidatures." in shown.text
    english_show = await dispatch(seeded, sec, "election show board-2027", locale="en")
    assert "Meek STV, phase nominating." in english_show.text
    bea = await roster.actor_for_handle(seeded, "bea")
    refused = await dispatch(seeded, bea, "vote board-2027 chen", locale="fr")
    assert not refused.ok
    assert (
        refused.text
        == "Le vote n'est pas ouvert pour Board of Directors 2027 (phase actuelle : appel à candidatures)."
    )
    before = await snapshot(seeded)
    again = await dispatch(seeded, sec, "election open-nominations board-2027", locale="fr")
    assert not again.ok and "(phase : appel à candidatures)" in again.text
    assert await snapshot(seeded) == before
    whoami = await dispatch(seeded, sec, "whoami", locale="fr")
    assert whoami.text == "Vous êtes Sam Secretariat (@sec), administrateur (secrétariat), statut : actif·ve."
    english = await dispatch(seeded, sec, "whoami", locale="en")
    assert english.text == "You are Sam Secretariat (@sec), admin (secretariat), active."


async def test_a_past_deadline_is_refused_in_a_whole_french_sentence(seeded: Context) -> None:
    sec = await roster.actor_for_handle(seeded, "sec")
    before = await snapshot(seeded)
    voting = await dispatch(seeded, sec, "election open-voting board-2027 --close 2001-01-01", locale="fr")
    assert not voting.ok
    assert voting.text == "La date de clôture du vote (2001-01-01 23:59 UTC) est déjà passée."
    assert voting.hint == "Indiquez une date et une heure à venir."
    english = await dispatch(seeded, sec, "election open-voting board-2027 --close 2001-01-01", locale="en")
    assert english.text == "The voting deadline (2001-01-01 23:59 UTC) is in the past."
    with using_locale("fr"), pytest.raises(InvalidInput) as refused:
        await elections.create_election(
            seeded, sec, "board", "board-2028", nominations_close_at=datetime(2001, 1, 1, tzinfo=UTC)
        )
    assert (
        refused.value.message == "La date de clôture des candidatures (2001-01-01 00:00 UTC) est déjà passée."
    )
    assert await snapshot(seeded) == before


async def test_the_seed_summary_is_in_the_operators_language(ctx: Context) -> None:
    with using_locale("fr"):
        lines = await seed.seed(ctx)
    assert lines == [
        "5 organisations membres, 9 personnes (administrateur : sec ; représentants votants : alice, bea, "
        "carlos, dana, emma)",
        "instances : board, toc (Technical Oversight Committee), safety (groupe de travail)",
        "élection board-2027 : 3 sièges, VUT Meek, au plus un siège par organisation membre ; appel à "
        "candidatures ouvert, 5 candidats (arjun, farid, chen, dana, emma)",
    ]


def notice_text(message: outbox.Pending, locale: str) -> str:
    """A queued notice as a reader in ``locale`` gets it in the console."""
    return render_pending(message, locale=locale, platform="console").text
