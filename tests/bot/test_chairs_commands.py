"""Issue 20 at the command level: the last-chair refusal names the rule and how to hand over, and a group
orphaned by a roster change is flagged in `wg list` and `body show` (the seeded safety WG, chaired by
dana)."""

from __future__ import annotations

from governance.services.common import Context
from tests.factories import snapshot
from tests.fakes.console import Say


async def test_last_chair_refusal_then_orphaned_flag_in_wg_list_and_body_show(
    seeded: Context, say: Say
) -> None:
    before = await snapshot(seeded)
    refused = (await say("dana", "wg leave safety")).to_text()
    assert "Dana Kowalski is the last chair of" in refused and "so cannot leave it yet" in refused
    assert "`body seat safety <handle> --role chair`" in refused and "'last-chair'" in refused
    assert await snapshot(seeded) == before
    assert "(no chair)" not in (await say("sec", "wg list")).to_text()
    assert (await say("sec", "roster person set dana --status suspended")).ok
    assert "(no chair)" in (await say("sec", "wg list")).to_text()
    shown = (await say("sec", "body show safety")).to_text()
    assert "No chair in office: the secretariat decides its join requests" in shown
    # handing over clears the flag
    assert (await say("sec", "body seat safety bea --role chair")).ok
    assert "(no chair)" not in (await say("sec", "wg list")).to_text()
