"""``/gov`` acknowledged before Bolt sees it: the empty 200 goes out as soon as the signature checks.

A ``/gov`` command is always acknowledged empty (``app.gov``): its answer follows through its
``response_url``. Bolt's dispatch (its middleware chain, the listener's matching, the arguments it
builds for each function it calls) cost more than everything else on the acknowledgement's path, and
under a burst every acknowledgement waited behind the others' dispatches. Over HTTP the request is
therefore acknowledged first and dispatched afterwards, as the work after an acknowledgement is: in
one of the runtime's slots (``Runtime.in_slot``), so a crowd of commands never stands between a new
request and its acknowledgement.

Only a command that names its workspace, its sender and its ``response_url`` is taken this way (one
that does not is answered by Bolt in the acknowledgement, as before). Should Bolt then answer anything
but an empty 200 (an authorisation that failed, a listener that raised), the person is told through
``response_url``, with a reference for the log, instead of in the acknowledgement.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest

from bot.present.replies import error
from bot.slack.render import message
from governance.i18n import _, using_locale

log = logging.getLogger(__name__)

Post = Callable[[str, dict[str, Any]], Awaitable[str | None]]  # Runtime.post_response


def acknowledged_first(req: AsyncBoltRequest, command: str) -> bool:
    """Whether ``req`` is ``command`` with its workspace, sender and ``response_url``: the requests
    acknowledged before their dispatch (``dispatch_after_ack``)."""
    body = req.body
    if not isinstance(body, dict) or body.get("command") != command:
        return False
    return all(isinstance(body.get(k), str) and body[k] for k in ("team_id", "user_id", "response_url"))


async def dispatch_after_ack(app: AsyncApp, req: AsyncBoltRequest, post: Post, locale: str) -> None:
    """Run Bolt's dispatch of a command already acknowledged; if Bolt would have answered anything but
    the empty acknowledgement, log it and tell the person (in ``locale``) that nothing was done."""
    response = await app.async_dispatch(req)
    if response.status == 200 and not response.body:
        return
    ref = uuid.uuid4().hex[:8]
    log.error("a Slack command dispatched after its acknowledgement: HTTP %s (ref %s)", response.status, ref)
    with using_locale(locale):
        reply = error(
            _("Something went wrong on our side (reference {ref}); nothing was changed.", ref=ref),
            _("Try again; if it persists, give the reference to the secretariat."),
        )
        answer = {**message(reply), "response_type": "ephemeral", "replace_original": False}
        await post(str(req.body["response_url"]), answer)
