"""Each Slack user is answered in their own Slack language (``users.info`` with ``include_locale``):
command replies, refusals, ballot forms and their errors, the receipt DM and the Home tab; the language is
looked up once per user within the hour, and a failed or slow look-up answers in ``GOVBOT_LOCALE``."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import select
from sqlmodel import col

from bot.slack.locale import UserLocales
from governance.clock import ManualClock
from governance.models import ChatIdentity
from tests.fakes.slack_api import FakeSlackAPI
from tests.fakes.slack_harness import STRANGER, USERS, SlackHarness, dm_to, pick


def speaks_french(slack: SlackHarness, *handles: str) -> None:
    """Set these people's Slack language to French (the fake's ``users.info`` answers ``fr-FR``)."""
    for handle in handles:
        slack.api.locales[USERS.get(handle, handle)] = "fr-FR"


def asked(slack: SlackHarness, user_id: str) -> int:
    """How many times govbot asked Slack for this user's profile."""
    return len(slack.api.calls_to("users.info", lambda c: c.args.get("user") == user_id))


def texts(view: dict[str, Any]) -> str:
    """Every text of a view (blocks, title, buttons), for assertions."""
    return json.dumps(view, ensure_ascii=False)


async def test_a_french_user_is_answered_in_french_and_an_english_one_in_english(slack: SlackHarness) -> None:
    speaks_french(slack, "alice")
    french = (await slack.reply("alice", "election show nope"))
    assert french["text"].startswith("Erreur : Aucune élection 'nope'.")
    assert french["blocks"][0]["text"]["text"].startswith(":warning: *Aucune élection")
    assert french["blocks"][1]["elements"][0]["text"] == "Consultez `/gov election list`."
    english = (await slack.reply("bea", "election show nope"))
    assert english["text"].startswith("Error: No election 'nope'.")
    [call] = slack.api.calls_to("users.info", lambda c: c.args.get("user") == USERS["alice"])
    assert call.args["include_locale"] in ("1", "true")  # the locale is only sent when asked for


async def test_a_french_unlinked_user_is_refused_in_french(slack: SlackHarness) -> None:
    speaks_french(slack, STRANGER)
    before = await slack.state_counts()
    body = (await slack.reply(STRANGER, "election create x --body board"))
    assert body["text"].startswith(
        "Erreur : Votre compte Slack n'est encore associé à personne dans le registre de l'alliance."
    )
    assert "`/gov roster link <votre-identifiant> slack T0001 U0NOBODY`" in body["blocks"][1]["elements"][0][
        "text"
    ].replace("&lt;", "<").replace("&gt;", ">")
    assert await slack.state_counts() == before


async def test_the_ballot_form_its_errors_and_the_receipt_follow_each_voters_language(
    slack: SlackHarness,
) -> None:
    speaks_french(slack, "alice")
    await slack.reply_text("sec", "election open-voting board-2027 --close +7d")

    french = await slack.open_ballot("alice", "vote board-2027")
    assert french["title"]["text"] == "Votre bulletin"
    assert french["submit"]["text"] == "Déposer le bulletin"
    assert french["close"]["text"] == "Annuler"
    inputs = [b for b in french["blocks"] if b["type"] == "input"]
    assert [b["label"]["text"] for b in inputs[:2]] == ["Choix 1", "Choix 2"]
    assert inputs[0]["element"]["placeholder"]["text"] == "Choisissez un·e candidat·e"
    assert french["blocks"][0]["text"]["text"] == (
        "*Board of Directors 2027* — Board of Directors\n3 sièges, dépouillement : VUT Meek ; clôture du "
        "vote le 12 janv. 2026, 10:00 CET. Votre bulletin est secret."
    )
    assert "Lire les déclarations des candidat·es" in texts(french)

    english = await slack.open_ballot("bea", "vote board-2027")
    assert (english["title"]["text"], english["submit"]["text"], english["close"]["text"]) == (
        "Your ballot",
        "Cast ballot",
        "Cancel",
    )
    assert next(b["label"]["text"] for b in english["blocks"] if b["type"] == "input") == "Choice 1"

    before = await slack.state_counts()
    duplicate = await slack.submit("alice", french, {"rank_1": pick("chen"), "rank_2": pick("chen")})
    assert duplicate.json == {
        "response_action": "errors",
        "errors": {"rank_2": "Déjà choisi·e en choix 1 : choisissez chaque candidat·e une seule fois."},
    }
    refused = await slack.submit("bea", english, {"rank_1": pick("chen"), "rank_2": pick("chen")})
    assert refused.json["errors"] == {"rank_2": "Already chosen as choice 1: pick each candidate once."}
    assert await slack.state_counts() == before

    cast = await slack.submit("alice", french, {"rank_1": pick("chen"), "rank_2": pick("dana")})
    assert cast.json["response_action"] == "update"
    done = cast.json["view"]
    assert done["title"]["text"] == "Votre bulletin" and done["close"]["text"] == "Fermer"
    assert "Bulletin enregistré dans board-2027 : chen &gt; dana. Votre reçu : " in texts(done)
    receipt = (await slack.api.wait_for("chat.postMessage", dm_to("alice")))[-1].args["text"]
    assert receipt.startswith("Bulletin enregistré dans board-2027 : chen &gt; dana. Votre reçu : ")
    home = await slack.api.wait_for("views.publish", lambda c: c.args.get("user_id") == USERS["alice"])
    assert "Gouvernance de l'alliance" in texts(home[-1].args["view"])
    assert "vous avez voté" in texts(home[-1].args["view"])


async def test_a_refused_ballot_form_is_refused_in_the_voters_language(slack: SlackHarness) -> None:
    speaks_french(slack, "alice")
    body = (await slack.reply("alice", "vote board-2027"))  # still taking nominations
    assert body["text"] == (
        "Erreur : Le vote n'est pas ouvert pour Board of Directors 2027 (phase actuelle : appel à "
        "candidatures). Voir `election show board-2027`."
    )
    assert not slack.api.calls_to("views.open")


async def test_motion_buttons_and_their_answer_are_in_french(slack: SlackHarness) -> None:
    speaks_french(slack, "bea")
    await slack.reply_text("alice", 'motion propose toc "Adopt the model licence" --deadline +7d')
    view = await slack.open_ballot("bea", "motion vote 1")
    labels = [e["text"]["text"] for b in view["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert labels == ["Pour", "Contre", "Abstention"]
    assert view["close"]["text"] == "Fermer"
    assert "Vote par appel nominal : votre vote est public." in texts(view)
    await slack.block_action("bea", "gov_motion_vote_yes", "1", view=view, block_id="motion_vote")
    update = await slack.api.wait_for("views.update", lambda c: c.args.get("view_id") == view["id"])
    answer = texts(update[-1].args["view"])
    assert "Votre vote sur M1 est enregistré : pour." in answer
    assert "C'est un vote par appel nominal : votre vote est public." in answer  # the handler's wording


async def test_the_language_is_asked_once_per_user_within_the_hour(
    slack: SlackHarness, clock: ManualClock
) -> None:
    speaks_french(slack, "alice")
    for _ in range(3):
        assert (await slack.reply("alice", "election show nope"))["text"].startswith("Erreur")
    await slack.reply("bea", "whoami")
    assert asked(slack, USERS["alice"]) == 1 and asked(slack, USERS["bea"]) == 1
    slack.api.locales[USERS["alice"]] = "en-GB"  # she switches Slack to English
    clock.advance(timedelta(minutes=59))
    assert (await slack.reply("alice", "election show nope"))["text"].startswith("Erreur")
    assert asked(slack, USERS["alice"]) == 1
    clock.advance(timedelta(minutes=2))
    assert (await slack.reply("alice", "election show nope"))["text"].startswith("Error:")
    assert asked(slack, USERS["alice"]) == 2


async def test_a_failed_lookup_answers_in_the_default_language_and_the_command_still_runs(
    slack: SlackHarness,
) -> None:
    speaks_french(slack, "alice")
    slack.api.fail("users.info", "missing_scope")
    body = (await slack.reply("alice", "whoami"))
    assert body["text"].startswith("You are Alice Martin (@alice)")
    assert slack.api.calls_to("users.info:missing_scope")


async def test_users_info_errors_and_slowness_fall_back_to_the_default(clock: ManualClock) -> None:
    api = await FakeSlackAPI().start()
    client = AsyncWebClient(token="xoxb-test", base_url=api.base_url)
    try:
        api.locales.update({"U1": "fr-FR", "U2": "en-GB", "U3": "de-DE"})
        locales = UserLocales(client, "fr", now=clock.now, timeout=0.2)
        assert await locales.get("U2") == "en"
        assert await locales.get("U3") == "fr"  # a language govbot does not speak: the deployment's
        api.fail("users.info", "ratelimited")
        assert await locales.get("U1") == "fr"  # the default, logged
        english = UserLocales(client, "en", now=clock.now, timeout=0.2)
        api.fail("users.info", "user_not_found")
        assert await english.get("U1") == "en"
        assert len(api.calls_to("users.info:user_not_found")) == 1
        assert await english.get("U1") == "en"  # the failure is remembered for a while, not retried
        assert len(api.calls_to("users.info")) == 2
        clock.advance(timedelta(minutes=6))
        assert await english.get("U1") == "fr"  # and asked again after it
        api.delay("users.info", 0.5)
        slow = UserLocales(client, "en", now=clock.now, timeout=0.05)
        assert await slow.get("U1") == "en"  # Slack is slow: answer now in the default
        await api.wait_for("users.info", lambda c: c.args.get("user") == "U1", count=2)
        await _settled(slow)
        assert slow.cached("U1") == "fr"  # the late answer is kept for the next request
        assert await slow.get("") == "en"
    finally:
        await api.stop()


async def _settled(locales: UserLocales) -> None:
    """Let a look-up that outlived its caller finish."""
    for _ in range(50):
        if not locales._asking:
            return
        await asyncio.sleep(0.02)


async def test_the_cache_is_bounded(clock: ManualClock) -> None:
    api = await FakeSlackAPI().start()
    client = AsyncWebClient(token="xoxb-test", base_url=api.base_url)
    try:
        locales = UserLocales(client, "en", now=clock.now, max_users=2)
        for user in ("U1", "U2", "U3"):
            await locales.get(user)
        assert locales.cached("U1") is None and locales.cached("U3") == "en"
        await locales.get("U1")
        assert len(api.calls_to("users.info", lambda c: c.args.get("user") == "U1")) == 2
    finally:
        await api.stop()


async def stored_locale(slack: SlackHarness, handle: str) -> str | None:
    """The language kept with a person's Slack identity (for their DMs)."""
    async with slack.ctx.db.reading() as session:
        row = (
            await session.execute(
                select(col(ChatIdentity.locale)).where(col(ChatIdentity.user_id) == USERS[handle])
            )
        ).scalar_one()
    return row


async def test_dms_are_delivered_in_each_readers_slack_language(slack: SlackHarness) -> None:
    speaks_french(slack, "dana")
    assert await stored_locale(slack, "dana") is None
    assert await slack.reply_text("dana", "help")  # her Slack language is looked up once, and kept
    assert await stored_locale(slack, "dana") == "fr"
    assert "waiting for a chair's approval" in await slack.reply_text("bea", "wg join safety")
    [asks] = await slack.api.wait_for(
        "chat.postMessage", lambda c: c.args.get("channel") == "D0DANA" and "Béatrice" in c.args["text"]
    )
    assert asks.args["text"].startswith("Béatrice Dubois demande à rejoindre AI Safety Working Group : ")
    assert "demande à rejoindre" in texts({"blocks": asks.args["blocks"]})
    approved = await slack.reply_text("dana", "wg approve safety bea")
    assert approved == "@bea est désormais membre de safety."  # dana's own answer is French
    [told] = await slack.api.wait_for(
        "chat.postMessage", lambda c: c.args.get("channel") == "D0BEA" and "Safety" in c.args["text"]
    )
    assert "approved your request to join AI Safety Working Group" in told.args["text"]
    assert (asked(slack, USERS["dana"]), asked(slack, USERS["bea"])) == (1, 1)  # no look-up per DM


async def test_dm_languages_come_from_the_database_even_when_slack_refuses_look_ups(
    slack: SlackHarness,
) -> None:
    speaks_french(slack, "dana", "bea")
    await slack.reply_text("dana", "help")  # dana's language is stored with her identity
    slack.runtime.locales.forget()  # a restart: nothing cached in memory any more
    slack.api.fail("users.info", "ratelimited", times=50)  # and Slack now refuses every look-up
    looked_up = sum(c.method.startswith("users.info") for c in slack.api.calls)
    assert "waiting for a chair's approval" in await slack.reply_text("bea", "wg join safety")
    [asks] = await slack.api.wait_for(
        "chat.postMessage", lambda c: c.args.get("channel") == "D0DANA" and "Béatrice" in c.args["text"]
    )
    assert asks.args["text"].startswith("Béatrice Dubois demande à rejoindre AI Safety Working Group : ")
    assert sum(c.method.startswith("users.info") for c in slack.api.calls) == looked_up + 1  # bea's only
    assert await stored_locale(slack, "bea") is None  # a refused look-up stores nothing
