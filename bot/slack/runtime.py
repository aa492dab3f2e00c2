"""What the Slack listeners share: the runtime (core context, Web API client, deliverer, identity and
language caches, work slots) and the small helpers every listener uses (who sent a request, DMs, the
Home tab, answers that are ephemeral).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import aiohttp
from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from bot.commands import Command, dispatch
from bot.present.replies import Reply, error
from bot.slack.delivery import SlackDelivery
from bot.slack.home import home_view
from bot.slack.locale import UserLocales
from bot.slack.render import message
from governance.i18n import _
from governance.services import roster
from governance.services.common import Actor, Context
from governance.services.replay import ReplayGuard

log = logging.getLogger("bot.slack.app")  # one logger name for the whole Slack app
T = TypeVar("T")
Tell = Callable[[Reply], Awaitable[None]]  # says something to the person who clicked or typed

IDENTITY_TTL = 30.0
UNLINKED_TTL = 2.0
WORK_SLOTS = 4


@dataclass
class Runtime:
    """What the listeners share: the core context, the reader's zone, the Web API client, the deliverer."""

    ctx: Context
    tz: ZoneInfo
    client: AsyncWebClient
    delivery: SlackDelivery
    locales: UserLocales
    guard: ReplayGuard
    identity_ttl: float = IDENTITY_TTL
    slots: asyncio.Semaphore = field(default_factory=lambda: asyncio.Semaphore(WORK_SLOTS))
    tasks: set[asyncio.Future[Any]] = field(default_factory=set)
    http: aiohttp.ClientSession | None = None
    _identities: dict[tuple[str, str], tuple[float, Actor | None]] = field(default_factory=dict)
    _lookups: dict[tuple[str, str], asyncio.Future[Actor | None]] = field(default_factory=dict)

    def spawn(self, work: Awaitable[Any]) -> asyncio.Future[Any]:
        """Run ``work`` after the acknowledgement; kept referenced until done, failures logged."""
        task = asyncio.ensure_future(work)
        self.tasks.add(task)

        def _done(t: asyncio.Future[Any]) -> None:
            self.tasks.discard(t)
            if not t.cancelled() and t.exception() is not None:
                log.error("slack background work failed", exc_info=t.exception())

        task.add_done_callback(_done)
        return task

    async def actor(self, team_id: str, user_id: str) -> Actor | None:
        """The roster actor of a Slack user, cached briefly so acknowledgements rarely wait for the database.

        A link takes effect at once (unknown users are looked up again after a few seconds); an unlink
        or a change of admin flag takes effect within ``identity_ttl`` seconds.
        """
        key = (team_id, user_id)
        now = time.monotonic()
        cached = self._identities.get(key)
        if cached is not None and cached[0] > now:
            return cached[1]
        pending = self._lookups.get(key)
        if pending is None:  # one database look-up per user, however many requests arrive at once
            pending = asyncio.ensure_future(roster.resolve_identity(self.ctx, "slack", team_id, user_id))
            self._lookups[key] = pending
            pending.add_done_callback(lambda _: self._lookups.pop(key, None))
        actor = await asyncio.shield(pending)
        ttl = self.identity_ttl if actor is not None else min(self.identity_ttl, UNLINKED_TTL)
        if len(self._identities) > 50_000:
            self._identities.clear()
        self._identities[key] = (now + ttl, actor)
        return actor

    async def reader(self, team_id: str, user_id: str) -> tuple[Actor | None, str]:
        """A Slack user's roster actor and the language to answer them in, looked up side by side."""
        actor, locale = await asyncio.gather(self.actor(team_id, user_id), self.locales.get(user_id))
        return actor, locale

    async def in_slot(self, work: Awaitable[T]) -> T:
        """Run ``work`` (a command's answer) in one of ``WORK_SLOTS`` slots: at most that many answers
        hold the database and the event loop at once, so the acknowledgements of new requests are never
        stuck behind a crowd of answers; the others wait their turn without costing anything."""
        async with self.slots:
            return await work

    async def run_command(self, actor: Actor, command: Command | str, locale: str | None = None) -> Reply:
        """Run one command (typed, or a line to read) as ``actor``, answering in ``locale``: the one road
        of every ``/gov`` line, button and form (call it in a slot)."""
        return await dispatch(self.ctx, actor, command, tz=self.tz, platform="slack", locale=locale)

    async def actor_for(self, body: dict[str, Any]) -> tuple[Actor | None, str, str, str]:
        """Who sent a request (roster actor, workspace, user) and the language to answer them in."""
        team_id, user_id = team_user(body)
        if not team_id or not user_id:
            return None, team_id, user_id, self.locales.default
        actor, locale = await self.reader(team_id, user_id)
        return actor, team_id, user_id, locale

    async def dm(self, user_id: str, text: str) -> None:
        """A direct message from the app (chat.postMessage to the user opens the app's DM)."""
        try:
            await self.client.chat_postMessage(channel=user_id, **message(Reply(text=text)))
        except SlackApiError as exc:
            log.warning("could not DM %s: %s", user_id, exc.response.get("error"))

    async def publish_home(
        self, user_id: str, actor: Actor | None, team_id: str, notice: str | None = None
    ) -> None:
        """Publish a user's App Home tab, with ``notice`` (already escaped) on top when given."""
        view = await home_view(
            self.ctx, actor, self.tz, notice=notice, linking_hint=linking_hint(team_id, user_id)
        )
        await self.client.views_publish(user_id=user_id, view=view)

    async def post_response(self, response_url: str, message: dict[str, Any]) -> str | None:
        """Send an answer to a command's ``response_url`` over one shared HTTP session, so answers reuse
        open connections instead of opening one each (Bolt's ``respond`` opens a session per call).
        Returns None when Slack took it, else why not (``HTTP 500``)."""
        if self.http is None or self.http.closed:
            self.http = aiohttp.ClientSession()
        sent = await AsyncWebhookClient(url=response_url, session=self.http).send_dict(message)
        if sent.status_code != 200:
            log.warning("response_url answered %s: %s", sent.status_code, sent.body[:200])
            return f"HTTP {sent.status_code}"
        return None

    async def close(self) -> None:
        """Close the shared HTTP session (when the app stops)."""
        if self.http is not None and not self.http.closed:
            await self.http.close()

    async def drain(self, timeout: float) -> int:
        """Let work still running after its acknowledgement finish (up to ``timeout`` seconds) before the
        process exits, so an acknowledged command is followed by its answer; returns how many were cut off.
        Work started by work (a command dispatched after its acknowledgement starts its answer) is waited
        for too."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while self.tasks and loop.time() < deadline:
            await asyncio.wait(set(self.tasks), timeout=deadline - loop.time())
        cut = set(self.tasks)
        for task in cut:
            task.cancel()
        return len(cut)

    def forget(self) -> None:
        """Drop cached identities (after a command that may have linked or unlinked someone)."""
        self._identities.clear()


def runtime_of(app: AsyncApp) -> Runtime:
    """The govbot runtime attached to an app made by ``build_app``."""
    return app.govbot  # type: ignore[attr-defined,no-any-return]


def linking_hint(team_id: str, user_id: str) -> str:
    """What an unlinked Slack user must ask for, with the exact command an admin runs."""
    return _(
        "Ask the secretariat (a govbot admin) to link your account: "
        "`/gov roster link <your-handle> slack {team} {user}` (or `/gov roster link <your-handle> @you`).",
        team=team_id,
        user=user_id,
    )


def unlinked_reply(team_id: str, user_id: str) -> Reply:
    """The reply to a Slack user who is not on the roster yet."""
    return error(
        _("Your Slack account is not linked to anyone on the alliance roster yet."),
        linking_hint(team_id, user_id),
    )


def ephemeral(reply: Reply) -> dict[str, Any]:
    """A reply as a Slack message only its reader sees."""
    return {**message(reply), "response_type": "ephemeral"}


def team_user(body: dict[str, Any]) -> tuple[str, str]:
    """The workspace and user of an interaction or command payload ('' when absent)."""
    user = body.get("user")
    team = body.get("team")
    user_id = user.get("id", "") if isinstance(user, dict) else str(body.get("user_id") or "")
    team_id = (team.get("id", "") if isinstance(team, dict) else "") or str(body.get("team_id") or "")
    if not team_id and isinstance(user, dict):
        team_id = str(user.get("team_id") or "")
    return str(team_id), str(user_id)
