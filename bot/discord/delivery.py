"""Outbox delivery on Discord: each due notification goes to a person's DMs (their Discord account
linked in the guild) or to a body's channel, then is marked sent; a failure is marked failed and
retried later with the outbox's back-off.

Never doubled: each message is sent with ``nonce="gbo<outbox id>"`` and ``enforce_nonce``, so if the
process dies between Discord accepting a message and ``mark_sent`` (or two replicas pick the same
message), Discord returns the earlier message instead of posting a second one (Discord checks nonces
over the last few minutes); ``mark_sent`` only counts the first marker.
"""

from __future__ import annotations

import asyncio
import io
import json
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import discord
from sqlalchemy import select

from bot.discord import ballots
from bot.discord.render import CONTENT_LIMIT, clip, result_embed
from governance import charts, i18n
from governance.charts import Chart
from governance.errors import GovError
from governance.models import Body, ChatIdentity
from governance.services import elections, motions, outbox
from governance.services.common import Context

log = logging.getLogger(__name__)

MOTION_NUMBER = re.compile(r"\bMotion M(\d+)\b")
VOTE_HINT = re.compile(r"`vote ([a-z0-9][a-z0-9_-]{0,63}) ")
SLUG = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")


class Undeliverable(Exception):
    """A message has nowhere to go yet (unlinked person, body without a channel); retried later."""


@dataclass
class DeliveryReport:
    """What one delivery round did."""

    sent: list[int] = field(default_factory=list)
    failed: dict[int, str] = field(default_factory=dict)


async def _person_target(client: discord.Client, ctx: Context, person_id: int, guild_id: str | None) -> Any:
    async with ctx.db.reading() as session:
        stmt = select(ChatIdentity.user_id).where(
            ChatIdentity.platform == "discord", ChatIdentity.person_id == person_id
        )
        if guild_id:
            stmt = stmt.where(ChatIdentity.workspace == guild_id)
        user_id = (await session.execute(stmt.order_by(ChatIdentity.id).limit(1))).scalar_one_or_none()
    if user_id is None:
        raise Undeliverable(f"person {person_id} has no Discord account linked in guild {guild_id}")
    return await client.create_dm(discord.Object(id=int(user_id)))


async def _body_target(
    client: discord.Client, ctx: Context, body_id: int | None, guild_id: str | None
) -> Any:
    channel_ref: str | None = None
    if body_id is not None:
        async with ctx.db.reading() as session:
            body = await session.get(Body, body_id)
            channel_ref = body.channel if body else None
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


async def _extras(ctx: Context, message: outbox.Pending) -> dict[str, Any]:
    """Embeds, files and components that make a notification actionable: result embeds with their
    charts (the first shown in the embed), vote buttons."""
    try:
        payload = json.loads(message.payload or "{}")
    except ValueError:
        payload = {}
    if message.kind == "election.result" and payload.get("election"):
        try:
            view = await elections.show(ctx, str(payload["election"]))
            result = await elections.result(ctx, str(payload["election"]))
        except GovError:
            return {}
        embed = result_embed(
            view.election.title, result.elected, result.method, result.ballots, result.to_text()
        )
        title = view.election.title
        files = await _charts(
            lambda: charts.charts_for_election(view, title=title, gettext=i18n.gettext), view.election.slug
        )
        if files:
            embed.set_image(url=f"attachment://{files[0].filename}")
        return {"embed": embed, "files": files} if files else {"embed": embed}
    if message.kind == "motion.result":
        found = MOTION_NUMBER.search(message.text)
        if found is None:
            return {}
        try:
            shown = await motions.show(ctx, int(found.group(1)))
        except GovError:
            return {}
        title = f"M{shown.motion.id}: {shown.motion.title}"
        files = await _charts(
            lambda: charts.charts_for_motion(shown, title=title, gettext=i18n.gettext),
            f"motion-{shown.motion.id}",
        )
        return {"files": files} if files else {}
    if message.kind == "election.voting_opened":
        slug = ballot_target(message, payload)
        return {"view": ballots.vote_button(slug)} if slug else {}
    if message.kind == "motion.proposed":
        number = ballot_target(message, payload)
        return {"view": ballots.motion_buttons(int(number))} if number else {}
    return {}


def ballot_target(message: outbox.Pending, payload: dict[str, Any]) -> str | None:
    """The election slug of a "voting opened" notice, or the motion number of a "motion proposed" one:
    from the payload's ``election``/``motion`` key, else (older messages) from the text."""
    if message.kind == "election.voting_opened":
        slug = str(payload.get("election") or "")
        if SLUG.fullmatch(slug):
            return slug
        hint = VOTE_HINT.search(message.text)
        return hint.group(1) if hint else None
    if message.kind == "motion.proposed":
        number = str(payload.get("motion") or "")
        if number.isdigit():
            return number
        found = MOTION_NUMBER.search(message.text)
        return found.group(1) if found else None
    return None


async def deliver_due(
    client: discord.Client, ctx: Context, *, guild_id: str | None, limit: int = 100
) -> DeliveryReport:
    """Deliver due outbox messages once: DM or channel, then ``mark_sent``; ``mark_failed`` on error.

    Messages are taken with ``outbox.claim`` (a lease), so several replicas delivering at once never
    pick the same message; one whose deliverer died comes back when its lease ends.
    """
    report = DeliveryReport()
    for message in await outbox.claim(ctx, limit):
        try:
            if message.person_id is not None:
                target = await _person_target(client, ctx, message.person_id, guild_id)
            else:
                target = await _body_target(client, ctx, message.body_id, guild_id)
            await target.send(
                clip(message.text, CONTENT_LIMIT), nonce=f"gbo{message.id}", **await _extras(ctx, message)
            )
        except (Undeliverable, discord.HTTPException, OSError, ValueError) as exc:
            reason = f"{type(exc).__name__}: {exc}"
            log.warning("outbox %s (%s) not delivered: %s", message.id, message.kind, reason)
            await outbox.mark_failed(ctx, message.id, reason)
            report.failed[message.id] = reason
            continue
        if await outbox.mark_sent(ctx, message.id):
            report.sent.append(message.id)
    return report
