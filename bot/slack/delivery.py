"""Deliver the outbox to Slack: DMs to people (``conversations.open`` + ``chat.postMessage``) and posts to
a body's channel (``Body.channel``), each marked sent once Slack accepted it.

Delivery goes in batches through ``governance.services.outbox.Deliverer``: one claim (a lease, so two
deliverers, or replicas, never send the same message), the batch's people resolved to Slack users in one
query and its bodies to channels in another, up to ``concurrency`` sends at once, then one ``UPDATE``
marking the delivered ones. A DM channel, once opened, is remembered per Slack user (a bounded LRU), so
a second reminder to someone costs one call, not two. A 429 (after the client's own retries, if it has
any) pauses every send for its ``Retry-After`` and then sends again; a Slack or network error is marked
failed and comes back when its back-off expires: never dropped. A message Slack accepted but that could
not be marked sent (the database was away) is remembered and only marked on the next round, never posted
twice by this process (``outbox`` says where a duplicate remains possible). A person with no linked Slack
account, or a body with no channel, is logged and retried later (the link or channel may be set in the
meantime).

What a message says, and whether it offers a Vote button or a result, is written once for every platform
by ``bot/present/notices.py`` in the reader's language; this module lays it out in Block Kit.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web.async_client import AsyncWebClient

from bot.present.notices import VOTE, Notice, render_pending
from bot.present.replies import Attachment
from bot.slack import files
from bot.slack.home import OPEN_BALLOT_ACTION
from bot.slack.render import context, escape, preformatted, section
from governance import charts, i18n
from governance.charts import Chart
from governance.errors import GovError
from governance.i18n import _
from governance.notices import NoticeError
from governance.services import elections, motions, outbox
from governance.services.common import Context

log = logging.getLogger(__name__)


@dataclass
class DeliveryReport:
    """What one round of delivery did."""

    sent: int = 0
    failed: int = 0
    waiting: int = 0


class Undeliverable(outbox.Undeliverable):
    """The message has nowhere to go on Slack yet (no linked account, no channel)."""


def vote_button(target: str) -> dict[str, Any]:
    """The actions block with a Vote button opening ``target``'s ballot (``election:<slug>``,
    ``motion:<n>``) in a modal, as the App Home's buttons do."""
    return {
        "type": "actions",
        "block_id": "gov_outbox_vote",
        "elements": [
            {
                "type": "button",
                "action_id": OPEN_BALLOT_ACTION,
                "value": target,
                "style": "primary",
                "text": {"type": "plain_text", "text": _("Vote")},
            }
        ],
    }


async def message_blocks(ctx: Context, notice: Notice) -> list[dict[str, Any]]:
    """The blocks of a notice, in the current locale (the reader's): its text, a Vote button where it
    offers one, and for an election result the count's rounds."""
    blocks = [section(escape(notice.text))]
    vote = notice.action(VOTE)
    if vote is not None:
        blocks.append(vote_button(vote.target))
    if notice.result is not None and notice.result.kind == "election":
        slug = notice.result.ref
        try:
            result = await elections.result(ctx, slug)
            blocks += preformatted(result.to_text(i18n.current_locale()))[:45]
            command = f"`/gov audit verify election:{escape(slug)}`"
            blocks.append(context(_("Verify it yourself: {command}.", command=command)))
        except (GovError, ValueError) as exc:
            log.warning("outbox: result table of %s not attached: %s", slug, exc)
    return blocks


async def result_charts(ctx: Context, notice: Notice) -> list[Attachment]:
    """The charts that go with a result notice (an election's count, a motion's vote, found by the id
    the notice carries) as PNG files; none for other notices. Drawn in a worker thread, so
    acknowledgements never wait behind matplotlib."""
    if notice.result is None:
        return []
    if notice.result.kind == "election":
        election = await elections.show(ctx, notice.result.ref)
        drawn = await asyncio.to_thread(
            charts.charts_for_election, election, title=election.election.title, gettext=i18n.gettext
        )
        return chart_attachments(drawn, notice.result.ref)
    motion = await motions.show(ctx, int(notice.result.ref))
    title = f"M{motion.motion.id}: {motion.motion.title}"
    drawn = await asyncio.to_thread(charts.charts_for_motion, motion, title=title, gettext=i18n.gettext)
    return chart_attachments(drawn, f"motion-{motion.motion.id}")


def chart_attachments(drawn: list[Chart], stem: str) -> list[Attachment]:
    """Charts as files to share: ``<stem>-<chart>.png`` with the chart's alt text as description."""
    return [Attachment(f"{stem}-{c.filename}", c.png, "image/png", c.alt) for c in drawn]


@dataclass(frozen=True)
class Targets:
    """Where a batch's messages go: Slack users (with their languages) by person id, (name, channel) by
    body id."""

    users: dict[int, outbox.Reader]
    bodies: dict[int, tuple[str, str | None]]

    def destination(self, message: outbox.Pending) -> Hashable:
        """Where ``message`` lands (a Slack user's DMs, a channel): messages to one place go in order."""
        if message.person_id is not None:
            reader = self.users.get(message.person_id)
            return ("user", reader.user_id if reader else message.person_id)
        _, channel = self.bodies.get(message.body_id or 0, ("", None))
        return ("channel", channel or message.body_id)


def _describe(exc: Exception) -> str:
    """A Slack or network error as stored in ``last_error``: ``slack: <Slack's error code>``."""
    error = exc.response.get("error") if isinstance(exc, SlackApiError) else None
    return f"slack: {error or exc}"


def _retry_after(exc: SlackApiError) -> float | None:
    """The seconds a 429 asks to wait (``Retry-After``; 1 when absent), or None for another error."""
    if exc.response.status_code != 429:
        return None
    headers = {str(k).lower(): v for k, v in (exc.response.headers or {}).items()}
    value = headers.get("retry-after")
    if isinstance(value, list):
        value = value[0] if value else None
    try:
        return float(value) if value is not None else 1.0
    except (TypeError, ValueError):
        return 1.0


class SlackDelivery:
    """Delivers due outbox messages through one ``AsyncWebClient``; run it with ``run()`` or call
    ``deliver_due()``. ``kick()`` asks the running loop for a round now (after a command wrote).

    ``batch`` messages are claimed per round and up to ``concurrency`` sent at once; DM channels are
    cached for up to ``dm_cache`` Slack users. ``sleep`` waits out a 429 (tests record it)."""

    def __init__(
        self,
        ctx: Context,
        client: AsyncWebClient,
        *,
        team_id: str | None = None,
        batch: int = 100,
        concurrency: int = outbox.DEFAULT_CONCURRENCY,
        dm_cache: int = 20_000,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
    ) -> None:
        self.ctx = ctx
        self.client = client
        self.team_id = team_id
        self.outbox = outbox.Deliverer(ctx, batch=batch, concurrency=concurrency, sleep=sleep)
        self.dm_channels: outbox.BoundedCache[str, str] = outbox.BoundedCache(dm_cache)
        self._lock = asyncio.Lock()
        self._kick = asyncio.Event()

    @property
    def batch(self) -> int:
        """How many messages one round claims."""
        return self.outbox.batch

    def kick(self) -> None:
        """Wake the delivery loop now instead of at its next interval."""
        self._kick.set()

    async def _share_charts(self, message: outbox.Pending, channel: str) -> None:
        """Share a result's charts in the channel its notice went to (none for other notices). The notice
        itself is already delivered (and marked), so a chart that cannot be drawn or uploaded is logged,
        never re-posted."""
        try:
            notice = render_pending(message, locale=i18n.current_locale(), platform="slack")
            drawn = await result_charts(self.ctx, notice)
            if drawn:
                await files.upload(self.client, channel, drawn)
        except (SlackApiError, SlackClientError, aiohttp.ClientError, OSError) as exc:
            error = exc.response.get("error") if isinstance(exc, SlackApiError) else exc
            log.warning("outbox %s: chart not shared in %s: %s", message.id, channel, error)
        except Exception:  # a chart is an extra: whatever went wrong drawing it, delivery goes on
            log.exception("outbox %s: chart could not be drawn", message.id)

    async def _targets(self, messages: list[outbox.Pending]) -> Targets:
        """Resolve a batch's people (their Slack users and languages) and bodies in two queries, not
        one per message."""
        return Targets(
            await outbox.readers_of(
                self.ctx, "slack", (m.person_id for m in messages if m.person_id), self.team_id
            ),
            await outbox.body_channels(
                self.ctx, (m.body_id for m in messages if m.person_id is None and m.body_id is not None)
            ),
        )

    async def _dm_channel(self, user: str) -> str:
        """The DM channel with a Slack user: cached, else opened (``conversations.open``) and cached."""
        channel = self.dm_channels.get(user)
        if channel is None:
            opened = await self.client.conversations_open(users=user)
            channel = str(opened["channel"]["id"])
            self.dm_channels.put(user, channel)
        return channel

    async def _send(self, message: outbox.Pending, targets: Targets) -> str | None:
        """Send one message, a DM in its reader's Slack language (as stored when they last used govbot;
        the deployment's when not known); returns the channel of a body's notice (where its charts go),
        else None."""
        reader = targets.users.get(message.person_id) if message.person_id is not None else None
        default = i18n.current_locale()
        locale = i18n.negotiate(reader.locale, default=default) if reader and reader.locale else default
        with i18n.using_locale(locale):
            try:
                notice = render_pending(message, locale=locale, platform="slack")
            except NoticeError as exc:  # queued by a newer version: a replica that knows it delivers it
                raise Undeliverable(str(exc)) from exc
            try:
                return await self._post(message, notice, targets)
            except SlackApiError as exc:
                wait = _retry_after(exc)
                if wait is not None:
                    raise outbox.RateLimited(wait, _describe(exc)) from exc
                raise

    async def _post(self, message: outbox.Pending, notice: Notice, targets: Targets) -> str | None:
        blocks = await message_blocks(self.ctx, notice)
        text = escape(notice.text[:3000])  # the notification text is mrkdwn too: typed mentions stay inert
        metadata = {
            "event_type": "govbot_outbox",
            "event_payload": {"outbox_id": message.id, "kind": message.kind},
        }
        if message.person_id is not None:
            reader = targets.users.get(message.person_id)
            if reader is None:
                raise Undeliverable(f"person {message.person_id} has no linked Slack account")
            user = reader.user_id
            channel = await self._dm_channel(user)
            try:
                await self.client.chat_postMessage(
                    channel=channel, text=text, blocks=blocks, metadata=metadata
                )
            except SlackApiError as exc:
                if _retry_after(exc) is None:  # the cached channel may be the trouble: open it afresh
                    self.dm_channels.discard(user)
                raise
            return None
        if message.body_id is not None:
            name, posted_in = targets.bodies.get(message.body_id, (f"body {message.body_id}", None))
            if not posted_in:
                raise Undeliverable(f"{name} has no channel (set one with `body create ... --channel`)")
            await self.client.chat_postMessage(channel=posted_in, text=text, blocks=blocks, metadata=metadata)
            return posted_in
        raise Undeliverable("the message names neither a person nor a body")

    async def deliver_due(self) -> DeliveryReport:
        """One round: claim a batch, send it, mark what was sent (one UPDATE) and what failed; returns
        the counts."""
        report = DeliveryReport()
        async with self._lock:
            messages = await self.outbox.claim()
            if not messages:
                return report
            targets = await self._targets(messages)
            done = await self.outbox.send(
                messages,
                lambda m: self._send(m, targets),
                expected=(SlackApiError, SlackClientError, aiohttp.ClientError, OSError, TimeoutError),
                describe=_describe,
                destination=targets.destination,
            )
            report.sent = len(done.sent) + len(done.unmarked)
            report.failed = len(done.failed)
            report.waiting = len(done.waiting)
            by_id = {m.id: m for m in messages}
            for message_id, channel in sorted(done.sent.items()):
                if channel is not None:
                    await self._share_charts(by_id[message_id], channel)
        return report

    async def run(self, stop: asyncio.Event, interval: float = 5.0) -> None:
        """Deliver every ``interval`` seconds (or when kicked) until ``stop`` is set; a full batch is
        followed by the next round at once."""
        while not stop.is_set():
            self._kick.clear()
            try:
                report = await self.deliver_due()
            except Exception:
                log.exception("outbox delivery round failed; trying again in %.0fs", interval)
                report = DeliveryReport()
            if report.sent + report.failed + report.waiting >= self.batch:
                continue
            waits = [asyncio.ensure_future(self._kick.wait()), asyncio.ensure_future(stop.wait())]
            try:
                await asyncio.wait(waits, timeout=interval, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for waiter in waits:
                    waiter.cancel()
