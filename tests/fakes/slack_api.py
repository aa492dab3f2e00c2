"""A loopback fake of Slack's Web API (and of ``response_url`` endpoints), recording every call.

It serves ``POST /api/<method>`` the way ``slack_sdk``'s ``AsyncWebClient`` calls it (form-encoded or
JSON, token in the ``Authorization`` header) and answers with the ``ok: true`` shapes Slack documents
for the methods govbot uses. It can answer ``429`` with ``Retry-After`` for the next N calls, fail a
method with a Slack error, or answer a method late, so retry and failure paths are tested against a real
HTTP client.

Responses sent to a command's ``response_url`` (``respond()`` in Bolt) land on ``POST /respond/<id>``
and are recorded as the method ``response_url``.

Socket Mode: ``apps.connections.open`` (app-level ``xapp-`` token only) answers with ``socket_url``,
served by ``tests.fakes.slack_socket``. Users: ``users.info`` (which ``slack_sdk`` sends as a GET) answers
with the user's ``locale`` when asked ``include_locale``, from ``locales`` (``en-US`` for anyone not
listed), as Slack does. Files: ``files.getUploadURLExternal`` hands out
``POST /upload/<file id>`` on this server, which keeps the bytes (recorded as ``upload``), and
``files.completeUploadExternal`` shares them (``uploads`` maps each file id to what arrived).

It is strict: it refuses what Slack refuses (``tests.fakes.slack_rules``). Every view (views.open, push,
update, publish) and every message (chat.postMessage, postEphemeral, update, a ``response_url`` post, a
file's comment) is checked with ``slack_sdk``'s models and Slack's documented limits, and refused with
Slack's error code (``invalid_blocks``, ``msg_too_long``, ``view_too_large``, ``invalid_arguments``...;
a ``response_url`` answers HTTP 400 with the code). Triggers are handed out by ``trigger()`` as Slack
hands them out with a command or an interaction: views.open/push take one only within 3 seconds
(``expired_trigger_id``), once (``exchanged_trigger_id``), and refuse one it never issued
(``invalid_trigger_id``); a refused view does not use up its trigger. ``refusals`` lists every refusal
with its reason, so a test (and a failing one's message) says what Slack would not take.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.fakes.slack_rules import TRIGGER_TTL, Refusal, check_ack, check_message, check_view

JSON_FIELDS = ("blocks", "view", "attachments", "metadata", "files")


@dataclass
class Call:
    """One recorded request: the API method (or ``response_url``), its arguments and the token used."""

    method: str
    args: dict[str, Any]
    token: str | None = None
    path: str = ""


@dataclass
class FakeSlackAPI:
    """The fake server. Start it with ``await fake.start()``; point ``base_url`` at the client."""

    team_id: str = "T0001"
    bot_user_id: str = "UBOT"
    calls: list[Call] = field(default_factory=list)
    _rate_limited: int = 0
    _retry_after: int = 0
    _failures: dict[str, list[str]] = field(default_factory=dict)
    _delays: dict[str, float] = field(default_factory=dict)
    _runner: web.AppRunner | None = None
    port: int = 0
    socket_url: str | None = None
    uploads: dict[str, bytes] = field(default_factory=dict)
    locales: dict[str, str] = field(default_factory=dict)
    _lengths: dict[str, int] = field(default_factory=dict)
    refusals: list[tuple[str, str, str]] = field(default_factory=list)
    _triggers: dict[str, float] = field(default_factory=dict)
    _exchanged: set[str] = field(default_factory=set)
    _seq: itertools.count = field(default_factory=lambda: itertools.count(1))  # type: ignore[type-arg]

    @property
    def url(self) -> str:
        """The server's root, e.g. ``http://127.0.0.1:51234``."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        """The Web API base to give ``AsyncWebClient(base_url=...)`` (``SLACK_API_BASE_URL``)."""
        return f"{self.url}/api/"

    def response_url(self, name: str = "cmd") -> str:
        """A ``response_url`` served by this fake (recorded as method ``response_url``)."""
        return f"{self.url}/respond/{name}"

    async def start(self) -> FakeSlackAPI:
        """Listen on 127.0.0.1 on a free port."""
        app = web.Application()
        app.router.add_post("/api/{method}", self._api)
        app.router.add_get("/api/{method}", self._api)
        app.router.add_post("/respond/{name}", self._respond)
        app.router.add_post("/upload/{file_id}", self._upload)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert server is not None and server.sockets  # type: ignore[attr-defined]
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]
        return self

    async def stop(self) -> None:
        """Stop listening."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    # ------------------------------------------------------------ controls

    def trigger(self) -> str:
        """A fresh ``trigger_id`` (as Slack sends with a command or an interaction), valid 3 s, once."""
        n = next(self._seq)
        trigger = f"{n}.{int(time.time() * 1000)}.trigger{n:06x}"
        self._triggers[trigger] = time.monotonic()
        return trigger

    def age(self, trigger: str, seconds: float) -> None:
        """Make ``trigger`` ``seconds`` older (to test an expired trigger without waiting)."""
        self._triggers[trigger] -= seconds

    def rate_limit(self, calls: int, retry_after: int = 0) -> None:
        """Answer the next ``calls`` API calls with HTTP 429 and ``Retry-After: retry_after``."""
        self._rate_limited = calls
        self._retry_after = retry_after

    def fail(self, method: str, error: str = "channel_not_found", times: int = 1) -> None:
        """Answer the next ``times`` calls of ``method`` with ``{"ok": false, "error": error}``
        (recorded as ``<method>:<error>``, as a 429 is recorded as ``<method>:429``)."""
        self._failures.setdefault(method, []).extend([error] * times)

    def delay(self, method: str, seconds: float) -> None:
        """Answer every later call of ``method`` only after ``seconds`` (a slow Slack; 0 stops it)."""
        self._delays[method] = seconds

    def calls_to(self, method: str, where: Callable[[Call], bool] | None = None) -> list[Call]:
        """The recorded calls of one method (optionally filtered), oldest first."""
        return [c for c in self.calls if c.method == method and (where is None or where(c))]

    async def wait_for(
        self,
        method: str,
        where: Callable[[Call], bool] | None = None,
        *,
        count: int = 1,
        timeout: float = 5.0,
    ) -> list[Call]:
        """Wait until ``count`` matching calls were recorded; returns them (fails after ``timeout``)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            found = self.calls_to(method, where)
            if len(found) >= count:
                return found
            if loop.time() > deadline:
                seen = ", ".join(c.method for c in self.calls) or "none"
                raise AssertionError(
                    f"expected {count} call(s) to {method}, got {len(found)} (calls: {seen})"
                )
            await asyncio.sleep(0.02)

    # ------------------------------------------------------------ handlers

    async def _args(self, request: web.Request) -> dict[str, Any]:
        if request.content_type == "application/json":
            raw = await request.text()
            data: dict[str, Any] = json.loads(raw) if raw else {}
        else:
            data = dict(await request.post())  # type: ignore[arg-type]
        data.update({k: v for k, v in request.query.items() if k not in data})
        for key in JSON_FIELDS:
            value = data.get(key)
            if isinstance(value, str) and value[:1] in "[{":
                with contextlib.suppress(ValueError):
                    data[key] = json.loads(value)
        return data

    async def _respond(self, request: web.Request) -> web.Response:
        failures = self._failures.get("response_url")  # ``fail("response_url", "500")``: answer that status
        if failures:
            status = int(failures.pop(0))
            self.calls.append(Call(f"response_url:{status}", await self._args(request), None, request.path))
            return web.Response(status=status, text="internal_error")
        args = await self._args(request)
        refused = None if args.get("delete_original") else check_message(args)
        if refused is not None:
            self._refuse("response_url", refused)
            self.calls.append(Call(f"response_url:{refused[0]}", args, None, request.path))
            return web.Response(status=400, text=refused[0])
        self.calls.append(Call("response_url", args, None, request.path))
        return web.Response(text="ok")

    async def _upload(self, request: web.Request) -> web.Response:
        file_id = request.match_info["file_id"]
        data = await request.read()
        self.calls.append(Call("upload", {"file_id": file_id, "length": len(data)}, None, request.path))
        if file_id not in self.uploads:
            return web.Response(status=404, text="unknown upload")
        self.uploads[file_id] = data
        return web.Response(text=f"OK - {len(data)}")

    def shared_files(self) -> list[tuple[str, str, bytes]]:
        """Every completed upload as (channel id, title, bytes), oldest first."""
        shared = []
        for call in self.calls_to("files.completeUploadExternal"):
            for f in call.args.get("files") or []:
                shared.append((str(call.args.get("channel_id")), str(f.get("title")), self.uploads[f["id"]]))
        return shared

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        args = await self._args(request)
        auth = request.headers.get("Authorization", "")
        token = auth.removeprefix("Bearer ") if auth else args.get("token")
        if self._rate_limited > 0:
            self._rate_limited -= 1
            self.calls.append(Call(method + ":429", args, token, request.path))
            return web.json_response(
                {"ok": False, "error": "ratelimited"},
                status=429,
                headers={"Retry-After": str(self._retry_after)},
            )
        if self._delays.get(method):
            await asyncio.sleep(self._delays[method])
        failures = self._failures.get(method)
        if failures:
            error = failures.pop(0)
            self.calls.append(Call(f"{method}:{error}", args, token, request.path))
            return web.json_response({"ok": False, "error": error})
        refused = self._check(method, args)
        if refused is not None:
            self._refuse(method, refused)
            self.calls.append(Call(f"{method}:{refused[0]}", args, token, request.path))
            return web.json_response(
                {"ok": False, "error": refused[0], "response_metadata": {"messages": [refused[1]]}}
            )
        answer = self._answer(method, {**args, "_token": token})
        recorded = method if answer.get("ok") else f"{method}:{answer.get('error')}"
        self.calls.append(Call(recorded, args, token, request.path))
        return web.json_response(answer)

    def check_answer(self, payload: Any) -> None:
        """Record a refusal when Slack would not take what the app answered a request with (an HTTP
        answer to a command, an interaction or a ``block_suggestion``), as the harness sees it."""
        refused = check_ack(payload)
        if refused is not None:
            self._refuse("ack", refused)

    def _refuse(self, method: str, refused: tuple[str, str]) -> None:
        self.refusals.append((method, *refused))

    def _check(self, method: str, args: dict[str, Any]) -> Refusal:
        """Why Slack would refuse this call (``None`` when it would take it); uses up a trigger it takes."""
        if method in ("chat.postMessage", "chat.postEphemeral", "chat.update"):
            if not args.get("channel"):
                return "channel_not_found", "no channel"
            if method == "chat.postEphemeral" and not args.get("user"):
                return "user_not_found", "no user"
            if method == "chat.update" and not args.get("ts"):
                return "message_not_found", "no ts"
            return check_message(args)
        if method == "files.completeUploadExternal" and args.get("initial_comment"):
            return check_message({"text": args["initial_comment"]})
        if method not in ("views.open", "views.push", "views.update", "views.publish"):
            return None
        trigger = str(args.get("trigger_id") or "")
        if method in ("views.open", "views.push"):
            if trigger not in self._triggers:
                return "invalid_trigger_id", f"trigger {trigger!r} was never issued"
            if trigger in self._exchanged:
                return "exchanged_trigger_id", f"trigger {trigger!r} was already used"
            if time.monotonic() - self._triggers[trigger] > TRIGGER_TTL:
                return "expired_trigger_id", f"trigger {trigger!r} is over {TRIGGER_TTL} s old"
        if method == "views.update" and not (args.get("view_id") or args.get("external_id")):
            return "not_found", "views.update needs view_id or external_id"
        if method == "views.publish" and not args.get("user_id"):
            return "invalid_arguments", "views.publish needs user_id"
        view = args.get("view")
        if isinstance(view, dict) and (view.get("type") == "home") != (method == "views.publish"):
            return "invalid_arguments", f"{method} cannot take a view of type {view.get('type')!r}"
        refused = check_view(view)
        if refused is None and trigger and method in ("views.open", "views.push"):
            self._exchanged.add(trigger)
        return refused

    def _answer(self, method: str, args: dict[str, Any]) -> dict[str, Any]:
        n = next(self._seq)
        ts = f"1700000000.{n:06d}"
        if method == "auth.test":
            return {
                "ok": True,
                "url": "https://alliance.slack.com/",
                "team": "Alliance",
                "user": "govbot",
                "team_id": self.team_id,
                "user_id": self.bot_user_id,
                "bot_id": "BBOT",
                "is_enterprise_install": False,
            }
        if method == "chat.postMessage":
            return {
                "ok": True,
                "channel": args.get("channel"),
                "ts": ts,
                "message": {
                    "type": "message",
                    "text": args.get("text", ""),
                    "user": self.bot_user_id,
                    "ts": ts,
                    "bot_id": "BBOT",
                    "blocks": args.get("blocks", []),
                },
            }
        if method == "apps.connections.open":
            if not str(args.get("_token") or "").startswith("xapp-"):
                return {"ok": False, "error": "not_allowed_token_type"}
            if not self.socket_url:
                return {"ok": False, "error": "fatal_error"}
            return {"ok": True, "url": self.socket_url}
        if method == "files.getUploadURLExternal":
            file_id = f"F{n:08d}"
            self.uploads[file_id] = b""
            self._lengths[file_id] = int(args.get("length") or -1)
            return {"ok": True, "upload_url": f"{self.url}/upload/{file_id}", "file_id": file_id}
        if method == "files.completeUploadExternal":
            files = args.get("files") or []
            unknown = [
                f.get("id")
                for f in files
                if len(self.uploads.get(f.get("id"), b"")) != self._lengths.get(f.get("id"), -2)
            ]
            if unknown or not files:
                return {"ok": False, "error": "invalid_arguments"}
            return {
                "ok": True,
                "files": [
                    {
                        "id": f["id"],
                        "title": f.get("title"),
                        "size": len(self.uploads[f["id"]]),
                        "channels": [args.get("channel_id")] if args.get("channel_id") else [],
                    }
                    for f in files
                ],
            }
        if method == "chat.postEphemeral":
            return {"ok": True, "message_ts": ts}
        if method in ("views.open", "views.push", "views.update", "views.publish"):
            view = dict(args.get("view") or {})
            view.update(
                {
                    "id": args.get("view_id") or f"V{n:08d}",
                    "team_id": self.team_id,
                    "hash": f"h{n}",
                    "state": {"values": {}},
                    "app_id": "A0001",
                    "bot_id": "BBOT",
                }
            )
            return {"ok": True, "view": view}
        if method == "conversations.open":
            users = str(args.get("users", ""))
            return {"ok": True, "channel": {"id": "D" + users.split(",")[0].lstrip("U")}}
        if method == "users.info":
            user = str(args.get("user", ""))
            if not user:
                return {"ok": False, "error": "user_not_found"}
            found: dict[str, Any] = {
                "id": user,
                "team_id": self.team_id,
                "name": user.lower(),
                "real_name": user,
                "tz": "Europe/Paris",
                "tz_offset": 3600,
                "profile": {"real_name": user, "display_name": user.lower()},
            }
            if str(args.get("include_locale", "")).lower() in ("1", "true"):
                found["locale"] = self.locales.get(user, "en-US")
            return {"ok": True, "user": found}
        return {"ok": True}
