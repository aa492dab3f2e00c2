"""Deliver the outbox to Slack: DMs to people (``conversations.open`` + ``chat.postMessage``) and posts to
a body's channel (``Body.channel``), each marked sent once Slack accepted it.

A delivery that fails (a Slack error, a network error, 429 after the client's own retries) is marked
failed and comes back when its back-off expires: never dropped. A message Slack accepted but that could
not be marked sent (the database was away) is remembered and only marked on the next round, never
posted twice by this process. Messages are taken with ``outbox.claim`` (a lease), so two deliverers
(replicas) never send the same one. A person with no linked Slack account, or a body with no channel, is
logged and retried later (the link or channel may be set in the meantime).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
from dataclasses import dataclass
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import select

from bot.replies import Attachment
from bot.slack import files
from bot.slack.home import OPEN_BALLOT_ACTION
from bot.slack.render import context, escape, preformatted, section
from governance import charts, i18n
from governance.charts import Chart
from governance.errors import GovError
from governance.models import Body, ChatIdentity
from governance.services import elections, motions, outbox
from governance.services.common import Context

log = logging.getLogger(__name__)

MOTION_NUMBER = re.compile(r"\bMotion M(\d+)\b")
RESULT_KINDS = frozenset({"election.result", "motion.result"})
VOTE_HINT = re.compile(r"`vote ([a-z0-9][a-z0-9_-]{0,63}) ")
SLUG = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")


def ballot_target(message: outbox.Pending) -> str | None:
    """What a notice's Vote button opens: ``election:<slug>`` for "voting opened" and its reminders,
    ``motion:<n>`` for "motion proposed" and its reminders; from the payload's ``election``/``motion``
    key, else (older messages) the text."""
    try:
        payload = json.loads(message.payload or "{}")
    except ValueError:
        payload = {}
    if not isinstance(payload, dict):
        payload = {}
    if message.kind in ("election.voting_opened", "election.reminder"):
        slug = str(payload.get("election") or "")
        if not SLUG.fullmatch(slug):
            hint = VOTE_HINT.search(message.text)
            slug = hint.group(1) if hint else ""
        return f"election:{slug}" if slug else None
    if message.kind in ("motion.proposed", "motion.reminder"):
        number = str(payload.get("motion") or "")
        if not number.isdigit():
            found = MOTION_NUMBER.search(message.text)
            number = found.group(1) if found else ""
        return f"motion:{number}" if number else None
    return None


@dataclass
class DeliveryReport:
    """What one round of delivery did."""

    sent: int = 0
    failed: int = 0
    waiting: int = 0


class Undeliverable(Exception):
    """The message has nowhere to go on Slack yet (no linked account, no channel)."""


async def slack_user_of(ctx: Context, person_id: int, team_id: str | None = None) -> str | None:
    """The Slack user id linked to a person (in ``team_id`` when given), or None."""
    async with ctx.db.reading() as session:
        stmt = select(ChatIdentity.user_id).where(
            ChatIdentity.platform == "slack", ChatIdentity.person_id == person_id
        )
        if team_id:
            stmt = stmt.where(ChatIdentity.workspace == team_id)
        return (await session.execute(stmt.order_by(ChatIdentity.id).limit(1))).scalar_one_or_none()


async def body_channel(ctx: Context, body_id: int) -> tuple[str, str | None]:
    """A body's name and Slack channel (None when it has none)."""
    async with ctx.db.reading() as session:
        body = await session.get(Body, body_id)
        if body is None:
            return f"body {body_id}", None
        return body.name, body.channel


async def message_blocks(ctx: Context, message: outbox.Pending) -> list[dict[str, Any]]:
    """The blocks of an outbox message: its text, and for an election result the count's rounds."""
    blocks = [section(escape(message.text))]
    target = ballot_target(message)
    if target is not None:
        blocks.append(
            {
                "type": "actions",
                "block_id": "gov_outbox_vote",
                "elements": [
                    {
                        "type": "button",
                        "action_id": OPEN_BALLOT_ACTION,
                        "value": target,
                        "style": "primary",
                        "text": {"type": "plain_text", "text": "Vote"},
                    }
                ],
            }
        )
    if message.kind == "election.result":
        try:
            slug = json.loads(message.payload or "{}").get("election")
            if slug:
                result = await elections.result(ctx, slug)
                blocks += preformatted(result.to_text())[:45]
                blocks.append(context(f"Verify it yourself: `/gov audit verify election:{escape(slug)}`."))
        except (GovError, ValueError) as exc:
            log.warning("outbox %s: result table not attached: %s", message.id, exc)
    return blocks


async def result_charts(ctx: Context, message: outbox.Pending) -> list[Attachment]:
    """The charts that go with a result notice (an election's count, a motion's vote) as PNG files; none
    for other notices. Drawn in a worker thread, so acknowledgements never wait behind matplotlib."""
    if message.kind == "election.result":
        try:
            slug = json.loads(message.payload or "{}").get("election")
        except (ValueError, AttributeError):
            return []
        if not isinstance(slug, str) or not slug:
            return []
        election = await elections.show(ctx, slug)
        drawn = await asyncio.to_thread(
            charts.charts_for_election, election, title=election.election.title, gettext=i18n.gettext
        )
        return chart_attachments(drawn, slug)
    if message.kind == "motion.result":
        found = MOTION_NUMBER.search(message.text)
        if found is None:
            return []
        motion = await motions.show(ctx, int(found.group(1)))
        title = f"M{motion.motion.id}: {motion.motion.title}"
        drawn = await asyncio.to_thread(charts.charts_for_motion, motion, title=title, gettext=i18n.gettext)
        return chart_attachments(drawn, f"motion-{motion.motion.id}")
    return []


def chart_attachments(drawn: list[Chart], stem: str) -> list[Attachment]:
    """Charts as files to share: ``<stem>-<chart>.png`` with the chart's alt text as description."""
    return [Attachment(f"{stem}-{c.filename}", c.png, "image/png", c.alt) for c in drawn]


class SlackDelivery:
    """Delivers due outbox messages through one ``AsyncWebClient``; run it with ``run()`` or call
    ``deliver_due()``. ``kick()`` asks the running loop for a round now (after a command wrote)."""

    def __init__(
        self, ctx: Context, client: AsyncWebClient, *, team_id: str | None = None, batch: int = 100
    ) -> None:
        self.ctx = ctx
        self.client = client
        self.team_id = team_id
        self.batch = batch
        self._unmarked: set[int] = set()
        self._lock = asyncio.Lock()
        self._kick = asyncio.Event()

    def kick(self) -> None:
        """Wake the delivery loop now instead of at its next interval."""
        self._kick.set()

    async def _share_charts(self, message: outbox.Pending, channel: str) -> None:
        """Share a result's charts in the channel its notice went to. The notice itself is already
        delivered (and marked), so a chart that cannot be drawn or uploaded is logged, never re-posted."""
        try:
            drawn = await result_charts(self.ctx, message)
            if drawn:
                await files.upload(self.client, channel, drawn)
        except (SlackApiError, SlackClientError, aiohttp.ClientError, OSError) as exc:
            error = exc.response.get("error") if isinstance(exc, SlackApiError) else exc
            log.warning("outbox %s: chart not shared in %s: %s", message.id, channel, error)
        except Exception:  # a chart is an extra: whatever went wrong drawing it, delivery goes on
            log.exception("outbox %s: chart could not be drawn", message.id)

    async def _send(self, message: outbox.Pending) -> str | None:
        """Send one message; returns the channel of a body's notice (where its charts go), else None."""
        blocks = await message_blocks(self.ctx, message)
        text = message.text[:3000]
        metadata = {
            "event_type": "govbot_outbox",
            "event_payload": {"outbox_id": message.id, "kind": message.kind},
        }
        if message.person_id is not None:
            user = await slack_user_of(self.ctx, message.person_id, self.team_id)
            if user is None:
                raise Undeliverable(f"person {message.person_id} has no linked Slack account")
            opened = await self.client.conversations_open(users=user)
            channel = opened["channel"]["id"]
            await self.client.chat_postMessage(channel=channel, text=text, blocks=blocks, metadata=metadata)
        elif message.body_id is not None:
            name, channel = await body_channel(self.ctx, message.body_id)
            if not channel:
                raise Undeliverable(f"{name} has no channel (set one with `body create ... --channel`)")
            await self.client.chat_postMessage(channel=channel, text=text, blocks=blocks, metadata=metadata)
            return channel
        else:
            raise Undeliverable("the message names neither a person nor a body")
        return None

    async def deliver_due(self) -> DeliveryReport:
        """One round: send every due message, mark it sent or failed; returns the counts."""
        report = DeliveryReport()
        async with self._lock:
            for message_id in sorted(self._unmarked):
                with contextlib.suppress(Exception):
                    await outbox.mark_sent(self.ctx, message_id)
                    self._unmarked.discard(message_id)
            for message in await outbox.claim(self.ctx, self.batch):
                if message.id in self._unmarked:
                    continue
                try:
                    channel = await self._send(message)
                except Undeliverable as exc:
                    log.warning(
                        "outbox %s (%s) not delivered to Slack: %s; will retry later",
                        message.id,
                        message.kind,
                        exc,
                    )
                    await outbox.mark_failed(self.ctx, message.id, f"undeliverable: {exc}")
                    report.waiting += 1
                    continue
                except (SlackApiError, SlackClientError, aiohttp.ClientError, OSError, TimeoutError) as exc:
                    error = exc.response.get("error") if isinstance(exc, SlackApiError) else None
                    log.warning(
                        "outbox %s (%s) failed: %s; will retry later", message.id, message.kind, error or exc
                    )
                    await outbox.mark_failed(self.ctx, message.id, f"slack: {error or exc}")
                    report.failed += 1
                    continue
                self._unmarked.add(message.id)
                try:
                    await outbox.mark_sent(self.ctx, message.id)
                    self._unmarked.discard(message.id)
                except Exception:
                    log.exception(
                        "outbox %s was sent but could not be marked; marking it next round", message.id
                    )
                report.sent += 1
                if channel is not None and message.kind in RESULT_KINDS:
                    await self._share_charts(message, channel)
        return report

    async def run(self, stop: asyncio.Event, interval: float = 5.0) -> None:
        """Deliver every ``interval`` seconds (or when kicked) until ``stop`` is set."""
        while not stop.is_set():
            self._kick.clear()
            try:
                await self.deliver_due()
            except Exception:
                log.exception("outbox delivery round failed; trying again in %.0fs", interval)
            waits = [asyncio.ensure_future(self._kick.wait()), asyncio.ensure_future(stop.wait())]
            try:
                await asyncio.wait(waits, timeout=interval, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for waiter in waits:
                    waiter.cancel()
