"""Slack's ballot forms (modals): opening one, the type-ahead of a long one, and its submission.

A submitted ballot is checked against the form (duplicates, gaps: shown in place), then cast as the typed
command ``vote <election> <choices...>`` through the same dispatch and handler as ``/gov vote``, so the
receipt it shows, and sends by DM, is the one the handler wrote. It is acknowledged only after the
cast, so a refusal shows in the form.
"""

from __future__ import annotations

import re
from typing import Any

import aiohttp
from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.errors import SlackApiError, SlackClientError

from bot.commands import Command
from bot.present.errors import hint
from bot.present.replies import error
from bot.slack import ballots
from bot.slack.render import clip, escape
from bot.slack.runtime import Runtime, Tell, linking_hint, log
from governance.errors import GovError
from governance.i18n import _, using_locale
from governance.services.common import Actor

ERROR_LIMIT = 300  # characters Slack shows under a form's input
INFO_CALLBACKS = re.compile(r"^gov_(statements|done|motion)$")  # modals that only inform


async def open_ballot(
    rt: Runtime, target: tuple[str, str], trigger: str, tell: Tell, *, refusal_in_form: bool = False
) -> None:
    """Open the ballot form. A refusal is told to the person (or shown in a form when
    ``refusal_in_form``, for a button); a form Slack will not open is explained through ``tell``,
    never left silent."""
    kind, ref = target
    try:
        view = await (
            ballots.election_modal(rt.ctx, ref, rt.tz)
            if kind == "election"
            else ballots.motion_modal(rt.ctx, ref, rt.tz)
        )
    except GovError as exc:
        if not refusal_in_form:
            await tell(error(exc.message, hint(exc, "slack")))
            return
        view = ballots.done_view(
            _("Your ballot"), escape(f"{exc.message} {hint(exc, 'slack') or ''}".strip()), ok=False
        )
    await show_modal(rt, trigger, view, tell, kind, ref)


async def show_modal(
    rt: Runtime, trigger: str, view: dict[str, Any], tell: Tell, kind: str, ref: str
) -> None:
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


async def submit_ballot(rt: Runtime, ack: AsyncAck, body: dict[str, Any], view: dict[str, Any]) -> None:
    """A ballot form submitted: cast it in the voter's language, problems shown in the form."""
    actor, team_id, user_id, locale = await rt.actor_for(body)
    with using_locale(locale):
        await cast(rt, ack, view, actor, team_id, user_id, locale)


async def cast(
    rt: Runtime,
    ack: AsyncAck,
    view: dict[str, Any],
    actor: Actor | None,
    team_id: str,
    user_id: str,
    locale: str,
) -> None:
    """Check and cast a submitted ballot form; problems go back into the form, in the voter's language."""
    first = ballots.first_input(view)
    if actor is None:
        unlinked = _("Your Slack account is not linked: {hint}", hint=linking_hint(team_id, user_id))
        await ack(response_action="errors", errors={first: clip(unlinked, ERROR_LIMIT)})
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
    reply = await rt.run_command(actor, Command(("vote",), (slug, *choices)), locale)
    if not reply.ok:
        refusal = reply.text + (f" {reply.hint}" if reply.hint else "")
        await ack(response_action="errors", errors={first: clip(refusal, ERROR_LIMIT)})
        return
    await ack(response_action="update", view=ballots.done_view(_("Your ballot"), escape(reply.text)))
    rt.spawn(rt.dm(user_id, reply.text))
    rt.spawn(rt.publish_home(user_id, actor, team_id))
    rt.delivery.kick()


async def ballot_options(rt: Runtime, ack: AsyncAck, body: dict[str, Any]) -> None:
    """Type-ahead options for a long ballot's selects (Slack asks as the voter types)."""
    view = body.get("view") if isinstance(body.get("view"), dict) else {}
    try:
        options = await ballots.suggestions(rt.ctx, view or {}, str(body.get("value") or ""))
    except GovError:
        options = []
    await ack(options=options)


def register(app: AsyncApp, rt: Runtime) -> None:
    """Listen for ballot submissions, type-ahead requests and the informational modals."""

    @app.view(ballots.BALLOT_CALLBACK)
    async def on_ballot(ack: AsyncAck, body: dict[str, Any], view: dict[str, Any]) -> None:
        await submit_ballot(rt, ack, body, view)

    @app.options(ballots.ACTION)
    async def on_options(ack: AsyncAck, body: dict[str, Any]) -> None:
        await ballot_options(rt, ack, body)

    @app.view(INFO_CALLBACKS)
    async def ack_info_views(ack: AsyncAck) -> None:
        await ack()
