"""Issue 20, "Member states bind everyone": a suspended (or emeritus) admin is refused every admin action
with the rule named and nothing written; the system actor is not a person and is not bound."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta

import pytest

from governance import export, signing
from governance.errors import Forbidden
from governance.services import bodies, elections, electorate, monitors, motions, roster, scheduling
from governance.services.common import Actor, Context
from tests.factories import SYSTEM, small_roster, snapshot

_KEY = signing.public_hex(signing.generate())


async def _alliance(ctx: Context) -> dict[str, Actor]:
    """The small roster with a committee (alice chairs), a working group, a draft election and a motion."""
    who = await small_roster(ctx)
    await bodies.create_body(ctx, who["sec"], "toc", "Technical Committee", "committee", chairs=["alice"])
    await bodies.seat(ctx, SYSTEM, "toc", "bea")
    await bodies.create_body(
        ctx, who["sec"], "safety", "Safety WG", "working_group", chairs=["alice"], charter_url="https://x.org"
    )
    await bodies.request_join(ctx, who["bea"], "safety")
    await elections.create_election(ctx, who["sec"], "toc", "toc-chair", seats=1)
    await motions.propose(ctx, who["alice"], "toc", "Adopt the roadmap")
    await electorate.request_exception(ctx, who["arjun"], "toc-chair", "I joined the committee late")
    return who


def _admin_actions(sec: Actor, ctx: Context) -> dict[str, Callable[[], Awaitable[object]]]:
    """Every kind of admin action, as ``sec`` would run it."""
    return {
        "add an organisation": lambda: roster.add_organisation(ctx, sec, "newco", "New Co"),
        "add a person": lambda: roster.add_person(ctx, sec, "zoe", "Zoe Adams"),
        "change a person": lambda: roster.update_person(ctx, sec, "bea", name="Bea D."),
        "designate a voting rep": lambda: roster.set_voting_rep(ctx, sec, "acme", "alice"),
        "link a chat account": lambda: roster.link_identity(ctx, sec, "bea", "slack", "T1", "U1"),
        "create a body": lambda: bodies.create_body(ctx, sec, "board2", "Board", "board"),
        "seat someone": lambda: bodies.seat(ctx, sec, "toc", "arjun"),
        "set a member state": lambda: bodies.set_state(ctx, sec, "toc", "bea", "suspended"),
        "approve a join request": lambda: bodies.decide_join(ctx, sec, "safety", "bea", approve=True),
        "create an election": lambda: elections.create_election(ctx, sec, "toc", "toc-2", seats=1),
        "open nominations": lambda: elections.open_nominations(ctx, sec, "toc-chair"),
        "close a motion early": lambda: motions.close(ctx, sec, 1),
        "withdraw a motion": lambda: motions.withdraw(ctx, sec, 1),
        "move a motion's deadline": lambda: scheduling.set_motion_deadline(
            ctx, sec, 1, ctx.now() + timedelta(days=9)
        ),
        "export the audit log": lambda: export.export_bundle(ctx, sec, export.parse_subject("all")),
        "grant an exception": lambda: electorate.decide_exception(ctx, sec, "toc-chair", "arjun", True, "ok"),
        "deny an exception": lambda: electorate.decide_exception(ctx, sec, "toc-chair", "arjun", False, "no"),
        "name an election monitor": lambda: monitors.add_monitor(ctx, sec, "toc-chair", "bea", _KEY),
    }


@pytest.mark.parametrize("state", ["suspended", "emeritus"])
async def test_an_admin_out_of_good_standing_is_refused_every_admin_action(ctx: Context, state: str) -> None:
    who = await _alliance(ctx)
    await roster.update_person(ctx, SYSTEM, "sec", status=state)
    before = await snapshot(ctx)
    for what, action in _admin_actions(who["sec"], ctx).items():
        with pytest.raises(Forbidden) as refused:
            await action()
        assert refused.value.rule == "member-state", what
        assert f"Sam Secretariat is {state}" in refused.value.message, what
        assert await snapshot(ctx) == before, what


async def test_back_in_good_standing_the_admin_acts_again_and_the_system_is_never_bound(ctx: Context) -> None:
    who = await _alliance(ctx)
    await roster.update_person(ctx, SYSTEM, "sec", status="suspended")
    # The system actor (scheduler, set-up) is not a person: member states do not bind it.
    await roster.add_organisation(ctx, SYSTEM, "initech", "Initech")
    await roster.update_person(ctx, SYSTEM, "sec", status="active")
    assert (await roster.add_organisation(ctx, who["sec"], "newco", "New Co")).slug == "newco"
    assert (await bodies.create_body(ctx, who["sec"], "board2", "Board", "board")).slug == "board2"


async def test_an_admin_suspended_in_a_body_does_not_run_its_elections(ctx: Context) -> None:
    who = await _alliance(ctx)
    await bodies.seat(ctx, SYSTEM, "toc", "sec")
    await bodies.set_state(ctx, SYSTEM, "toc", "sec", "suspended", "Conflict of interest")
    before = await snapshot(ctx)
    with pytest.raises(Forbidden) as refused:
        await elections.open_nominations(ctx, who["sec"], "toc-chair")
    assert refused.value.rule == "member-state"
    assert refused.value.message == (
        "Sam Secretariat is suspended in this body; suspended members may not act for the secretariat."
    )
    assert await snapshot(ctx) == before
    # elsewhere (the roster) the admin still acts
    await roster.add_organisation(ctx, who["sec"], "newco", "New Co")


async def test_a_suspended_chair_no_longer_decides_join_requests(ctx: Context) -> None:
    who = await _alliance(ctx)
    await roster.update_person(ctx, SYSTEM, "alice", status="suspended")
    before = await snapshot(ctx)
    with pytest.raises(Forbidden) as refused:
        await bodies.decide_join(ctx, who["alice"], "safety", "bea", approve=True)
    assert refused.value.rule == "member-state"
    assert await snapshot(ctx) == before


async def test_names_in_an_electorate_are_for_admins_in_good_standing_and_the_monitors(ctx: Context) -> None:
    who = await _alliance(ctx)
    assert (await electorate.voters(ctx, who["sec"], "toc-chair")).names is not None
    assert (await electorate.voters(ctx, who["bea"], "toc-chair")).names is None
    await monitors.add_monitor(ctx, who["sec"], "toc-chair", "bea", _KEY)
    # issue 20: "names for admins and monitors"
    view = await electorate.voters(ctx, who["bea"], "toc-chair")
    assert view.names is not None and view.requests == [("arjun", "pending", "I joined the committee late")]
    await roster.update_person(ctx, SYSTEM, "sec", status="suspended")
    view = await electorate.voters(ctx, who["sec"], "toc-chair")
    assert view.names is None and view.requests is None  # a suspended admin reads counts only
