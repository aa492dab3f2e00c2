"""The Slack app: a slack-bolt ``AsyncApp`` serving ``/gov`` (the shared command grammar), interactive
ballots, the App Home tab, and outbox delivery — in Socket Mode or over HTTP (aiohttp).

Every request is acknowledged within Slack's 3 seconds. A ``/gov`` command is acknowledged at once,
with an empty body and before any look-up (who the person is, which language they read, the command
itself); its reply then follows through the command's ``response_url``, ephemeral, in the reader's
language. A ballot submission is validated and cast before its acknowledgement (so errors show in the
form); the receipt then goes by DM.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import json
import logging
import re
import signal
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import aiohttp
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient
from sqlalchemy.exc import SQLAlchemyError

from bot.commands import dispatch, tokenize
from bot.config import Settings
from bot.present import undelivered
from bot.present.errors import hint
from bot.replies import Reply, error
from bot.slack import ballots, files, replay
from bot.slack.delivery import SlackDelivery
from bot.slack.home import OPEN_BALLOT_ACTION, WG_APPROVE_ACTION, WG_DENY_ACTION, home_view
from bot.slack.locale import UserLocales
from bot.slack.render import clip, escape, message
from governance import logsafe
from governance.errors import GovError
from governance.i18n import _, using_locale
from governance.services import elections, motions, outbox, roster
from governance.services.bodies import decide_join
from governance.services.common import Actor, Context
from governance.services.replay import ReplayGuard

log = logging.getLogger(__name__)
T = TypeVar("T")
Tell = Callable[[Reply], Awaitable[None]]  # says something to the person who clicked or typed

COMMAND = "/gov"
EVENTS_PATH = "/slack/events"
DEFAULT_HOST = "0.0.0.0"  # every interface (``govbot run --http --host``)
IDENTITY_TTL = 30.0
UNLINKED_TTL = 2.0
WORK_SLOTS = 4
DRAIN_TIMEOUT = 10.0
MENTION_RE = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")
CHANNEL_RE = re.compile(r"<#([CGD][A-Z0-9]+)(?:\|[^>]*)?>")
LINK_RE = re.compile(r"<((?:https?|mailto):[^|>]+)(?:\|[^>]*)?>")
LINK_CMD_RE = re.compile(r"^\s*(?:/?gov\s+)?roster\s+link\s+(\S+)\s+<@([UW][A-Z0-9]+)(?:\|[^>]*)?>\s*$", re.I)


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

    async def run_command(self, actor: Actor, text: str, locale: str | None = None) -> Reply:
        """Run one command line as ``actor``, answering in ``locale`` (call it in a slot)."""
        return await dispatch(self.ctx, actor, text, tz=self.tz, platform="slack", locale=locale)

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
        process exits, so an acknowledged command is followed by its answer; returns how many were cut off."""
        pending = set(self.tasks)
        if not pending:
            return 0
        _finished, cut = await asyncio.wait(pending, timeout=timeout)
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


async def normalise_text(ctx: Context, text: str, team_id: str) -> str:
    """Turn Slack's escaped command text into the grammar's words.

    ``roster link alice @bob`` (a mention) becomes ``roster link alice slack <team> <bob's id>``; other
    mentions of linked users become their handles; ``#channel`` becomes the channel id (for
    ``--channel``); links become their URL; HTML entities are unescaped.
    """
    linked = LINK_CMD_RE.match(text)
    if linked:
        return f"roster link {linked.group(1)} slack {team_id} {linked.group(2)}"
    text = CHANNEL_RE.sub(lambda m: m.group(1), text)
    text = LINK_RE.sub(lambda m: m.group(1), text)
    users = {m.group(1) for m in MENTION_RE.finditer(text)}
    handles: dict[str, str] = {}
    for user in users:
        actor = await roster.resolve_identity(ctx, "slack", team_id, user)
        handles[user] = actor.handle if actor else user
    text = MENTION_RE.sub(lambda m: handles.get(m.group(1), m.group(1)), text)
    return html.unescape(text)


def _ballot_target(text: str) -> tuple[str, str] | None:
    """``vote <election>`` or ``motion vote <n>`` without a choice: the ballot to open as a modal."""
    try:
        words = tokenize(text)
    except GovError:
        return None
    lowered = [w.lower() for w in words]
    if len(words) == 2 and lowered[0] == "vote":
        return "election", words[1]
    if len(words) == 3 and lowered[:2] == ["motion", "vote"]:
        return "motion", words[2]
    return None


def _ephemeral(reply: Reply) -> dict[str, Any]:
    return {**message(reply), "response_type": "ephemeral"}


def _team_user(body: dict[str, Any]) -> tuple[str, str]:
    """The workspace and user of an interaction or command payload ('' when absent)."""
    user = body.get("user")
    team = body.get("team")
    user_id = user.get("id", "") if isinstance(user, dict) else str(body.get("user_id") or "")
    team_id = (team.get("id", "") if isinstance(team, dict) else "") or str(body.get("team_id") or "")
    if not team_id and isinstance(user, dict):
        team_id = str(user.get("team_id") or "")
    return str(team_id), str(user_id)


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
    _register(app, runtime)
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


def _register(app: AsyncApp, rt: Runtime) -> None:
    ctx, tz = rt.ctx, rt.tz

    async def actor_for(body: dict[str, Any]) -> tuple[Actor | None, str, str, str]:
        """Who sent a request (roster actor, workspace, user) and the language to answer them in."""
        team_id, user_id = _team_user(body)
        if not team_id or not user_id:
            return None, team_id, user_id, rt.locales.default
        actor, locale = await rt.reader(team_id, user_id)
        return actor, team_id, user_id, locale

    async def dm(user_id: str, text: str) -> None:
        """A direct message from the app (chat.postMessage to the user opens the app's DM)."""
        try:
            await rt.client.chat_postMessage(channel=user_id, **message(Reply(text=text)))
        except SlackApiError as exc:
            log.warning("could not DM %s: %s", user_id, exc.response.get("error"))

    # ------------------------------------------------------------ /gov

    @app.command(COMMAND)
    async def gov(
        ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond, request: AsyncBoltRequest
    ) -> None:
        """Acknowledge ``/gov`` at once, before any look-up, and answer through ``response_url``.

        The acknowledgement is empty (Slack shows nothing for it), so it needs neither the person nor
        their language and Slack never waits on the database or on ``users.info``. Only a request that
        does not say who sent it is answered in the acknowledgement: there is no one to look up.
        """
        keys = replay.request_keys(request)
        team_id, user_id = _team_user(body)
        if not team_id or not user_id:
            with using_locale(rt.locales.default):
                await ack(**_ephemeral(error(_("This request does not say who sent it; nothing was done."))))
            return
        await ack()
        rt.spawn(rt.in_slot(answer(body, respond, team_id, user_id, keys)))

    async def answer(
        body: dict[str, Any], respond: AsyncRespond, team_id: str, user_id: str, keys: list[str]
    ) -> None:
        """After the acknowledgement: claim the request (a repeat stops here, unanswered), find who sent
        ``/gov`` and their language, then run the command (or open its ballot form) and send the reply
        through ``response_url`` in that language.

        A look-up that fails (the database unreachable, say) still answers the person, in the default
        language, with a reference for the log and nothing done; never a stack trace.
        """
        try:
            if keys and not await rt.guard.first_time(keys):
                log.info("ignored a repeated Slack command")
                return
            actor, locale = await rt.reader(team_id, user_id)
            with using_locale(locale):
                text = await normalise_text(ctx, str(body.get("text") or ""), team_id) if actor else ""
        except Exception:
            ref = uuid.uuid4().hex[:8]
            log.exception(
                "could not look up the Slack user %s (ref %s); the command was not run", user_id, ref
            )
            with using_locale(rt.locales.default):
                await send_reply(body, respond, user_id, not_looked_up(ref))
            return
        with using_locale(locale):
            if actor is None:
                await send_reply(body, respond, user_id, unlinked_reply(team_id, user_id))
                return
            target = _ballot_target(text)
            trigger = str(body.get("trigger_id") or "")
            if target is not None and trigger:
                try:
                    await open_ballot(target, trigger, lambda r: send_reply(body, respond, user_id, r))
                except (SlackClientError, aiohttp.ClientError, OSError, TimeoutError, SQLAlchemyError):
                    ref = uuid.uuid4().hex[:8]
                    log.exception("could not open a ballot form for %s (ref %s)", user_id, ref)
                    await send_reply(body, respond, user_id, not_looked_up(ref))
                return
            reply = await rt.run_command(actor, text, locale)
            await send_reply(body, respond, user_id, reply, text)
            after_command(text)
            if reply.attachments:
                await send_files(user_id, reply, respond)

    def not_looked_up(ref: str) -> Reply:
        """The answer when the sender could not be looked up: nothing was done, try again."""
        return error(
            _("Something went wrong on our side (reference {ref}); nothing was changed.", ref=ref),
            _("Try again; if it persists, give the reference to the secretariat."),
        )

    async def send_reply(
        body: dict[str, Any], respond: AsyncRespond, user_id: str, reply: Reply, command: str | None = None
    ) -> None:
        """Send ``reply`` to the command's ``response_url``, ephemeral and beside the command. When Slack
        does not take the answer to a command that ran (``command``), a DM says what was done."""
        response_url = str(body.get("response_url") or "")
        refused: str | None = None
        try:
            if response_url:
                refused = await rt.post_response(
                    response_url, {**_ephemeral(reply), "replace_original": False}
                )
            else:
                await respond(**_ephemeral(reply), replace_original=False)
        except (aiohttp.ClientError, OSError, TimeoutError) as exc:
            log.warning("could not send the answer to %s through response_url: %s", user_id, exc)
            refused = type(exc).__name__
        if refused is not None and command is not None:  # say what was done, where the person will see it
            await dm(user_id, undelivered.notice(reply, command, "Slack", refused).text)

    async def send_files(user_id: str, reply: Reply, respond: AsyncRespond) -> None:
        """Share a reply's attachments in the person's DM; say so privately when Slack refuses them."""
        try:
            await files.send_to_user(rt.client, user_id, reply.attachments, comment=clip(reply.text, 3000))
        except (SlackApiError, SlackClientError, aiohttp.ClientError, OSError, TimeoutError) as exc:
            reason = exc.response.get("error") if isinstance(exc, SlackApiError) else str(exc)
            log.warning("could not send %d file(s) to %s: %s", len(reply.attachments), user_id, reason)
            names = ", ".join(a.filename for a in reply.attachments)
            await respond(
                **_ephemeral(
                    error(
                        _(
                            "Slack would not take {names} ({reason}); nothing was sent.",
                            names=names,
                            reason=reason,
                        ),
                        _(
                            "Run the command again in a moment; on the server, `govbot console` saves the "
                            "file in its working directory."
                        ),
                    )
                ),
                replace_original=False,
            )

    def after_command(text: str) -> None:
        if (
            text.lower()
            .lstrip("/")
            .removeprefix("gov")
            .strip()
            .startswith(("roster link", "roster unlink", "roster person set"))
        ):
            rt.forget()
        rt.delivery.kick()

    async def open_ballot(
        target: tuple[str, str], trigger: str, tell: Tell, *, refusal_in_form: bool = False
    ) -> None:
        """Open the ballot form. A refusal is told to the person (or shown in a form when
        ``refusal_in_form``, for a button); a form Slack will not open is explained through ``tell``,
        never left silent."""
        kind, ref = target
        try:
            view = await (
                ballots.election_modal(ctx, ref, tz)
                if kind == "election"
                else ballots.motion_modal(ctx, ref, tz)
            )
        except GovError as exc:
            if not refusal_in_form:
                await tell(error(exc.message, hint(exc, "slack")))
                return
            view = ballots.done_view(
                _("Your ballot"), escape(f"{exc.message} {hint(exc, 'slack') or ''}".strip()), ok=False
            )
        await show_modal(trigger, view, tell, kind, ref)

    async def show_modal(trigger: str, view: dict[str, Any], tell: Tell, kind: str, ref: str) -> None:
        """Open ``view``; when Slack will not, tell the voter why and how to vote anyway."""
        try:
            await rt.client.views_open(trigger_id=trigger, view=view)
            return
        except SlackApiError as exc:
            reason = str(exc.response.get("error"))
        except (SlackClientError, aiohttp.ClientError, OSError, TimeoutError) as exc:
            reason = type(exc).__name__
        log.warning("views.open failed: %s", reason)
        await tell(ballots.not_opened(reason, kind, ref))

    # ------------------------------------------------------------ ballots

    async def open_from_button(body: dict[str, Any], action: dict[str, Any], respond: AsyncRespond) -> None:
        actor, team_id, user_id, locale = await actor_for(body)
        kind, _sep, ref = str(action.get("value") or "").partition(":")
        trigger = str(body.get("trigger_id") or "")
        response_url = str(body.get("response_url") or "")

        async def tell(reply: Reply) -> None:
            """Where the voter is: the message's response_url, else their Home tab, else a DM."""
            if response_url and await rt.post_response(response_url, _ephemeral(reply)) is None:
                return
            if (body.get("view") or {}).get("type") == "home":
                await publish_home(user_id, actor, team_id, ":warning: " + escape(reply.to_text()))
                return
            await dm(user_id, reply.to_text())

        with using_locale(locale):
            if actor is None:
                await tell(unlinked_reply(team_id, user_id))
            elif kind in ("election", "motion") and ref and trigger:
                await open_ballot((kind, ref), trigger, tell, refusal_in_form=True)

    async def statements(body: dict[str, Any], action: dict[str, Any], respond: AsyncRespond) -> None:
        _team_id, user_id = _team_user(body)
        value = str(action.get("value") or "")
        slug, _sep, page = value.partition("|")
        with using_locale(await rt.locales.get(user_id)):
            try:
                view = await ballots.statements_view(ctx, slug, int(page) if page.isdigit() else 0)
            except GovError as exc:
                view = ballots.done_view(_("Candidates"), escape(exc.message), ok=False)
        container = body.get("view") or {}
        if action.get("action_id") == ballots.STATEMENTS_ACTION:
            await rt.client.views_push(trigger_id=str(body.get("trigger_id") or ""), view=view)
        else:
            await rt.client.views_update(view_id=str(container.get("id") or ""), view=view)

    @app.view(ballots.BALLOT_CALLBACK)
    async def submit_ballot(ack: AsyncAck, body: dict[str, Any], view: dict[str, Any]) -> None:
        actor, team_id, user_id, locale = await actor_for(body)
        with using_locale(locale):
            await cast(ack, view, actor, team_id, user_id)

    async def cast(
        ack: AsyncAck, view: dict[str, Any], actor: Actor | None, team_id: str, user_id: str
    ) -> None:
        """Check and cast a submitted ballot form; problems go back into the form, in the voter's language."""
        first = ballots.first_input(view)
        if actor is None:
            unlinked = _("Your Slack account is not linked: {hint}", hint=linking_hint(team_id, user_id))
            await ack(response_action="errors", errors={first: clip(unlinked, 300)})
            return
        try:
            slug, choices, problems = ballots.read_ballot(view)
        except (GovError, ValueError, TypeError) as exc:
            text = exc.message if isinstance(exc, GovError) else _("This ballot form could not be read.")
            await ack(response_action="errors", errors={first: text})
            return
        if problems:
            await ack(response_action="errors", errors=problems)
            return
        try:
            receipt = await elections.cast_ballot(ctx, actor, slug, choices)
        except GovError as exc:
            await ack(
                response_action="errors",
                errors={first: clip(f"{exc.message} {hint(exc, 'slack') or ''}".strip(), 300)},
            )
            return
        order = " > ".join(" = ".join(t) for t in receipt.ranking)
        fields = {"order": escape(order), "receipt": receipt.receipt}
        confirmation = (
            (
                _("Your earlier ballot was replaced: {order}.", **fields)
                if receipt.replaced
                else _("Your ballot is recorded: {order}.", **fields)
            )
            + "\n"
            + _(
                "Receipt `{receipt}` (a copy is in your direct messages). You may vote again until voting "
                "closes; your latest ballot counts.",
                **fields,
            )
        )
        await ack(response_action="update", view=ballots.done_view(_("Your ballot"), confirmation))
        copy = {"election": receipt.election, "order": order, "receipt": receipt.receipt}
        rt.spawn(
            dm(
                user_id,
                _(
                    "govbot replaced your earlier ballot in {election}: {order}. Your receipt: {receipt} "
                    "(keep it to find your ballot in the published list).",
                    **copy,
                )
                if receipt.replaced
                else _(
                    "govbot recorded your ballot in {election}: {order}. Your receipt: {receipt} "
                    "(keep it to find your ballot in the published list).",
                    **copy,
                ),
            )
        )
        rt.spawn(publish_home(user_id, actor, team_id))
        rt.delivery.kick()

    async def motion_button(body: dict[str, Any], action: dict[str, Any], respond: AsyncRespond) -> None:
        actor, team_id, user_id, locale = await actor_for(body)
        with using_locale(locale):
            await vote_on_motion(body, action, respond, actor, team_id, user_id)

    async def vote_on_motion(
        body: dict[str, Any],
        action: dict[str, Any],
        respond: AsyncRespond,
        actor: Actor | None,
        team_id: str,
        user_id: str,
    ) -> None:
        """Vote Yes / No / Abstain from a motion's buttons; the outcome replaces the form (or answers)."""
        container = body.get("view") if isinstance(body.get("view"), dict) else None

        async def show(text: str, ok: bool) -> str | None:
            """Show the outcome in place; returns why Slack did not take it (None when it did)."""
            if container is not None:
                await rt.client.views_update(
                    view_id=str(container.get("id") or ""),
                    view=ballots.done_view(_("Motion"), escape(text), ok),
                )
                return None
            sent = await respond(**_ephemeral(Reply(text=text, ok=ok)), replace_original=False)
            return None if sent.status_code == 200 else f"HTTP {sent.status_code}"

        if actor is None:
            await show(unlinked_reply(team_id, user_id).to_text(), False)
            return
        choice = str(action.get("action_id", "")).rsplit("_", 1)[-1]
        try:
            r = await motions.vote(ctx, actor, str(action.get("value") or ""), choice)
        except GovError as exc:
            await show(f"{exc.message} {hint(exc, 'slack') or ''}".strip(), False)
            return
        fields = {"id": r.motion_id, "choice": ballots.choice_label(r.choice), "receipt": r.receipt}
        if r.replaced:
            text = _("Your vote on M{id} changed to {choice}.", **fields)
        else:
            text = _("Your vote on M{id} recorded: {choice}.", **fields)
        text += " " + (
            _("This is a roll-call vote: your vote is public.")
            if r.public
            else _("Receipt: {receipt}.", **fields)
        )
        try:
            refused = await show(text, True)
        except (SlackApiError, SlackClientError, aiohttp.ClientError, OSError, TimeoutError) as exc:
            refused = type(exc).__name__
        if refused is not None:  # the vote is recorded: the DM says so, with the receipt
            log.warning("could not show %s their vote on M%s: %s", user_id, r.motion_id, refused)
            command = f"motion vote {r.motion_id} {choice}"
            text = undelivered.notice(Reply(text=text), command, "Slack", refused).text
        await dm(user_id, text)

    # ------------------------------------------------------------ App Home

    async def publish_home(
        user_id: str, actor: Actor | None, team_id: str, notice: str | None = None
    ) -> None:
        view = await home_view(ctx, actor, tz, notice=notice, linking_hint=linking_hint(team_id, user_id))
        await rt.client.views_publish(user_id=user_id, view=view)

    @app.event("app_home_opened")
    async def home_opened(body: dict[str, Any], event: dict[str, Any]) -> None:
        if event.get("tab", "home") != "home":
            return
        user_id = str(event.get("user") or "")
        team_id = str(body.get("team_id") or "")
        if not user_id or not team_id:
            return
        actor, locale = await rt.reader(team_id, user_id)
        with using_locale(locale):
            rt.spawn(publish_home(user_id, actor, team_id))

    async def decide(body: dict[str, Any], action: dict[str, Any], respond: AsyncRespond) -> None:
        actor, team_id, user_id, locale = await actor_for(body)
        if actor is None:
            return
        with using_locale(locale):
            try:
                data = json.loads(str(action.get("value") or "{}"))
                wg, handle = str(data["wg"]), str(data["handle"])
            except (ValueError, KeyError, TypeError):
                stale = ":warning: " + _("That button is out of date; nothing was done.")
                await publish_home(user_id, actor, team_id, stale)
                return
            approve = action.get("action_id") == WG_APPROVE_ACTION
            try:
                await decide_join(ctx, actor, wg, handle, approve)
                notice = (
                    _("Approved @{handle}'s request to join {wg}.", handle=handle, wg=wg)
                    if approve
                    else _("Declined @{handle}'s request to join {wg}.", handle=handle, wg=wg)
                )
            except GovError as exc:
                notice = f":warning: {exc.message}"
            await publish_home(user_id, actor, team_id, escape(notice))
        rt.delivery.kick()

    Work = Callable[[dict[str, Any], dict[str, Any], AsyncRespond], Awaitable[None]]

    def button(action_id: str | re.Pattern[str], work: Work) -> None:
        """Acknowledge a button at once; do its work after the acknowledgement."""

        async def listener(
            ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], respond: AsyncRespond
        ) -> None:
            await ack()
            rt.spawn(work(body, action, respond))

        app.action(action_id)(listener)

    button(OPEN_BALLOT_ACTION, open_from_button)
    button(re.compile(r"^gov_statements(_prev|_next)?$"), statements)
    button(re.compile(r"^gov_motion_vote_(yes|no|abstain)$"), motion_button)
    button(re.compile(f"^({WG_APPROVE_ACTION}|{WG_DENY_ACTION})$"), decide)

    @app.options(ballots.ACTION)
    async def ballot_options(ack: AsyncAck, body: dict[str, Any]) -> None:
        """Type-ahead options for a long ballot's selects (Slack asks as the voter types)."""
        view = body.get("view") if isinstance(body.get("view"), dict) else {}
        try:
            options = await ballots.suggestions(ctx, view or {}, str(body.get("value") or ""))
        except GovError:
            options = []
        await ack(options=options)

    @app.view(re.compile(r"^gov_(statements|done|motion)$"))
    async def ack_info_views(ack: AsyncAck) -> None:
        await ack()

    @app.error
    async def on_error(error: Exception, body: dict[str, Any]) -> None:
        log.error(
            "slack listener failed (%s): %s", body.get("type") or body.get("command"), error, exc_info=error
        )


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
