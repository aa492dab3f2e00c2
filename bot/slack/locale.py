"""Each Slack user's language, from their Slack settings.

Slack tells a user's locale (``fr-FR``, ``en-GB``…) only through ``users.info`` with ``include_locale``
(bot scope ``users:read``); no command, interaction or event payload carries it. :class:`UserLocales`
asks once per user and keeps the answer for an hour (a user rarely changes language; when they do, their
next answer after the hour follows it). The cache is bounded: the least recently read users are dropped
first, so a large workspace cannot grow it without end.

A language is a courtesy, never a reason to fail: when Slack refuses (``missing_scope`` on an install
made before ``users:read`` was added, a rate limit, a network error) or is slower than ``timeout``, the
reader gets the deployment's default (``GOVBOT_LOCALE``), the failure is logged, and the command goes on.
A slow answer still fills the cache when it arrives, for the user's next request.

Each language Slack tells is also handed to ``on_found`` (the app stores it with the user's chat
identity), so the outbox can DM thousands of people in their languages without one ``users.info`` each.

Time is read from the injected clock (``Context.now``), so tests move it instead of waiting.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

import aiohttp
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web.async_client import AsyncWebClient

from governance.i18n import negotiate
from governance.services.outbox import BoundedCache

log = logging.getLogger(__name__)

TTL = timedelta(hours=1)
FAILURE_TTL = timedelta(minutes=5)  # after a refusal, ask again only this much later
MAX_USERS = 10_000
# Seconds an answer may wait for Slack before it goes out in the default language. The acknowledgement
# never waits for it (bot/slack/app.py acknowledges first); a ballot form must still open within the 3 s
# a trigger_id lives.
TIMEOUT = 2.0


def locale_of(user: object) -> str | None:
    """The ``locale`` field of a ``users.info`` user object (None when absent or malformed)."""
    if not isinstance(user, dict):
        return None
    value = user.get("locale")
    return value if isinstance(value, str) and value else None


def _reason(exc: Exception) -> str:
    """Why a Web API call failed, for the log: Slack's error code, else the HTTP status or the exception."""
    if isinstance(exc, SlackApiError):
        data = exc.response.data
        if isinstance(data, dict) and data.get("error"):
            return str(data["error"])
        return f"HTTP {exc.response.status_code}"
    return str(exc) or type(exc).__name__


class UserLocales:
    """Slack users' languages (a supported locale, ``en`` or ``fr``), looked up once and cached.

    ``get`` never raises: any failure answers ``default``. Concurrent requests for the same user share
    one ``users.info`` call.
    """

    def __init__(
        self,
        client: AsyncWebClient,
        default: str,
        *,
        now: Callable[[], datetime],
        ttl: timedelta = TTL,
        failure_ttl: timedelta = FAILURE_TTL,
        max_users: int = MAX_USERS,
        timeout: float = TIMEOUT,
        on_found: Callable[[str, str], Awaitable[object]] | None = None,
    ) -> None:
        self.client = client
        self.default = negotiate(default)
        self.now = now
        self.ttl = ttl
        self.failure_ttl = failure_ttl
        self.max_users = max_users
        self.timeout = timeout
        self.on_found = on_found
        self._known: BoundedCache[str, tuple[datetime, str]] = BoundedCache(max_users)
        self._asking: dict[str, asyncio.Future[str]] = {}

    def cached(self, user_id: str) -> str | None:
        """The user's locale if it is known and fresh, else None (no call to Slack)."""
        found = self._known.get(user_id)
        if found is None:
            return None
        expires, locale = found
        if expires <= self.now():
            self._known.discard(user_id)
            return None
        return locale

    async def get(self, user_id: str) -> str:
        """The language to answer ``user_id`` in: theirs when Slack says it, else the default."""
        if not user_id:
            return self.default
        known = self.cached(user_id)
        if known is not None:
            return known
        asking = self._asking.get(user_id)
        if asking is None:
            asking = asyncio.ensure_future(self._ask(user_id))
            self._asking[user_id] = asking
            asking.add_done_callback(lambda _: self._asking.pop(user_id, None))
        try:
            return await asyncio.wait_for(asyncio.shield(asking), self.timeout)
        except TimeoutError:
            log.warning(
                "users.info for %s took over %ss; answering in %s", user_id, self.timeout, self.default
            )
            return self.default

    async def _ask(self, user_id: str) -> str:
        """Ask Slack, remember the answer (or, for a while, the failure) and return the locale."""
        try:
            answer = await self.client.users_info(user=user_id, include_locale=True)
            locale = negotiate(locale_of(answer.get("user")), default=self.default)
        except (SlackApiError, SlackClientError, aiohttp.ClientError, OSError, TimeoutError) as exc:
            log.warning("users.info for %s failed (%s); answering in %s", user_id, _reason(exc), self.default)
            self._remember(user_id, self.default, self.failure_ttl)
            return self.default
        except Exception:  # a malformed answer, say: still only a language, never a failed command
            log.exception("users.info for %s could not be read; answering in %s", user_id, self.default)
            self._remember(user_id, self.default, self.failure_ttl)
            return self.default
        self._remember(user_id, locale, self.ttl)
        if self.on_found is not None:
            try:
                await self.on_found(user_id, locale)
            except Exception:  # storing it is for later DMs: this answer goes on in the language
                log.exception("the language of %s could not be stored for their DMs", user_id)
        return locale

    def _remember(self, user_id: str, locale: str, ttl: timedelta) -> None:
        self._known.put(user_id, (self.now() + ttl, locale))

    def forget(self, user_id: str | None = None) -> None:
        """Drop one user's cached language (or everyone's)."""
        if user_id is None:
            self._known.clear()
        else:
            self._known.discard(user_id)
