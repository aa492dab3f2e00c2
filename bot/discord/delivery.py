"""Outbox delivery on Discord: each due notification goes to a person's DMs (their Discord account
linked in the guild) or to a body's channel, then is marked sent; a failure is marked failed and
retried later with the outbox's back-off.

Delivery goes in batches through ``governance.services.outbox.Deliverer`` (as on Slack): one claim (a
lease, so replicas never pick the same message), the batch's people and bodies resolved in one query
each, up to ``concurrency`` sends at once (discord.py waits out Discord's rate limits per route, but a
post that takes longer than ``SEND_TIMEOUT``, e.g. a 429 asking for 30 s, is given up and retried in a
later round, so it never holds the round and its lock), one ``UPDATE`` marking what was delivered. A
notice over 2,000 characters goes in several posts cut at line boundaries. A DM channel, once
opened, is remembered per Discord user (a bounded LRU per client), so a second DM to someone is one call.

Never doubled: each message is sent with ``nonce="gbo<outbox id>"`` and ``enforce_nonce``, so if the
process dies between Discord accepting a message and its batch being marked (or two replicas pick the
same message), Discord returns the earlier message instead of posting a second one (Discord checks
nonces over the last few minutes); marking only counts the first marker.

What a message says, and whether it offers a Vote button or a result, is written once for every platform
by ``bot/present/notices.py`` in the reader's language; this module lays it out as content, embeds and
components.
"""

from __future__ import annotations

import asyncio
import io
import logging
import weakref
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any

import discord

from bot.discord import ballots
from bot.discord.render import CONTENT_LIMIT, result_embed, split_lines
from bot.present.notices import VOTE, Notice, render_pending
from governance import charts, i18n
from governance.charts import Chart
from governance.errors import GovError
from governance.notices import NoticeError
from governance.services import elections, motions, outbox
from governance.services.common import Context

log = logging.getLogger(__name__)

SEND_TIMEOUT = 5.0
"""Seconds one post may take, rate-limit waits included: a longer ``Retry-After`` does not hold the round
(and its lock) but fails the message, retried in a later round (its nonce keeps it from doubling)."""


class Slow(Exception):
    """Discord did not take a message within ``SEND_TIMEOUT`` (a long rate-limit wait, a stalled link)."""


def _nonce(message_id: int, part: int) -> str:
    """The nonce of one part of an outbox message (Discord: at most 25 characters): ``gbo<id>`` for the
    first, ``gbo<id>p<k>`` for the next ones, so a resend of any part returns the earlier post."""
    return f"gbo{message_id}" if part == 0 else f"gbo{message_id}p{part}"


class Undeliverable(outbox.Undeliverable):
    """A message has nowhere to go yet (unlinked person, body without a channel); retried later."""


@dataclass
class DeliveryReport:
    """What one delivery round did."""

    sent: list[int] = field(default_factory=list)
    failed: dict[int, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Targets:
    """Where a batch's messages go: Discord users (with their languages) by person id, channel
    references by body id."""

    users: dict[int, outbox.Reader]
    channels: dict[int, str | None]

    def destination(self, message: outbox.Pending) -> Hashable:
        """Where ``message`` lands (a Discord user's DMs, a channel): messages to one place go in order."""
        if message.person_id is not None:
            reader = self.users.get(message.person_id)
            return ("user", reader.user_id if reader else message.person_id)
        return ("channel", self.channels.get(message.body_id or 0) or message.body_id)


@dataclass
class _ClientState:
    """What a client keeps between rounds: its deliverer (batching, marking) and its DM channels."""

    deliverer: outbox.Deliverer
    dm_channels: outbox.BoundedCache[str, int]
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


_STATES: weakref.WeakKeyDictionary[discord.Client, _ClientState] = weakref.WeakKeyDictionary()
DM_CACHE = 20_000


def _state(client: discord.Client, ctx: Context, limit: int, concurrency: int) -> _ClientState:
    state = _STATES.get(client)
    if state is None or state.deliverer.ctx is not ctx:
        deliverer = outbox.Deliverer(ctx, batch=limit, concurrency=concurrency)
        state = _STATES[client] = _ClientState(deliverer, outbox.BoundedCache(DM_CACHE))
    state.deliverer.batch, state.deliverer.concurrency = limit, max(1, concurrency)
    return state


async def _targets(ctx: Context, messages: list[outbox.Pending], guild_id: str | None) -> Targets:
    """A batch's people (their Discord accounts in the guild, with their languages) and bodies (their
    channels), one query each."""
    users = await outbox.readers_of(
        ctx, "discord", (m.person_id for m in messages if m.person_id is not None), guild_id
    )
    bodies = await outbox.body_channels(
        ctx, (m.body_id for m in messages if m.person_id is None and m.body_id is not None)
    )
    return Targets(users, {body_id: channel for body_id, (_name, channel) in bodies.items()})


async def _person_target(
    client: discord.Client,
    state: _ClientState,
    targets: Targets,
    person_id: int,
    guild_id: str | None,
) -> Any:
    reader = targets.users.get(person_id)
    if reader is None:
        raise Undeliverable(f"person {person_id} has no Discord account linked in guild {guild_id}")
    user_id = reader.user_id
    channel_id = state.dm_channels.get(user_id)
    if channel_id is not None:
        return client.get_partial_messageable(channel_id, type=discord.ChannelType.private)
    dm = await client.create_dm(discord.Object(id=int(user_id)))
    state.dm_channels.put(user_id, dm.id)
    return dm


def _body_target(
    client: discord.Client, channel_ref: str | None, body_id: int | None, guild_id: str | None
) -> Any:
    guild = client.get_guild(int(guild_id)) if guild_id else None
    if channel_ref:
        ref = channel_ref.strip().lstrip("#").removeprefix("<#").removesuffix(">")
        if ref.isdigit():
            return client.get_partial_messageable(int(ref))
        if guild is not None:
            for channel in guild.text_channels:
                if channel.name == ref.lower():
                    return channel
        raise Undeliverable(f"no text channel {channel_ref!r} in guild {guild_id}")
    if guild is not None and guild.system_channel is not None:
        return guild.system_channel
    raise Undeliverable(f"body {body_id} has no channel and the guild no system channel")


async def _charts(drawing: Callable[[], list[Chart]], stem: str) -> list[discord.File]:
    """A result's charts as files (drawn in a worker thread); none, logged, if they cannot be drawn:
    a chart is an extra and never holds back the notice."""
    try:
        drawn = await asyncio.to_thread(drawing)
    except Exception:
        log.exception("chart for %s could not be drawn; the result goes without it", stem)
        return []
    return [
        discord.File(io.BytesIO(c.png), filename=f"{stem}-{c.filename}", description=c.alt) for c in drawn
    ]


async def _extras(ctx: Context, notice: Notice) -> dict[str, Any]:
    """Embeds, files and components that make a notice actionable: a result's embed with its charts
    (the first shown in the embed; found by the id the notice carries), a Vote button."""
    if notice.result is not None and notice.result.kind == "election":
        slug = notice.result.ref
        try:
            view = await elections.show(ctx, slug)
            result = await elections.result(ctx, slug)
        except GovError:
            return {}
        embed = result_embed(
            view.election.title,
            result.elected,
            result.method,
            result.ballots,
            result.to_text(i18n.current_locale()),
        )
        title = view.election.title
        files = await _charts(
            lambda: charts.charts_for_election(view, title=title, gettext=i18n.gettext), view.election.slug
        )
        if files:
            embed.set_image(url=f"attachment://{files[0].filename}")
        return {"embed": embed, "files": files} if files else {"embed": embed}
    if notice.result is not None and notice.result.kind == "motion":
        try:
            shown = await motions.show(ctx, int(notice.result.ref))
        except GovError:
            return {}
        motion_title = f"M{shown.motion.id}: {shown.motion.title}"
        files = await _charts(
            lambda: charts.charts_for_motion(shown, title=motion_title, gettext=i18n.gettext),
            f"motion-{shown.motion.id}",
        )
        return {"files": files} if files else {}
    vote = notice.action(VOTE)
    if vote is not None:
        kind, _, ref = vote.target.partition(":")
        if kind == "election":
            return {"view": ballots.vote_button(ref)}
        if kind == "motion" and ref.isdigit():
            return {"view": ballots.motion_buttons(int(ref))}
    return {}


async def _send(
    client: discord.Client,
    ctx: Context,
    state: _ClientState,
    targets: Targets,
    message: outbox.Pending,
    guild_id: str | None,
    send_timeout: float = SEND_TIMEOUT,
) -> None:
    """Send one message with its extras and its nonce (in parts when over 2,000 characters, each part its
    own nonce, the extras on the last); a rate-limit wait longer than discord.py allows pauses the round,
    and any wait longer than ``send_timeout`` (a 429 asking for 30 s, which discord.py would sleep
    through) gives the message up for this round: it fails and is retried after its back-off."""
    reader = targets.users.get(message.person_id) if message.person_id is not None else None
    user_id = reader.user_id if reader is not None else None
    # a DM in its reader's language (stored when they last used govbot; else the server's); a channel
    # in the deployment's. No call to Discord for it.
    locale = i18n.current_locale()
    if reader is not None:
        fallback: Callable[[], str] | None = getattr(client, "dm_locale", None)
        default = fallback() if fallback is not None else locale
        locale = i18n.negotiate(reader.locale, default=default) if reader.locale else default
    try:
        if message.person_id is not None:
            target = await _person_target(client, state, targets, message.person_id, guild_id)
        else:
            channel_ref = targets.channels.get(message.body_id) if message.body_id is not None else None
            target = _body_target(client, channel_ref, message.body_id, guild_id)
        with i18n.using_locale(locale):
            try:
                notice = render_pending(message, locale=locale, platform="discord")
            except NoticeError as exc:  # queued by a newer version: a replica that knows it delivers it
                raise Undeliverable(str(exc)) from exc
            parts = split_lines(notice.text, CONTENT_LIMIT)
            extras = await _extras(ctx, notice)
        for k, part in enumerate(parts):  # a notice over 2,000 characters goes whole, in several posts
            last = k == len(parts) - 1
            await asyncio.wait_for(
                target.send(part, nonce=_nonce(message.id, k), **(extras if last else {})), send_timeout
            )
    except discord.RateLimited as exc:
        raise outbox.RateLimited(exc.retry_after, str(exc)) from exc
    except TimeoutError as exc:
        raise Slow(f"Discord did not take the message within {send_timeout:g}s (rate limited?)") from exc
    except discord.NotFound:
        if user_id is not None:  # a cached DM channel Discord no longer knows: open it afresh next time
            state.dm_channels.discard(user_id)
        raise


async def deliver_due(
    client: discord.Client,
    ctx: Context,
    *,
    guild_id: str | None,
    limit: int = 100,
    concurrency: int = 8,
    send_timeout: float = SEND_TIMEOUT,
) -> DeliveryReport:
    """Deliver one batch of due outbox messages (up to ``limit``, ``concurrency`` at once): DM or channel,
    then one ``UPDATE`` marking them sent; failures are recorded for a later retry.

    Messages are taken with ``outbox.claim`` (a lease), so several replicas delivering at once never
    pick the same message; one whose deliverer died comes back when its lease ends. A post Discord does
    not take within ``send_timeout`` seconds (a 429 with a long ``Retry-After``) is failed and retried in
    a later round, so one slow route never holds the round and its lock.
    """
    report = DeliveryReport()
    state = _state(client, ctx, limit, concurrency)
    async with state.lock:
        messages = await state.deliverer.claim()
        if not messages:
            return report
        targets = await _targets(ctx, messages, guild_id)
        done = await state.deliverer.send(
            messages,
            lambda m: _send(client, ctx, state, targets, m, guild_id, send_timeout),
            expected=(discord.HTTPException, OSError, ValueError, Slow),
            destination=targets.destination,
        )
    report.sent = sorted([*done.sent, *done.unmarked])
    report.failed = {**done.failed, **done.waiting}
    return report
