"""The receipt is written once: a ballot cast through Slack's form and one typed as ``/gov vote`` go
through the same handler and answer with the same sentence (only the receipt code differs)."""

from __future__ import annotations

import html
import json
import re
from typing import Any

from tests.fakes.slack_harness import USERS, SlackHarness

RECEIPT = re.compile(r"\b[A-Z0-9]{5}-[A-Z0-9]{5}\b")


def pick(handle: str) -> dict[str, Any]:
    """A static_select's state after choosing ``handle``."""
    return {
        "pick": {
            "type": "static_select",
            "selected_option": {"text": {"type": "plain_text", "text": handle}, "value": handle},
        }
    }


def form_text(view: dict[str, Any]) -> str:
    """The sentence of a confirmation modal (its only section)."""
    return str(view["blocks"][0]["text"]["text"])


async def test_the_form_and_the_typed_vote_give_the_same_receipt_text(slack: SlackHarness) -> None:
    await slack.reply_text("sec", "election open-voting board-2027 --close +7d")
    typed = await slack.reply_text("bea", "vote board-2027 chen dana")
    view = await slack.open_ballot("alice", "vote board-2027")
    sent = await slack.submit("alice", view, {"rank_1": pick("chen"), "rank_2": pick("dana")})
    assert sent.json["response_action"] == "update"
    shown = form_text(sent.json["view"])
    assert RECEIPT.search(shown) and RECEIPT.search(typed)
    assert RECEIPT.sub("#", html.unescape(shown)) == RECEIPT.sub("#", html.unescape(typed))
    assert shown.startswith("Ballot recorded in board-2027: chen &gt; dana. Your receipt: ")
    dm = await slack.api.wait_for("chat.postMessage", lambda c: c.args.get("channel") == USERS["alice"])
    assert RECEIPT.search(shown).group(0) in dm[-1].args["text"]  # type: ignore[union-attr]
    assert RECEIPT.sub("#", html.unescape(dm[-1].args["text"])) == RECEIPT.sub("#", html.unescape(shown))


async def test_a_refusal_of_the_handler_shows_in_the_form_and_casts_nothing(slack: SlackHarness) -> None:
    await slack.reply_text("sec", "election open-voting board-2027 --close +7d")
    view = await slack.open_ballot("alice", "vote board-2027")
    before = await slack.state_counts()
    refused = await slack.submit("arjun", view, {"rank_1": pick("chen")})  # not his organisation's rep
    assert refused.json["response_action"] == "errors"
    assert "voting representative" in json.dumps(refused.json["errors"])
    assert await slack.state_counts() == before
