"""The outbox: notifications written with the state change that caused them, delivered by the bot layer.

Delivery goes in batches (``Deliverer``, shared by the Slack and Discord adapters). A deliverer claims up
to a batch of due messages with one ``UPDATE ... RETURNING`` (``claim``: a lease, so several bot replicas
never pick the same message at once), sends them through the platform's ``send`` with bounded
concurrency (pausing every send when the platform answers "rate limited"), then marks every delivered
message with one ``UPDATE`` (``mark_sent_many``) and every failure in one transaction
(``mark_failed_many``: retried later with a growing delay). ``due`` only looks (a single deliverer, such
as the console).

What is guaranteed: a message is marked sent only after the platform accepted it, so none is lost (a
deliverer that dies leaves its claimed messages to come back when their lease ends), and a message
marked sent is never sent again. Where a duplicate can still happen, each time at most one batch:

* the process dies, or the database is unreachable, after the platform accepted some messages of a
  batch and before that batch's ``UPDATE``: they are sent again once their lease ends (a deliverer that
  survives remembers them, marks them on its next round and does not send them again);
* sending one batch takes longer than the lease (``DEFAULT_LEASE``, two minutes; a batch normally takes
  well under a second): another deliverer may claim and send the late part too.

Each message carries its id to the platform for it to de-duplicate on where it can (Discord's
``nonce``; Slack's message metadata names it).
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Generic, TypeVar

from sqlalchemy import or_, select, update
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import col

from governance.models import Body, ChatIdentity, OutboxMessage
from governance.services.common import Context

log = logging.getLogger(__name__)

MAX_BACKOFF = timedelta(hours=1)
DEFAULT_LEASE = timedelta(minutes=2)
DEFAULT_BATCH = 200
DEFAULT_CONCURRENCY = 16
RATE_LIMIT_TRIES = 5  # sends of one message in a round that the platform may answer "rate limited"
_CHUNK = 500  # ids per IN (...) list
_OUTBOX = OutboxMessage.__table__  # type: ignore[attr-defined]
_IDENTITIES = ChatIdentity.__table__  # type: ignore[attr-defined]
_COLUMNS = (
    _OUTBOX.c.id,
    _OUTBOX.c.kind,
    _OUTBOX.c.person_id,
    _OUTBOX.c.body_id,
    _OUTBOX.c.text,
    _OUTBOX.c.payload,
    _OUTBOX.c.attempts,
)

K = TypeVar("K")
V = TypeVar("V")
T = TypeVar("T")


@dataclass(frozen=True)
class Pending:
    """A message waiting for delivery."""

    id: int
    kind: str
    person_id: int | None
    body_id: int | None
    text: str | None  # only on rows queued by an older version; a notice is ``kind`` + ``payload``
    payload: str
    attempts: int


class Undeliverable(Exception):
    """A message has nowhere to go yet (an unlinked person, a body without a channel): it waits and is
    tried again later (the link or the channel may be set in the meantime)."""


class RateLimited(Exception):
    """The platform asked to slow down: every send of the round waits ``retry_after`` seconds, then the
    message is sent again (Slack's HTTP 429 with ``Retry-After``)."""

    def __init__(self, retry_after: float, detail: str = "rate limited") -> None:
        super().__init__(detail)
        self.retry_after = max(0.0, retry_after)


def _pending(m: OutboxMessage) -> Pending:
    assert m.id is not None
    return Pending(m.id, m.kind, m.person_id, m.body_id, m.text, m.payload, m.attempts)


def _is_due(ctx: Context) -> ColumnElement[bool]:
    return col(OutboxMessage.sent_at).is_(None) & or_(
        col(OutboxMessage.next_attempt_at).is_(None), col(OutboxMessage.next_attempt_at) <= ctx.now()
    )


def _chunks(ids: Iterable[int]) -> list[list[int]]:
    values = sorted(set(ids))
    return [values[i : i + _CHUNK] for i in range(0, len(values), _CHUNK)]


def backoff(attempts: int) -> timedelta:
    """How long to wait after the ``attempts``-th failed delivery: 2, 4, 8 … seconds, at most an hour."""
    return min(MAX_BACKOFF, timedelta(seconds=2 ** min(max(attempts, 1), 12)))


async def due(ctx: Context, limit: int = 100) -> list[Pending]:
    """Messages not yet sent whose next attempt is due, oldest first (a look; nothing is claimed)."""
    async with ctx.db.reading() as session:
        rows = (
            await session.execute(
                select(OutboxMessage).where(_is_due(ctx)).order_by(col(OutboxMessage.id)).limit(limit)
            )
        ).scalars()
        return [_pending(m) for m in rows]


async def claim(ctx: Context, limit: int = 100, lease: timedelta = DEFAULT_LEASE) -> list[Pending]:
    """Take up to ``limit`` due messages for delivery, oldest first: no other deliverer gets them until
    ``lease`` ends.

    One ``UPDATE ... WHERE id IN (due ones) RETURNING``: on PostgreSQL rows locked by a concurrent claim
    are skipped rather than waited for; on SQLite the write transaction already serialises claims.
    """
    now = ctx.now()
    free = _is_due(ctx)
    candidates = select(_OUTBOX.c.id).where(free).order_by(_OUTBOX.c.id).limit(limit)
    if not ctx.db.is_sqlite:
        candidates = candidates.with_for_update(skip_locked=True)
    stmt = (
        update(_OUTBOX)
        .where(_OUTBOX.c.id.in_(candidates.scalar_subquery()), free)
        .values(next_attempt_at=now + lease)
        .returning(*_COLUMNS)
    )
    async with ctx.db.transaction() as session:
        rows = (await session.execute(stmt)).all()
    return sorted((Pending(*row) for row in rows), key=lambda m: m.id)


async def mark_sent_many(ctx: Context, message_ids: Iterable[int]) -> set[int]:
    """Mark messages delivered, in one transaction (one ``UPDATE`` per 500 ids); returns the ids this
    call marked (not those another deliverer already had, so nothing is counted twice)."""
    marked: set[int] = set()
    chunks = _chunks(message_ids)
    if not chunks:
        return marked
    async with ctx.db.transaction() as session:
        for chunk in chunks:
            result = await session.execute(
                update(_OUTBOX)
                .where(_OUTBOX.c.id.in_(chunk), _OUTBOX.c.sent_at.is_(None))
                .values(sent_at=ctx.now(), attempts=_OUTBOX.c.attempts + 1, last_error=None)
                .returning(_OUTBOX.c.id)
            )
            marked.update(result.scalars())
    return marked


async def mark_sent(ctx: Context, message_id: int) -> bool:
    """Mark a message delivered; False when another deliverer already did (so it is not counted twice)."""
    return message_id in await mark_sent_many(ctx, [message_id])


async def mark_failed_many(ctx: Context, errors: Mapping[int, str]) -> set[int]:
    """Record failed deliveries (``{id: error}``) in one transaction, each next attempt after the
    exponential back-off of its attempts; returns the ids recorded (unknown or delivered ones are left
    alone)."""
    recorded: set[int] = set()
    if not errors:
        return recorded
    async with ctx.db.transaction() as session:
        for chunk in _chunks(errors):
            stmt = select(_OUTBOX.c.id, _OUTBOX.c.attempts).where(
                _OUTBOX.c.id.in_(chunk), _OUTBOX.c.sent_at.is_(None)
            )
            if not ctx.db.is_sqlite:
                stmt = stmt.with_for_update()
            for message_id, attempts in (await session.execute(stmt)).all():
                await session.execute(
                    update(_OUTBOX)
                    .where(_OUTBOX.c.id == message_id)
                    .values(
                        attempts=attempts + 1,
                        last_error=errors[message_id][:500],
                        next_attempt_at=ctx.now() + backoff(attempts + 1),
                    )
                )
                recorded.add(message_id)
    return recorded


async def mark_failed(ctx: Context, message_id: int, error: str) -> bool:
    """Record a failed delivery and schedule the next attempt with exponential back-off.

    Returns False (and changes nothing) when the message is unknown or was already delivered.
    """
    return message_id in await mark_failed_many(ctx, {message_id: error})


@dataclass(frozen=True)
class Reader:
    """A person's chat account on one platform, and the language it last used with govbot (None: not
    known yet, so the deployment's default)."""

    user_id: str
    locale: str | None = None


async def readers_of(
    ctx: Context, platform: str, person_ids: Iterable[int], workspace: str | None = None
) -> dict[int, Reader]:
    """The chat account linked to each person on ``platform`` (in ``workspace`` when given; the earliest
    link when a person has several) with its language, in one query; people without a link are left
    out. The deliverers' one identity query per batch: no platform call per message."""
    wanted = sorted(set(person_ids))
    if not wanted:
        return {}
    stmt = select(col(ChatIdentity.person_id), col(ChatIdentity.user_id), col(ChatIdentity.locale)).where(
        col(ChatIdentity.platform) == platform, col(ChatIdentity.person_id).in_(wanted)
    )
    if workspace:
        stmt = stmt.where(col(ChatIdentity.workspace) == workspace)
    async with ctx.db.reading() as session:
        rows = (await session.execute(stmt.order_by(col(ChatIdentity.id).desc()))).all()
    return {person_id: Reader(user_id, locale) for person_id, user_id, locale in rows}  # earliest last


async def body_channels(ctx: Context, body_ids: Iterable[int]) -> dict[int, tuple[str, str | None]]:
    """Each body's name and channel (None when it has none), in one query; unknown bodies are named
    ``body <id>`` with no channel."""
    wanted = sorted(set(body_ids))
    if not wanted:
        return {}
    async with ctx.db.reading() as session:
        rows = (
            await session.execute(
                select(col(Body.id), col(Body.name), col(Body.channel)).where(col(Body.id).in_(wanted))
            )
        ).all()
    found: dict[int, tuple[str, str | None]] = {i: (name, channel) for i, name, channel in rows if i}
    return {body_id: found.get(body_id, (f"body {body_id}", None)) for body_id in wanted}


async def remember_locale(
    ctx: Context, platform: str, workspace: str | None, user_id: str, locale: str
) -> bool:
    """Record the language a chat account just used (``locale``, a supported one), for its later DMs:
    kept in ``chat_identities``, so it survives restarts and every replica reads it. Writes only when it
    changed; True when a row was updated (False for an unlinked account or an unchanged language)."""
    stmt = (
        update(_IDENTITIES)
        .where(
            _IDENTITIES.c.platform == platform,
            _IDENTITIES.c.user_id == user_id,
            or_(_IDENTITIES.c.locale.is_(None), _IDENTITIES.c.locale != locale),
        )
        .values(locale=locale)
    )
    if workspace:
        stmt = stmt.where(_IDENTITIES.c.workspace == workspace)
    async with ctx.db.transaction() as session:
        result = await session.execute(stmt)
    return bool(getattr(result, "rowcount", 0))


class BoundedCache(Generic[K, V]):
    """A least-recently-used map of at most ``size`` entries (DM channels by user id, say): a hit costs
    nothing, and memory stays bounded however many people the alliance has."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[K, V] = OrderedDict()

    def __len__(self) -> int:
        return len(self._items)

    def get(self, key: K) -> V | None:
        """The cached value (now the most recently used), or None."""
        value = self._items.get(key)
        if value is not None:
            self._items.move_to_end(key)
        return value

    def put(self, key: K, value: V) -> None:
        """Cache a value, dropping the least recently used one when full."""
        self._items[key] = value
        self._items.move_to_end(key)
        while len(self._items) > self.size:
            self._items.popitem(last=False)

    def discard(self, key: K) -> None:
        """Forget a value (a cached DM channel the platform no longer knows)."""
        self._items.pop(key, None)

    def clear(self) -> None:
        """Forget every value."""
        self._items.clear()


@dataclass
class Batch(Generic[T]):
    """What sending one batch did, by message id: ``sent`` (delivered and marked by this deliverer, with
    what ``send`` returned), ``unmarked`` (delivered, the mark failed: marked next round), ``duplicates``
    (delivered, but another deliverer had marked it first), ``failed`` and ``waiting`` (not delivered,
    with the reason; retried after the back-off)."""

    sent: dict[int, T] = field(default_factory=dict)
    unmarked: dict[int, T] = field(default_factory=dict)
    duplicates: list[int] = field(default_factory=list)
    failed: dict[int, str] = field(default_factory=dict)
    waiting: dict[int, str] = field(default_factory=dict)


class _Pause:
    """One pause shared by every send of a deliverer: a "rate limited" answer holds them all."""

    def __init__(self, sleep: Callable[[float], Awaitable[object]]) -> None:
        self._sleep = sleep
        self._until = 0.0

    def hold(self, seconds: float) -> None:
        self._until = max(self._until, asyncio.get_running_loop().time() + seconds)

    async def wait(self) -> None:
        delay = self._until - asyncio.get_running_loop().time()
        if delay > 0:
            await self._sleep(delay)


def destination_of(message: Pending) -> Hashable:
    """Where a message goes, as far as the outbox knows: a person's DMs or a body's channel."""
    if message.person_id is not None:
        return ("person", message.person_id)
    return ("body", message.body_id)


def by_destination(
    messages: Iterable[Pending], destination: Callable[[Pending], Hashable]
) -> list[list[Pending]]:
    """``messages`` grouped by ``destination``, each group in id order (groups in order of their first id)."""
    groups: dict[Hashable, list[Pending]] = {}
    for message in sorted(messages, key=lambda m: m.id):
        groups.setdefault(destination(message), []).append(message)
    return list(groups.values())


def describe_error(exc: BaseException) -> str:
    """An exception as stored in ``last_error``: its type and message."""
    return f"{type(exc).__name__}: {exc}"


class Deliverer:
    """The platform-free half of outbox delivery: claim a batch, send it with bounded concurrency through
    a platform's ``send``, mark it in bulk, and remember what was delivered but could not be marked.

    ``sleep`` waits out a platform's "rate limited" answer (tests pass one that records the delay).
    One ``Deliverer`` serves one platform client; run rounds one at a time (the adapters hold a lock).
    """

    def __init__(
        self,
        ctx: Context,
        *,
        batch: int = DEFAULT_BATCH,
        concurrency: int = DEFAULT_CONCURRENCY,
        lease: timedelta = DEFAULT_LEASE,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
    ) -> None:
        self.ctx = ctx
        self.batch = batch
        self.concurrency = max(1, concurrency)
        self.lease = lease
        self.unmarked: set[int] = set()
        self._pause = _Pause(sleep)

    async def claim(self) -> list[Pending]:
        """Mark what earlier rounds delivered but could not mark, then claim the next batch (leaving out
        anything already delivered from here)."""
        if self.unmarked:
            try:
                await mark_sent_many(self.ctx, self.unmarked)
                self.unmarked.clear()
            except Exception:
                log.exception("outbox: %d delivered message(s) still cannot be marked", len(self.unmarked))
        messages = await claim(self.ctx, self.batch, self.lease)
        return [m for m in messages if m.id not in self.unmarked]

    async def send(
        self,
        messages: list[Pending],
        send: Callable[[Pending], Awaitable[T]],
        *,
        expected: tuple[type[Exception], ...] = (),
        describe: Callable[[Exception], str] = describe_error,
        destination: Callable[[Pending], Hashable] = destination_of,
    ) -> Batch[T]:
        """Send ``messages`` (at most ``concurrency`` at once) and mark them: delivered ones with one
        ``UPDATE``, failed ones in one transaction.

        Messages to one ``destination`` (a person's DMs, a channel) go one after another in id order, so a
        reader sees them in the order they were written ("proposed" before "closed early"); different
        destinations are sent concurrently. When one is not delivered, the later ones to the same
        destination are held back too (recorded as failed, retried with it), never sent ahead of it.

        ``send`` raises ``Undeliverable`` for a message with nowhere to go yet, ``RateLimited`` to pause
        every send and try the message again, an ``expected`` error (the platform's or the network's,
        logged briefly) or any other (logged with its trace) to fail that message alone: retried after
        its back-off. Whatever happens to the round (even its cancellation), what was delivered is
        marked and what was not stays pending.
        """
        outcome: Batch[T] = Batch()
        delivered: dict[int, T] = {}
        gate = asyncio.Semaphore(self.concurrency)

        async def one(message: Pending) -> None:
            last = "rate limited"
            for _ in range(RATE_LIMIT_TRIES):
                async with gate:
                    await self._pause.wait()
                    try:
                        delivered[message.id] = await send(message)
                        return
                    except RateLimited as exc:
                        log.info("outbox %s: rate limited, waiting %.1fs", message.id, exc.retry_after)
                        self._pause.hold(exc.retry_after)
                        last = f"rate limited: {exc}"
                    except Undeliverable as exc:
                        log.warning("outbox %s (%s) has nowhere to go yet: %s", message.id, message.kind, exc)
                        outcome.waiting[message.id] = f"undeliverable: {exc}"
                        return
                    except expected as exc:
                        log.warning("outbox %s (%s) failed: %s", message.id, message.kind, describe(exc))
                        outcome.failed[message.id] = describe(exc)
                        return
                    except Exception as exc:
                        log.exception("outbox %s (%s) could not be sent", message.id, message.kind)
                        outcome.failed[message.id] = describe_error(exc)
                        return
            outcome.failed[message.id] = last

        async def in_order(group: list[Pending]) -> None:
            for position, message in enumerate(group):
                await one(message)
                if message.id not in delivered:
                    for later in group[position + 1 :]:
                        outcome.failed[later.id] = f"held behind outbox {message.id} (same destination)"
                    return

        try:
            await asyncio.gather(*(in_order(group) for group in by_destination(messages, destination)))
        finally:
            await self._mark(outcome, delivered)
        return outcome

    async def _mark(self, outcome: Batch[T], delivered: dict[int, T]) -> None:
        """Mark a batch's deliveries and failures; deliveries that cannot be marked are remembered."""
        try:
            marked = await mark_sent_many(self.ctx, delivered)
        except Exception:
            log.exception("outbox: %d delivered message(s) could not be marked; next round", len(delivered))
            self.unmarked.update(delivered)
            outcome.unmarked.update(delivered)
        else:
            for message_id, value in delivered.items():
                if message_id in marked:
                    outcome.sent[message_id] = value
                else:
                    outcome.duplicates.append(message_id)
        try:
            await mark_failed_many(self.ctx, {**outcome.failed, **outcome.waiting})
        except Exception:  # their lease brings them back anyway
            log.exception(
                "outbox: %d failure(s) could not be recorded", len(outcome.failed | outcome.waiting)
            )
