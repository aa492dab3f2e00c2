"""Issue 20, "Explanations and behaviour agree": for every preset, each claim of `policy <body>` about a
member state (may or may not vote, stand, nominate, propose, join, chair, administer) is what the services
do to a person in that state; and the same claims hold for the module's own answers (`policy check`)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest

from governance.errors import Forbidden
from governance.policies import BUILTIN, load_policy
from governance.policies.base import STATES, BodyFacts
from governance.policies.claims import check_claims, state_claims
from governance.policies.explain import explain
from governance.services import bodies, elections, motions, roster
from governance.services.common import Actor, Context
from tests.services._support import SYSTEM, small_roster

Try = Callable[[], Awaitable[object]]


async def _setting(ctx: Context, preset: str) -> tuple[dict[str, Actor], int]:
    """Under ``preset``: a committee (toc) with an election taking nominations and one open for voting,
    a motion, a working group; per state a member of toc and an admin, put in that state on the roster."""
    who = await small_roster(ctx)
    await bodies.create_body(ctx, SYSTEM, "toc", "Committee", "committee", policy=preset)
    await bodies.create_body(
        ctx,
        SYSTEM,
        "wg",
        "Group",
        "working_group",
        chairs=["alice"],
        charter_url="https://x.org",
        policy=preset,
    )
    await bodies.seat(ctx, SYSTEM, "toc", "alice")
    for state in STATES:  # one organisation each, so no seat cap per organisation gets in the way
        await roster.add_organisation(ctx, SYSTEM, f"o-{state}", f"Org {state}")
        await roster.add_person(ctx, SYSTEM, f"m-{state}", f"Member {state}", organisation=f"o-{state}")
        await roster.add_person(ctx, SYSTEM, f"n-{state}", f"Nominee {state}")
        await roster.add_person(ctx, SYSTEM, f"a-{state}", f"Admin {state}", admin=True)
        await bodies.seat(ctx, SYSTEM, "toc", f"m-{state}")
    for slug in ("e-stand", "e-nominate", "e-vote"):
        await elections.create_election(ctx, who["sec"], "toc", slug)
        await elections.open_nominations(ctx, who["sec"], slug)
    await elections.nominate(ctx, who["sec"], "e-vote", "alice")
    await elections.respond(ctx, who["alice"], "e-vote", accept=True)
    await elections.open_voting(ctx, who["sec"], "e-vote")
    motion = await motions.propose(ctx, who["alice"], "toc", "Adopt the roadmap")
    for state in STATES:
        if state != "active":
            for handle in (f"m-{state}", f"a-{state}"):
                await roster.update_person(ctx, SYSTEM, handle, status=state)
    for handle in [f"m-{s}" for s in STATES] + [f"a-{s}" for s in STATES]:
        who[handle] = await roster.actor_for_handle(ctx, handle)
    assert motion.id is not None
    return who, motion.id


def _tries(ctx: Context, preset: str, who: dict[str, Actor], motion: int, state: str) -> dict[str, list[Try]]:
    """Each action, tried through the services by the person (or admin) in ``state``."""
    me = who[f"m-{state}"]
    admin = who[f"a-{state}"]
    self_nominates = (
        load_policy(preset).election_rules(BodyFacts("toc", "Committee", "committee")).self_nomination
    )
    return {
        "vote": [
            lambda: elections.cast_ballot(ctx, me, "e-vote", ["alice"]),
            lambda: motions.vote(ctx, me, motion, "yes"),
        ],
        "stand": [lambda: elections.nominate(ctx, who["sec"], "e-stand", me.handle)],
        "nominate": [
            lambda: elections.nominate(ctx, me, "e-nominate", None if self_nominates else f"n-{state}")
        ],
        "propose": [lambda: motions.propose(ctx, me, "toc", f"A motion by {state}")],
        "join": [lambda: bodies.request_join(ctx, me, "wg")],
        "chair": [lambda: bodies.seat(ctx, SYSTEM, "wg", me.handle, "chair")],
        "administer": [
            lambda: roster.add_organisation(ctx, admin, f"org-{state}", f"New org {state}"),
            lambda: elections.create_election(ctx, admin, "toc", f"x-{state}"),
            lambda: bodies.create_body(ctx, admin, f"b-{state}", "Body", "committee", policy=preset),
        ],
    }


@pytest.mark.parametrize("preset", BUILTIN)
async def test_the_services_do_what_the_explanation_says_of_each_member_state(
    ctx: Context, preset: str
) -> None:
    who, motion = await _setting(ctx, preset)
    policy = load_policy(preset)
    said = "\n".join(explain(policy, BodyFacts("toc", "Committee", "committee")))
    claims = state_claims(policy)
    assert {c.action for c in claims} >= {
        "vote",
        "stand",
        "nominate",
        "propose",
        "join",
        "chair",
        "administer",
    }
    for claim in claims:
        # the explanation renders exactly these claims
        line = next(ln for ln in said.splitlines() if ln.strip().startswith(f"{claim.state}:"))
        assert ("may do nothing" not in line) == any(c.allowed for c in claims if c.state == claim.state)
        for attempt in _tries(ctx, preset, who, motion, claim.state)[claim.action]:
            where = f"{preset}: {claim.state} {claim.action}"
            if claim.allowed:
                await attempt()
            else:
                with pytest.raises(Forbidden) as refused:
                    await attempt()
                assert refused.value.rule == "member-state", where


@pytest.mark.parametrize("preset", [*BUILTIN, "docs/examples/my_policy.py"])
def test_each_preset_answers_as_its_explanation_claims(preset: str) -> None:
    assert check_claims(load_policy(preset)) == []
