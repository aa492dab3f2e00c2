"""Per-poll choices bound by the policy (issue 20, "Parameters come from the policy"), on both backends.

Each failure the issue reports is refused now, naming the rule, and writes nothing; a choice within a
policy's ``Bounds`` is accepted, recorded in the poll's audit event and shown by ``election show`` /
``motion show``; a choice outside is refused; and the loader refuses impossible bounds.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.commands import dispatch
from governance import seed
from governance.clock import ManualClock
from governance.errors import Forbidden, GovError, InvalidInput
from governance.policies import load_policy
from governance.services import bodies, elections, motions, scheduling
from governance.services.common import Context
from tests.factories import SYSTEM, as_, events, snapshot

COMMITTEE = ("alice", "bea", "chen", "dana")


async def refused(ctx: Context, rule: str, attempt: Awaitable[Any]) -> GovError:
    """Await ``attempt``: it must be refused by ``rule``, say so, and leave every table as it was."""
    before = await snapshot(ctx)
    with pytest.raises(Forbidden) as info:
        await attempt
    assert info.value.rule == rule, info.value
    assert info.value.hint and f"rule '{rule}'" in info.value.hint
    assert await snapshot(ctx) == before, "a refused choice wrote something"
    return info.value


def choosy_policy(tmp_path: Path) -> str:
    """The alliance's charter, except that committees declare bounds an admin and proposer choose within."""
    path = tmp_path / "choosy.py"
    path.write_text(
        "from dataclasses import replace\n"
        "from datetime import timedelta\n"
        "from governance.policies import alliance\n"
        "from governance.policies.alliance import *  # noqa: F403\n"
        "from governance.policies.base import Bounds, ElectionRules\n"
        "NAME = 'choosy'\nVERSION = '0.1'\n"
        "def election_rules(body):\n"
        "    return ElectionRules(method='irv', seats=1, voting_days=14, bounds=Bounds(\n"
        "        methods=frozenset({'stv-meek', 'plurality'}), seats=(1, 3),\n"
        "        min_voting=timedelta(days=7), max_voting=timedelta(days=21)))\n"
        "def motion_rules(body, kind):\n"
        "    return replace(alliance.motion_rules(body, kind), bounds=Bounds(\n"
        "        secret_on_request=True, min_voting=timedelta(days=2), max_voting=timedelta(days=10)))\n"
    )
    return str(path)


async def committee(ctx: Context, slug: str, policy: str | None = None) -> None:
    """A committee of the seeded alliance's alice, bea, chen and dana."""
    await bodies.create_body(ctx, SYSTEM, slug, f"Committee {slug}", "committee", policy=policy)
    for handle in COMMITTEE:
        await bodies.seat(ctx, SYSTEM, slug, handle)


async def payload(ctx: Context, stream: str, kind: str) -> dict[str, Any]:
    """The payload of the last event of ``kind`` in ``stream``."""
    found = [e for e in await events(ctx, stream) if e.kind == kind]
    assert found, f"no {kind} in {stream}"
    data: dict[str, Any] = json.loads(found[-1].payload)
    return data


# ------------------------------------------------------------------------- the failures of the issue


async def test_alliance_committee_refuses_another_method_and_seats(ctx: Context, clock: ManualClock) -> None:
    """Under ``alliance`` committees elect one seat by instant-runoff: plurality for 4 seats is refused,
    and so is any seat count above one on the single-winner method (once accepted as 99, counted as 1)."""
    await seed.seed(ctx, sample_election=False)
    sec = await as_(ctx, "sec")
    err = await refused(
        ctx, "bounds.method", elections.create_election(ctx, sec, "toc", "e1", method="plurality", seats=4)
    )
    assert "instant-runoff" in err.message.lower() and "Leave out --method" in (err.hint or "")
    err = await refused(
        ctx, "bounds.single-winner", elections.create_election(ctx, sec, "toc", "e1", seats=99)
    )
    assert "not 99" in err.message and "--seats 1" in (err.hint or "")
    # the policy's own method and seat, said or not, are no choice: nothing is recorded as chosen
    await elections.create_election(ctx, sec, "toc", "e1", method="irv", seats=1)
    assert "choices" not in await payload(ctx, "election:e1", "election.created")
    assert (await elections.show(ctx, "e1")).choices == ()


async def test_charter_motion_keeps_its_period(ctx: Context, clock: ManualClock) -> None:
    """A charter change has at least 7 days under ``alliance``: a 1-minute deadline is refused; an
    ordinary motion may be as short as 72 hours, not less; a longer period is a choice, recorded."""
    await seed.seed(ctx, sample_election=False)
    bea = await as_(ctx, "bea")
    err = await refused(
        ctx,
        "bounds.voting-period",
        motions.propose(
            ctx, bea, "toc", "Amend", kind="charter", deadline=clock.now() + timedelta(minutes=1)
        ),
    )
    assert "1 minute" in err.message and "at least 7 days" in err.message
    await refused(
        ctx,
        "bounds.voting-period",
        motions.propose(ctx, bea, "toc", "Quick", deadline=clock.now() + timedelta(hours=48)),
    )
    quick = await motions.propose(ctx, bea, "toc", "Quick", deadline=clock.now() + timedelta(hours=72))
    assert (await payload(ctx, f"motion:{quick.id}", "motion.proposed"))["choices"] == {
        "voting_minutes": 72 * 60
    }
    amend = await motions.propose(
        ctx, bea, "toc", "Amend", kind="charter", deadline=clock.now() + timedelta(days=9)
    )
    view = await motions.show(ctx, amend.id or 0)
    assert view.choices == ("Voting period: 9 days (chosen; the policy allows at least 7 days).",)
    # moving the deadline is held to the same bounds, from the day the motion was proposed
    sec = await as_(ctx, "sec")
    await refused(
        ctx,
        "bounds.voting-period",
        scheduling.set_motion_deadline(ctx, sec, amend.id or 0, clock.now() + timedelta(days=2)),
    )
    # a roll-call committee still refuses a secret ballot, by its own rule
    await refused(ctx, "roll-call", motions.propose(ctx, bea, "toc", "Hush", secret=True))


async def test_election_voting_period_bounds(ctx: Context, clock: ManualClock) -> None:
    """The board votes at least 7 days under ``alliance``: a 1-day close is refused when voting opens,
    when planned at creation and when the timeline moves it; 10 days is a recorded choice."""
    await seed.seed(ctx)
    sec = await as_(ctx, "sec")
    await refused(
        ctx,
        "bounds.voting-period",
        elections.open_voting(ctx, sec, "board-2027", clock.now() + timedelta(days=1)),
    )
    await refused(
        ctx,
        "bounds.voting-period",
        elections.create_election(
            ctx,
            sec,
            "toc",
            "planned",
            nominations_close_at=clock.now() + timedelta(days=7),
            voting_close_at=clock.now() + timedelta(days=10),
        ),
    )
    await elections.open_voting(ctx, sec, "board-2027", clock.now() + timedelta(days=10))
    opened = await payload(ctx, "election:board-2027", "election.voting_opened")
    assert opened["choices"] == {"voting_minutes": 10 * 24 * 60}
    assert (
        "Voting period: 10 days (chosen; the policy allows at least 7 days)."
        in (await elections.show(ctx, "board-2027")).choices
    )
    clock.advance(timedelta(days=1))
    await refused(
        ctx,
        "bounds.voting-period",
        scheduling.set_election_timeline(
            ctx, sec, "board-2027", voting_close_at=clock.now() + timedelta(days=2)
        ),
    )


# ------------------------------------------------------------------------------- bounded overrides


async def test_choices_within_bounds_are_recorded_and_shown(
    ctx: Context, clock: ManualClock, tmp_path: Path
) -> None:
    await seed.seed(ctx, sample_election=False)
    await committee(ctx, "council", choosy_policy(tmp_path))
    sec = await as_(ctx, "sec")
    await refused(
        ctx, "bounds.seats", elections.create_election(ctx, sec, "council", "c1", seats=4, method="stv-meek")
    )
    await refused(
        ctx, "bounds.method", elections.create_election(ctx, sec, "council", "c1", method="approval")
    )
    await refused(ctx, "bounds.single-winner", elections.create_election(ctx, sec, "council", "c1", seats=2))
    err = await refused(
        ctx, "bounds.seats", elections.create_election(ctx, sec, "council", "c1", seats=5, method="plurality")
    )
    assert "1 to 3 seats" in err.message and "from 1 to 3" in (err.hint or "")

    await elections.create_election(ctx, sec, "council", "c1", seats=2, method="stv-meek")
    created = await payload(ctx, "election:c1", "election.created")
    assert created["choices"] == {"method": "stv-meek", "seats": 2}
    assert created["seats"] == 2 and created["method"] == "stv-meek"
    await elections.open_nominations(ctx, sec, "c1")
    for handle in ("alice", "bea", "chen"):
        await elections.nominate(ctx, await as_(ctx, handle), "c1")
    await refused(
        ctx, "bounds.voting-period", elections.open_voting(ctx, sec, "c1", clock.now() + timedelta(days=3))
    )
    err = await refused(
        ctx, "bounds.voting-period", elections.open_voting(ctx, sec, "c1", clock.now() + timedelta(days=30))
    )
    assert "at most 21 days" in err.message and "from 7 days to 21 days" in (err.hint or "")
    await elections.open_voting(ctx, sec, "c1", clock.now() + timedelta(days=10))
    shown = await dispatch(ctx, sec, "election show c1")
    assert shown.ok
    for line in (
        "Seats: 2 (chosen within the policy's 1-3).",
        "Method: Meek STV (chosen among the policy's instant-runoff, plurality, Meek STV).",
        "Voting period: 10 days (chosen within the policy's 7 days to 21 days).",
    ):
        assert line in shown.text, shown.text
    for handle in ("alice", "bea", "chen", "dana"):
        await elections.cast_ballot(ctx, await as_(ctx, handle), "c1", ["alice", "bea"])
    result = await elections.close(ctx, sec, "c1")
    assert len(result.elected) == 2  # counted as chosen: Meek STV for two seats

    # a motion: secret on request and a deadline within 2-10 days
    bea = await as_(ctx, "bea")
    await refused(
        ctx,
        "bounds.voting-period",
        motions.propose(ctx, bea, "council", "Late", deadline=clock.now() + timedelta(days=11)),
    )
    motion = await motions.propose(
        ctx, bea, "council", "Hush", secret=True, deadline=clock.now() + timedelta(days=3)
    )
    proposed = await payload(ctx, f"motion:{motion.id}", "motion.proposed")
    assert proposed["secret"] is True and proposed["choices"] == {
        "secret": True,
        "voting_minutes": 3 * 24 * 60,
    }
    shown = await dispatch(ctx, sec, f"motion show {motion.id}")
    assert "Secret ballot: asked for by the proposer, as the policy allows on request." in shown.text
    assert "Voting period: 3 days (chosen within the policy's 2 days to 10 days)." in shown.text


async def test_refusal_reaches_the_person_through_the_command(ctx: Context, clock: ManualClock) -> None:
    """The command line of the issue answers with the rule and what is allowed, and creates nothing."""
    await seed.seed(ctx, sample_election=False)
    sec = await as_(ctx, "sec")
    reply = await dispatch(ctx, sec, "election create e1 --body toc --method plurality --seats 4")
    assert not reply.ok and "rule 'bounds.method'" in (reply.hint or "")
    assert not (await dispatch(ctx, sec, "election show e1")).ok


# ------------------------------------------------------------------------------------ the validator


BAD_BOUNDS = [
    ("seats=(3, 1)", "bounds.seats", "1 <= least <= most"),
    ("seats=(2, 3), methods=frozenset({'stv-meek'})", "bounds.seats", "seats=1"),
    ("seats=(1, 3)", "bounds.seats", "a method that fills several seats"),
    ("methods=frozenset({'dice'})", "bounds.methods", "debian only as the policy's own"),
    ("methods=frozenset({'debian'})", "bounds.methods", "debian only as the policy's own"),
    ("min_voting=timedelta(days=30)", "bounds", "include voting_days"),
    ("min_voting=timedelta(days=1), max_voting=timedelta(hours=12)", "bounds.max_voting", "at least as long"),
    ("max_voting=timedelta(days=-1)", "bounds.max_voting", "positive timedelta"),
]


@pytest.mark.parametrize(("bounds", "field", "fix"), BAD_BOUNDS)
def test_validator_refuses_impossible_bounds(tmp_path: Path, bounds: str, field: str, fix: str) -> None:
    path = tmp_path / "bad_bounds.py"
    path.write_text(
        "from datetime import timedelta\n"
        "from governance.policies.alliance import *  # noqa: F403\n"
        "from governance.policies.base import Bounds, ElectionRules\n"
        "NAME = 'bad'\nVERSION = '0'\n"
        "def election_rules(body):\n"
        f"    return ElectionRules(method='irv', seats=1, bounds=Bounds({bounds}))\n"
    )
    with pytest.raises(InvalidInput) as info:
        load_policy(str(path))
    assert str(path) in info.value.message and f".{field}" in info.value.message, info.value.message
    assert info.value.hint and info.value.hint.startswith("Fix:") and fix in info.value.hint, info.value.hint


def test_validator_refuses_a_single_winner_method_for_several_seats(tmp_path: Path) -> None:
    path = tmp_path / "irv_three.py"
    path.write_text(
        "from governance.policies.alliance import *  # noqa: F403\n"
        "from governance.policies.base import ElectionRules\n"
        "NAME = 'irv3'\nVERSION = '0'\n"
        "def election_rules(body):\n"
        "    return ElectionRules(method='irv', seats=3)\n"
    )
    with pytest.raises(InvalidInput) as info:
        load_policy(str(path))
    assert ".seats is 3 with method irv" in info.value.message
    assert info.value.hint and "elects one person" in info.value.hint


def test_motion_bounds_are_validated(tmp_path: Path) -> None:
    path = tmp_path / "bad_motion.py"
    path.write_text(
        "from dataclasses import replace\n"
        "from datetime import timedelta\n"
        "from governance.policies import alliance\n"
        "from governance.policies.alliance import *  # noqa: F403\n"
        "from governance.policies.base import Bounds\n"
        "NAME = 'badm'\nVERSION = '0'\n"
        "def motion_rules(body, kind):\n"
        "    return replace(alliance.motion_rules(body, kind), bounds=Bounds(max_voting=timedelta(days=3)))\n"
    )
    with pytest.raises(InvalidInput) as info:
        load_policy(str(path))
    assert "motion_rules(" in info.value.message and ".bounds" in info.value.message
