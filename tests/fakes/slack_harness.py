"""A running Slack adapter for tests: the real AsyncApp behind its aiohttp server on 127.0.0.1, the Web
API served by ``tests.fakes.slack_api``, and a client that sends signed requests shaped as Slack
documents them (slash commands form-encoded, interactions as ``payload=<json>``, events as JSON).

The ``slack`` fixture is defined here and offered by the conftests of the folders that use it
(``tests/bot``, ``tests/security``); the helpers at the end (``pick``, ``recorded``, ``dm_to``,
``setup_council``) drive the ballot form and a council election through it."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import itertools
import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlencode, urlparse
from zoneinfo import ZoneInfo

import aiohttp
import pytest
from aiohttp import web
from sqlalchemy import func, select

from bot.config import Settings
from bot.slack.app import Runtime, build_app, runtime_of, web_app
from governance import seed
from governance.models import AuditEvent, Ballot, OutboxMessage
from governance.services import roster
from governance.services.common import Actor, Context
from tests.factories import ANY_METHOD
from tests.fakes.slack_api import FakeSlackAPI

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
TEAM = "T0001"
USERS = {
    "sec": "U0SEC",
    "alice": "U0ALICE",
    "bea": "U0BEA",
    "chen": "U0CHEN",
    "dana": "U0DANA",
    "emma": "U0EMMA",
    "carlos": "U0CARLOS",
    "farid": "U0FARID",
    "arjun": "U0ARJUN",
}
STRANGER = "U0NOBODY"


def sign(body: str, secret: str = SECRET, timestamp: int | None = None) -> dict[str, str]:
    """The headers Slack puts on a request: timestamp and ``v0=`` HMAC-SHA256 of ``v0:ts:body``."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(secret.encode(), f"v0:{ts}:{body}".encode(), hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": f"v0={digest}"}


@dataclass
class Sent:
    """An HTTP answer from the app."""

    status: int
    text: str

    @property
    def json(self) -> dict[str, Any]:
        """The body as JSON ({} when empty or not JSON)."""
        try:
            value = json.loads(self.text) if self.text else {}
        except ValueError:
            return {}
        return value if isinstance(value, dict) else {}


@dataclass
class SlackHarness:
    """Drives the app like Slack does, and sees what it sent to the Web API."""

    url: str
    api: FakeSlackAPI
    ctx: Context
    session: aiohttp.ClientSession
    runtime: Runtime
    secret: str = SECRET
    _n: itertools.count = field(default_factory=lambda: itertools.count(1))  # type: ignore[type-arg]

    async def post(self, body: str, content_type: str, headers: dict[str, str] | None = None) -> Sent:
        """POST a raw body, signed unless ``headers`` are given."""
        hdrs = {"Content-Type": content_type, **(headers if headers is not None else sign(body, self.secret))}
        async with self.session.post(self.url, data=body.encode(), headers=hdrs) as resp:
            sent = Sent(resp.status, await resp.text())
        if sent.status == 200:
            self.api.check_answer(sent.json)  # what Slack would not take is a refusal too
        return sent

    def command_body(self, user: str, text: str, *, team: str = TEAM, trigger: str | None = None) -> str:
        """The form body of a ``/gov`` slash command (the fields Slack documents)."""
        n = next(self._n)
        user_id = USERS.get(user, user)
        return urlencode(
            {
                "token": "verification-token-unused",
                "team_id": team,
                "team_domain": "alliance",
                "channel_id": "C0GENERAL",
                "channel_name": "general",
                "user_id": user_id,
                "user_name": user,
                "command": "/gov",
                "text": text,
                "api_app_id": "A0001",
                "is_enterprise_install": "false",
                "response_url": self.api.response_url(f"cmd{n}"),
                "trigger_id": trigger or self.api.trigger(),
            }
        )

    async def command(self, user: str, text: str, **kw: Any) -> Sent:
        """Send ``/gov <text>`` as ``user`` (a handle in ``USERS``, or a raw Slack user id)."""
        return await self.post(self.command_body(user, text, **kw), "application/x-www-form-urlencoded")

    async def reply(self, user: str, text: str, **kw: Any) -> dict[str, Any]:
        """Run ``/gov <text>`` as ``user``, check that its acknowledgement is an empty 200, and return the
        reply that follows through this command's own ``response_url`` (text, blocks, response_type)."""
        body = self.command_body(user, text, **kw)
        path = urlparse(parse_qs(body)["response_url"][0]).path
        sent = await self.post(body, "application/x-www-form-urlencoded")
        assert (sent.status, sent.text) == (200, ""), sent.text
        calls = await self.api.wait_for("response_url", lambda c: c.path == path)
        return calls[0].args  # the reply comes first (a file's fate may follow it to the same URL)

    async def reply_text(self, user: str, text: str) -> str:
        """Run a command and return its reply text (from its ``response_url``)."""
        return str((await self.reply(user, text)).get("text", ""))

    def _user(self, user: str) -> dict[str, Any]:
        return {"id": USERS.get(user, user), "username": user, "name": user, "team_id": TEAM}

    async def interaction(self, payload: dict[str, Any]) -> Sent:
        """Send an interaction payload form-encoded as ``payload=<json>``."""
        return await self.post(
            urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded"
        )

    async def block_action(
        self,
        user: str,
        action_id: str,
        value: str,
        *,
        view: dict[str, Any] | None = None,
        block_id: str = "b",
        trigger: str | None = None,
    ) -> Sent:
        """Click a button (in a modal or Home tab ``view``, or in a message when ``view`` is None)."""
        n = next(self._n)
        payload: dict[str, Any] = {
            "type": "block_actions",
            "user": self._user(user),
            "api_app_id": "A0001",
            "token": "unused",
            "trigger_id": trigger or self.api.trigger(),
            "team": {"id": TEAM, "domain": "alliance"},
            "enterprise": None,
            "is_enterprise_install": False,
            "actions": [
                {
                    "action_id": action_id,
                    "block_id": block_id,
                    "value": value,
                    "type": "button",
                    "text": {"type": "plain_text", "text": "Click"},
                    "action_ts": f"{time.time():.6f}",
                }
            ],
        }
        if view is not None:
            payload["container"] = {"type": "view", "view_id": view.get("id", "V1")}
            payload["view"] = view
        else:
            payload["container"] = {
                "type": "message",
                "message_ts": "1700000000.000100",
                "channel_id": "C0GENERAL",
                "is_ephemeral": True,
            }
            payload["channel"] = {"id": "C0GENERAL", "name": "general"}
            payload["response_url"] = self.api.response_url(f"act{n}")
        return await self.interaction(payload)

    async def submit(self, user: str, view: dict[str, Any], values: dict[str, dict[str, Any]]) -> Sent:
        """Submit a modal ``view`` (as opened through the fake) with ``state.values``."""
        submitted = {**view, "state": {"values": values}}
        submitted.setdefault("id", "V0SUBMIT")
        payload = {
            "type": "view_submission",
            "team": {"id": TEAM, "domain": "alliance"},
            "user": self._user(user),
            "api_app_id": "A0001",
            "token": "unused",
            "trigger_id": "1.4242.submit",
            "view": submitted,
            "response_urls": [],
            "is_enterprise_install": False,
            "enterprise": None,
        }
        return await self.interaction(payload)

    async def event(self, event: dict[str, Any]) -> Sent:
        """Deliver an Events API ``event_callback`` (JSON body)."""
        body = json.dumps(
            {
                "token": "unused",
                "team_id": TEAM,
                "api_app_id": "A0001",
                "event": event,
                "type": "event_callback",
                "event_id": f"Ev{next(self._n):06d}",
                "event_time": int(time.time()),
                "authorizations": [{"team_id": TEAM, "user_id": "UBOT", "is_bot": True}],
            }
        )
        return await self.post(body, "application/json")

    async def open_ballot(self, user: str, text: str) -> dict[str, Any]:
        """``/gov <text>`` that opens a modal; returns the view the fake answered views.open with."""
        before = len(self.api.calls_to("views.open"))
        sent = await self.command(user, text)
        assert sent.status == 200, sent.text
        calls = await self.api.wait_for("views.open", count=before + 1)
        view = dict(calls[-1].args["view"])
        view.setdefault("id", f"V{before + 1:04d}")
        return view

    async def outbox(self, kind: str, *, sent: bool, timeout: float = 5.0) -> OutboxMessage:
        """The one outbox message of ``kind``, once it is (or is not yet, but has been tried) delivered."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            async with self.ctx.db.reading() as session:
                row = (
                    await session.execute(select(OutboxMessage).where(OutboxMessage.kind == kind))
                ).scalar_one_or_none()
            if row is not None and ((row.sent_at is not None) if sent else row.attempts > 0):
                return row
            if loop.time() > deadline:
                raise AssertionError(f"outbox {kind}: {row}")
            await asyncio.sleep(0.02)

    async def state_counts(self) -> tuple[int, int, int]:
        """(audit events, ballots, outbox messages): what a refused request must leave unchanged."""
        async with self.ctx.db.reading() as session:
            counts = []
            for model in (AuditEvent, Ballot, OutboxMessage):
                counts.append(
                    int((await session.execute(select(func.count()).select_from(model))).scalar_one())
                )
        return counts[0], counts[1], counts[2]


async def link_all(ctx: Context) -> None:
    """Link the sample alliance's people to Slack users in workspace ``TEAM``."""
    system = Actor.system("seed")
    for handle, user_id in USERS.items():
        await roster.link_identity(ctx, system, handle, "slack", TEAM, user_id)


@pytest.fixture
async def slack(ctx: Context, request: pytest.FixtureRequest) -> AsyncIterator[SlackHarness]:
    """The sample alliance (linked to Slack), the app served on a loopback port, and the fake Web API.

    ``@pytest.mark.parametrize("slack", [False], indirect=True)`` leaves out the sample board election,
    for a test that creates board elections of its own (the board's seats are staggered).
    """
    await seed.seed(ctx, sample_election=getattr(request, "param", True))
    await link_all(ctx)
    api = await FakeSlackAPI(team_id=TEAM).start()
    settings = Settings(
        SLACK_BOT_TOKEN="xoxb-test-token", SLACK_SIGNING_SECRET=SECRET, SLACK_API_BASE_URL=api.base_url
    )
    app = build_app(ctx, settings, tz=ZoneInfo("Europe/Paris"))
    runner = web.AppRunner(web_app(app), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    stop = asyncio.Event()
    deliverer = asyncio.ensure_future(runtime_of(app).delivery.run(stop, interval=0.1))
    async with aiohttp.ClientSession() as session:
        yield SlackHarness(f"http://127.0.0.1:{port}/slack/events", api, ctx, session, runtime_of(app))
    stop.set()
    await deliverer
    await runtime_of(app).close()
    await runner.cleanup()
    await api.stop()
    # Slack would have refused these: a test that means to provoke a refusal clears what it checked
    assert not api.refusals, f"Slack would have refused: {api.refusals}"


def pick(handle: str) -> dict[str, Any]:
    """A static_select's state after choosing ``handle``."""
    return {
        "pick": {
            "type": "static_select",
            "selected_option": {"text": {"type": "plain_text", "text": handle}, "value": handle},
        }
    }


def recorded(sent: Sent) -> bool:
    """Whether a ballot submission was answered by turning the form into its confirmation."""
    body = sent.json
    text = json.dumps(body.get("view", {}).get("blocks", []))
    return (
        sent.status == 200
        and body.get("response_action") == "update"
        and ("Ballot recorded in" in text or "Ballot replaced your earlier ballot" in text)
        and "Your receipt" in text
    )


def dm_to(user: str) -> Any:
    return lambda c: c.args.get("channel") == USERS[user]


async def setup_council(slack: SlackHarness, method: str = "irv") -> None:
    """A committee with a channel, four members, and an election with two candidates, voting open.

    The council's charter lets an admin choose the counting method (the alliance's fixes it).
    """
    await slack.reply_text(
        "sec",
        'body create council "Council" --kind committee --channel <#C0COUNCIL|council> '
        f"--policy {ANY_METHOD}",
    )
    for handle in ("alice", "bea", "chen", "dana"):
        assert "is now member" in await slack.reply_text("sec", f"body seat council {handle}")
    created = await slack.reply_text("sec", f"election create council-chair --body council --method {method}")
    assert created.startswith("Created"), created
    assert "open" in await slack.reply_text("sec", "election open-nominations council-chair")
    assert "standing" in await slack.reply_text(
        "alice", "election nominate council-chair --statement 'Open models.'"
    )
    assert "standing" in await slack.reply_text("chen", "election nominate council-chair")
    assert "open until" in await slack.reply_text("sec", "election open-voting council-chair --close +7d")
