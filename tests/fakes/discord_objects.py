"""Discord's objects as the loopback fake records them: interaction responses (``Callback``), posted
messages, multipart bodies, snowflakes, and who a message would ping."""

from __future__ import annotations

import itertools
import json
import re
from dataclasses import dataclass, field
from typing import Any

from aiohttp import BodyPartReader, web

MENTION_RE = re.compile(r"@(everyone|here)|<@!?(\d+)>|<@&(\d+)>")


def pinged(payload: dict[str, Any]) -> list[str]:
    """Who a message would notify: ``everyone``, ``user:<id>``, ``role:<id>``, as Discord reads
    ``allowed_mentions`` (missing: every mention in the content counts; ``parse`` lists the kinds parsed,
    ``users`` / ``roles`` the ids allowed one by one)."""
    content = str(payload.get("content") or "")
    allowed = payload.get("allowed_mentions")
    kinds = {"everyone", "users", "roles"} if allowed is None else set(allowed.get("parse") or [])
    users = set() if allowed is None else {str(u) for u in allowed.get("users") or []}
    roles = set() if allowed is None else {str(r) for r in allowed.get("roles") or []}
    out = []
    for match in MENTION_RE.finditer(content):
        everyone, user, role = match.groups()
        if everyone and "everyone" in kinds:
            out.append("everyone")
        elif user and ("users" in kinds or user in users):
            out.append(f"user:{user}")
        elif role and ("roles" in kinds or role in roles):
            out.append(f"role:{role}")
    return out


def snowflake(counter: itertools.count[int]) -> str:
    """A fresh snowflake-shaped id (a large integer, as a string, like Discord's)."""
    return str(1_100_000_000_000_000_000 + next(counter))


@dataclass
class Callback:
    """One interaction response: its type, data (content, embeds, components, flags) and ids."""

    interaction_id: str
    token: str
    type: int
    data: dict[str, Any]
    files: list[tuple[str, bytes]] = field(default_factory=list)

    @property
    def ephemeral(self) -> bool:
        """Whether the response carries the EPHEMERAL flag (1 << 6)."""
        return bool(int(self.data.get("flags", 0) or 0) & 64)

    @property
    def content(self) -> str:
        """The message text of the response ('' when there is none)."""
        return str(self.data.get("content") or "")

    @property
    def text(self) -> str:
        """Content and every embed's title, description and fields, for assertions."""
        parts = [self.content]
        for embed in self.data.get("embeds") or []:
            parts += [embed.get("title") or "", embed.get("description") or ""]
            parts += [f"{f['name']}: {f['value']}" for f in embed.get("fields") or []]
        return "\n".join(p for p in parts if p)

    def components(self) -> list[dict[str, Any]]:
        """The interactive components, flattened out of their action rows."""
        return [c for row in self.data.get("components") or [] for c in row.get("components", [])]


async def read_body(request: web.Request) -> tuple[dict[str, Any], list[tuple[str, bytes]]]:
    """A request's JSON payload and uploaded files: plain JSON, or multipart/form-data with a
    ``payload_json`` part and ``files[n]`` parts, as Discord takes messages with attachments."""
    if not request.content_type.startswith("multipart/"):
        return await request.json(), []
    payload: dict[str, Any] = {}
    uploaded: list[tuple[str, bytes]] = []
    reader = await request.multipart()
    async for part in reader:
        if not isinstance(part, BodyPartReader):
            continue
        if part.name == "payload_json":
            payload = json.loads(await part.text())
        elif part.name and part.name.startswith("files["):
            uploaded.append((part.filename or "", bytes(await part.read())))
    return payload, uploaded


@dataclass
class PostedMessage:
    """A message the bot created in a channel (or DM), or sent as a follow-up (with any files)."""

    id: str
    channel_id: str
    payload: dict[str, Any]
    files: list[tuple[str, bytes]] = field(default_factory=list)

    @property
    def content(self) -> str:
        """The message text."""
        return str(self.payload.get("content") or "")

    @property
    def text(self) -> str:
        """Content plus embed titles, descriptions and fields."""
        parts = [self.content]
        for embed in self.payload.get("embeds") or []:
            parts += [embed.get("title") or "", embed.get("description") or ""]
            parts += [f"{f['name']}: {f['value']}" for f in embed.get("fields") or []]
        return "\n".join(p for p in parts if p)
