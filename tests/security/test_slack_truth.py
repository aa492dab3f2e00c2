"""Issue 21 items 10 and 11 on Slack, through the real Bolt app behind its HTTP endpoint and the fake
Web API: an answer Slack refuses after the command ran is replaced by a direct message saying what was
done, and typed mentions (``<!channel>``, ``<!here>``, ``<@U…>``) never reach Slack as mentions."""

from __future__ import annotations

import json
import re

from governance.services import elections
from tests.fakes.slack_harness import USERS, SlackHarness

LIVE_MENTION = re.compile(r"<!(channel|here|everyone)[^>]*>|<@[UW][A-Z0-9]+>|<#C[A-Z0-9]+(\|[^>]*)?>")


def live_mentions(payload: object) -> list[str]:
    """Every mention Slack would act on in a message payload (its text and every block)."""
    return [m.group(0) for m in LIVE_MENTION.finditer(json.dumps(payload))]


async def test_typed_mentions_never_notify_in_answers_or_channel_posts(slack: SlackHarness) -> None:
    """A motion titled '<!channel> <!here> <@U0BEA>' used to ping the channel from the outbox post (its
    notification text was sent unescaped)."""
    await slack.reply_text(
        "sec", 'body create council "Council" --kind committee --channel <#C0COUNCIL|council>'
    )
    for handle in ("alice", "bea"):
        await slack.reply_text("sec", f"body seat council {handle}")
    title = "<!channel> read & vote <!here> <!everyone> <@U0NOBODY>"
    proposed = await slack.command("alice", f'motion propose council "{title}" --deadline +7d')
    assert proposed.status == 200
    await slack.api.wait_for("chat.postMessage", lambda c: c.args.get("channel") == "C0COUNCIL")
    answers = [proposed.json, *(c.args for c in slack.api.calls_to("response_url"))]
    posts = [c.args for c in slack.api.calls_to("chat.postMessage")]
    council = [p for p in posts if p.get("channel") == "C0COUNCIL"]
    assert council and "&lt;!channel&gt;" in council[-1]["text"]
    assert all(live_mentions(p) == [] for p in [*answers, *posts])


async def test_an_answer_slack_refused_after_a_close_comes_by_direct_message(slack: SlackHarness) -> None:
    """`election close` ran, then Slack's response_url answered 500: the admin used to see only
    an empty acknowledgement; now a DM says the election was closed (do not run it again), with the result."""
    await slack.reply_text("sec", "election open-voting board-2027 --close +7d")
    await slack.reply_text("alice", "vote board-2027 chen dana")
    slack.api.fail("response_url", "500")
    sent = await slack.command("sec", "election close board-2027")
    assert (sent.status, sent.text) == (200, "")  # acknowledged at once, the answer follows
    await slack.api.wait_for("response_url:500")
    dms = await slack.api.wait_for(
        "chat.postMessage",
        lambda c: c.args.get("channel") == USERS["sec"] and "carried out" in c.args["text"],
    )
    told = dms[-1].args["text"]
    assert "`/gov election close board-2027` was carried out" in told and "Closed" in told
    assert "nothing was changed" not in told
    assert (await elections.show(slack.ctx, "board-2027")).election.phase == "closed"


async def test_a_motion_vote_whose_confirmation_slack_refused_is_confirmed_by_direct_message(
    slack: SlackHarness,
) -> None:
    """The vote button's answer (response_url) fails: the DM says the vote is recorded, with the receipt."""
    await slack.reply_text("alice", 'motion propose toc "Adopt the model licence" --deadline +7d')
    slack.api.fail("response_url", "500")
    sent = await slack.block_action("bea", "gov_motion_vote_yes", "1", block_id="motion_vote")
    assert sent.status == 200
    dms = await slack.api.wait_for(
        "chat.postMessage", lambda c: c.args.get("channel") == USERS["bea"] and "recorded" in c.args["text"]
    )
    assert "Your vote is recorded" in dms[-1].args["text"] and "M1" in dms[-1].args["text"]
