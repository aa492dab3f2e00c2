"""Slack's ``/gov``: acknowledged at once, then answered through the command's ``response_url``.

The acknowledgement is empty, before any look-up (who the person is, which language they read, the
command itself); the reply follows, ephemeral, in the reader's language. The line is read by the shared
grammar (``bot.grammar.parse``, inside dispatch); a command whose spec ``opens_ballot`` given without its
choice opens the ballot form instead, and one that ``changes_identity`` drops the cached identities.
"""

from __future__ import annotations

import html
import re
import uuid
from typing import Any

import aiohttp
from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.errors import SlackApiError, SlackClientError
from sqlalchemy.exc import SQLAlchemyError

from bot.commands import Spec, find, tokenize
from bot.present import undelivered
from bot.present.replies import Reply, error
from bot.slack import files, replay, views
from bot.slack.render import clip
from bot.slack.runtime import Runtime, ephemeral, log, team_user, unlinked_reply
from governance.errors import GovError
from governance.i18n import _, using_locale
from governance.services import roster
from governance.services.common import Context

COMMAND = "/gov"
MENTION_RE = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")
CHANNEL_RE = re.compile(r"<#([CGD][A-Z0-9]+)(?:\|[^>]*)?>")
LINK_RE = re.compile(r"<((?:https?|mailto):[^|>]+)(?:\|[^>]*)?>")
LINK_CMD_RE = re.compile(r"^\s*(?:/?gov\s+)?roster\s+link\s+(\S+)\s+<@([UW][A-Z0-9]+)(?:\|[^>]*)?>\s*$", re.I)


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


def spec_of(text: str) -> tuple[Spec | None, list[str]]:
    """The command a line names and the words after it; (None, []) when it names none or cannot be read
    (dispatch then says why)."""
    try:
        return find(tokenize(text))
    except GovError:
        return None, []


def ballot_target(text: str) -> tuple[str, str] | None:
    """A ballot command given only its poll (``vote <election>``, ``motion vote <n>``): the ballot to
    open as a form, as (kind, reference)."""
    spec, rest = spec_of(text)
    if spec is None or not spec.opens_ballot or len(rest) != 1 or rest[0].startswith("--"):
        return None
    return spec.opens_ballot, rest[0]


def not_looked_up(ref: str) -> Reply:
    """The answer when the sender could not be looked up: nothing was done, try again."""
    return error(
        _("Something went wrong on our side (reference {ref}); nothing was changed.", ref=ref),
        _("Try again; if it persists, give the reference to the secretariat."),
    )


async def acknowledge(
    rt: Runtime, ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond, request: AsyncBoltRequest
) -> None:
    """Acknowledge ``/gov`` at once, before any look-up, and answer through ``response_url``.

    The acknowledgement is empty (Slack shows nothing for it), so it needs neither the person nor
    their language and Slack never waits on the database or on ``users.info``. Only a request that
    does not say who sent it is answered in the acknowledgement: there is no one to look up.
    """
    keys = replay.request_keys(request)
    team_id, user_id = team_user(body)
    if not team_id or not user_id:
        with using_locale(rt.locales.default):
            await ack(**ephemeral(error(_("This request does not say who sent it; nothing was done."))))
        return
    await ack()
    rt.spawn(rt.in_slot(answer(rt, body, respond, team_id, user_id, keys)))


async def answer(
    rt: Runtime, body: dict[str, Any], respond: AsyncRespond, team_id: str, user_id: str, keys: list[str]
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
            text = await normalise_text(rt.ctx, str(body.get("text") or ""), team_id) if actor else ""
    except Exception:
        ref = uuid.uuid4().hex[:8]
        log.exception("could not look up the Slack user %s (ref %s); the command was not run", user_id, ref)
        with using_locale(rt.locales.default):
            await send_reply(rt, body, respond, user_id, not_looked_up(ref))
        return
    with using_locale(locale):
        if actor is None:
            await send_reply(rt, body, respond, user_id, unlinked_reply(team_id, user_id))
            return
        target = ballot_target(text)
        trigger = str(body.get("trigger_id") or "")
        if target is not None and trigger:

            async def tell(reply: Reply) -> None:
                await send_reply(rt, body, respond, user_id, reply)

            try:
                await views.open_ballot(rt, target, trigger, tell)
            except (SlackClientError, aiohttp.ClientError, OSError, TimeoutError, SQLAlchemyError):
                ref = uuid.uuid4().hex[:8]
                log.exception("could not open a ballot form for %s (ref %s)", user_id, ref)
                await send_reply(rt, body, respond, user_id, not_looked_up(ref))
            return
        reply = await rt.run_command(actor, text, locale)
        await send_reply(rt, body, respond, user_id, reply, text)
        after_command(rt, text)
        if reply.attachments:
            await send_files(rt, user_id, reply, respond)


async def send_reply(
    rt: Runtime,
    body: dict[str, Any],
    respond: AsyncRespond,
    user_id: str,
    reply: Reply,
    command: str | None = None,
) -> None:
    """Send ``reply`` to the command's ``response_url``, ephemeral and beside the command. When Slack
    does not take the answer to a command that ran (``command``), a DM says what was done."""
    response_url = str(body.get("response_url") or "")
    refused: str | None = None
    try:
        if response_url:
            refused = await rt.post_response(response_url, {**ephemeral(reply), "replace_original": False})
        else:
            await respond(**ephemeral(reply), replace_original=False)
    except (aiohttp.ClientError, OSError, TimeoutError) as exc:
        log.warning("could not send the answer to %s through response_url: %s", user_id, exc)
        refused = type(exc).__name__
    if refused is not None and command is not None:  # say what was done, where the person will see it
        await rt.dm(user_id, undelivered.notice(reply, command, "Slack", refused).text)


async def send_files(rt: Runtime, user_id: str, reply: Reply, respond: AsyncRespond) -> None:
    """Share a reply's attachments in the person's DM; say so privately when Slack refuses them."""
    try:
        await files.send_to_user(rt.client, user_id, reply.attachments, comment=clip(reply.text, 3000))
    except (SlackApiError, SlackClientError, aiohttp.ClientError, OSError, TimeoutError) as exc:
        reason = exc.response.get("error") if isinstance(exc, SlackApiError) else str(exc)
        log.warning("could not send %d file(s) to %s: %s", len(reply.attachments), user_id, reason)
        names = ", ".join(a.filename for a in reply.attachments)
        await respond(
            **ephemeral(
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


def after_command(rt: Runtime, text: str) -> None:
    """After a command ran: drop cached identities when its spec ``changes_identity``; deliver what it
    queued."""
    spec, _rest = spec_of(text)
    if spec is not None and spec.changes_identity:
        rt.forget()
    rt.delivery.kick()


def register(app: AsyncApp, rt: Runtime) -> None:
    """Listen for ``/gov``."""

    @app.command(COMMAND)
    async def gov(
        ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond, request: AsyncBoltRequest
    ) -> None:
        await acknowledge(rt, ack, body, respond, request)
