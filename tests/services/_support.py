"""Helpers shared by the roster, bodies and outbox tests: a small roster, table snapshots, audit reads."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, text

from bot.present.notices import render_pending
from bot.present.syntax import Platform
from governance.models import AuditEvent, OutboxMessage, metadata
from governance.services import roster
from governance.services.common import Actor, Context

SYSTEM = Actor.system("setup")


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


async def snapshot(ctx: Context) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, ordered, so a test can check that a refused command changed nothing.

    Leaves out ``seen_requests``: the adapters remember every request they receive there (replay
    protection), refused or not; it records deliveries, not the state a command changes.
    """
    out: dict[str, list[tuple[Any, ...]]] = {}
    async with ctx.db.reading() as session:
        for table in metadata.sorted_tables:
            if table.name == "seen_requests":
                continue
            rows = (await session.execute(select(table))).all()
            out[table.name] = sorted((tuple(r) for r in rows), key=repr)
    return out


async def events(ctx: Context, stream: str | None = None) -> list[AuditEvent]:
    """Audit events (of one stream, or all) in append order."""
    async with ctx.db.reading() as session:
        stmt = select(AuditEvent).order_by(AuditEvent.id)  # type: ignore[arg-type]
        if stream is not None:
            stmt = stmt.where(AuditEvent.stream == stream)  # type: ignore[arg-type]
        return list((await session.execute(stmt)).scalars())


async def outbox_rows(ctx: Context) -> list[OutboxMessage]:
    """Every outbox message in order."""
    async with ctx.db.reading() as session:
        return list((await session.execute(select(OutboxMessage).order_by(OutboxMessage.id))).scalars())  # type: ignore[arg-type]


def notice_text(message: OutboxMessage, locale: str = "en", platform: Platform = "console") -> str:
    """An outbox notice as its reader gets it (``bot/present``): the row holds a kind and parameters,
    the sentence is written at delivery."""
    return render_pending(message, locale=locale, platform=platform).text


async def execute(ctx: Context, sql: str, **params: Any) -> None:
    """Raw SQL behind the services' back (to tamper with the log, as an intruder would)."""
    async with ctx.db.transaction() as session:
        await session.execute(text(sql), params)
