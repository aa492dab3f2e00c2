"""Issue 21 item 9 across the commands issue 20 and the checkpoints added: a refusal that quotes a typed
election id back repeats at most a short, inert excerpt of it (no bidirectional override acting, no
3,000 characters), and writes nothing."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from bot.commands import dispatch
from governance import seed
from governance.services import roster
from governance.services.common import Context
from tests.factories import snapshot

ODD = "\u202e" + "gnp.exe" + "x" * 3000
KEY = "ab" * 32
LINES = [
    f"election voters {ODD}",
    f"election exception {ODD} --reason moved here in May",
    f"election monitor status {ODD}",
    f"election monitor checkpoint {ODD}",
    f"election monitor add {ODD} alice {KEY}",
    f"election monitor cosign {ODD} {'cd' * 64}",
]


async def test_an_odd_election_id_is_echoed_short_and_inert(ctx: Context) -> None:
    await seed.seed(ctx)
    before = await snapshot(ctx)
    for handle in ("sec", "alice"):
        actor = await roster.actor_for_handle(ctx, handle)
        for line in LINES:
            reply = await dispatch(ctx, actor, line, tz=ZoneInfo("UTC"))
            text = reply.to_text()
            assert not reply.ok, (handle, line)
            assert "\u202e" not in text and len(text) < 400, (handle, line, len(text), text[:120])
    assert await snapshot(ctx) == before
