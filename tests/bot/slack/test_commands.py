"""``/gov`` over signed HTTP: an empty acknowledgement then the reply through response_url, identity
and linking, and requests that must be refused without changing anything."""

from __future__ import annotations

import asyncio
import html
import json
import time
from urllib.parse import urlencode

from tests.fakes.slack_harness import STRANGER, TEAM, SlackHarness, sign


async def test_command_reply_comes_through_response_url_as_ephemeral_blocks(slack: SlackHarness) -> None:
    body = await slack.reply("alice", "whoami")
    assert body["response_type"] == "ephemeral" and body["replace_original"] is False
    assert body["text"].startswith("You are Alice Martin (@alice)")
    assert body["blocks"][0]["type"] == "section"


async def test_table_reply_renders_as_preformatted_block(slack: SlackHarness) -> None:
    body = (await slack.reply("sec", "roster orgs"))
    assert body["text"] == "5 organisation(s)."
    pre = [b for b in body["blocks"] if b["type"] == "section" and b["text"]["text"].startswith("```")]
    assert pre and "Acme AI" in pre[0]["text"]["text"]


async def test_error_reply_is_flagged_with_its_hint(slack: SlackHarness) -> None:
    body = (await slack.reply("alice", "election show nope"))
    assert body["text"].startswith("Error: No election 'nope'.")
    assert body["blocks"][0]["text"]["text"].startswith(":warning: *No election")
    assert (
        body["blocks"][1]["type"] == "context" and "election list" in body["blocks"][1]["elements"][0]["text"]
    )


async def test_unlinked_user_is_told_how_to_get_linked_and_nothing_changes(slack: SlackHarness) -> None:
    before = await slack.state_counts()
    body = (await slack.reply(STRANGER, "election create x --body board"))
    assert "not linked to anyone on the alliance roster" in body["text"]
    hint = html.unescape(body["blocks"][1]["elements"][0]["text"])
    assert f"roster link <your-handle> slack {TEAM} {STRANGER}" in hint
    assert await slack.state_counts() == before


async def test_admin_links_a_slack_account_with_a_mention(slack: SlackHarness) -> None:
    assert "Added Zoe Zhang" in await slack.reply_text("sec", 'roster person add zoe "Zoe Zhang" --org acme')
    linked = await slack.reply_text("sec", "roster link zoe <@U0ZOE|zoe>")
    assert linked == "Linked that slack account to @zoe."
    assert (await slack.reply("U0ZOE", "whoami"))["text"].startswith("You are Zoe Zhang (@zoe)")


async def test_member_cannot_link_accounts(slack: SlackHarness) -> None:
    before = await slack.state_counts()
    text = await slack.reply_text("alice", "roster link alice slack T0001 U0OTHER")
    assert text.startswith("Error:")
    assert await slack.state_counts() == before


async def test_forged_signature_gets_401_and_changes_nothing(slack: SlackHarness) -> None:
    before = await slack.state_counts()
    body = slack.command_body("sec", "election create forged --body board")
    sent = await slack.post(body, "application/x-www-form-urlencoded", sign(body, secret="not-the-secret"))
    assert sent.status == 401
    tampered = sign(body)
    sent = await slack.post(body.replace("forged", "tampered"), "application/x-www-form-urlencoded", tampered)
    assert sent.status == 401
    unsigned = await slack.post(body, "application/x-www-form-urlencoded", {})
    assert unsigned.status == 401
    assert await slack.state_counts() == before
    assert not slack.api.calls_to("auth.test") and not slack.api.calls_to(
        "response_url"
    )  # never reached Bolt


async def test_stale_timestamp_replay_gets_401_and_changes_nothing(slack: SlackHarness) -> None:
    before = await slack.state_counts()
    body = slack.command_body("sec", "election create replayed --body board")
    sent = await slack.post(
        body, "application/x-www-form-urlencoded", sign(body, timestamp=int(time.time()) - 600)
    )
    assert sent.status == 401
    assert await slack.state_counts() == before
    assert "replayed" not in (await slack.reply("sec", "election list"))["blocks"][1]["text"]["text"]


async def test_malformed_payload_is_refused_cleanly(slack: SlackHarness) -> None:
    before = await slack.state_counts()
    sent = await slack.post(urlencode({"payload": "{not json"}), "application/x-www-form-urlencoded")
    assert sent.status == 400
    assert "Traceback" not in sent.text
    sent = await slack.post("{]", "application/json")
    assert 400 <= sent.status < 500
    # A well-formed view submission whose form govbot does not know: an error in the form, nothing cast.
    view = {
        "id": "V0X",
        "type": "modal",
        "callback_id": "gov_ballot",
        "private_metadata": "[1, 2]",
        "blocks": [{"type": "input", "block_id": "rank_1"}],
    }
    sent = await slack.submit("alice", view, {"rank_1": {"pick": "garbage"}})
    assert sent.status == 200
    assert sent.json["response_action"] == "errors"
    assert "not one govbot recognises" in sent.json["errors"]["rank_1"]
    # A slash command that does not say who sent it.
    body = urlencode(
        {
            "command": "/gov",
            "text": "whoami",
            "team_id": TEAM,
            "response_url": slack.api.response_url("x"),
            "trigger_id": "1.2.3",
        }
    )
    sent = await slack.post(body, "application/x-www-form-urlencoded")
    assert sent.status == 200 and "does not say who sent it" in sent.json["text"]
    assert await slack.state_counts() == before


async def test_mentions_and_channels_become_handles_and_ids(slack: SlackHarness) -> None:
    text = await slack.reply_text(
        "sec", 'body create council "Council" --kind committee --channel <#C0COUNCIL|council>'
    )
    assert text == "Created Council (council, committee)."
    assert await slack.reply_text("sec", "body seat council <@U0BEA|bea>") == "@bea is now member of council."
    shown = (await slack.reply("sec", "body show council"))
    assert "bea" in json.dumps(shown["blocks"])


async def test_shutdown_lets_work_after_the_ack_finish_and_cuts_off_only_the_stuck(
    slack: SlackHarness,
) -> None:
    sent = await slack.command("alice", "whoami")
    assert (sent.status, sent.text) == (200, "")
    assert await slack.runtime.drain(5.0) == 0  # the answer went out before the process would stop
    assert slack.api.calls_to("response_url")[-1].args["text"].startswith("You are Alice Martin")
    stuck = slack.runtime.spawn(asyncio.Event().wait())
    assert await slack.runtime.drain(0.05) == 1
    await asyncio.sleep(0)
    assert stuck.cancelled()
