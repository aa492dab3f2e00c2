"""The frozen electorate: fixed at the policy's cut-off, read by every later view, and exceptions to it."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.commands import dispatch
from governance import export, seed
from governance.clock import ManualClock
from governance.errors import Conflict, Forbidden, InvalidInput
from governance.policies import load_policy
from governance.services import bodies, elections, electorate, publication, roster, scheduling
from governance.services.common import Context
from tests.factories import SYSTEM, events, outbox_rows, snapshot
from tests.fakes.notices import notice_text

UTC_TZ = ZoneInfo("UTC")


def cutoff_policy(tmp_path: Path) -> str:
    """The alliance charter, except that its elections fix the electorate two days before voting opens
    and take exception requests until a day before voting closes."""
    path = tmp_path / "cutoff_charter.py"
    path.write_text(
        "from datetime import timedelta\n"
        "from governance.policies.alliance import *  # noqa: F403\n"
        "from governance.policies.base import ElectionRules\n"
        "NAME = 'cutoff-charter'\nVERSION = '0.1'\n"
        "def election_rules(body):\n"
        "    return ElectionRules(method='irv', seats=1, voting_days=7,\n"
        "                         electorate_cutoff=timedelta(days=2), exceptions_due=timedelta(days=1))\n"
    )
    return str(path)


async def add_member_org(ctx: Context, slug: str, handle: str) -> None:
    """A new member organisation with its voting representative (one more board voter, by the roster)."""
    await roster.add_organisation(ctx, SYSTEM, slug, slug.title(), "general")
    await roster.add_person(ctx, SYSTEM, handle, handle.title(), organisation=slug)
    await roster.set_voting_rep(ctx, SYSTEM, slug, handle)


async def refused(ctx: Context, error: type[Exception], rule: str | None, attempt: object) -> Exception:
    """Expect ``error`` (naming ``rule`` when given) and no change anywhere."""
    before = await snapshot(ctx)
    with pytest.raises(error) as info:
        await attempt  # type: ignore[misc]
    if rule is not None:
        assert getattr(info.value, "rule", None) == rule
    assert await snapshot(ctx) == before, "a refused request wrote something"
    return info.value


async def test_fixed_at_the_policy_cutoff_and_a_later_member_cannot_vote(
    ctx: Context, clock: ManualClock, tmp_path: Path
) -> None:
    await seed.seed(ctx, sample_election=False)
    await bodies.create_body(ctx, SYSTEM, "board2", "Board", "board", policy=cutoff_policy(tmp_path))
    start = clock.now()
    await elections.create_election(
        ctx,
        SYSTEM,
        "board2",
        "b2",
        nominations_close_at=start + timedelta(days=5),
        voting_close_at=start + timedelta(days=12),
    )
    await elections.open_nominations(ctx, SYSTEM, "b2", start + timedelta(days=5))
    await elections.nominate(ctx, await roster.actor_for_handle(ctx, "chen"), "b2")
    sec = await roster.actor_for_handle(ctx, "sec")

    clock.advance(timedelta(days=1))
    await scheduling.run_due(ctx, "w")
    before = await electorate.voters(ctx, sec, "b2")
    assert before.fixed_at is None and before.count == 5
    assert before.cutoff_at == start + timedelta(days=3)  # two days before voting opens

    clock.advance(timedelta(days=2, hours=1))  # past the cut-off, still nominating
    outcomes = {o.key: o.result for o in await scheduling.run_due(ctx, "w")}
    assert any(k.endswith(":fix-electorate") and r.startswith("done") for k, r in outcomes.items())
    view = await electorate.voters(ctx, sec, "b2")
    assert view.fixed_at is not None and view.count == 5
    (fixed,) = [e for e in await events(ctx, "election:b2") if e.kind == "election.electorate_fixed"]
    payload = json.loads(fixed.payload)
    assert payload["count"] == 5 and payload["sha256"] == electorate.digest(view.names or [])

    await add_member_org(ctx, "newco", "zoe")  # on the roster after the cut-off
    assert (await electorate.voters(ctx, sec, "b2")).count == 5
    clock.advance(timedelta(days=2))
    await scheduling.run_due(ctx, "w")  # voting opens
    assert (await elections.show(ctx, "b2")).election.phase == "voting"
    await refused(
        ctx,
        Forbidden,
        "electorate",
        elections.cast_ballot(ctx, await roster.actor_for_handle(ctx, "zoe"), "b2", ["chen"]),
    )
    await elections.cast_ballot(ctx, await roster.actor_for_handle(ctx, "alice"), "b2", ["chen"])
    # A person in the record whose roster state changes follows the policy's state rules.
    await roster.update_person(ctx, SYSTEM, "bea", status="suspended")
    await refused(
        ctx,
        Forbidden,
        "member-state",
        elections.cast_ballot(ctx, await roster.actor_for_handle(ctx, "bea"), "b2", ["chen"]),
    )
    # The exception deadline (a day before voting closes) is enforced.
    clock.set(start + timedelta(days=11, hours=1))
    await refused(
        ctx,
        Forbidden,
        "exceptions-due",
        electorate.request_exception(ctx, await roster.actor_for_handle(ctx, "zoe"), "b2", "new member"),
    )


async def board_certified(ctx: Context, clock: ManualClock) -> None:
    """The sample board election, voted by alice and bea, closed and certified."""
    await seed.seed(ctx)
    await elections.open_voting(ctx, SYSTEM, "board-2027", clock.now() + timedelta(days=7))
    for handle in ("alice", "bea"):
        actor = await roster.actor_for_handle(ctx, handle)
        await elections.cast_ballot(ctx, actor, "board-2027", ["chen", "dana", "emma"])
    clock.advance(timedelta(days=1))
    await elections.close(ctx, SYSTEM, "board-2027")
    await elections.certify(ctx, SYSTEM, "board-2027")


async def _views(ctx: Context) -> tuple[str, object, object, object]:
    sec = await roster.actor_for_handle(ctx, "sec")
    shown = await dispatch(ctx, sec, "election show board-2027", tz=UTC_TZ)
    async with ctx.db.reading() as session:
        files = await export.collect(
            session, export.Subject("election", "board-2027"), generated_at=ctx.now()
        )
    settings = json.loads(files["election-board-2027/settings.json"])
    view = await elections.show(ctx, "board-2027")
    turnout = await publication.election_turnout(ctx, view.election, view.body)
    return shown.text, settings["electorate"], turnout, (await elections.show(ctx, "board-2027")).fixed


async def test_a_certified_election_does_not_change_when_the_roster_does(
    ctx: Context, clock: ManualClock
) -> None:
    await board_certified(ctx, clock)
    before = await _views(ctx)
    text, summary, turnout, fixed = before
    assert fixed == 5 and summary["count"] == 5 and summary["by_tier"]["general"] == 2  # type: ignore[index]
    assert [(t.tier, t.voted, t.eligible) for t in turnout] == [  # type: ignore[attr-defined]
        ("academic", 0, 1),
        ("general", 1, 2),
        ("nonprofit", 0, 1),
        ("premier", 1, 1),
    ]
    # Its final state: no "so far", seats filled, not a seat plan's vacancies.
    assert "so far" not in text and "vacant" not in text and "Quorum base" not in text
    assert "Certified" in text and "seats filled" in text and "2 ballots cast" in text
    clock.advance(timedelta(days=1))
    await add_member_org(ctx, "newco", "zoe")
    await roster.update_organisation(ctx, SYSTEM, "globex", tier="premier")
    assert await _views(ctx) == before


async def test_exception_requested_granted_and_denied(ctx: Context, clock: ManualClock) -> None:
    await seed.seed(ctx)
    await elections.open_voting(ctx, SYSTEM, "board-2027", clock.now() + timedelta(days=7))
    await add_member_org(ctx, "newco", "zoe")
    await add_member_org(ctx, "late", "yan")
    zoe, yan, alice, sec = [await roster.actor_for_handle(ctx, h) for h in ("zoe", "yan", "alice", "sec")]
    await refused(ctx, Forbidden, "electorate", elections.cast_ballot(ctx, zoe, "board-2027", ["chen"]))
    await refused(ctx, InvalidInput, None, electorate.request_exception(ctx, zoe, "board-2027", "  "))
    await refused(ctx, Conflict, None, electorate.request_exception(ctx, alice, "board-2027", "just in case"))

    await electorate.request_exception(ctx, zoe, "board-2027", "Newco joined in December")
    await electorate.request_exception(ctx, yan, "board-2027", "please")
    await refused(ctx, Conflict, None, electorate.request_exception(ctx, zoe, "board-2027", "again"))
    await refused(
        ctx,
        Forbidden,
        None,
        electorate.decide_exception(ctx, alice, "board-2027", "zoe", True, "I say so"),
    )
    await electorate.decide_exception(ctx, sec, "board-2027", "zoe", True, "member since 1 December")
    await electorate.decide_exception(ctx, sec, "board-2027", "yan", False, "not a member yet")
    await refused(ctx, Conflict, None, electorate.decide_exception(ctx, sec, "board-2027", "yan", True, "x"))

    await elections.cast_ballot(ctx, zoe, "board-2027", ["chen"])
    await refused(ctx, Forbidden, "electorate", elections.cast_ballot(ctx, yan, "board-2027", ["chen"]))
    view = await electorate.voters(ctx, sec, "board-2027")
    assert view.count == 6 and view.exceptions_granted == 1
    kinds = [e.kind for e in await events(ctx, "election:board-2027")]
    assert kinds.count("election.exception_requested") == 2
    assert "election.exception_granted" in kinds and "election.exception_denied" in kinds
    (granted,) = [
        e for e in await events(ctx, "election:board-2027") if e.kind == "election.exception_granted"
    ]
    assert json.loads(granted.payload)["count"] == 6
    assert json.loads(granted.payload)["sha256"] == electorate.digest(view.names or [])
    told = {
        m.person_id: notice_text(m) for m in await outbox_rows(ctx) if m.kind == "election.exception_decided"
    }
    assert "granted" in told[zoe.person_id] and "not a member yet" in told[yan.person_id]

    clock.advance(timedelta(days=8))  # voting has closed: no more requests
    late = await roster.actor_for_handle(ctx, "farid")
    await refused(
        ctx, Forbidden, "exceptions-due", electorate.request_exception(ctx, late, "board-2027", "forgot")
    )


async def test_voters_counts_for_everyone_names_for_admins(ctx: Context, clock: ManualClock) -> None:
    await seed.seed(ctx)
    alice, sec = [await roster.actor_for_handle(ctx, h) for h in ("alice", "sec")]
    before = await dispatch(ctx, alice, "election voters board-2027", tz=UTC_TZ)
    assert "not fixed yet" in before.text and "5 people" in before.text
    await elections.open_voting(ctx, SYSTEM, "board-2027", clock.now() + timedelta(days=7))
    member = await dispatch(ctx, alice, "election voters board-2027", tz=UTC_TZ)
    admin = await dispatch(ctx, sec, "election voters board-2027", tz=UTC_TZ)
    assert "was fixed" in member.text and "5 people" in member.text
    assert len(member.tables) == 2 and "Alice" not in "".join(t.to_text() for t in member.tables)
    names = admin.tables[2].to_text()
    assert "alice" in names and "carlos" in names and "arjun" not in names


def test_a_policy_with_a_negative_cutoff_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "bad_cutoff.py"
    path.write_text(
        "from datetime import timedelta\n"
        "from governance.policies.alliance import *  # noqa: F403\n"
        "from governance.policies.base import ElectionRules\n"
        "NAME = 'bad-cutoff'\nVERSION = '0.1'\n"
        "def election_rules(body):\n"
        "    return ElectionRules(method='irv', electorate_cutoff=timedelta(days=-1))\n"
    )
    with pytest.raises(InvalidInput, match="electorate_cutoff"):
        load_policy(str(path))
