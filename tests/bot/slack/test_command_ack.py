"""``/gov`` is acknowledged before any look-up (issue 14): the acknowledgement is an empty 200 that waits
for neither the database (the person, the replay claim, the command) nor Slack's ``users.info``; the
reply follows through the command's ``response_url``, ephemeral, in the reader's language. A look-up
that fails still answers, in the default language, and a repeat is still acted on at most once."""

from __future__ import annotations

import asyncio
from urllib.parse import urlencode

import pytest
from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from sqlalchemy import func, select, text

from bot.slack import fastack
from governance.models import Motion, SeenRequest
from tests.fakes.slack_harness import USERS, SlackHarness, sign

FORM = "application/x-www-form-urlencoded"


async def _count(slack: SlackHarness, model: type) -> int:
    async with slack.ctx.db.reading() as session:
        return int((await session.execute(select(func.count()).select_from(model))).scalar_one())


async def test_the_ack_waits_for_no_look_up_and_the_reply_follows_in_the_readers_language(
    slack: SlackHarness,
) -> None:
    slack.api.locales[USERS["alice"]] = "fr-FR"
    claimed = await _count(slack, SeenRequest)
    slack.runtime.slots = asyncio.Semaphore(0)  # nothing after the acknowledgement may start yet
    sent = await slack.command("alice", "election show nope")
    assert (sent.status, sent.text) == (200, "")
    # When the acknowledgement was sent nothing had been looked up, claimed or answered.
    assert not slack.api.calls_to("users.info") and not slack.api.calls_to("response_url")
    assert await _count(slack, SeenRequest) == claimed
    slack.runtime.slots.release()
    [answer] = await slack.api.wait_for("response_url")
    assert answer.args["response_type"] == "ephemeral" and answer.args["replace_original"] is False
    assert answer.args["text"].startswith("Erreur : Aucune élection 'nope'.")
    assert slack.api.calls_to("users.info", lambda c: c.args.get("user") == USERS["alice"])
    assert await _count(slack, SeenRequest) == claimed + 1


async def test_a_slow_users_info_delays_only_the_reply(slack: SlackHarness) -> None:
    slack.api.locales[USERS["bea"]] = "fr-FR"
    slack.api.delay("users.info", 1.2)  # a loaded machine still acks first; under the 2 s wait
    sent = await slack.command("bea", "whoami")
    assert (sent.status, sent.text) == (200, "")
    assert not slack.api.calls_to("users.info")  # Slack had not answered when the ack went out
    [answer] = await slack.api.wait_for("response_url")
    assert answer.args["text"].startswith("Vous êtes Béatrice Dubois (@bea)")


async def test_a_failed_look_up_still_answers_in_the_default_language_and_does_nothing(
    slack: SlackHarness,
) -> None:
    slack.api.locales[USERS["alice"]] = "fr-FR"
    before = await slack.state_counts()
    motions = await _count(slack, Motion)
    async with slack.ctx.db.transaction() as session:  # the roster cannot be read: a real database error
        await session.execute(text("ALTER TABLE chat_identities RENAME TO chat_identities_away"))
    try:
        answer = await slack.reply("alice", 'motion propose toc "Adopt the model licence" --deadline +7d')
    finally:
        async with slack.ctx.db.transaction() as session:
            await session.execute(text("ALTER TABLE chat_identities_away RENAME TO chat_identities"))
    assert answer["response_type"] == "ephemeral"
    assert answer["text"].startswith("Error: Something went wrong on our side (reference ")
    assert "nothing was changed" in answer["text"]
    assert "Traceback" not in str(answer) and "chat_identities" not in str(answer)
    assert await _count(slack, Motion) == motions
    assert await slack.state_counts() == before
    # The roster is back: the same person is answered, in her language, and the command runs.
    again = await slack.reply("alice", "whoami")
    assert again["text"].startswith("Vous êtes Alice Martin (@alice)")


async def test_a_repeat_acknowledged_before_the_claim_is_still_acted_on_once(slack: SlackHarness) -> None:
    body = slack.command_body("alice", 'motion propose toc "Adopt the model licence" --deadline +7d')
    headers = sign(body)
    slack.runtime.slots = asyncio.Semaphore(0)  # both arrive before either is claimed
    first = await slack.post(body, FORM, headers)
    again = await slack.post(body, FORM, headers)
    assert (first.status, first.text) == (again.status, again.text) == (200, "")
    slack.runtime.slots.release()
    assert await slack.runtime.drain(5.0) == 0
    assert await _count(slack, Motion) == 1
    [answer] = slack.api.calls_to("response_url")
    assert answer.args["text"].startswith("Motion M1 is open until")


async def test_bolt_dispatches_the_command_only_after_its_acknowledgement(
    slack: SlackHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The empty acknowledgement goes out before Bolt's middleware and listener run (bot/slack/fastack.py):
    with no slot free after the acknowledgement, Bolt has not yet seen the command; then it runs once."""
    dispatched: list[object] = []
    real = AsyncApp.async_dispatch

    async def counted(app: AsyncApp, req: AsyncBoltRequest) -> BoltResponse:
        dispatched.append(req.body.get("text"))
        return await real(app, req)

    monkeypatch.setattr(AsyncApp, "async_dispatch", counted)
    slack.runtime.slots = asyncio.Semaphore(0)
    sent = await slack.command("alice", "whoami")
    assert (sent.status, sent.text) == (200, "") and dispatched == []
    slack.runtime.slots.release()
    [answer] = await slack.api.wait_for("response_url")
    assert answer.args["text"].startswith("You are Alice Martin (@alice)")
    assert dispatched == ["whoami"]


async def test_a_failure_in_bolt_after_the_acknowledgement_is_told_through_response_url(
    slack: SlackHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Bolt answering anything but the empty acknowledgement (here an error, as when a listener raises)
    reaches the person through ``response_url`` with a reference, and nothing was done."""
    before = await slack.state_counts()

    async def failing(app: AsyncApp, req: AsyncBoltRequest) -> BoltResponse:
        return BoltResponse(status=500, body="")

    monkeypatch.setattr(AsyncApp, "async_dispatch", failing)
    sent = await slack.command("sec", 'motion propose toc "Adopt the model licence" --deadline +7d')
    assert (sent.status, sent.text) == (200, "")
    [answer] = await slack.api.wait_for("response_url")
    assert answer.args["response_type"] == "ephemeral" and answer.args["replace_original"] is False
    assert answer.args["text"].startswith("Error: Something went wrong on our side (reference ")
    assert await slack.state_counts() == before


def test_only_a_command_that_says_who_sent_it_and_where_to_answer_is_acknowledged_first() -> None:
    """A ``/gov`` without its sender or ``response_url``, or another command, goes through Bolt as before
    (which answers it in the acknowledgement)."""
    full = {"command": "/gov", "team_id": "T1", "user_id": "U1", "response_url": "https://hooks/x"}

    def request(**body: str) -> AsyncBoltRequest:
        return AsyncBoltRequest(body=urlencode(body), headers={"content-type": [FORM]})

    assert fastack.acknowledged_first(request(**full), "/gov")
    assert not fastack.acknowledged_first(request(**{**full, "command": "/other"}), "/gov")
    for missing in ("team_id", "user_id", "response_url"):
        assert not fastack.acknowledged_first(request(**{**full, missing: ""}), "/gov")
