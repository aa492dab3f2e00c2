"""Slack's buttons: open a ballot, page through candidates' statements, vote on a motion, decide a
working-group join request from the App Home tab.

Each button is acknowledged at once and does its work after. A button that acts builds the same typed
command a person would type (``Command(("motion", "vote"), (ref, choice))``, ``Command(("wg",
"approve"), (wg, handle))``) and goes through the same dispatch and handler, so its answer, receipt
included, is the one the handler wrote.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.errors import SlackApiError, SlackClientError

from bot.commands import Command
from bot.present import undelivered
from bot.present.replies import Reply
from bot.slack import ballots, views
from bot.slack.home import OPEN_BALLOT_ACTION, WG_APPROVE_ACTION, WG_DENY_ACTION
from bot.slack.render import escape
from bot.slack.runtime import Runtime, ephemeral, log, team_user, unlinked_reply
from governance.errors import GovError
from governance.i18n import _, using_locale
from governance.services.common import Actor

Work = Callable[[Runtime, dict[str, Any], dict[str, Any], AsyncRespond], Awaitable[None]]
MOTION_VOTE_ACTION = re.compile(r"^gov_motion_vote_(yes|no|abstain)$")
STATEMENTS_ACTIONS = re.compile(r"^gov_statements(_prev|_next)?$")


async def open_from_button(
    rt: Runtime, body: dict[str, Any], action: dict[str, Any], respond: AsyncRespond
) -> None:
    """A "Vote" button: open the ballot form; a refusal is told where the voter is."""
    actor, team_id, user_id, locale = await rt.actor_for(body)
    kind, _sep, ref = str(action.get("value") or "").partition(":")
    trigger = str(body.get("trigger_id") or "")
    response_url = str(body.get("response_url") or "")

    async def tell(reply: Reply) -> None:
        """Where the voter is: the message's response_url, else their Home tab, else a DM."""
        if response_url and await rt.post_response(response_url, ephemeral(reply)) is None:
            return
        if (body.get("view") or {}).get("type") == "home":
            await rt.publish_home(user_id, actor, team_id, ":warning: " + escape(reply.to_text()))
            return
        await rt.dm(user_id, reply.to_text())

    with using_locale(locale):
        if actor is None:
            await tell(unlinked_reply(team_id, user_id))
        elif kind in ("election", "motion") and ref and trigger:
            await views.open_ballot(rt, (kind, ref), trigger, tell, refusal_in_form=True)


async def statements(
    rt: Runtime, body: dict[str, Any], action: dict[str, Any], respond: AsyncRespond
) -> None:
    """The candidates' statements, pushed over the ballot form (or paged in place)."""
    _team_id, user_id = team_user(body)
    value = str(action.get("value") or "")
    slug, _sep, page = value.partition("|")
    with using_locale(await rt.locales.get(user_id)):
        try:
            view = await ballots.statements_view(rt.ctx, slug, int(page) if page.isdigit() else 0)
        except GovError as exc:
            view = ballots.done_view(_("Candidates"), escape(exc.message), ok=False)
    container = body.get("view") or {}
    if action.get("action_id") == ballots.STATEMENTS_ACTION:
        await rt.client.views_push(trigger_id=str(body.get("trigger_id") or ""), view=view)
    else:
        await rt.client.views_update(view_id=str(container.get("id") or ""), view=view)


async def motion_button(
    rt: Runtime, body: dict[str, Any], action: dict[str, Any], respond: AsyncRespond
) -> None:
    """Yes / No / Abstain on a motion, in the voter's language."""
    actor, team_id, user_id, locale = await rt.actor_for(body)
    with using_locale(locale):
        await vote_on_motion(rt, body, action, respond, actor, team_id, user_id, locale)


async def vote_on_motion(
    rt: Runtime,
    body: dict[str, Any],
    action: dict[str, Any],
    respond: AsyncRespond,
    actor: Actor | None,
    team_id: str,
    user_id: str,
    locale: str,
) -> None:
    """Vote from a motion's buttons as ``motion vote <n> <choice>``; the handler's answer replaces the
    form (or answers beside the message) and goes by DM with its receipt."""
    container = body.get("view") if isinstance(body.get("view"), dict) else None

    async def show(text: str, ok: bool) -> str | None:
        """Show the outcome in place; returns why Slack did not take it (None when it did)."""
        if container is not None:
            await rt.client.views_update(
                view_id=str(container.get("id") or ""),
                view=ballots.done_view(_("Motion"), escape(text), ok),
            )
            return None
        sent = await respond(**ephemeral(Reply(text=text, ok=ok)), replace_original=False)
        return None if sent.status_code == 200 else f"HTTP {sent.status_code}"

    if actor is None:
        await show(unlinked_reply(team_id, user_id).to_text(), False)
        return
    choice = str(action.get("action_id", "")).rsplit("_", 1)[-1]
    command = Command(("motion", "vote"), (str(action.get("value") or ""), choice))
    reply = await rt.run_command(actor, command, locale)
    if not reply.ok:
        await show(reply.text + (f" {reply.hint}" if reply.hint else ""), False)
        return
    text = reply.text
    try:
        refused = await show(text, True)
    except (SlackApiError, SlackClientError, aiohttp.ClientError, OSError, TimeoutError) as exc:
        refused = type(exc).__name__
    if refused is not None:  # the vote is recorded: the DM says so, with the receipt
        log.warning("could not show %s their vote on a motion: %s", user_id, refused)
        text = undelivered.notice(reply, command.line(), "Slack", refused).text
    await rt.dm(user_id, text)


async def decide(rt: Runtime, body: dict[str, Any], action: dict[str, Any], respond: AsyncRespond) -> None:
    """Approve or decline a join request from the App Home tab, as ``wg approve|deny <wg> <handle>``;
    the handler's answer shows on top of the refreshed Home tab."""
    actor, team_id, user_id, locale = await rt.actor_for(body)
    if actor is None:
        return
    with using_locale(locale):
        try:
            data = json.loads(str(action.get("value") or "{}"))
            wg, handle = str(data["wg"]), str(data["handle"])
        except (ValueError, KeyError, TypeError):
            stale = ":warning: " + _("That button is out of date; nothing was done.")
            await rt.publish_home(user_id, actor, team_id, stale)
            return
        verb = "approve" if action.get("action_id") == WG_APPROVE_ACTION else "deny"
        reply = await rt.run_command(actor, Command(("wg", verb), (wg, handle)), locale)
        notice = reply.text if reply.ok else f":warning: {reply.text}"
        await rt.publish_home(user_id, actor, team_id, escape(notice))
    rt.delivery.kick()


def register(app: AsyncApp, rt: Runtime) -> None:
    """Listen for govbot's buttons: each is acknowledged at once and does its work after."""

    def button(action_id: str | re.Pattern[str], work: Work) -> None:
        async def listener(
            ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], respond: AsyncRespond
        ) -> None:
            await ack()
            rt.spawn(work(rt, body, action, respond))

        app.action(action_id)(listener)

    button(OPEN_BALLOT_ACTION, open_from_button)
    button(STATEMENTS_ACTIONS, statements)
    button(MOTION_VOTE_ACTION, motion_button)
    button(re.compile(f"^({WG_APPROVE_ACTION}|{WG_DENY_ACTION})$"), decide)
