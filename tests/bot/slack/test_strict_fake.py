"""The fake Slack refuses what Slack refuses, through the real ``slack_sdk`` client: views and messages
over Slack's documented limits, malformed blocks, and stale, reused or unknown triggers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from tests.fakes.slack_api import FakeSlackAPI
from tests.fakes.slack_rules import check_options


@pytest.fixture
async def api() -> AsyncIterator[FakeSlackAPI]:
    """The fake Slack Web API."""
    fake = await FakeSlackAPI().start()
    yield fake
    await fake.stop()


@pytest.fixture
async def client(api: FakeSlackAPI) -> AsyncIterator[AsyncWebClient]:
    """A real ``slack_sdk`` client pointed at the fake."""
    async with aiohttp.ClientSession() as session:
        yield AsyncWebClient(token="xoxb-test", base_url=api.base_url, session=session)


def text(kind: str, value: str) -> dict[str, Any]:
    return {"type": kind, "text": value}


def section(value: str) -> dict[str, Any]:
    return {"type": "section", "text": text("mrkdwn", value)}


def modal(blocks: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {"type": "modal", "title": text("plain_text", "Ballot"), "blocks": blocks, **extra}


def option(i: int, label: str | None = None) -> dict[str, Any]:
    return {"text": text("plain_text", label or f"Candidate {i}"), "value": f"c{i}"}


def select(options: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "type": "input",
        "label": text("plain_text", "Choice"),
        "element": {"type": "static_select", "action_id": "pick", "options": options},
    }


async def refusal(call: Any) -> str:
    """The Slack error code a call failed with (fails the test if Slack took it)."""
    with pytest.raises(SlackApiError) as raised:
        await call
    return str(raised.value.response["error"])


BAD_VIEWS = {
    "unknown block type": ([{"type": "carousel"}], {}),
    "unknown element type": ([{"type": "actions", "elements": [{"type": "slider"}]}], {}),
    "section text over 3,000": ([section("x" * 3001)], {}),
    "header over 150": ([{"type": "header", "text": text("plain_text", "x" * 151)}], {}),
    "button text over 75": (
        [{"type": "actions", "elements": [{"type": "button", "text": text("plain_text", "x" * 76)}]}],
        {},
    ),
    "option text over 75": ([select([option(1, "x" * 76)])], {"submit": text("plain_text", "Vote")}),
    "101 options in a select": (
        [select([option(i) for i in range(101)])],
        {"submit": text("plain_text", "Vote")},
    ),
    "11 checkboxes": (
        [
            {
                "type": "input",
                "label": text("plain_text", "Approve"),
                "element": {
                    "type": "checkboxes",
                    "action_id": "p",
                    "options": [option(i) for i in range(11)],
                },
            }
        ],
        {"submit": text("plain_text", "Vote")},
    ),
    "an input without a submit button": ([select([option(1)])], {}),
    "101 blocks": ([section("x")] * 101, {}),
    "no block": ([], {}),
    "title over 24": ([section("x")], {"title": text("plain_text", "x" * 25)}),
}


@pytest.mark.parametrize("case", list(BAD_VIEWS))
async def test_a_view_slack_cannot_build_is_refused(
    api: FakeSlackAPI, client: AsyncWebClient, case: str
) -> None:
    blocks, extra = BAD_VIEWS[case]
    trigger = api.trigger()
    assert (
        await refusal(client.views_open(trigger_id=trigger, view=modal(blocks, **extra)))
        == "invalid_arguments"
    )
    assert api.refusals[-1][:2] == ("views.open", "invalid_arguments")
    # the refused view did not use up the trigger: a good view opens with it
    opened = await client.views_open(trigger_id=trigger, view=modal([section("ok")]))
    assert opened["ok"] and opened["view"]["blocks"] == [section("ok")]


async def test_a_view_over_250_kb_is_too_large(api: FakeSlackAPI, client: AsyncWebClient) -> None:
    inputs = [
        {**select([option(i, f"{'x' * 60} {i}") for i in range(100)]), "block_id": f"r{n}"} for n in range(30)
    ]
    view = modal(inputs, submit=text("plain_text", "Vote"))
    assert await refusal(client.views_open(trigger_id=api.trigger(), view=view)) == "view_too_large"
    assert await refusal(client.views_publish(user_id="U1", view={"type": "home", "blocks": inputs})) in (
        "view_too_large"
    )


async def test_triggers_last_three_seconds_and_serve_once(api: FakeSlackAPI, client: AsyncWebClient) -> None:
    view = modal([section("hello")])
    stale = api.trigger()
    api.age(stale, 3.5)
    assert await refusal(client.views_open(trigger_id=stale, view=view)) == "expired_trigger_id"
    fresh = api.trigger()
    assert (await client.views_open(trigger_id=fresh, view=view))["ok"]
    assert await refusal(client.views_open(trigger_id=fresh, view=view)) == "exchanged_trigger_id"
    assert await refusal(client.views_push(trigger_id="1.2.never-issued", view=view)) == "invalid_trigger_id"
    assert [r[1] for r in api.refusals] == [
        "expired_trigger_id",
        "exchanged_trigger_id",
        "invalid_trigger_id",
    ]


async def test_views_go_where_they_belong(api: FakeSlackAPI, client: AsyncWebClient) -> None:
    home = {"type": "home", "blocks": [section("x")]}
    assert await refusal(client.views_open(trigger_id=api.trigger(), view=home)) == "invalid_arguments"
    assert (
        await refusal(client.views_publish(user_id="U1", view=modal([section("x")]))) == "invalid_arguments"
    )
    unnamed = client.api_call("views.update", json={"view": modal([section("x")])})
    assert await refusal(unnamed) == "not_found"
    assert (await client.views_publish(user_id="U1", view=home))["ok"]
    assert (await client.views_update(view_id="V1", view=modal([section("x")])))["ok"]


async def test_messages_over_slack_limits_are_refused(api: FakeSlackAPI, client: AsyncWebClient) -> None:
    assert await refusal(client.chat_postMessage(channel="C1", text="x" * 40_001)) == "msg_too_long"
    assert await refusal(client.chat_postMessage(channel="C1", text="x", blocks=[section("x")] * 51)) == (
        "invalid_blocks"
    )
    assert await refusal(client.chat_postMessage(channel="C1", text="x", blocks=[section("x" * 3001)])) == (
        "invalid_blocks"
    )
    assert await refusal(client.chat_postMessage(channel="C1", text="")) == "no_text"
    assert await refusal(client.chat_postEphemeral(channel="C1", user="", text="x")) == "user_not_found"
    assert await refusal(client.chat_update(channel="C1", ts="1.2", text="x" * 40_001)) == "msg_too_long"
    assert len(api.refusals) == 6
    fine = await client.chat_postMessage(channel="C1", text="x" * 40_000, blocks=[section("y")] * 50)
    assert fine["ok"] and len(api.calls_to("chat.postMessage")) == 1


async def test_a_response_url_refuses_what_chat_refuses(api: FakeSlackAPI) -> None:
    async with aiohttp.ClientSession() as session:
        hook = AsyncWebhookClient(url=api.response_url("r1"), session=session)
        refused = await hook.send(text="x", blocks=[section("x")] * 51)
        taken = await hook.send(text="ok", blocks=[section("fine")])
    assert (refused.status_code, refused.body) == (400, "invalid_blocks")
    assert taken.status_code == 200
    assert [c.method for c in api.calls] == ["response_url:invalid_blocks", "response_url"]


def test_a_type_ahead_answer_is_checked_like_a_select() -> None:
    assert check_options([option(i) for i in range(100)]) is None
    assert check_options([option(i) for i in range(101)]) is not None
    assert check_options([option(1, "x" * 76)]) is not None
    assert check_options([{"text": text("plain_text", "A"), "value": "v" * 151}]) is not None
