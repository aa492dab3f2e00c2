"""A small sample alliance so a newcomer can run an election a minute after cloning.

Five member organisations with their voting representatives, a secretariat admin (``sec``), the board,
a technical oversight committee, a working group, and a board election with nominations open.
Everything goes through the services, so the sample has its audit trail like real data.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlmodel import col

from governance import labels
from governance.i18n import _
from governance.models import Person
from governance.services import bodies, elections, roster
from governance.services.common import Actor, Context

ORGS = [
    ("acme", "Acme AI", "premier"),
    ("globex", "Globex Research", "general"),
    ("initech", "Initech Labs", "general"),
    ("univ-lyon", "Université de Lyon", "academic"),
    ("opendata", "Open Data Lab", "nonprofit"),
]
PEOPLE = [
    ("sec", "Sam Secretariat", None, True),
    ("alice", "Alice Martin", "acme", False),
    ("arjun", "Arjun Rao", "acme", False),
    ("bea", "Béatrice Dubois", "globex", False),
    ("farid", "Farid Haddad", "globex", False),
    ("carlos", "Carlos Silva", "initech", False),
    ("chen", "Chen Wei", "initech", False),
    ("dana", "Dana Kowalski", "univ-lyon", False),
    ("emma", "Emma Okafor", "opendata", False),
]
REPS = [
    ("acme", "alice"),
    ("globex", "bea"),
    ("initech", "carlos"),
    ("univ-lyon", "dana"),
    ("opendata", "emma"),
]


async def is_empty(ctx: Context) -> bool:
    """Whether the roster has nobody yet (the first start of a deployment)."""
    async with ctx.db.reading() as session:
        return (await session.execute(select(col(Person.id)).limit(1))).first() is None


async def seed(ctx: Context, *, sample_election: bool = True) -> list[str]:
    """Create the sample alliance; returns what it created, line by line.

    With ``sample_election=False`` the board election ``board-2027`` is left out: tests and operators
    who run their own board election seed without the sample one, since the board is staggered and
    the sample election would already take all its free seats.
    """
    system = Actor.system("seed")
    for slug, name, tier in ORGS:
        await roster.add_organisation(ctx, system, slug, name, tier)
    for handle, name, org, admin in PEOPLE:
        await roster.add_person(ctx, system, handle, name, organisation=org, admin=admin)
    for org, handle in REPS:
        await roster.set_voting_rep(ctx, system, org, handle)
    await bodies.create_body(
        ctx,
        system,
        "board",
        "Board of Directors",
        "board",
        charter_url="https://example.org/alliance/charter#board",
    )
    await bodies.create_body(
        ctx,
        system,
        "toc",
        "Technical Oversight Committee",
        "committee",
        charter_url="https://example.org/alliance/charter#toc",
        chairs=["alice"],
    )
    for handle in ("bea", "chen", "dana"):
        await bodies.seat(ctx, system, "toc", handle)
    await bodies.create_body(
        ctx,
        system,
        "safety",
        "AI Safety Working Group",
        "working_group",
        charter_url="https://example.org/alliance/wg/safety",
        chairs=["dana"],
    )
    summary = [
        _(
            "{orgs} organisations, {people} people (admin: sec; voting reps: {reps})",
            orgs=len(ORGS),
            people=len(PEOPLE),
            reps=", ".join(h for _o, h in REPS),
        ),
        _("bodies: board, toc (Technical Oversight Committee), safety (working group)"),
    ]
    if not sample_election:
        return summary
    await elections.create_election(ctx, system, "board", "board-2027", "Board of Directors 2027", seats=3)
    await elections.open_nominations(ctx, system, "board-2027")
    for handle in ("arjun", "farid", "chen", "dana", "emma"):
        await elections.nominate(ctx, await roster.actor_for_handle(ctx, handle), "board-2027")
    return [
        *summary,
        _(
            "election board-2027: 3 seats, {method}, at most one seat per organisation; nominations open, "
            "5 candidates (arjun, farid, chen, dana, emma)",
            method=labels.method_name("stv-meek"),
        ),
    ]
