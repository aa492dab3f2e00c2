"""A loopback fake of Discord's REST API and gateway, for running the real discord.py client in tests.

REST (under ``/api/v10``, which is what ``discord.http.Route.BASE`` points at in tests):

* ``GET /users/@me``, ``GET /oauth2/applications/@me`` (login), ``GET /gateway/bot`` (the gateway URL
  and shard count ``AutoShardedClient`` asks for);
* ``PUT``/``GET`` ``/applications/{app}/commands`` and ``/applications/{app}/guilds/{guild}/commands``
  (command sync; the last upload is kept per scope; an upload breaking Discord's limits, e.g. a group of
  more than 25 subcommands, is refused with 400 as Discord does: ``command_upload_problems``);
* ``POST /interactions/{id}/{token}/callback`` (every interaction response, recorded);
* ``POST``/``PATCH`` ``/webhooks/{app}/{token}[/messages/...]`` (follow-ups and edits of the original;
  a follow-up with files comes as multipart/form-data and its files are kept on ``PostedMessage.files``);
* ``POST /users/@me/channels`` (open a DM) and ``POST /channels/{id}/messages`` (send; a ``nonce`` with
  ``enforce_nonce`` returns the earlier message instead of creating a second one, as Discord does).

Gateway (``GET /gateway``, a websocket with uncompressed JSON text frames): HELLO, then IDENTIFY is
answered with READY and a GUILD_CREATE for the fake guild; heartbeats get HEARTBEAT_ACK. Tests push
``INTERACTION_CREATE`` events with :meth:`FakeDiscord.interact`, whose payloads follow Discord's
documented interaction object, and wait for the recorded callback.

The fake is strict: it refuses what Discord refuses (``tests/fakes/discord_limits.py``): a command upload,
message, DM, response or follow-up breaking Discord's documented limits (content over 2,000 characters,
embeds, components, autocomplete choices) is answered 400 Invalid Form Body (50035); a second initial
response to one interaction 400 (40060, already acknowledged); a first response after 3 s 404 Unknown
interaction (10062), a follow-up before any response 404 (10015) or after 15 min 401 (50027). Real
seconds count for ``1/slowness`` of a second (``GOVBOT_TEST_SLOWNESS``, 4 by default: a loaded test
machine is slower than a server), and :meth:`FakeDiscord.age` makes an interaction older at once. Every
refusal is kept in ``refusals`` (the test fixture fails a test leaving one it did not take).

Failures can be injected: ``fail_channel_posts`` makes the next N channel posts answer 403 Missing Access
(discord.py retries 5xx answers itself, after sleeping); ``fail_responses`` and ``fail_followups`` make
the next N interaction responses / follow-ups answer ``fail_status`` (500 by default);
``rate_limit_posts`` makes the next N channel posts answer 429 with ``Retry-After: retry_after``.

Mentions are judged as Discord judges them: :func:`pinged` lists who a message would notify given its
``allowed_mentions`` (everything in the content when the field is missing), and every message, response
and follow-up that would notify someone is recorded in ``FakeDiscord.pings``.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiohttp import WSMsgType, web

from tests.fakes.discord_limits import (
    autocomplete_problems,
    command_upload_problems,
    message_problems,
)
from tests.fakes.discord_objects import (
    Callback,
    PostedMessage,
    pinged,
    read_body,
    snowflake,
)

API = "/api/v10"


def _json(data: Any, status: int = 200) -> web.Response:
    """A JSON answer with exactly ``Content-Type: application/json``, as Discord sends it (discord.py
    decodes a body as JSON only on that exact header)."""
    return web.Response(
        body=json.dumps(data).encode(), status=status, headers={"Content-Type": "application/json"}
    )


@dataclass
class FakeDiscord:
    """The fake server: start it, point ``Route.BASE`` at ``api_base``, run the client, push events."""

    application_id: str = "900000000000000001"
    bot_user_id: str = "900000000000000001"
    guild_id: str = "800000000000000001"
    channel_id: str = "810000000000000001"
    roles: dict[str, str] = field(
        default_factory=lambda: {"820000000000000001": "Secretariat", "820000000000000002": "Member"}
    )
    channels: dict[str, str] = field(
        default_factory=lambda: {
            "810000000000000001": "general",
            "810000000000000002": "safety",
            "810000000000000003": "toc",
        }
    )
    identified: list[dict[str, Any]] = field(default_factory=list)
    heartbeats: int = 0
    commands: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    callbacks: list[Callback] = field(default_factory=list)
    messages: list[PostedMessage] = field(default_factory=list)
    followups: list[PostedMessage] = field(default_factory=list)
    dm_channels: dict[str, str] = field(default_factory=dict)
    requests: list[tuple[str, str]] = field(default_factory=list)
    fail_channel_posts: int = 0
    fail_responses: int = 0
    fail_followups: int = 0
    fail_status: int = 500
    rate_limit_posts: int = 0
    retry_after: float = 30.0
    response_window: float = 3.0
    followup_window: float = 15 * 60.0
    slowness: float = field(default_factory=lambda: float(os.environ.get("GOVBOT_TEST_SLOWNESS", "4")))
    pings: list[tuple[str, list[str]]] = field(default_factory=list)
    refusals: list[tuple[str, list[str]]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._ids = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self._ws: web.WebSocketResponse | None = None
        self._seq = 0
        self._identified = asyncio.Event()
        self._changed = asyncio.Condition()
        self._nonces: dict[tuple[str, str], PostedMessage] = {}
        # interaction token -> [interaction id, when it was sent (monotonic), answered, seconds aged]
        self._tokens: dict[str, list[Any]] = {}
        self.port = 0

    # ------------------------------------------------------------------ lifecycle

    @property
    def api_base(self) -> str:
        """What ``discord.http.Route.BASE`` (``DISCORD_API_BASE_URL``) should be."""
        return f"http://127.0.0.1:{self.port}{API}"

    async def start(self) -> None:
        """Listen on a free loopback port."""
        app = web.Application()
        r = app.router
        r.add_get(f"{API}/users/@me", self._me)
        r.add_get(f"{API}/oauth2/applications/@me", self._application)
        r.add_get(f"{API}/gateway/bot", self._gateway_bot)
        r.add_put(f"{API}/applications/{{app}}/commands", self._put_commands)
        r.add_get(f"{API}/applications/{{app}}/commands", self._get_commands)
        r.add_put(f"{API}/applications/{{app}}/guilds/{{guild}}/commands", self._put_commands)
        r.add_get(f"{API}/applications/{{app}}/guilds/{{guild}}/commands", self._get_commands)
        r.add_post(f"{API}/interactions/{{id}}/{{token}}/callback", self._callback)
        r.add_post(f"{API}/webhooks/{{app}}/{{token}}", self._followup)
        r.add_patch(f"{API}/webhooks/{{app}}/{{token}}/messages/{{message}}", self._edit_webhook_message)
        r.add_post(f"{API}/users/@me/channels", self._open_dm)
        r.add_post(f"{API}/channels/{{channel}}/messages", self._post_message)
        r.add_get("/gateway", self._gateway)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def stop(self) -> None:
        """Close the gateway and stop listening."""
        if self._ws is not None and not self._ws.closed:
            await self._ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    async def wait_identified(self, timeout: float = 5.0) -> None:
        """Until the client has sent IDENTIFY and been sent READY."""
        await asyncio.wait_for(self._identified.wait(), timeout)

    # ------------------------------------------------------------------ documented object shapes

    def user(self, user_id: str, username: str, *, bot: bool = False) -> dict[str, Any]:
        """A user object."""
        return {
            "id": user_id,
            "username": username,
            "discriminator": "0",
            "global_name": username,
            "avatar": None,
            "bot": bot,
            "public_flags": 0,
        }

    def member(self, user_id: str, username: str, roles: list[str] | None = None) -> dict[str, Any]:
        """A guild member object as sent in interactions (with the member's channel permissions)."""
        return {
            "user": self.user(user_id, username),
            "nick": None,
            "avatar": None,
            "roles": roles or [],
            "joined_at": "2025-01-01T00:00:00+00:00",
            "premium_since": None,
            "deaf": False,
            "mute": False,
            "flags": 0,
            "pending": False,
            "permissions": "2248473465835073",
        }

    def guild(self) -> dict[str, Any]:
        """The GUILD_CREATE payload for the fake guild: roles and text channels."""
        roles = [
            {
                "id": self.guild_id,
                "name": "@everyone",
                "color": 0,
                "hoist": False,
                "position": 0,
                "permissions": "2248473465835073",
                "managed": False,
                "mentionable": False,
                "flags": 0,
            }
        ]
        roles += [
            {
                "id": rid,
                "name": name,
                "color": 0,
                "hoist": False,
                "position": i + 1,
                "permissions": "0",
                "managed": False,
                "mentionable": True,
                "flags": 0,
            }
            for i, (rid, name) in enumerate(self.roles.items())
        ]
        channels = [
            {
                "id": cid,
                "type": 0,
                "name": name,
                "position": i,
                "permission_overwrites": [],
                "topic": None,
                "nsfw": False,
                "parent_id": None,
                "rate_limit_per_user": 0,
            }
            for i, (cid, name) in enumerate(self.channels.items())
        ]
        return {
            "id": self.guild_id,
            "name": "Alliance",
            "icon": None,
            "splash": None,
            "discovery_splash": None,
            "owner_id": "700000000000000001",
            "afk_channel_id": None,
            "afk_timeout": 300,
            "verification_level": 0,
            "default_message_notifications": 0,
            "explicit_content_filter": 0,
            "roles": roles,
            "emojis": [],
            "stickers": [],
            "features": [],
            "mfa_level": 0,
            "system_channel_id": self.channel_id,
            "system_channel_flags": 0,
            "rules_channel_id": None,
            "vanity_url_code": None,
            "description": None,
            "banner": None,
            "premium_tier": 0,
            "preferred_locale": "en-US",
            "public_updates_channel_id": None,
            "nsfw_level": 0,
            "premium_progress_bar_enabled": False,
            "joined_at": "2025-01-01T00:00:00+00:00",
            "large": False,
            "unavailable": False,
            "member_count": 1,
            "voice_states": [],
            "members": [self.member(self.bot_user_id, "govbot")],
            "channels": channels,
            "threads": [],
            "presences": [],
            "stage_instances": [],
            "guild_scheduled_events": [],
        }

    def message_object(
        self,
        channel_id: str,
        payload: dict[str, Any],
        *,
        interaction: bool = False,
        message_id: str | None = None,
        files: list[tuple[str, bytes]] | None = None,
    ) -> dict[str, Any]:
        """A message object for what the bot posted (documented fields, author = the bot)."""
        attachments = [
            {
                "id": snowflake(self._ids),
                "filename": name,
                "size": len(data),
                "url": f"http://127.0.0.1:{self.port}/attachments/{name}",
                "proxy_url": f"http://127.0.0.1:{self.port}/attachments/{name}",
            }
            for name, data in files or []
        ]
        return {
            "id": message_id or snowflake(self._ids),
            "channel_id": channel_id,
            "author": self.user(self.bot_user_id, "govbot", bot=True),
            "content": payload.get("content") or "",
            "timestamp": datetime.now(UTC).isoformat(),
            "edited_timestamp": None,
            "tts": False,
            "mention_everyone": False,
            "mentions": [],
            "mention_roles": [],
            "attachments": attachments,
            "embeds": payload.get("embeds") or [],
            "pinned": False,
            "type": 20 if interaction else 0,
            "flags": payload.get("flags") or 0,
            "components": payload.get("components") or [],
            "nonce": payload.get("nonce"),
        }

    # ------------------------------------------------------------------ interactions (pushed by tests)

    def _base(
        self,
        kind: int,
        user_id: str,
        username: str,
        roles: list[str] | None,
        guild: bool,
        locale: str = "en-GB",
        guild_locale: str = "en-US",
    ) -> dict[str, Any]:
        interaction_id = snowflake(self._ids)
        payload: dict[str, Any] = {
            "id": interaction_id,
            "application_id": self.application_id,
            "type": kind,
            "token": f"tok-{interaction_id}",
            "version": 1,
            "locale": locale,
            "channel_id": self.channel_id,
            "channel": {"id": self.channel_id, "type": 0, "name": self.channels[self.channel_id]},
            "app_permissions": "2248473465835073",
            "entitlements": [],
            "attachment_size_limit": 26214400,
            "authorizing_integration_owners": {"0": self.guild_id},
            "context": 0,
        }
        if guild:
            payload.update(
                guild_id=self.guild_id,
                guild_locale=guild_locale,
                member=self.member(user_id, username, roles),
            )
        else:
            payload.update(user=self.user(user_id, username), context=1)
            payload["channel"] = {"id": "830000000000000001", "type": 1}
            payload["channel_id"] = "830000000000000001"
        return payload

    def command_payload(
        self,
        path: list[str],
        options: dict[str, Any],
        *,
        user_id: str,
        username: str = "someone",
        roles: list[str] | None = None,
        guild: bool = True,
        focused: str | None = None,
        locale: str = "en-GB",
        guild_locale: str = "en-US",
    ) -> dict[str, Any]:
        """An APPLICATION_COMMAND (type 2), or AUTOCOMPLETE (type 4) when ``focused`` names an option.

        ``path`` is the command then its subcommand group and subcommand (``["roster", "org", "add"]``);
        option values are typed as Discord types them (string 3, boolean 5). ``locale`` is the user's
        Discord client language, ``guild_locale`` the server's.
        """
        leaf = [
            {
                "name": k,
                "type": 5 if isinstance(v, bool) else 3,
                "value": v,
                **({"focused": True} if k == focused else {}),
            }
            for k, v in options.items()
        ]
        nested: list[dict[str, Any]] = leaf
        for depth, name in reversed(list(enumerate(path[1:], start=1))):
            kind = 1 if depth == len(path) - 1 else 2
            nested = [{"name": name, "type": kind, "options": nested}]
        payload = self._base(4 if focused else 2, user_id, username, roles, guild, locale, guild_locale)
        cmd = next((c for c in self._all_commands() if c["name"] == path[0]), None)
        payload["data"] = {
            "id": cmd["id"] if cmd else snowflake(self._ids),
            "name": path[0],
            "type": 1,
            "options": nested,
        }
        if guild:
            payload["data"]["guild_id"] = self.guild_id
        return payload

    def component_payload(
        self,
        custom_id: str,
        *,
        user_id: str,
        username: str = "someone",
        values: list[str] | None = None,
        message: dict[str, Any] | None = None,
        roles: list[str] | None = None,
        guild: bool = True,
        locale: str = "en-GB",
    ) -> dict[str, Any]:
        """A MESSAGE_COMPONENT (type 3): a button press, or a string select with ``values`` (``locale``: the
        user's Discord client language)."""
        payload = self._base(3, user_id, username, roles, guild, locale)
        payload["data"] = {"custom_id": custom_id, "component_type": 2 if values is None else 3}
        if values is not None:
            payload["data"]["values"] = values
        payload["message"] = message or self.message_object(
            self.channel_id, {"content": "ballot", "flags": 64}, interaction=True
        )
        return payload

    async def interact(self, payload: dict[str, Any], timeout: float = 5.0) -> Callback:
        """Dispatch INTERACTION_CREATE on the gateway and wait for the bot's callback to it."""
        await self.dispatch("INTERACTION_CREATE", payload)
        return await self.wait_callback(payload["id"], timeout)

    async def dispatch(self, event: str, data: dict[str, Any]) -> None:
        """Send a DISPATCH (op 0) frame over the open gateway connection."""
        assert self._ws is not None, "the client is not connected to the gateway"
        if event == "INTERACTION_CREATE" and isinstance(data.get("token"), str):
            self._tokens.setdefault(data["token"], [str(data.get("id")), time.monotonic(), False, 0.0])
        self._seq += 1
        await self._ws.send_str(json.dumps({"op": 0, "t": event, "s": self._seq, "d": data}))

    async def wait_callback(self, interaction_id: str, timeout: float = 5.0) -> Callback:
        """The callback for an interaction, once it arrives."""
        async with self._changed:
            await asyncio.wait_for(
                self._changed.wait_for(
                    lambda: any(c.interaction_id == interaction_id for c in self.callbacks)
                ),
                timeout,
            )
        return next(c for c in self.callbacks if c.interaction_id == interaction_id)

    async def wait_for(self, predicate: Any, timeout: float = 5.0) -> None:
        """Until ``predicate()`` holds after some recorded request."""
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(predicate), timeout)

    def age(self, interaction_id: str, seconds: float) -> None:
        """Make an interaction ``seconds`` older, as if that much time had passed since Discord sent it
        (its token expires: 3 s for the first answer, 15 min for follow-ups)."""
        for entry in self._tokens.values():
            if entry[0] == interaction_id:
                entry[3] += seconds

    def take_refusals(self) -> list[tuple[str, list[str]]]:
        """The requests refused since the last call (path, reasons), and forget them: a test expecting a
        refusal takes it, and the fixture fails any test that leaves one unexpected."""
        taken, self.refusals = self.refusals, []
        return taken

    def _refuse(
        self, path: str, problems: list[str], *, status: int = 400, code: int = 50035, message: str = ""
    ) -> web.Response:
        """Record a refusal and answer it as Discord does (``Invalid Form Body`` by default)."""
        self.refusals.append((path, problems))
        errors = {"_errors": [{"code": "BASE_TYPE_INVALID", "message": p} for p in problems]}
        body = {"code": code, "message": message or "Invalid Form Body", "errors": errors}
        return _json(body, status=status)

    def _token_problem(self, path: str, token: str, *, initial: bool) -> web.Response | None:
        """Refuse a response to an unknown, expired or already answered interaction, as Discord does:
        a second initial response is 400 (40060), a first one after 3 s 404 Unknown interaction (10062),
        a follow-up before any response 404 Unknown Webhook (10015), one after 15 min 401 (50027)."""
        entry = self._tokens.get(token)
        if entry is None:
            return self._refuse(
                path, ["unknown token"], status=404, code=10062, message="Unknown interaction"
            )
        elapsed = (time.monotonic() - entry[1]) / self.slowness + entry[3]
        if initial:
            if entry[2]:
                return self._refuse(
                    path,
                    ["second initial response"],
                    code=40060,
                    message="Interaction has already been acknowledged.",
                )
            if elapsed > self.response_window:
                return self._refuse(
                    path,
                    [f"first response after {elapsed:.1f}s"],
                    status=404,
                    code=10062,
                    message="Unknown interaction",
                )
            return None
        if not entry[2]:
            return self._refuse(
                path, ["no initial response"], status=404, code=10015, message="Unknown Webhook"
            )
        if elapsed > self.followup_window:
            return self._refuse(
                path,
                [f"follow-up after {elapsed:.0f}s"],
                status=401,
                code=50027,
                message="Invalid Webhook Token",
            )
        return None

    def dms_to(self, user_id: str) -> list[PostedMessage]:
        """Messages the bot sent to a user's DM channel."""
        channel = self.dm_channels.get(user_id)
        return [m for m in self.messages if channel is not None and m.channel_id == channel]

    def in_channel(self, channel_id: str) -> list[PostedMessage]:
        """Messages the bot posted in a guild channel."""
        return [m for m in self.messages if m.channel_id == channel_id]

    def _all_commands(self) -> list[dict[str, Any]]:
        return [c for scope in self.commands.values() for c in scope]

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    # ------------------------------------------------------------------ REST handlers

    async def _me(self, request: web.Request) -> web.Response:
        self.requests.append(("GET", request.path))
        if request.headers.get("Authorization") != "Bot test-token":
            return _json({"message": "401: Unauthorized", "code": 0}, status=401)
        return _json(
            {
                **self.user(self.bot_user_id, "govbot", bot=True),
                "verified": True,
                "mfa_enabled": False,
                "flags": 0,
                "locale": "en-US",
            }
        )

    async def _application(self, request: web.Request) -> web.Response:
        self.requests.append(("GET", request.path))
        return _json(
            {
                "id": self.application_id,
                "name": "govbot",
                "icon": None,
                "description": "",
                "bot_public": False,
                "bot_require_code_grant": False,
                "verify_key": "0" * 64,
                "flags": 0,
                "summary": "",
                "owner": self.user("700000000000000001", "owner"),
                "team": None,
                "rpc_origins": [],
                "interactions_endpoint_url": None,
                "redirect_uris": [],
                "tags": [],
            }
        )

    async def _gateway_bot(self, request: web.Request) -> web.Response:
        self.requests.append(("GET", request.path))
        return _json(
            {
                "url": f"ws://127.0.0.1:{self.port}/gateway",
                "shards": 1,
                "session_start_limit": {
                    "total": 1000,
                    "remaining": 999,
                    "reset_after": 14400000,
                    "max_concurrency": 1,
                },
            }
        )

    async def _put_commands(self, request: web.Request) -> web.Response:
        body = await request.json()
        scope = request.match_info.get("guild", "global")
        self.requests.append(("PUT", request.path))
        if problems := command_upload_problems(body):
            return self._refuse(request.path, problems)
        stored = []
        for command in body:
            stored.append(
                {
                    **command,
                    "id": snowflake(self._ids),
                    "application_id": self.application_id,
                    "version": snowflake(self._ids),
                    "type": command.get("type", 1),
                    "default_member_permissions": command.get("default_member_permissions"),
                    "nsfw": command.get("nsfw", False),
                    **({"guild_id": scope} if scope != "global" else {}),
                }
            )
        self.commands[scope] = stored
        await self._notify()
        return _json(stored)

    async def _get_commands(self, request: web.Request) -> web.Response:
        return _json(self.commands.get(request.match_info.get("guild", "global"), []))

    async def _callback(self, request: web.Request) -> web.Response:
        body, uploaded = await read_body(request)
        interaction_id, token = request.match_info["id"], request.match_info["token"]
        self.requests.append(("POST", request.path))
        if self.fail_responses > 0:
            self.fail_responses -= 1
            return _json({"message": "500: Internal Server Error", "code": 0}, status=self.fail_status)
        if refused := self._token_problem(request.path, token, initial=True):
            return refused
        kind, data = int(body["type"]), body.get("data") or {}
        problems = autocomplete_problems(data) if kind == 8 else message_problems(data)
        if problems:
            return self._refuse(request.path, problems)
        self._tokens[token][2] = True
        self._pinging(request.path, body.get("data") or {})
        callback = Callback(interaction_id, token, int(body["type"]), body.get("data") or {}, uploaded)
        self.callbacks.append(callback)
        await self._notify()
        answer: dict[str, Any] = {
            "interaction": {
                "id": interaction_id,
                "type": 2,
                "response_message_ephemeral": callback.ephemeral,
                "response_message_loading": callback.type == 5,
            }
        }
        if callback.type in (4, 7):
            message = self.message_object(self.channel_id, callback.data, interaction=True, files=uploaded)
            answer["interaction"]["response_message_id"] = message["id"]
            answer["resource"] = {"type": callback.type, "message": message}
        elif callback.type in (5, 6, 8):
            answer["resource"] = {"type": callback.type}
        return _json(answer)

    async def _followup(self, request: web.Request) -> web.Response:
        body, uploaded = await read_body(request)
        self.requests.append(("POST", request.path))
        if self.fail_followups > 0:
            self.fail_followups -= 1
            return _json({"message": "500: Internal Server Error", "code": 0}, status=self.fail_status)
        if refused := self._token_problem(request.path, request.match_info["token"], initial=False):
            return refused
        if problems := message_problems(body):
            return self._refuse(request.path, problems)
        self._pinging(request.path, body)
        message = self.message_object(self.channel_id, body, interaction=True, files=uploaded)
        self.followups.append(PostedMessage(message["id"], self.channel_id, body, uploaded))
        await self._notify()
        return _json(message)

    async def _edit_webhook_message(self, request: web.Request) -> web.Response:
        body = await request.json()
        if refused := self._token_problem(request.path, request.match_info["token"], initial=False):
            return refused
        if problems := message_problems(body):
            return self._refuse(request.path, problems)
        message = self.message_object(self.channel_id, body, interaction=True)
        self.followups.append(PostedMessage(message["id"], self.channel_id, body))
        self.requests.append(("PATCH", request.path))
        await self._notify()
        return _json(message)

    def _pinging(self, path: str, payload: dict[str, Any]) -> None:
        """Record a message that would notify someone."""
        who = pinged(payload)
        if who:
            self.pings.append((path, who))

    async def _open_dm(self, request: web.Request) -> web.Response:
        body = await request.json()
        user_id = str(body["recipient_id"])
        channel = self.dm_channels.setdefault(user_id, snowflake(self._ids))
        self.requests.append(("POST", request.path))
        return _json(
            {
                "id": channel,
                "type": 1,
                "last_message_id": None,
                "recipients": [self.user(user_id, f"user{user_id[-4:]}")],
            }
        )

    async def _post_message(self, request: web.Request) -> web.Response:
        body, uploaded = await read_body(request)
        channel = request.match_info["channel"]
        self.requests.append(("POST", request.path))
        if self.fail_channel_posts > 0:
            self.fail_channel_posts -= 1
            return _json({"message": "Missing Access", "code": 50001}, status=403)
        if self.rate_limit_posts > 0:
            self.rate_limit_posts -= 1
            return self._rate_limited()
        if problems := message_problems(body):
            return self._refuse(request.path, problems)
        self._pinging(request.path, body)
        known = set(self.channels) | set(self.dm_channels.values())
        if channel not in known:
            return _json({"message": "Unknown Channel", "code": 10003}, status=404)
        nonce = body.get("nonce")
        if nonce and body.get("enforce_nonce") and (channel, nonce) in self._nonces:
            previous = self._nonces[(channel, nonce)]
            return _json(self.message_object(channel, previous.payload, message_id=previous.id))
        message = self.message_object(channel, body, files=uploaded)
        posted = PostedMessage(message["id"], channel, body, uploaded)
        self.messages.append(posted)
        if nonce:
            self._nonces[(channel, nonce)] = posted
        await self._notify()
        return _json(message)

    def _rate_limited(self) -> web.Response:
        """A 429 as Discord sends it for a route's limit: ``Retry-After`` and the JSON ``retry_after``
        (seconds), the bucket headers, and ``Via`` (discord.py takes a 429 without it for a Cloudflare
        ban)."""
        headers = {
            "Content-Type": "application/json",
            "Retry-After": f"{self.retry_after:g}",
            "Via": "1.1 google",
            "X-RateLimit-Limit": "5",
            "X-RateLimit-Remaining": "0",
            "X-RateLimit-Reset-After": f"{self.retry_after:g}",
            "X-RateLimit-Scope": "user",
        }
        body = {"message": "You are being rate limited.", "retry_after": self.retry_after, "global": False}
        return web.Response(body=json.dumps(body).encode(), status=429, headers=headers)

    # ------------------------------------------------------------------ gateway

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self._ws = ws
        await ws.send_str(json.dumps({"op": 10, "s": None, "t": None, "d": {"heartbeat_interval": 41250}}))
        async for msg in ws:
            if msg.type != WSMsgType.TEXT:
                continue
            frame = json.loads(msg.data)
            op = frame.get("op")
            if op == 1:
                self.heartbeats += 1
                await ws.send_str(json.dumps({"op": 11, "s": None, "t": None, "d": None}))
            elif op == 2:
                self.identified.append(frame["d"])
                shard = frame["d"].get("shard", [0, 1])
                await self.dispatch(
                    "READY",
                    {
                        "v": 10,
                        "user": {
                            **self.user(self.bot_user_id, "govbot", bot=True),
                            "verified": True,
                            "mfa_enabled": False,
                            "flags": 0,
                        },
                        "guilds": [{"id": self.guild_id, "unavailable": True}],
                        "session_id": "fake-session",
                        "resume_gateway_url": f"ws://127.0.0.1:{self.port}/gateway",
                        "shard": shard,
                        "application": {"id": self.application_id, "flags": 0},
                    },
                )
                await self.dispatch("GUILD_CREATE", self.guild())
                self._identified.set()
        return ws


__all__ = [
    "Callback",
    "FakeDiscord",
    "PostedMessage",
    "command_upload_problems",
    "message_problems",
    "pinged",
]
