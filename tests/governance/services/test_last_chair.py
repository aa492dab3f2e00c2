"""Issue 20, "Bodies keep someone in charge": the last chair in office cannot leave, go emeritus, be
suspended, lose the role or be removed without a successor; handing over first works; a body orphaned
by a roster change is flagged and the secretariat told."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable

import pytest

from governance.errors import Forbidden
from governance.services import bodies, chairs, roster
from governance.services.common import Actor, Context
from tests.factories import events, notice_params, outbox_rows, small_roster, snapshot

HAND_OVER = ("body", "seat", "safety", "<handle>", "--role", "chair")  # the command the refusal suggests


async def _group(ctx: Context) -> dict[str, Actor]:
    """A working group chaired by alice alone, with bea as a member and arjun waiting to join."""
    who = await small_roster(ctx)
    await bodies.create_body(
        ctx, who["sec"], "safety", "Safety WG", "working_group", chairs=["alice"], charter_url="https://x.org"
    )
    await bodies.request_join(ctx, who["bea"], "safety")
    await bodies.decide_join(ctx, who["alice"], "safety", "bea", approve=True)
    await bodies.request_join(ctx, who["arjun"], "safety")
    return who


def _changes(ctx: Context, who: dict[str, Actor]) -> dict[str, Callable[[], Awaitable[object]]]:
    return {
        "cannot leave it yet": lambda: bodies.leave(ctx, who["alice"], "safety"),
        "cannot become emeritus yet": lambda: bodies.set_state(
            ctx, who["alice"], "safety", "alice", "emeritus"
        ),
        "cannot become suspended there yet": lambda: bodies.set_state(
            ctx, who["sec"], "safety", "alice", "suspended"
        ),
        "cannot give up the role yet": lambda: bodies.seat(ctx, who["sec"], "safety", "alice", "member"),
        "cannot be removed yet": lambda: bodies.remove_member(ctx, who["sec"], "safety", "alice"),
        "cannot become emeritus yet (inactive)": lambda: bodies.retire_inactive(
            ctx, who["sec"], "safety", "alice"
        ),
    }


async def test_the_last_chair_stays_until_a_successor_is_seated(ctx: Context) -> None:
    who = await _group(ctx)
    before = await snapshot(ctx)
    for words, change in _changes(ctx, who).items():
        with pytest.raises(Forbidden) as refused:
            await change()
        assert refused.value.rule == "last-chair", words
        assert "Alice Martin is the last chair of Safety WG in office" in refused.value.message
        assert words.split(" (")[0] in refused.value.message
        assert refused.value.suggestion is not None and refused.value.suggestion.sentence == "hand_over"
        assert refused.value.suggestion.commands == (HAND_OVER,)
        assert await snapshot(ctx) == before, words


async def test_handing_over_then_leaving_works(ctx: Context) -> None:
    who = await _group(ctx)
    await bodies.seat(ctx, who["sec"], "safety", "bea", "chair")
    left = await bodies.leave(ctx, who["alice"], "safety")
    assert left.status == "left"
    # bea is now the last chair in office, and the same rule holds her
    with pytest.raises(Forbidden) as refused:
        await bodies.leave(ctx, who["bea"], "safety")
    assert refused.value.rule == "last-chair"
    # she decides the pending request; the group is not flagged
    await bodies.decide_join(ctx, who["bea"], "safety", "arjun", approve=True)
    assert await chairs.orphaned(ctx) == set()


async def test_a_co_chair_keeps_the_body_in_charge_and_an_out_of_office_chair_may_go(ctx: Context) -> None:
    who = await _group(ctx)
    await bodies.seat(ctx, who["sec"], "safety", "bea", "co_chair")
    await bodies.set_state(ctx, who["sec"], "safety", "alice", "suspended")  # bea still in charge
    with pytest.raises(Forbidden) as refused:
        await bodies.seat(ctx, who["sec"], "safety", "bea", "member")
    assert refused.value.rule == "last-chair"
    await bodies.remove_member(ctx, who["sec"], "safety", "alice")  # not in office: no refusal


async def test_a_body_orphaned_by_a_roster_change_is_flagged_and_the_secretariat_told(ctx: Context) -> None:
    who = await _group(ctx)
    assert await chairs.orphaned(ctx) == set()
    await roster.update_person(ctx, who["sec"], "alice", status="withdrawn")  # allowed: the roster decides
    async with ctx.db.reading() as session:
        safety = await bodies.body_by_slug(session, "safety")
    assert await chairs.orphaned(ctx) == {safety.id}
    (event,) = [e for e in await events(ctx, "body:safety") if e.kind == "body.orphaned"]
    assert event.actor == "person:sec"
    assert json.loads(event.payload) == {"chair": "alice", "status": "withdrawn"}
    sec_id = who["sec"].person_id
    (notice,) = [m for m in await outbox_rows(ctx) if m.kind == "body.orphaned"]
    assert notice.person_id == sec_id
    assert notice_params(notice)["body"] == "safety"  # the body to seat a chair in
    assert notice_params(notice)["person_name"] and notice_params(notice)["election"] is None
    # the secretariat decides the pending request meanwhile, then seats a chair: the flag goes
    await bodies.decide_join(ctx, who["sec"], "safety", "arjun", approve=True)
    await bodies.seat(ctx, who["sec"], "safety", "bea", "chair")
    assert await chairs.orphaned(ctx) == set()


async def test_a_roster_change_that_leaves_another_chair_orphans_nothing(ctx: Context) -> None:
    who = await _group(ctx)
    await bodies.seat(ctx, who["sec"], "safety", "bea", "chair")
    await roster.update_person(ctx, who["sec"], "alice", status="suspended")
    assert [m for m in await outbox_rows(ctx) if m.kind == "body.orphaned"] == []
    assert await chairs.orphaned(ctx) == set()
