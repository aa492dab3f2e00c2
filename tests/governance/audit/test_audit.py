"""The audit chain on both backends: every use case leaves its event in its own transaction, chains
verify, and any edit, deletion, insertion or swap made behind govbot's back is found at the right event."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from governance import audit
from governance.errors import Forbidden, InvalidInput
from governance.models import AuditEvent
from governance.services import bodies, roster
from governance.services.common import Actor, Context, notify
from tests.factories import events, execute, small_roster


@pytest.fixture
async def who(ctx: Context) -> dict[str, Actor]:
    return await small_roster(ctx)


async def check(ctx: Context, stream: str) -> audit.ChainCheck:
    async with ctx.db.reading() as session:
        return await audit.verify_stream(session, stream)


async def ten_events(ctx: Context, who: dict[str, Actor]) -> list[AuditEvent]:
    """The roster stream after setup (7 events) and three more changes: ten events in all."""
    await roster.update_person(ctx, who["sec"], "alice", name="Alice B. Martin")
    await roster.set_voting_rep(ctx, who["sec"], "acme", "alice")
    await roster.link_identity(ctx, who["sec"], "bea", "slack", "T1", "U1")
    stored = await events(ctx, "roster")
    assert [e.seq for e in stored] == list(range(1, 11))
    return stored


async def test_every_use_case_leaves_its_event(ctx: Context, who: dict[str, Actor]) -> None:
    sec = who["sec"]
    await roster.add_organisation(ctx, sec, "initech", "Initech")
    await roster.update_organisation(ctx, sec, "initech", tier="academic")
    await roster.add_person(ctx, sec, "zed", "Zed", organisation="initech")
    await roster.update_person(ctx, sec, "zed", email="zed@example.org")
    await roster.set_voting_rep(ctx, sec, "initech", "zed")
    await roster.link_identity(ctx, sec, "zed", "discord", "G1", "42")
    await roster.unlink_identity(ctx, sec, "discord", "G1", "42")
    await roster.import_roster_csv(ctx, sec, "handle,name\nyan,Yan Liu\n")
    await bodies.create_body(ctx, sec, "safety", "Safety WG", "wg", chairs=["alice"])
    await bodies.request_join(ctx, who["bea"], "safety")
    await bodies.decide_join(ctx, who["alice"], "safety", "bea", approve=True)
    await bodies.request_join(ctx, who["arjun"], "safety")
    await bodies.decide_join(ctx, who["alice"], "safety", "arjun", approve=False)
    await bodies.seat(ctx, sec, "safety", "zed", "co-chair")
    await bodies.remove_member(ctx, who["alice"], "safety", "bea")
    await bodies.leave(
        ctx, who["zed"] if "zed" in who else await roster.actor_for_handle(ctx, "zed"), "safety"
    )
    roster_events = [(e.kind, e.subject, e.actor) for e in await events(ctx, "roster")][7:]
    assert roster_events == [
        ("organisation.added", "initech", "person:sec"),
        ("organisation.updated", "initech", "person:sec"),
        ("person.added", "zed", "person:sec"),
        ("person.updated", "zed", "person:sec"),
        ("organisation.voting_rep", "initech", "person:sec"),
        ("identity.linked", "zed", "person:sec"),
        ("identity.unlinked", "zed", "person:sec"),
        ("person.added", "yan", "person:sec"),
    ]
    body_events = [(e.kind, e.subject, e.actor) for e in await events(ctx, "body:safety")]
    assert body_events == [
        ("body.created", "safety", "person:sec"),
        ("membership.requested", "bea", "person:bea"),
        ("membership.approved", "bea", "person:alice"),
        ("membership.requested", "arjun", "person:arjun"),
        ("membership.denied", "arjun", "person:alice"),
        ("membership.seated", "zed", "person:sec"),
        ("membership.removed", "bea", "person:alice"),
        ("membership.left", "zed", "person:zed"),
    ]
    assert all(e.at == ctx.now() for e in await events(ctx))
    for stream in ("roster", "body:safety"):
        result = await check(ctx, stream)
        assert result.ok and result.problem is None and result.broken_seq is None
    assert (await check(ctx, "roster")).events == 15


async def test_refused_or_crashed_commands_leave_no_event(
    ctx: Context, who: dict[str, Actor], monkeypatch: pytest.MonkeyPatch
) -> None:
    await bodies.create_body(ctx, who["sec"], "safety", "Safety WG", "wg", chairs=["alice"])
    roster_before, body_before = await events(ctx, "roster"), await events(ctx, "body:safety")
    head_before = (await check(ctx, "roster")).head
    with pytest.raises(Forbidden) as refusal:
        await roster.add_person(ctx, who["alice"], "zed", "Zed")
    assert refusal.value.rule == "secretariat-only"
    with pytest.raises(InvalidInput):
        await roster.import_roster_csv(ctx, who["sec"], "handle,name\nok,Ok\nBAD HANDLE,x\n")

    def crash(*args: Any, **kwargs: Any) -> None:
        notify(*args, **kwargs)
        raise RuntimeError("crash after the event was appended")

    monkeypatch.setattr(bodies, "notify", crash)
    with pytest.raises(RuntimeError):
        await bodies.request_join(ctx, who["bea"], "safety")  # its event was appended, then rolled back
    assert [e.hash for e in await events(ctx, "roster")] == [e.hash for e in roster_before]
    assert [e.hash for e in await events(ctx, "body:safety")] == [e.hash for e in body_before]
    after = await check(ctx, "roster")
    assert after.ok and after.head == head_before
    monkeypatch.undo()
    await bodies.request_join(ctx, who["bea"], "safety")  # the next event continues the chain at seq 2
    assert [e.seq for e in await events(ctx, "body:safety")] == [1, 2]
    assert (await check(ctx, "body:safety")).ok


async def test_concurrent_appends_keep_one_chain(ctx: Context, who: dict[str, Actor]) -> None:
    await asyncio.gather(*(roster.add_person(ctx, who["sec"], f"p{i}", f"Person {i}") for i in range(20)))
    stored = await events(ctx, "roster")
    assert sorted(e.seq for e in stored) == list(range(1, 28))
    result = await check(ctx, "roster")
    assert result.ok and result.events == 27


EDITS = [
    ("payload", '{"person":"mallory"}'),
    ("actor", "person:mallory"),
    ("kind", "person.removed"),
    ("subject", "mallory"),
    ("at", None),
]


async def test_editing_an_event_is_found_at_that_event(ctx: Context, who: dict[str, Actor]) -> None:
    stored = await ten_events(ctx, who)
    target = stored[8]  # the voting-rep event, seq 9
    for column, value in EDITS:
        original = getattr(target, column)
        if column == "at":
            edited: Any = (target.at + timedelta(seconds=1)).replace(tzinfo=None)
            original = original.replace(tzinfo=None)
        else:
            edited = value
        await execute(ctx, f"UPDATE audit_events SET {column} = :v WHERE id = :id", v=edited, id=target.id)
        result = await check(ctx, "roster")
        assert not result.ok, column
        assert result.broken_seq == 9 and "edited" in (result.problem or ""), column
        await execute(ctx, f"UPDATE audit_events SET {column} = :v WHERE id = :id", v=original, id=target.id)
        assert (await check(ctx, "roster")).ok, column


async def test_rehashing_an_edited_event_breaks_the_next(ctx: Context, who: dict[str, Actor]) -> None:
    stored = await ten_events(ctx, who)
    e = stored[4]
    forged = audit.event_hash(
        e.prev_hash, e.stream, e.seq, e.at, e.actor, e.kind, e.subject, '{"forged":true}'
    )
    await execute(
        ctx,
        "UPDATE audit_events SET payload = :p, hash = :h WHERE id = :id",
        p='{"forged":true}',
        h=forged,
        id=e.id,
    )
    result = await check(ctx, "roster")
    assert (result.ok, result.broken_seq) == (False, 6)
    assert "previous-hash" in (result.problem or "")


async def test_deleting_an_event_is_found(ctx: Context, who: dict[str, Actor]) -> None:
    stored = await ten_events(ctx, who)
    await execute(ctx, "DELETE FROM audit_events WHERE id = :id", id=stored[3].id)
    result = await check(ctx, "roster")
    assert (result.ok, result.broken_seq) == (False, 4)
    assert "expected event 4, found 5" in (result.problem or "")


async def test_deleting_the_last_event_is_found(ctx: Context, who: dict[str, Actor]) -> None:
    stored = await ten_events(ctx, who)
    await execute(ctx, "DELETE FROM audit_events WHERE id = :id", id=stored[-1].id)
    result = await check(ctx, "roster")
    assert (result.ok, result.broken_seq, result.events) == (False, 10, 9)
    assert "missing after the last one" in (result.problem or "")


async def test_appending_a_forged_event_is_found(ctx: Context, who: dict[str, Actor]) -> None:
    stored = await ten_events(ctx, who)
    last = stored[-1]
    at = last.at
    digest = audit.event_hash(last.hash, "roster", 11, at, "person:sec", "person.added", "mallory", "{}")
    await execute(
        ctx,
        "INSERT INTO audit_events (stream, seq, at, actor, kind, subject, payload, prev_hash, hash) "
        "VALUES ('roster', 11, :at, 'person:sec', 'person.added', 'mallory', '{}', :prev, :hash)",
        at=at.replace(tzinfo=None),
        prev=last.hash,
        hash=digest,
    )
    result = await check(ctx, "roster")
    assert (result.ok, result.broken_seq) == (False, 11)
    assert "after the recorded head (event 10)" in (result.problem or "")


async def test_inserting_an_event_in_the_middle_is_found(ctx: Context, who: dict[str, Actor]) -> None:
    stored = await ten_events(ctx, who)
    # make room at seq 5 (in two steps: the (stream, seq) constraint is checked row by row)
    await execute(ctx, "UPDATE audit_events SET seq = seq + 1000 WHERE stream = 'roster' AND seq >= 5")
    await execute(ctx, "UPDATE audit_events SET seq = seq - 999 WHERE stream = 'roster' AND seq >= 1000")
    prev = stored[3]
    digest = audit.event_hash(prev.hash, "roster", 5, prev.at, "person:sec", "person.added", "mallory", "{}")
    await execute(
        ctx,
        "INSERT INTO audit_events (stream, seq, at, actor, kind, subject, payload, prev_hash, hash) "
        "VALUES ('roster', 5, :at, 'person:sec', 'person.added', 'mallory', '{}', :prev, :hash)",
        at=prev.at.replace(tzinfo=None),
        prev=prev.hash,
        hash=digest,
    )
    result = await check(ctx, "roster")
    # the forged event itself is well formed; the event after it no longer follows from it
    assert (result.ok, result.broken_seq) == (False, 6)


async def test_swapping_two_events_is_found(ctx: Context, who: dict[str, Actor]) -> None:
    stored = await ten_events(ctx, who)
    a, b = stored[5], stored[6]
    await execute(ctx, "UPDATE audit_events SET seq = -1 WHERE id = :id", id=a.id)
    await execute(ctx, "UPDATE audit_events SET seq = :s WHERE id = :id", s=a.seq, id=b.id)
    await execute(ctx, "UPDATE audit_events SET seq = :s WHERE id = :id", s=b.seq, id=a.id)
    result = await check(ctx, "roster")
    assert (result.ok, result.broken_seq) == (False, 6)


async def test_an_export_verifies_without_the_database(ctx: Context, who: dict[str, Actor]) -> None:
    stored = await ten_events(ctx, who)
    head = (await check(ctx, "roster")).head
    assert audit.verify_chain("roster", stored, head).ok
    assert not audit.verify_chain("roster", stored[:-1], head).ok
    assert not audit.verify_chain("body:x", stored, head).ok  # events of another stream
    assert audit.verify_chain("roster", [], None).ok


async def test_times_in_any_zone_hash_as_they_read_back(ctx: Context) -> None:
    paris = timezone(timedelta(hours=2))
    when = datetime(2026, 6, 1, 14, 30, 15, 123456, tzinfo=paris)
    async with ctx.db.transaction() as session:
        event = await audit.append(
            session, stream="test", actor="x", kind="k", subject="s", payload={"é": 1}, at=when
        )
        assert event.at == when.astimezone(UTC)
    result = await check(ctx, "test")
    assert result.ok and result.events == 1
    with pytest.raises(ValueError, match="timezone-aware"):
        async with ctx.db.transaction() as session:
            await audit.append(
                session, stream="test", actor="x", kind="k", subject="s", payload={}, at=datetime(2026, 1, 1)
            )
