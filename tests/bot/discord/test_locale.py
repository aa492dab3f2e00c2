"""Discord in the reader's language: the French descriptions govbot registers for its app commands (names
stay English), and ballots, buttons, refusals and receipts in the interaction's language (the user's
Discord client, else the server's), side by side with English readers."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select
from sqlmodel import col

from bot.discord import delivery
from governance.i18n import translate
from governance.models import ChatIdentity
from governance.services import outbox
from tests.fakes.discord_api import Callback
from tests.fakes.discord_harness import UNLINKED_USER, Running, user_id


async def stored_locale(bot: Running, handle: str) -> str | None:
    """The language kept with a person's Discord identity (for their DMs)."""
    async with bot.ctx.db.reading() as session:
        return (
            await session.execute(
                select(col(ChatIdentity.locale)).where(
                    col(ChatIdentity.platform) == "discord", col(ChatIdentity.user_id) == user_id(handle)
                )
            )
        ).scalar_one()


async def slash_in(
    bot: Running, who: str | None, locale: str, path: list[str], /, **options: object
) -> Callback:
    """Run a slash command as ``who`` from a Discord client set to ``locale``."""
    uid = user_id(who) if who else UNLINKED_USER
    payload = bot.fake.command_payload(path, dict(options), user_id=uid, username=who or "x", locale=locale)
    return await bot.fake.interact(payload)


async def press_in(
    bot: Running, who: str, locale: str, custom_id: str, values: list[str] | None = None
) -> Callback:
    """Press a component as ``who`` from a Discord client set to ``locale``."""
    payload = bot.fake.component_payload(
        custom_id, user_id=user_id(who), username=who, values=values, locale=locale
    )
    return await bot.fake.interact(payload)


def command(bot: Running, *path: str) -> dict[str, Any]:
    """A command (or subcommand, or subcommand group) as govbot synced it to the fake guild."""
    found = next(c for c in bot.fake.commands[bot.fake.guild_id] if c["name"] == path[0])
    for name in path[1:]:
        found = next(o for o in found["options"] if o["name"] == name)
    return found


async def test_french_descriptions_are_registered_and_names_stay_english(bot: Running) -> None:
    election = command(bot, "election")
    assert election["description"] == "Elections: nominate, vote, close, certify"
    assert election["description_localizations"] == {
        "fr": "Élections : candidatures, vote, clôture, certification"
    }
    assert not election.get("name_localizations")  # /election everywhere: the grammar's word

    open_voting = command(bot, "election", "open-voting")
    summary = open_voting["description"]
    assert open_voting["description_localizations"]["fr"] == translate(summary, "fr")[:100]
    assert open_voting["description_localizations"]["fr"] != summary

    [choices] = [o for o in command(bot, "vote")["options"] if o["name"] == "choices"]
    assert choices["description_localizations"] == {
        "fr": "Candidat·es, votre préféré·e d'abord (laissez vide pour un bulletin à menus)"
    }
    [body] = [o for o in command(bot, "election", "create")["options"] if o["name"] == "body"]
    assert body["description"] == "body — see /gov help election create"
    assert body["description_localizations"] == {"fr": "body — voir /gov help election create"}
    assert not body.get("name_localizations")

    role = command(bot, "roster", "role")
    assert role["description_localizations"]["fr"].startswith("Associer un rôle de ce serveur")
    [govbot_role] = [o for o in role["options"] if o["name"] == "govbot_role"]
    names = {c["value"]: c.get("name_localizations", {}).get("fr") for c in govbot_role["choices"]}
    assert names == {
        "admin": "administrateur",
        "chair": "présidence",
        "member": "membre",
        "none": "aucun (supprimer l'association)",
    }
    every = [bot.fake.commands[bot.fake.guild_id]]
    flat: list[dict[str, Any]] = []
    while every:
        level = every.pop()
        flat += level
        every += [o["options"] for o in level if o.get("options")]
    assert all(set(o.get("description_localizations") or {}) <= {"fr"} for o in flat)
    assert all(len(text) <= 100 for o in flat for text in (o.get("description_localizations") or {}).values())


async def test_a_french_voter_gets_a_french_ballot_beside_an_english_one(bot: Running) -> None:
    await slash_in(bot, "sec", "en-GB", ["election", "open-voting"], election="board-2027", close="+7d")

    french = await slash_in(bot, "alice", "fr", ["vote"], election="board-2027")
    assert french.ephemeral
    assert french.content.startswith(
        "**Board of Directors 2027** — bulletin par classement. Choisissez vos préférences dans l'ordre"
    )
    assert "Rien de classé pour l'instant." in french.content
    assert "Choisissez votre préférence n° 1. Appuyez ensuite sur **Déposer le bulletin**." in french.content
    buttons = [c["label"] for c in french.components() if c["type"] == 2]
    assert buttons == ["Retirer le dernier", "Effacer", "Déposer le bulletin"]
    [select] = [c for c in french.components() if c["type"] == 3]
    assert select["placeholder"].startswith("Préférence n° 1 : ")

    english = await slash_in(bot, "bea", "en-US", ["vote"], election="board-2027")
    assert [c["label"] for c in english.components() if c["type"] == 2] == ["Undo", "Clear", "Cast ballot"]
    assert "Nothing ranked yet." in english.content

    picked = await press_in(bot, "alice", "fr", select["custom_id"], ["chen"])
    assert "Votre classement jusqu'ici :\n1. Chen Wei (@chen)" in picked.content
    cast_id = next(c["custom_id"] for c in picked.components() if c.get("label") == "Déposer le bulletin")
    cast = await press_in(bot, "alice", "fr", cast_id)
    assert cast.content.startswith("Bulletin enregistré dans board-2027 : chen. Votre reçu : ")
    await bot.fake.wait_for(lambda: bot.fake.dms_to(user_id("alice")))
    assert bot.fake.dms_to(user_id("alice"))[0].content.startswith("🧾 Bulletin enregistré dans board-2027")
    assert await stored_locale(bot, "alice") == "fr"  # her later DMs follow her language
    assert await stored_locale(bot, "emma") is None and bot.client.dm_locale() == "en"  # the server's

    late = await press_in(bot, "alice", "fr", "gb:ap:cast:board-2027")
    assert late.ephemeral and late.content == (
        "⚠️ Votre bulletin est vide ; rien n'a été déposé.\nChoisissez d'abord au moins un·e candidat·e."
    )


async def test_french_refusals_and_motion_buttons(bot: Running) -> None:
    stranger = await slash_in(bot, None, "fr", ["wg", "join"], wg="safety")
    assert stranger.ephemeral and stranger.content.startswith(
        "⚠️ Votre compte Discord n'est associé à personne dans le registre de l'alliance"
    )
    assert f"workspace:{bot.fake.guild_id} user:{UNLINKED_USER}`." in stranger.content
    bogus = await press_in(bot, "alice", "fr", "gb:rk:explode")
    assert bogus.content == (
        "⚠️ govbot n'a pas compris ce bouton ou ce menu ; rien n'a été modifié.\n"
        "Ouvrez un nouveau bulletin avec `/vote`."
    )
    closed = await slash_in(bot, "alice", "fr", ["vote"], election="board-2027")
    assert closed.content.startswith(
        "⚠️ Le vote n'est pas ouvert pour Board of Directors 2027 (phase actuelle : appel à candidatures)."
    )

    await slash_in(bot, "alice", "en-GB", ["motion", "propose"], body="toc", title="Adopt it", deadline="+7d")
    ballot = await slash_in(bot, "chen", "fr", ["motion", "vote"], motion="1")
    assert ballot.content == "**M1 Adopt it** — votre vote :"
    assert [c["label"] for c in ballot.components()] == ["Pour", "Contre", "Abstention"]


async def test_the_servers_language_is_used_when_the_users_is_not_spoken(bot: Running) -> None:
    payload = bot.fake.command_payload(
        ["wg", "join"], {"wg": "safety"}, user_id=UNLINKED_USER, locale="de", guild_locale="fr"
    )
    answer = await bot.fake.interact(payload)
    assert answer.content.startswith("⚠️ Votre compte Discord n'est associé à personne")


async def test_dms_are_delivered_in_the_language_their_reader_last_used(bot: Running) -> None:
    await slash_in(bot, "dana", "fr", ["gov", "whoami"])
    asked = await slash_in(bot, "farid", "en-GB", ["wg", "join"], wg="safety")
    assert "waiting for a chair's approval" in asked.content
    await delivery.deliver_due(bot.client, bot.ctx, guild_id=bot.fake.guild_id)
    [asks] = [m for m in bot.fake.dms_to(user_id("dana")) if "Farid" in m.content]
    assert asks.content.startswith("Farid Haddad demande à rejoindre AI Safety Working Group : ")
    await slash_in(bot, "dana", "fr", ["wg", "approve"], wg="safety", handle="farid")
    await delivery.deliver_due(bot.client, bot.ctx, guild_id=bot.fake.guild_id)
    [told] = [m for m in bot.fake.dms_to(user_id("farid")) if "Safety" in m.content]
    assert "approved your request to join AI Safety Working Group" in told.content


async def test_a_readers_language_survives_a_restart_and_is_written_only_when_it_changes(
    bot: Running, monkeypatch: pytest.MonkeyPatch
) -> None:
    await slash_in(bot, "dana", "fr", ["gov", "whoami"])
    bot.client.stored_locales.clear()  # a restart (or another replica): nothing in memory
    writes = 0
    real = outbox.remember_locale

    async def counted(*args: Any) -> bool:
        nonlocal writes
        writes += 1
        return await real(*args)

    monkeypatch.setattr(outbox, "remember_locale", counted)
    asked = await slash_in(bot, "farid", "en-GB", ["wg", "join"], wg="safety")
    await slash_in(bot, "farid", "en-GB", ["gov", "whoami"])  # unchanged: not written again
    assert writes == 1
    monkeypatch.undo()
    assert "waiting for a chair's approval" in asked.content
    await delivery.deliver_due(bot.client, bot.ctx, guild_id=bot.fake.guild_id)
    [asks] = [m for m in bot.fake.dms_to(user_id("dana")) if "Farid" in m.content]
    assert asks.content.startswith("Farid Haddad demande à rejoindre AI Safety Working Group : ")
    assert (await stored_locale(bot, "dana"), await stored_locale(bot, "farid")) == ("fr", "en")
