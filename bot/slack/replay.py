"""Slack requests are acted on once, and a malformed one is refused before anything reads it.

Over HTTP, :func:`signed_request` checks a request as Slack documents it — a numeric
``X-Slack-Request-Timestamp`` within five minutes, a ``v0=`` signature of the raw bytes, a UTF-8 body
that parses — and answers 401 or 400 otherwise, never 500. :func:`middleware` then claims the
request's keys in the shared ``seen_requests`` table (:mod:`governance.services.replay`): its signature
(a request replayed byte for byte carries the same one) and, for an Events API callback, its
``event_id`` (a Slack retry, ``X-Slack-Retry-Num`` set, carries a new signature but the same event id).
A request whose key was already claimed, by this process or another replica, is answered 200 with an
empty body and nothing is done: Slack stops retrying on a 200, and a replayer learns nothing.

In Socket Mode requests carry no signature; events are still claimed by their ``event_id``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.signature import SignatureVerifier

from governance.services.replay import ReplayGuard

log = logging.getLogger(__name__)

MAX_AGE = 60 * 5  # seconds: Slack's replay window for a signed request
TIMESTAMP_DIGITS = 12  # a Unix time in seconds; anything longer is not one
# Loggers that print request and response bodies at DEBUG (a `/gov vote` command, a receipt in a DM):
# governance.logsafe hides their payloads.
CHATTY_LOGGERS = ("slack_bolt", "slack_sdk", "bot.slack.bolt")

Middleware = Callable[[AsyncBoltRequest, BoltResponse, Callable[[], Awaitable[None]]], Awaitable[Any]]


def _refuse(status: int, reason: str) -> web.Response:
    return web.json_response({"error": reason}, status=status)


def _valid(verifier: SignatureVerifier, raw: bytes, timestamp: str, signature: str) -> bool:
    """Slack's ``v0`` check over the raw bytes (whatever their encoding), within five minutes."""
    if abs(verifier.clock.now() - int(timestamp)) > MAX_AGE:
        return False
    expected = hmac.new(
        verifier.signing_secret.encode(), b"v0:" + timestamp.encode() + b":" + raw, hashlib.sha256
    ).hexdigest()
    return hmac.compare_digest(f"v0={expected}".encode(), signature.encode("utf-8", "replace"))


def _unreadable(text: str, content_type: str) -> str | None:
    """Why a signed body cannot be a Slack request (None when it can): a form with a JSON ``payload``
    naming its interaction ``type``, a form with a ``command``, or a JSON object."""
    from urllib.parse import parse_qs

    if content_type == "application/json":
        try:
            value = json.loads(text)
        except ValueError:
            return "the JSON body does not parse"
        return None if isinstance(value, dict) else "the JSON body is not an object"
    form = parse_qs(text, keep_blank_values=True)
    if "payload" in form:
        try:
            payload = json.loads(form["payload"][0])
        except ValueError:
            return "the interaction payload does not parse"
        if not isinstance(payload, dict) or not isinstance(payload.get("type"), str):
            return "the interaction payload does not say its type"
        return None
    if "command" in form or "ssl_check" in form:
        return None
    return "the body is neither a command, an interaction nor an event"


async def signed_request(
    request: web.Request, verifier: SignatureVerifier
) -> AsyncBoltRequest | web.Response:
    """The Bolt request for an HTTP request Slack signed, or the 401/400 answer to one it did not.

    401: a missing or non-numeric timestamp, one outside five minutes, a wrong signature. 400: a signed
    body that is not UTF-8 or not a Slack request (an interaction without its ``type``, broken JSON).
    """
    raw = await request.read()
    timestamp = request.headers.get("X-Slack-Request-Timestamp", "")
    signature = request.headers.get("X-Slack-Signature", "")
    if not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= TIMESTAMP_DIGITS):
        return _refuse(401, "invalid request signature or timestamp")
    if not _valid(verifier, raw, timestamp, signature):
        return _refuse(401, "invalid request signature or timestamp")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return _refuse(400, "malformed request body: not UTF-8")
    problem = _unreadable(text, request.content_type)
    if problem is not None:
        return _refuse(400, f"malformed request body: {problem}")
    try:
        return AsyncBoltRequest(body=text, query=request.query_string, headers=dict(request.headers))
    except Exception:  # a signed but unreadable body: refuse it, nothing more to learn from it
        return _refuse(400, "malformed request body")


def request_keys(req: AsyncBoltRequest) -> list[str]:
    """The keys a request is remembered by: its signature (HTTP) and its event id (Events API)."""
    keys = []
    signature = (req.headers.get("x-slack-signature") or [""])[0]
    if signature:
        keys.append(f"slack:sig:{signature}")
    body = req.body if isinstance(req.body, dict) else {}
    event_id = body.get("event_id")
    if body.get("type") == "event_callback" and isinstance(event_id, str) and event_id:
        keys.append(f"slack:event:{event_id}")
    return keys


def middleware(guard: ReplayGuard) -> Middleware:
    """A Bolt global middleware that lets a request through once: a repeat gets 200 and nothing else."""

    async def replay_guard(
        req: AsyncBoltRequest, resp: BoltResponse, next: Callable[[], Awaitable[None]]
    ) -> Any:
        keys = request_keys(req)
        if keys and not await guard.first_time(keys):
            retry = (req.headers.get("x-slack-retry-num") or [""])[0]
            log.info("ignored a repeated Slack request%s", f" (Slack retry {retry})" if retry else "")
            return BoltResponse(status=200, body="")
        await next()
        return None

    return replay_guard
