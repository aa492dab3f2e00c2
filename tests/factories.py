"""The one place tests build their data and act as someone: rosters, committees, elections run to a
given point, audit bundles, table snapshots and reads, and the test database server's administration.

Test modules import helpers from here (and the platform fakes from ``tests.fakes``), never from another
test module or a conftest; the core's tests (``tests/governance``) import this module too, so it imports
nothing of ``bot`` (speaking through the bot's commands is ``tests.fakes.console``).
``tests/test_architecture.py`` checks both.
"""

from __future__ import annotations

import json
import logging
import os
import re
import string
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from sqlalchemy import select, text
from sqlalchemy.engine import make_url

from governance import audit, export, notices, seed, tally
from governance.clock import ManualClock
from governance.errors import GovError
from governance.models import AuditEvent, OutboxMessage, Person, ScheduledTask, metadata
from governance.services import bodies, elections, motions, roster
from governance.services.common import Actor, Context

ROOT = Path(__file__).resolve().parent.parent
"""The repository's root."""

SERVICES = ROOT / "tests" / "governance" / "services"
# The alliance fixes each body's counting method: elections counted otherwise run under this test charter.
ANY_METHOD = str(SERVICES / "any_method.py")
# A charter whose committees let a proposer ask for a secret ballot (the alliance's vote by roll call).
SECRET_ON_REQUEST = str(SERVICES / "secret_on_request.py")

SYSTEM = Actor.system("setup")
"""The system actor tests set things up as."""

VOTING_REPS = {"alice", "bea", "carlos", "dana", "emma"}  # the board's electorate in the sample alliance
TOC = ["alice", "bea", "chen", "dana"]  # alice chairs; bea, chen and dana are members: 4 seated


# ------------------------------------------------------------------------------- the test database


PG_URL = os.environ.get("GOVBOT_TEST_PG_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")
"""The PostgreSQL server the tests use (its maintenance database: each session creates its own)."""


def _plain(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def pg_admin(sql: str) -> None:
    """Run one statement on the test server's maintenance database (create or drop a database)."""
    conn = await asyncpg.connect(_plain(PG_URL), timeout=5)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


# ------------------------------------------------------------------------------------ people and bodies


async def as_(ctx: Context, handle: str) -> Actor:
    """The actor for a roster handle."""
    return await roster.actor_for_handle(ctx, handle)


async def small_roster(ctx: Context) -> dict[str, Actor]:
    """Two organisations, an admin (sec) and four people; returns their actors by handle."""
    await roster.add_organisation(ctx, SYSTEM, "acme", "Acme AI", "premier")
    await roster.add_organisation(ctx, SYSTEM, "globex", "Globex Research")
    await roster.add_person(ctx, SYSTEM, "sec", "Sam Secretariat", admin=True)
    await roster.add_person(ctx, SYSTEM, "alice", "Alice Martin", organisation="acme")
    await roster.add_person(ctx, SYSTEM, "arjun", "Arjun Rao", organisation="acme")
    await roster.add_person(ctx, SYSTEM, "bea", "Béatrice Dubois", organisation="globex")
    await roster.add_person(ctx, SYSTEM, "nobody", "No Body")
    return {h: await roster.actor_for_handle(ctx, h) for h in ("sec", "alice", "arjun", "bea", "nobody")}


async def committee(ctx: Context, slug: str, handles: list[str], *, policy: str | None = None) -> None:
    """A committee whose members are ``handles`` (people of the seeded alliance or new ones)."""
    await bodies.create_body(ctx, SYSTEM, slug, f"Committee {slug}", "committee", policy=policy)
    for handle in handles:
        await bodies.seat(ctx, SYSTEM, slug, handle)


async def secret_toc(ctx: Context) -> str:
    """The sample alliance and a committee seated like its TOC (alice chairs; bea, chen and dana) whose
    policy lets a proposer ask for a secret ballot, which the alliance's roll-call committees do not."""
    await seed.seed(ctx)
    await bodies.create_body(
        ctx,
        SYSTEM,
        "stoc",
        "Secret-ballot committee",
        "committee",
        chairs=["alice"],
        policy=SECRET_ON_REQUEST,
    )
    for handle in TOC[1:]:
        await bodies.seat(ctx, SYSTEM, "stoc", handle)
    return "stoc"


def write_policy(tmp_path: Path, name: str, election_rules: str) -> str:
    """A policy module (file) that is the alliance charter except for ``election_rules``."""
    path = tmp_path / f"{name}.py"
    path.write_text(
        "from governance.policies.alliance import *  # noqa: F403\n"
        "from governance.policies.base import ElectionRules\n"
        f"NAME = {name!r}\nVERSION = '0.1'\n"
        "def election_rules(body):\n"
        f"    return {election_rules}\n"
    )
    return str(path)


# ------------------------------------------------------------------------------- elections and motions


async def board_election(ctx: Context, clock: ManualClock, *, voting: bool = True) -> None:
    """The sample alliance; board-2027 with 5 self-nominated candidates, voting open 7 days."""
    await seed.seed(ctx)
    if voting:
        await elections.open_voting(ctx, SYSTEM, "board-2027", clock.now() + timedelta(days=7))


async def board_voting(ctx: Context, clock: ManualClock, days: int = 7) -> datetime:
    """The sample alliance with board-2027 voting open for ``days``; returns the voting deadline."""
    await seed.seed(ctx)
    deadline = clock.now() + timedelta(days=days)
    await elections.open_voting(ctx, SYSTEM, "board-2027", deadline)
    return deadline


FOLDER = "election-board-2027"
"""The board election's folder in an audit bundle."""

RANKINGS = {
    "alice": ["chen", "arjun"],
    "bea": ["farid"],
    "carlos": ["chen", "dana"],
    "dana": ["dana", "emma"],
    "emma": ["emma", "dana", "arjun"],
}
"""The voting representatives' ballots in ``run_election`` (alice replaces hers afterwards)."""


async def run_election(ctx: Context, clock: ManualClock) -> dict[str, str]:
    """A secret board election run through the services: five voters, one replacement, closed."""
    await seed.seed(ctx)
    await elections.open_voting(ctx, SYSTEM, "board-2027", clock.now() + timedelta(days=7))
    receipts_ = {}
    for handle, ranking in RANKINGS.items():
        receipts_[handle] = (
            await elections.cast_ballot(ctx, await as_(ctx, handle), "board-2027", ranking)
        ).receipt
    receipts_["alice-old"] = receipts_["alice"]
    receipts_["alice"] = (
        await elections.cast_ballot(ctx, await as_(ctx, "alice"), "board-2027", ["arjun", "chen"])
    ).receipt
    await elections.close(ctx, SYSTEM, "board-2027")
    return receipts_


async def bundle(ctx: Context, what: str = "board-2027") -> dict[str, bytes]:
    """The audit bundle of a poll (``board-2027``, ``M3``...), exported by the secretariat."""
    return await export.export_bundle(ctx, await as_(ctx, "sec"), export.parse_subject(what))


def resealed(
    files: dict[str, bytes], name: str, change: Callable[[list[bytes]], list[bytes]]
) -> dict[str, bytes]:
    """The bundle with one file's lines changed and a fresh manifest (as a careful forger would do)."""
    out = {k: v for k, v in files.items() if k != "manifest.json"}
    lines = [line for line in out[name].split(b"\n") if line]
    out[name] = b"\n".join(change(lines)) + b"\n"
    return export.with_manifest(out)


# Debian's leader election: 16 developers make Q = 2 and the quorum R = 3Q = 6.
MEMBERS = 16


async def dpl_secretary(ctx: Context) -> Actor:
    """The project secretary (an admin), for a roster that holds nobody else yet."""
    await roster.add_person(ctx, SYSTEM, "sec", "Sam Secretary", admin=True)
    return await roster.actor_for_handle(ctx, "sec")


async def dpl_members(ctx: Context, sec: Actor, body: str, policy: str, count: int) -> dict[str, Actor]:
    """A body under ``policy`` with ``count`` members dev01... (one vote each); their actors."""
    await bodies.create_body(ctx, sec, body, "Debian Project Leader", "board", policy=policy)
    who = {}
    for i in range(1, count + 1):
        handle = f"dev{i:02d}"
        if body == "dpl":
            await roster.add_person(ctx, SYSTEM, handle, f"Developer {i:02d}")
        await bodies.seat(ctx, SYSTEM, body, handle)
        who[handle] = await roster.actor_for_handle(ctx, handle)
    return who


async def dpl_election(
    ctx: Context, sec: Actor, body: str, slug: str, who: dict[str, Actor], standing: list[str]
) -> None:
    """An election to ``body`` with ``standing`` (handles) self-nominated, voting open."""
    await elections.create_election(ctx, sec, body, slug, title=f"Leader {slug}", seats=1)
    await elections.open_nominations(ctx, sec, slug)
    for handle in standing:
        await elections.nominate(ctx, who[handle], slug)
    await elections.open_voting(ctx, sec, slug)


async def cast_plan(
    ctx: Context, slug: str, who: dict[str, Actor], plan: list[tuple[int, list[str]]]
) -> None:
    """Cast ``count`` ballots of each ranking, by the members in order."""
    voters = iter(who.values())
    for count, ranking in plan:
        for _ in range(count):
            await elections.cast_ballot(ctx, next(voters), slug, ranking)


# The voting representatives' ballots in the seeded board election (3 seats, Meek STV, one seat per
# organisation): Chen Wei, Dana Kowalski and Emma Okafor are elected over five rounds, Arjun Rao is
# excluded as a sure loser and Farid Haddad is not elected.
BOARD_BALLOTS = {
    "alice": ["chen", "arjun", "dana"],
    "bea": ["farid", "emma", "dana"],
    "carlos": ["chen", "dana", "emma"],
    "dana": ["dana", "emma", "chen"],
    "emma": ["emma", "dana", "farid"],
}


@dataclass(frozen=True)
class Run:
    """What the seeded run produced: the board election's result and the two motions' results."""

    ctx: Context
    board: tally.Result
    roll_call: dict[str, object]
    roll_call_id: int
    charter: dict[str, object]
    charter_id: int


async def run_board_election(ctx: Context) -> tally.Result:
    """Open voting in the seeded board election, cast the representatives' ballots, close and certify."""
    sec = await as_(ctx, "sec")
    await elections.open_voting(ctx, sec, "board-2027", ctx.now() + timedelta(days=7))
    for handle, choices in BOARD_BALLOTS.items():
        await elections.cast_ballot(ctx, await as_(ctx, handle), "board-2027", choices)
    result = await elections.close(ctx, sec, "board-2027")
    await elections.certify(ctx, sec, "board-2027")
    return result


async def close_motion(ctx: Context, motion_id: int) -> dict[str, object]:
    """Close a motion unless its last vote already settled (and closed) it; its stored result."""
    view = await motions.show(ctx, motion_id)
    if view.motion.phase == "open":
        await motions.close(ctx, await as_(ctx, "sec"), motion_id)
        view = await motions.show(ctx, motion_id)
    assert view.result is not None
    return view.result


async def run_motions(ctx: Context) -> tuple[tuple[int, dict[str, object]], tuple[int, dict[str, object]]]:
    """Two roll-call motions before the TOC, voted and closed: an ordinary one and a charter change."""
    roll_call = await motions.propose(
        ctx, await as_(ctx, "alice"), "toc", "Adopt the model licence", "The OpenWeights licence 1.0."
    )
    for handle, choice in (("alice", "yes"), ("bea", "yes"), ("chen", "no"), ("dana", "abstain")):
        await motions.vote(ctx, await as_(ctx, handle), roll_call.id or 0, choice)
    charter = await motions.propose(
        ctx, await as_(ctx, "alice"), "toc", "Two-year terms for the TOC", kind="charter"
    )
    for handle, choice in (("alice", "yes"), ("bea", "no"), ("chen", "yes")):
        await motions.vote(ctx, await as_(ctx, handle), charter.id or 0, choice)
    return (
        (roll_call.id or 0, await close_motion(ctx, roll_call.id or 0)),
        (charter.id or 0, await close_motion(ctx, charter.id or 0)),
    )


# ------------------------------------------------------------------------------------ reading the state


async def snapshot(ctx: Context) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, ordered, so a test can check that a refused command changed nothing.

    Leaves out what the chat adapters note from every request they receive, refused or not:
    ``seen_requests`` (replay protection) and the language an account last used
    (``chat_identities.locale``). They record deliveries, not the state a command changes.
    """
    out: dict[str, list[tuple[Any, ...]]] = {}
    async with ctx.db.reading() as session:
        for table in metadata.sorted_tables:
            if table.name == "seen_requests":
                continue
            columns = [c for c in table.c if (table.name, c.name) != ("chat_identities", "locale")]
            rows = (await session.execute(select(*columns))).all()
            out[table.name] = sorted((tuple(r) for r in rows), key=repr)
    return out


async def refused(ctx: Context, error: type[GovError], match: str, attempt: Awaitable[Any]) -> GovError:
    """Await ``attempt``, expect ``error`` with a message matching ``match``, and check nothing changed."""
    before = await snapshot(ctx)
    with pytest.raises(error, match=match) as info:
        await attempt
    assert info.type is error, f"expected exactly {error.__name__}, got {info.type.__name__}"
    assert info.value.message.strip(), "every refusal says what was wrong"
    assert await snapshot(ctx) == before, "a refused command wrote something"
    return info.value


async def events(ctx: Context, stream: str | None = None) -> list[AuditEvent]:
    """Audit events (of one stream, or all) in append order, as stored (tampered with or not)."""
    async with ctx.db.reading() as session:
        stmt = select(AuditEvent).order_by(AuditEvent.id)  # type: ignore[arg-type]
        if stream is not None:
            stmt = stmt.where(AuditEvent.stream == stream)  # type: ignore[arg-type]
        return list((await session.execute(stmt)).scalars())


async def verified_events(ctx: Context, stream: str) -> list[AuditEvent]:
    """The audit events of a stream, checking the chain is intact."""
    async with ctx.db.reading() as s:
        assert (await audit.verify_stream(s, stream)).ok
        return await audit.stream_events(s, stream)


async def audit_kinds(ctx: Context, stream: str, kind: str) -> list[AuditEvent]:
    """Audit events of one kind in a stream."""
    async with ctx.db.reading() as session:
        stmt = select(AuditEvent).where(AuditEvent.stream == stream, AuditEvent.kind == kind)  # type: ignore[arg-type]
        return list((await session.execute(stmt.order_by(AuditEvent.id))).scalars())  # type: ignore[arg-type]


def notice_params(message: OutboxMessage) -> dict[str, Any]:
    """A stored notice's parameters as the presentation reads them (the row holds no sentence)."""
    assert message.text is None, "a notice is stored as its kind and parameters, never as prose"
    return notices.decode(message.kind, json.loads(message.payload or "{}"))


async def outbox_rows(ctx: Context) -> list[OutboxMessage]:
    """Every outbox message in order."""
    async with ctx.db.reading() as session:
        return list((await session.execute(select(OutboxMessage).order_by(OutboxMessage.id))).scalars())  # type: ignore[arg-type]


async def outbox(ctx: Context, kind: str) -> list[tuple[str | None, OutboxMessage]]:
    """Outbox rows of a kind with the handle of the person they go to (None for a channel post)."""
    async with ctx.db.reading() as session:
        rows = (
            await session.execute(
                select(OutboxMessage, Person.handle)
                .outerjoin(Person, Person.id == OutboxMessage.person_id)  # type: ignore[arg-type]
                .where(OutboxMessage.kind == kind)  # type: ignore[arg-type]
                .order_by(OutboxMessage.id)  # type: ignore[arg-type]
            )
        ).all()
        return [(handle, message) for message, handle in rows]


async def tasks(ctx: Context, subject: str | None = None) -> dict[str, ScheduledTask]:
    """Scheduled rows by key (of one subject, or all)."""
    async with ctx.db.reading() as session:
        stmt = select(ScheduledTask)
        if subject is not None:
            stmt = stmt.where(ScheduledTask.subject == subject)  # type: ignore[arg-type]
        return {t.key: t for t in (await session.execute(stmt)).scalars()}


async def execute(ctx: Context, sql: str, **params: Any) -> None:
    """Raw SQL behind the services' back (to tamper with the log, as an intruder would)."""
    async with ctx.db.transaction() as session:
        await session.execute(text(sql), params)


def secrets_in(records: list[logging.LogRecord], secrets: set[str]) -> list[str]:
    """The log lines (message and any traceback) that carry one of ``secrets``."""
    found = []
    for record in records:
        line = record.getMessage()
        if record.exc_info:
            line += logging.Formatter().formatException(record.exc_info)
        if any(secret in line for secret in secrets):
            found.append(f"{record.name}: {line[:300]}")
    return found


PERCENT_FIELD = re.compile(r"%\((\w+)\)s")


def placeholders(message: str) -> set[str]:
    """The named placeholders of a message: ``{name}`` in code, ``%(name)s`` in the site's templates."""
    braces = {name for _literal, name, _spec, _conv in string.Formatter().parse(message) if name}
    return braces | set(PERCENT_FIELD.findall(message))
