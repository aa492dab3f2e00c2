"""Look-ups that answer only what the asker may see (type-ahead, suggestions).

A platform's autocomplete runs before any command, for anyone who can type: it must not hand the roster,
or the titles of elections still being drafted, to people every command would refuse. Adapters resolve
the asker first (nobody for an unlinked account, a direct message or another workspace) and ask here.
"""

from __future__ import annotations

from governance.models import Body, Election
from governance.services import elections
from governance.services.common import Actor, Context, actor_facts, body_facts


async def elections_for(ctx: Context, actor: Actor) -> list[tuple[Election, Body]]:
    """Every election but drafts, and the drafts of bodies whose elections ``actor`` may run (the
    policy's ``may_run_elections``), newest first.

    Why: a draft's title and timing are the secretariat's work in progress, not yet announced.
    """
    rows = await elections.list_elections(ctx)
    drafts = {b.id: b for e, b in rows if e.phase == "draft"}
    runs: set[int | None] = set()
    if drafts:
        async with ctx.db.reading() as session:
            for body_id, body in drafts.items():
                policy = ctx.policy_for(body)
                if (
                    policy.may_run_elections(await actor_facts(session, actor, body), body_facts(body))
                    is None
                ):
                    runs.add(body_id)
    return [(e, b) for e, b in rows if e.phase != "draft" or b.id in runs]
