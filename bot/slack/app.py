"""The Slack app: a slack-bolt ``AsyncApp`` serving ``/gov`` (the shared command grammar), interactive
ballots, the App Home tab, and outbox delivery — in Socket Mode or over HTTP (aiohttp).

Every request is acknowledged within Slack's 3 seconds. A ``/gov`` command is acknowledged at once,
with an empty body and before any look-up (who the person is, which language they read, the command
itself); its reply then follows through the command's ``response_url``, ephemeral, in the reader's
language. A ballot submission is validated and cast before its acknowledgement (so errors show in the
form); the receipt then goes by DM.

The listeners live by kind, each module registering its own: ``bot.slack.commands`` (``/gov``),
``bot.slack.actions`` (buttons), ``bot.slack.views`` (ballot forms), ``bot.slack.events`` (App Home);
what they share is ``bot.slack.runtime.Runtime``. This module builds the app and serves it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Awaitable, Callable
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient

from bot.config import Settings
from bot.slack import actions, commands, events, fastack, replay, views
from bot.slack.commands import COMMAND as COMMAND
from bot.slack.delivery import SlackDelivery
from bot.slack.locale import UserLocales
from bot.slack.runtime import Runtime as Runtime
from bot.slack.runtime import runtime_of as runtime_of
from governance import logsafe
from governance.services import outbox
from governance.services.common import Context
from governance.services.replay import ReplayGuard

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
DEFAULT_HOST = "0.0.0.0"  # every interface (``govbot run --http --host``)
DRAIN_TIMEOUT = 10.0


def build_app(
    ctx: Context,
    settings: Settings,
    *,
    tz: ZoneInfo,
    delivery: SlackDelivery | None = None,
) -> AsyncApp:
    """Build the Slack app on ``ctx``: ``/gov``, ballot modals, App Home and the outbox deliverer (call it
    in the running event loop; ``runtime_of(app).close()`` releases its HTTP session).

    Every answer, form and Home tab is in its reader's Slack language (``users.info``, cached), else in
    ``GOVBOT_LOCALE``. The Web API goes to ``SLACK_API_BASE_URL`` when set (GovSlack, a proxy, the tests'
    fake); a 429 from it is retried after its ``Retry-After``. The deliverer is reachable as
    ``runtime_of(app).delivery`` (``serve`` runs it).
    """
    client_args: dict[str, Any] = {"token": settings.slack_bot_token}
    if settings.slack_api_base_url:
        base = settings.slack_api_base_url
        client_args["base_url"] = base if base.endswith("/") else base + "/"
    # One HTTP session for every Web API call and every answer to a response_url: connections to Slack
    # are kept alive instead of opened (TLS and all) per call. ``Runtime.close`` closes it.
    session = aiohttp.ClientSession()
    client = AsyncWebClient(**client_args, session=session)
    client.retry_handlers.append(AsyncRateLimitErrorRetryHandler(max_retry_count=3))
    # Listeners acknowledge first and hand slow work to ``Runtime.spawn``, so Bolt may answer as soon as
    # a listener returns instead of polling for the ack (process_before_response).
    app = AsyncApp(
        client=client,
        signing_secret=settings.slack_signing_secret or "",
        logger=logging.getLogger("bot.slack.bolt"),
        process_before_response=True,
    )

    async def store_locale(user_id: str, locale: str) -> None:
        """Keep a user's Slack language with their identity: the deliverer DMs them in it."""
        await outbox.remember_locale(ctx, "slack", None, user_id, locale)

    locales = UserLocales(client, settings.locale, now=ctx.now, on_found=store_locale)
    guard = ReplayGuard(ctx)
    runtime = Runtime(ctx, tz, client, delivery or SlackDelivery(ctx, client), locales, guard, http=session)
    app.govbot = runtime  # type: ignore[attr-defined]
    app.middleware(_replay_guard(guard))  # a request is acted on once (bot/slack/replay.py)
    logsafe.protect(replay.CHATTY_LOGGERS)  # no request or response body (a vote, a receipt) in DEBUG logs
    commands.register(app, runtime)
    actions.register(app, runtime)
    views.register(app, runtime)
    events.register(app, runtime)
    return app


def _is_command(req: AsyncBoltRequest) -> bool:
    """Whether a Bolt request is a slash command (its form names the ``command``)."""
    return isinstance(req.body, dict) and isinstance(req.body.get("command"), str)


def _replay_guard(guard: ReplayGuard) -> replay.Middleware:
    """The replay guard as Bolt middleware, except for slash commands: those are acknowledged empty at
    once, and ``/gov`` claims the request's keys itself after the acknowledgement, before anything is
    done. A repeat's answer is the same empty 200 either way, and claiming costs a database write (an
    fsync on SQLite) that no acknowledgement should wait for."""
    claim_first = replay.middleware(guard)

    async def replay_guard(
        req: AsyncBoltRequest, resp: BoltResponse, next: Callable[[], Awaitable[None]]
    ) -> Any:
        if _is_command(req):
            await next()
            return None
        return await claim_first(req, resp, next)

    return replay_guard


# ---------------------------------------------------------------- serving


def web_app(app: AsyncApp, path: str = EVENTS_PATH) -> web.Application:
    """The aiohttp application serving Slack's HTTP requests at ``path`` (and ``GET /healthz``).

    A request whose signature or timestamp is wrong gets 401 before anything reads it; a signed
    request whose body cannot be parsed gets 400; neither reaches the core.
    """
    verifier = SignatureVerifier(app._signing_secret)

    async def events(request: web.Request) -> web.Response:
        bolt_request = await replay.signed_request(request, verifier)
        if isinstance(bolt_request, web.Response):
            return bolt_request
        if fastack.acknowledged_first(bolt_request, COMMAND):  # acknowledged, then dispatched
            rt = runtime_of(app)
            later = fastack.dispatch_after_ack(app, bolt_request, rt.post_response, rt.locales.default)
            rt.spawn(rt.in_slot(later))
            return web.Response(status=200)
        bolt_response = await app.async_dispatch(bolt_request)
        return await to_aiohttp_response(bolt_response)

    async def health(_: web.Request) -> web.Response:
        return web.json_response({"ok": True})

    application = web.Application(client_max_size=1024 * 1024)
    application.router.add_post(path, events)
    application.router.add_get("/healthz", health)
    return application


async def _until_stopped(stop: asyncio.Event) -> None:
    """Wait for ``stop`` or SIGINT/SIGTERM; the signal handlers are removed again on the way out."""
    loop = asyncio.get_running_loop()
    installed = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(sig, stop.set)
            installed.append(sig)
    try:
        await stop.wait()
    finally:
        for sig in installed:
            loop.remove_signal_handler(sig)


async def _socket_mode(app: AsyncApp, app_token: str) -> AsyncSocketModeHandler | None:
    """A Socket Mode handler for ``app``, connected; None (logged) when Slack refuses the app token.

    The first WebSocket URL is asked for here, so a wrong token is one clear line at start-up instead of
    an endless reconnect loop; after that the handler reconnects by itself when the link drops.
    """
    handler = AsyncSocketModeHandler(app, app_token)
    try:
        opened = await app.client.apps_connections_open(app_token=app_token)
    except SlackApiError as exc:
        await handler.close_async()
        log.error(
            "Slack refused SLACK_APP_TOKEN (%s): it must be an app-level token (xapp-…) with the "
            "connections:write scope, and Socket Mode must be on in the app's settings; see docs/slack.md",
            exc.response.get("error"),
        )
        return None
    handler.client.wss_uri = str(opened["url"])
    await handler.connect_async()
    return handler


async def serve(
    ctx: Context,
    settings: Settings,
    *,
    http: bool,
    port: int,
    tz: ZoneInfo,
    host: str = DEFAULT_HOST,
    stop: asyncio.Event | None = None,
    ready: Callable[[str], Awaitable[None] | None] | None = None,
) -> int:
    """Run the Slack bot until interrupted: Socket Mode when ``SLACK_APP_TOKEN`` is set (and ``http`` is
    not asked for), else an HTTP server on ``host``:``port`` at ``/slack/events``; the outbox is delivered
    alongside. Returns a process exit code (2 when the settings cannot work)."""
    if not settings.slack_bot_token:
        log.error("SLACK_BOT_TOKEN is not set: see docs/slack.md")
        return 2
    socket_mode = bool(settings.slack_app_token) and not http
    if not socket_mode and not settings.slack_signing_secret:
        log.error(
            "HTTP mode needs SLACK_SIGNING_SECRET (or set SLACK_APP_TOKEN for Socket Mode): see docs/slack.md"
        )
        return 2
    app = build_app(ctx, settings, tz=tz)
    rt = runtime_of(app)
    stop = stop or asyncio.Event()
    deliverer = asyncio.ensure_future(rt.delivery.run(stop))
    try:
        if socket_mode:
            handler = await _socket_mode(app, str(settings.slack_app_token))
            if handler is None:
                return 2
            log.info("govbot is connected to Slack in Socket Mode")
            try:
                if ready is not None:
                    await _maybe_await(ready("socket"))
                await _until_stopped(stop)
            finally:
                await handler.close_async()
        else:
            runner = web.AppRunner(web_app(app), access_log=None)
            await runner.setup()
            site = web.TCPSite(runner, host, port)
            await site.start()
            log.info("govbot serves Slack at http://%s:%s%s", host, port, EVENTS_PATH)
            try:
                if ready is not None:
                    await _maybe_await(ready(f"http://{host}:{port}{EVENTS_PATH}"))
                await _until_stopped(stop)
            finally:
                await runner.cleanup()
    finally:
        stop.set()
        cut = await rt.drain(DRAIN_TIMEOUT)
        if cut:
            log.warning("stopped with %d Slack request(s) unfinished after %ss", cut, DRAIN_TIMEOUT)
        await rt.close()
        await deliverer
    return 0


async def _maybe_await(value: Awaitable[None] | None) -> None:
    if value is not None:
        await value
