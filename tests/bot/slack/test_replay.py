"""A signed Slack request is acted on once (issue 21, item 6), over the real slack-bolt app and its
aiohttp server: a replay byte for byte, an Events API retry, the same request sent to another replica
on the same database — each is answered 200 with nothing done. Malformed requests get 400/401, not 500.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import time
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from aiohttp import web
from sqlalchemy import func, select

from bot.config import Settings
from bot.slack.app import build_app, runtime_of, serve, web_app
from governance.clock import ManualClock
from governance.db import Database
from governance.models import Ballot, BallotSlot, Motion
from governance.services.common import Context
from tests.fakes.slack_harness import SECRET, TEAM, SlackHarness, sign

FORM = "application/x-www-form-urlencoded"


async def _motions(ctx: Context) -> int:
    async with ctx.db.reading() as session:
        return int((await session.execute(select(func.count()).select_from(Motion))).scalar_one())


async def _slots(ctx: Context) -> list[tuple[Any, ...]]:
    """Every replaceable-ballot slot with the receipt of the ballot it points to."""
    async with ctx.db.reading() as session:
        rows = await session.execute(
            select(BallotSlot.tag, Ballot.receipt).join(Ballot, Ballot.id == BallotSlot.ballot_id)  # type: ignore[arg-type]
        )
        return sorted(tuple(r) for r in rows.all())


def _signed_bytes(raw: bytes, content_type: str) -> dict[str, str]:
    ts = str(int(time.time()))
    digest = hmac.new(SECRET.encode(), f"v0:{ts}:".encode() + raw, hashlib.sha256).hexdigest()
    return {
        "Content-Type": content_type,
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": f"v0={digest}",
    }


async def test_a_slash_command_replayed_five_times_makes_one_motion(slack: SlackHarness) -> None:
    body = slack.command_body("alice", 'motion propose toc "Adopt the model licence" --deadline +7d')
    headers = sign(body)
    first = await slack.post(body, FORM, headers)
    assert first.status == 200
    await slack.api.wait_for("response_url")
    assert await _motions(slack.ctx) == 1
    before = await slack.state_counts()
    for _ in range(5):
        again = await slack.post(body, FORM, headers)
        assert (again.status, again.text) == (200, "")
    assert await slack.runtime.drain(5.0) == 0  # each repeat's work after its acknowledgement has ended
    assert len(slack.api.calls_to("response_url")) == 1  # and none answered
    assert await _motions(slack.ctx) == 1
    assert await slack.state_counts() == before


async def test_a_replayed_vote_does_not_undo_the_later_ballot(slack: SlackHarness) -> None:
    await slack.reply_text("sec", "election open-voting board-2027 --close +7d")
    earlier = slack.command_body("alice", "vote board-2027 chen arjun dana")
    headers = sign(earlier)
    assert (await slack.post(earlier, FORM, headers)).status == 200
    await slack.api.wait_for("response_url", count=2)  # the vote's answer: it is cast
    first = await _slots(slack.ctx)
    assert "replaced" in await slack.reply_text("alice", "vote board-2027 farid emma")
    latest = await _slots(slack.ctx)
    assert len(latest) == 1 and latest != first
    before = await slack.state_counts()
    replayed = await slack.post(earlier, FORM, headers)
    assert (replayed.status, replayed.text) == (200, "")
    assert await slack.runtime.drain(5.0) == 0
    assert await _slots(slack.ctx) == latest
    assert await slack.state_counts() == before


async def test_an_events_api_retry_with_the_same_event_id_is_done_once(slack: SlackHarness) -> None:
    body = json.dumps(
        {
            "token": "unused",
            "team_id": TEAM,
            "api_app_id": "A0001",
            "type": "event_callback",
            "event_id": "Ev0RETRY1",
            "event_time": int(time.time()),
            "event": {"type": "app_home_opened", "user": "U0DANA", "channel": "D0DANA", "tab": "home"},
        }
    )
    assert (await slack.post(body, "application/json")).status == 200
    await slack.api.wait_for("views.publish", lambda c: c.args.get("user_id") == "U0DANA")
    # Slack's retry: a new timestamp (so a new signature), the same event id, X-Slack-Retry-Num set
    retry = {
        **sign(body, timestamp=int(time.time()) + 1),
        "X-Slack-Retry-Num": "1",
        "X-Slack-Retry-Reason": "http_timeout",
    }
    again = await slack.post(body, "application/json", retry)
    assert (again.status, again.text) == (200, "")
    await slack.reply_text("alice", "whoami")  # let any (wrong) background work run
    assert len(slack.api.calls_to("views.publish", lambda c: c.args.get("user_id") == "U0DANA")) == 1


async def test_a_replay_sent_to_another_replica_is_refused(
    slack: SlackHarness, db_url: str, clock: ManualClock
) -> None:
    other_db = Database(db_url)
    replica = Context(db=other_db, secret=slack.ctx.secret, clock=clock)
    settings = Settings(
        SLACK_BOT_TOKEN="xoxb-test-token", SLACK_SIGNING_SECRET=SECRET, SLACK_API_BASE_URL=slack.api.base_url
    )
    app = build_app(replica, settings, tz=ZoneInfo("Europe/Paris"))
    runner = web.AppRunner(web_app(app), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        body = slack.command_body("alice", 'motion propose toc "Adopt the model licence" --deadline +7d')
        headers = {"Content-Type": FORM, **sign(body)}
        assert (await slack.post(body, FORM, headers)).status == 200
        async with slack.session.post(
            f"http://127.0.0.1:{port}/slack/events", data=body.encode(), headers=headers
        ) as resp:
            assert (resp.status, await resp.text()) == (200, "")
        # Both replicas acknowledged at once; whichever claimed the request first acted on it, alone.
        assert await slack.runtime.drain(5.0) == 0 and await runtime_of(app).drain(5.0) == 0
        assert await _motions(slack.ctx) == 1
        assert len(slack.api.calls_to("response_url")) == 1
    finally:
        await runtime_of(app).close()
        await runner.cleanup()
        await other_db.dispose()


async def test_malformed_requests_get_4xx_and_change_nothing(slack: SlackHarness) -> None:
    before = await slack.state_counts()
    body = slack.command_body("sec", "election create malformed --body board")
    for timestamp in ("soon", "", "１２３", "9" * 40, "-1"):
        headers = {
            "X-Slack-Request-Timestamp": timestamp,
            "X-Slack-Signature": sign(body)["X-Slack-Signature"],
        }
        assert (await slack.post(body, FORM, headers)).status == 401, timestamp
    assert (await slack.post(body, FORM, {"X-Slack-Request-Timestamp": str(int(time.time()))})).status == 401
    untyped = urlencode({"payload": json.dumps({"team": {"id": TEAM}, "user": {"id": "U0SEC"}, "view": {}})})
    sent = await slack.post(untyped, FORM)
    assert sent.status == 400 and "type" in sent.json["error"]
    assert (await slack.post(urlencode({"payload": "{not json"}), FORM)).status == 400
    assert (await slack.post("[1, 2]", "application/json")).status == 400
    for raw, charset in (
        (body.encode("utf-16"), "utf-16"),
        (body.replace("malformed", "é").encode("latin-1"), "latin-1"),
    ):
        full = _signed_bytes(raw, f"{FORM}; charset={charset}")
        async with slack.session.post(slack.url, data=raw, headers=full) as resp:
            assert resp.status == 400, charset
    assert await slack.state_counts() == before


def test_run_http_takes_a_host_whose_default_is_every_interface() -> None:
    from bot.cli import _parser

    assert _parser().parse_args(["run", "--http"]).host == "0.0.0.0"
    assert _parser().parse_args(["run", "--http", "--host", "127.0.0.1"]).host == "127.0.0.1"


async def test_serve_over_http_listens_on_the_host_it_is_given(ctx: Context) -> None:
    settings = Settings(
        SLACK_BOT_TOKEN="xoxb-test-token",
        SLACK_SIGNING_SECRET=SECRET,
        SLACK_API_BASE_URL="http://127.0.0.1:9/",
    )
    stop = asyncio.Event()
    urls: list[str] = []

    def ready(url: str) -> None:
        urls.append(url)
        stop.set()

    code = await serve(
        ctx, settings, http=True, host="127.0.0.1", port=0, tz=ZoneInfo("UTC"), stop=stop, ready=ready
    )
    assert code == 0 and urls == ["http://127.0.0.1:0/slack/events"]
