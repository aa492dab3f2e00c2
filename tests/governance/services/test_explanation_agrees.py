"""Issue 20, "Explanations and behaviour agree": for every preset, each claim of `policy <body>` about a
member state (may or may not vote, stand, nominate, propose, join, chair, administer) is what the services
do to a person in that state; and the same claims hold for the module's own answers (`policy check`)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import timedelta

import pytest

from governance.errors import Forbidden
from governance.i18n import _
from governance.policies import BUILTIN, load_policy
from governance.policies.base import ACTION_WORDS, STATES, BodyFacts
from governance.policies.claims import (
    check_bound_claims,
    check_claims,
    election_period_claim,
    motion_period_claim,
    state_claims,
)
from governance.policies.explain import electorate_sentences, explain
from governance.services import bodies, elections, motions, roster
from governance.services.bounds import duration_words
from governance.services.common import Actor, Context
from tests.factories import SYSTEM, small_roster, snapshot

Try = Callable[[], Awaitable[object]]


async def _setting(ctx: Context, preset: str) -> tuple[dict[str, Actor], int]:
    """Under ``preset``: a committee (toc) with an election taking nominations and one open for voting,
    a motion, a working group; per state a member of toc and an admin put in that state on the roster,
    and a member of toc put in that state in toc (``b-<state>``)."""
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
        await roster.add_organisation(ctx, SYSTEM, f"p-{state}", f"Other org {state}")
        await roster.add_person(ctx, SYSTEM, f"b-{state}", f"In-body {state}", organisation=f"p-{state}")
        await roster.add_person(ctx, SYSTEM, f"k-{state}", f"Other nominee {state}")
        await bodies.seat(ctx, SYSTEM, "toc", f"b-{state}")
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
            await bodies.set_state(ctx, SYSTEM, "toc", f"b-{state}", state)
    for handle in [f"{p}-{s}" for p in "mab" for s in STATES]:
        who[handle] = await roster.actor_for_handle(ctx, handle)
    assert motion.id is not None
    return who, motion.id


def _tries(ctx: Context, preset: str, who: dict[str, Actor], motion: int, state: str) -> dict[str, list[Try]]:
    """Each action, tried through the services by the people in ``state``: on the roster (``m-``, and the
    admin ``a-`` for administering) and, for what is done in the committee, in the committee (``b-``)."""
    me, in_body, admin = who[f"m-{state}"], who[f"b-{state}"], who[f"a-{state}"]
    toc = BodyFacts("toc", "Committee", "committee")
    self_nominates = load_policy(preset).election_rules(toc).self_nomination

    def nominate(person: Actor, other: str) -> Try:
        return lambda: elections.nominate(ctx, person, "e-nominate", None if self_nominates else other)

    return {
        "vote": [
            *(lambda p=p: elections.cast_ballot(ctx, p, "e-vote", ["alice"]) for p in (me, in_body)),
            *(lambda p=p: motions.vote(ctx, p, motion, "yes") for p in (me, in_body)),
        ],
        "stand": [
            lambda p=p: elections.nominate(ctx, who["sec"], "e-stand", p.handle) for p in (me, in_body)
        ],
        "nominate": [nominate(me, f"n-{state}"), nominate(in_body, f"k-{state}")],
        "propose": [
            lambda p=p: motions.propose(ctx, p, "toc", f"A motion by {p.handle}") for p in (me, in_body)
        ],
        "join": [lambda: bodies.request_join(ctx, me, "wg")],
        "chair": [lambda: bodies.seat(ctx, SYSTEM, "wg", me.handle, "chair")],
        "administer": [
            lambda: roster.add_organisation(ctx, admin, f"org-{state}", f"New org {state}"),
            lambda: elections.create_election(ctx, admin, "toc", f"x-{state}"),
            lambda: bodies.create_body(ctx, admin, f"body-{state}", "Body", "committee", policy=preset),
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
    for state in STATES:  # the explanation renders exactly these claims
        allowed = [_(ACTION_WORDS[c.action]) for c in claims if c.state == state and c.allowed]
        rendered = f"  {state}: may {', '.join(allowed)}." if allowed else f"  {state}: may do nothing."
        assert rendered in said.splitlines()
    for claim in claims:
        for attempt in _tries(ctx, preset, who, motion, claim.state)[claim.action]:
            where = f"{preset}: {claim.state} {claim.action}"
            try:
                await attempt()
            except Forbidden as refused:
                assert not claim.allowed, f"{where}: refused ({refused.rule}), yet the explanation says may"
                assert refused.rule == "member-state", where
            else:
                assert claim.allowed, f"{where}: allowed, yet the explanation says may not"


@pytest.mark.parametrize("preset", [*BUILTIN, "docs/examples/my_policy.py"])
def test_each_preset_answers_as_its_explanation_claims(preset: str) -> None:
    assert check_claims(load_policy(preset)) == []


@pytest.mark.parametrize("preset", [*BUILTIN, "docs/examples/my_policy.py"])
def test_each_preset_allows_exactly_the_per_poll_choices_its_explanation_claims(preset: str) -> None:
    assert check_bound_claims(load_policy(preset)) == []


@pytest.mark.parametrize("preset", BUILTIN)
async def test_the_voting_period_the_explanation_claims_is_what_the_services_enforce(
    ctx: Context, preset: str
) -> None:
    """ "A voting deadline may be chosen at least N after voting opens": an hour less is refused with rule
    bounds.voting-period and nothing written; exactly N is accepted (for elections and motions alike)."""
    who = await small_roster(ctx)
    await bodies.create_body(ctx, SYSTEM, "toc", "Committee", "committee", policy=preset)
    await bodies.seat(ctx, SYSTEM, "toc", "alice")
    await bodies.seat(ctx, SYSTEM, "toc", "bea")
    policy = load_policy(preset)
    toc = BodyFacts("toc", "Committee", "committee")
    said = explain(policy, toc)
    rules = policy.election_rules(toc)
    claim = election_period_claim(rules)
    assert (
        "  "
        + (
            _(
                "A voting deadline may be chosen at least {least} after voting opens.",
                least=duration_words(claim.least),
            )
            if claim.most is None
            else _(
                "Voting always closes {least} after it opens; no other deadline may be chosen.",
                least=duration_words(claim.least),
            )
            if claim.most == claim.least
            else _(
                "A voting deadline may be chosen from {least} to {most} after voting opens.",
                least=duration_words(claim.least),
                most=duration_words(claim.most),
            )
        )
        in said
    )
    await elections.create_election(ctx, who["sec"], "toc", "e1")
    await elections.open_nominations(ctx, who["sec"], "e1")
    await elections.nominate(ctx, who["sec"], "e1", "alice")
    await elections.respond(ctx, who["alice"], "e1", accept=True)
    before = await snapshot(ctx)
    hour = timedelta(hours=1)
    tries = [claim.least - hour] + ([claim.most + hour] if claim.most else [])
    for period in tries:
        with pytest.raises(Forbidden) as refused:
            await elections.open_voting(ctx, who["sec"], "e1", ctx.now() + period)
        assert refused.value.rule == "bounds.voting-period", (preset, period)
        assert await snapshot(ctx) == before
    await elections.open_voting(ctx, who["sec"], "e1", ctx.now() + claim.least)
    for kind in ("ordinary", "charter"):
        motion_claim = motion_period_claim(policy.motion_rules(toc, kind))
        before = await snapshot(ctx)
        with pytest.raises(Forbidden) as refused:
            await motions.propose(
                ctx,
                who["alice"],
                "toc",
                "Too short",
                kind=kind,
                deadline=ctx.now() + motion_claim.least - hour,
            )
        assert refused.value.rule == "bounds.voting-period", (preset, kind)
        assert await snapshot(ctx) == before
        await motions.propose(
            ctx, who["alice"], "toc", "Long enough", kind=kind, deadline=ctx.now() + motion_claim.least
        )


def test_the_explanation_states_the_cutoff_the_exceptions_and_the_monitors() -> None:
    policy = load_policy("docs/examples/my_policy.py")
    rules = policy.election_rules(BodyFacts("board", "Board", "board"))
    assert rules.electorate_cutoff and rules.exceptions_due
    said = explain(policy, BodyFacts("board", "Board", "board"))
    assert "  An admin may count an election by another method instead: approval." in said
    assert "  An admin may choose from 1 to 3 seats per election." in said
    assert "  A voting deadline may be chosen from 7 days to 21 days after voting opens." in said
    assert (
        "  Who may vote is fixed 14 days before voting opens and listed from then (`election voters`)."
        in said
    )
    assert (
        "  A person left out may ask for an exception (`election exception`) until 3 days before voting "
        "closes; the secretariat grants or denies it with a reason."
    ) in said
    assert not [line for line in said if "co-signature" in line]  # the example asks for none
    assert electorate_sentences(replace(rules, monitor_signatures=2))[-1] == (
        "Certifying needs 2 election monitors' co-signatures of the close's signed checkpoint."
    )
    assert (
        "  It is voted by roll call (every vote is public), unless the proposer asks for a secret ballot."
        in said
    )
    assert (
        "  An ordinary motion: a deadline may be chosen from 3 days to 14 days after it is proposed." in said
    )
