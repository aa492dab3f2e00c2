"""Socket Mode for real: ``serve()`` with ``SLACK_APP_TOKEN`` asks the fake Web API for a WebSocket URL
(``apps.connections.open``), connects to the loopback fake of Slack's socket, and answers the envelopes it
is sent with acknowledgement frames; the commands take effect in the database."""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from bot.config import Settings
from bot.slack.app import serve
from governance import seed
from governance.models import Ballot, Body
from governance.services.common import Context
from tests.fakes.slack_api import FakeSlackAPI
from tests.fakes.slack_harness import STRANGER, TEAM, USERS, link_all, pick
from tests.fakes.slack_socket import FakeSlackSocket

APP_TOKEN = "xapp-1-A0001-1-fake"
_n = itertools.count(1)


@dataclass
class SocketHarness:
    """The bot running in Socket Mode against the fakes."""

    ctx: Context
    api: FakeSlackAPI
    socket: FakeSlackSocket

    def command(self, user: str, text: str) -> dict[str, Any]:
        """The payload of a ``/gov`` slash-command envelope (the same fields as over HTTP)."""
        n = next(_n)
        return {
            "token": "unused",
            "team_id": TEAM,
            "team_domain": "alliance",
            "channel_id": "C0GENERAL",
            "channel_name": "general",
            "user_id": USERS.get(user, user),
            "user_name": user,
            "command": "/gov",
            "text": text,
            "api_app_id": "A0001",
            "is_enterprise_install": "false",
            "response_url": self.api.response_url(f"sock{n}"),
            "trigger_id": self.api.trigger(),
        }

    async def reply(self, user: str, text: str) -> str:
        """Run a command over the socket: its acknowledgement is empty, and its reply text comes through
        the response_url after it."""
        before = len(self.api.calls_to("response_url"))
        ack = await self.socket.request("slash_commands", self.command(user, text))
        assert not ack.get("payload"), ack
        answer = (await self.api.wait_for("response_url", count=before + 1))[-1].args
        assert answer["response_type"] == "ephemeral", answer
        return str(answer["text"])


@pytest.fixture
async def socket_bot(ctx: Context) -> AsyncIterator[SocketHarness]:
    """The sample alliance linked to Slack, and ``serve()`` connected to the fake socket."""
    await seed.seed(ctx)
    await link_all(ctx)
    api = await FakeSlackAPI(team_id=TEAM).start()
    sock = await FakeSlackSocket().start()
    api.socket_url = sock.url
    settings = Settings(
        SLACK_BOT_TOKEN="xoxb-test-token",
        SLACK_APP_TOKEN=APP_TOKEN,
        SLACK_SIGNING_SECRET="",
        SLACK_API_BASE_URL=api.base_url,
    )
    stop = asyncio.Event()
    running = asyncio.ensure_future(
        serve(ctx, settings, http=False, port=0, tz=ZoneInfo("Europe/Paris"), stop=stop)
    )
    try:
        await sock.connected()
        yield SocketHarness(ctx, api, sock)
    finally:
        stop.set()
        assert await asyncio.wait_for(running, 10) == 0
        await sock.stop()
        await api.stop()
    assert not api.refusals, f"Slack would have refused: {api.refusals}"
    assert not sock.refusals, f"Slack would have refused these acknowledgements: {sock.refusals}"


async def test_slash_command_over_the_socket_is_acked_with_its_reply_and_takes_effect(
    socket_bot: SocketHarness,
) -> None:
    opened = socket_bot.api.calls_to("apps.connections.open")
    assert len(opened) == 1 and opened[0].token == APP_TOKEN  # the app-level token, not the bot token
    created = await socket_bot.reply(
        "sec", 'body create council "Council" --kind committee --channel <#C0COUNCIL|council>'
    )
    assert created == "Created Council (council, committee)."
    async with socket_bot.ctx.db.reading() as session:
        body = (await session.execute(select(Body).where(Body.slug == "council"))).scalar_one()
    assert body.channel == "C0COUNCIL"
    assert "not linked to anyone" in await socket_bot.reply(STRANGER, "body create x X --kind committee")
    async with socket_bot.ctx.db.reading() as session:
        assert (await session.execute(select(Body).where(Body.slug == "x"))).first() is None
    assert socket_bot.socket.unexpected == []


async def test_ballot_modal_submitted_over_the_socket_is_counted(socket_bot: SocketHarness) -> None:
    sock, api = socket_bot.socket, socket_bot.api
    assert "open until" in await socket_bot.reply("sec", "election open-voting board-2027 --close +7d")
    ack = await sock.request("slash_commands", socket_bot.command("alice", "vote board-2027"))
    assert "payload" not in ack or not ack["payload"]  # an empty ack: the form opens instead
    view = dict((await api.wait_for("views.open"))[-1].args["view"])
    view["id"] = "V0SOCK"

    def submission(values: dict[str, Any]) -> dict[str, Any]:
        return {
            "type": "view_submission",
            "team": {"id": TEAM, "domain": "alliance"},
            "user": {"id": USERS["alice"], "username": "alice", "name": "alice", "team_id": TEAM},
            "api_app_id": "A0001",
            "token": "unused",
            "trigger_id": "9.4242.sock",
            "view": {**view, "state": {"values": values}},
            "response_urls": [],
            "is_enterprise_install": False,
        }

    async def ballots() -> int:
        async with socket_bot.ctx.db.reading() as session:
            return int((await session.execute(select(func.count()).select_from(Ballot))).scalar_one())

    refused = await sock.request("interactive", submission({"rank_1": pick("chen"), "rank_2": pick("chen")}))
    assert refused["payload"] == {
        "response_action": "errors",
        "errors": {"rank_2": "Already chosen as choice 1: pick each candidate once."},
    }
    assert await ballots() == 0
    accepted = await sock.request("interactive", submission({"rank_1": pick("chen"), "rank_2": pick("dana")}))
    assert accepted["payload"]["response_action"] == "update"  # the form becomes its confirmation
    assert "Ballot recorded in" in json.dumps(accepted["payload"]["view"])
    assert await ballots() == 1
    receipt = await api.wait_for("chat.postMessage", lambda c: c.args.get("channel") == USERS["alice"])
    assert "chen &gt; dana" in receipt[-1].args["text"]


async def test_block_action_over_the_socket_opens_the_ballot(socket_bot: SocketHarness) -> None:
    await socket_bot.reply("sec", "election open-voting board-2027 --close +7d")
    trigger = socket_bot.api.trigger()
    payload = {
        "type": "block_actions",
        "user": {"id": USERS["bea"], "username": "bea", "team_id": TEAM},
        "api_app_id": "A0001",
        "token": "unused",
        "trigger_id": trigger,
        "team": {"id": TEAM, "domain": "alliance"},
        "container": {"type": "message", "message_ts": "1700000000.000100", "channel_id": "D0BEA"},
        "channel": {"id": "D0BEA", "name": "directmessage"},
        "response_url": socket_bot.api.response_url("button"),
        "actions": [
            {
                "action_id": "gov_open_ballot",
                "block_id": "gov_outbox_vote",
                "value": "election:board-2027",
                "type": "button",
                "action_ts": "1700000000.000200",
            }
        ],
    }
    ack = await socket_bot.socket.request("interactive", payload, accepts_response_payload=False)
    assert not ack.get("payload")
    opened = await socket_bot.api.wait_for("views.open")
    assert opened[-1].args["trigger_id"] == trigger
    assert json.loads(opened[-1].args["view"]["private_metadata"])["slug"] == "board-2027"


async def test_a_bot_token_given_as_app_token_stops_with_a_clear_message(
    ctx: Context, caplog: pytest.LogCaptureFixture
) -> None:
    api = await FakeSlackAPI(team_id=TEAM).start()
    try:
        settings = Settings(
            SLACK_BOT_TOKEN="xoxb-test-token", SLACK_APP_TOKEN="xoxb-oops", SLACK_API_BASE_URL=api.base_url
        )
        with caplog.at_level(logging.ERROR, logger="bot.slack.app"):
            code = await asyncio.wait_for(
                serve(ctx, settings, http=False, port=0, tz=ZoneInfo("UTC")), timeout=10
            )
        assert code == 2
        assert "not_allowed_token_type" in caplog.text and "xapp-" in caplog.text
        assert api.calls_to("apps.connections.open:not_allowed_token_type")
    finally:
        await api.stop()


async def test_home_opened_event_over_the_socket_publishes_the_home_tab(socket_bot: SocketHarness) -> None:
    event = {
        "token": "unused",
        "team_id": TEAM,
        "api_app_id": "A0001",
        "event": {"type": "app_home_opened", "user": USERS["dana"], "channel": "D0DANA", "tab": "home"},
        "type": "event_callback",
        "event_id": "Ev0SOCKET",
        "event_time": 1700000000,
        "authorizations": [{"team_id": TEAM, "user_id": "UBOT", "is_bot": True}],
    }
    ack = await socket_bot.socket.request("events_api", event, accepts_response_payload=False)
    assert not ack.get("payload")
    home = await socket_bot.api.wait_for("views.publish", lambda c: c.args.get("user_id") == USERS["dana"])
    assert "AI Safety Working Group" in json.dumps(home[-1].args["view"], ensure_ascii=False)
