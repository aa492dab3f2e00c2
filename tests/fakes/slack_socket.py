"""A loopback fake of Slack's Socket Mode WebSocket endpoint.

``FakeSlackAPI.socket_url`` points ``apps.connections.open`` at ``ws://127.0.0.1:<port>/link/``, served
here by aiohttp. On each connection the server sends Slack's ``hello`` frame, then pushes the envelopes a
test asks for (``slash_commands``, ``interactive``, ``events_api``) and collects the acknowledgement
frames the app sends back (``{"envelope_id": ..., "payload": ...}``), so a test sees exactly what Slack
would receive; an acknowledgement's payload Slack would refuse (``tests.fakes.slack_rules.check_ack``) is
listed in ``refusals``.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

from tests.fakes.slack_rules import check_ack


@dataclass
class FakeSlackSocket:
    """The WebSocket server. ``await start()``; ``url`` goes to ``FakeSlackAPI.socket_url``."""

    app_id: str = "A0001"
    port: int = 0
    connections: int = 0
    acks: dict[str, dict[str, Any]] = field(default_factory=dict)
    unexpected: list[str] = field(default_factory=list)
    refusals: list[tuple[str, str, str]] = field(default_factory=list)
    _ws: web.WebSocketResponse | None = None
    _connected: asyncio.Event = field(default_factory=asyncio.Event)
    _acked: asyncio.Condition = field(default_factory=asyncio.Condition)
    _runner: web.AppRunner | None = None
    _seq: itertools.count = field(default_factory=lambda: itertools.count(1))  # type: ignore[type-arg]

    @property
    def url(self) -> str:
        """The WebSocket URL ``apps.connections.open`` hands out."""
        return f"ws://127.0.0.1:{self.port}/link/?ticket=fake-ticket&app_id={self.app_id}"

    async def start(self) -> FakeSlackSocket:
        """Listen on 127.0.0.1 on a free port."""
        app = web.Application()
        app.router.add_get("/link/", self._link)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert server is not None and server.sockets  # type: ignore[attr-defined]
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]
        return self

    async def stop(self) -> None:
        """Close the connection and stop listening."""
        if self._ws is not None and not self._ws.closed:
            await self._ws.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def connected(self, timeout: float = 5.0) -> None:
        """Wait until the app has connected (and been sent ``hello``)."""
        await asyncio.wait_for(self._connected.wait(), timeout)

    async def send(self, kind: str, payload: dict[str, Any], *, accepts_response_payload: bool = True) -> str:
        """Push one envelope of ``kind`` with ``payload``; returns its ``envelope_id``."""
        assert self._ws is not None and not self._ws.closed, "the app is not connected"
        envelope_id = f"env-{next(self._seq):04d}"
        await self._ws.send_str(
            json.dumps(
                {
                    "envelope_id": envelope_id,
                    "type": kind,
                    "payload": payload,
                    "accepts_response_payload": accepts_response_payload,
                    "retry_attempt": 0,
                    "retry_reason": "",
                }
            )
        )
        return envelope_id

    async def ack(self, envelope_id: str, timeout: float = 5.0) -> dict[str, Any]:
        """The acknowledgement frame the app sent for ``envelope_id`` (waits for it)."""
        async with self._acked:
            await asyncio.wait_for(self._acked.wait_for(lambda: envelope_id in self.acks), timeout)
        return self.acks[envelope_id]

    async def request(
        self,
        kind: str,
        payload: dict[str, Any],
        *,
        accepts_response_payload: bool = True,
        timeout: float = 5.0,
    ) -> dict[str, Any]:
        """Send an envelope and return its acknowledgement frame."""
        envelope_id = await self.send(kind, payload, accepts_response_payload=accepts_response_payload)
        return await self.ack(envelope_id, timeout)

    async def _link(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        self._ws = ws
        self.connections += 1
        await ws.send_str(
            json.dumps(
                {
                    "type": "hello",
                    "num_connections": 1,
                    "debug_info": {"host": "applink-fake", "approximate_connection_time": 18060},
                    "connection_info": {"app_id": self.app_id},
                }
            )
        )
        self._connected.set()
        async for message in ws:
            if message.type != WSMsgType.TEXT:
                continue
            try:
                frame = json.loads(message.data)
            except ValueError:
                self.unexpected.append(message.data)
                continue
            if not isinstance(frame, dict) or "envelope_id" not in frame:
                self.unexpected.append(message.data)
                continue
            refused = check_ack(frame.get("payload"))
            if refused is not None:  # Slack would drop this answer
                self.refusals.append((str(frame["envelope_id"]), *refused))
            async with self._acked:
                self.acks[str(frame["envelope_id"])] = frame
                self._acked.notify_all()
        return ws
