"""The audit chain's pure rules: how an event is hashed and chained, and how a chain and its anchor are
checked, with no database (``governance.audit`` stores the chain; ``governance.verify`` checks a bundle).

Kept apart from ``governance.audit`` so that verifying an exported bundle loads neither SQLAlchemy nor
the models (``govbot audit verify`` starts in a fraction of a second).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol


class ChainEvent(Protocol):
    """What ``verify_chain`` reads of a stored event (``governance.models.AuditEvent`` has it)."""

    @property
    def stream(self) -> str: ...
    @property
    def seq(self) -> int | None: ...
    @property
    def at(self) -> datetime: ...
    @property
    def actor(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def subject(self) -> str: ...
    @property
    def payload(self) -> str: ...
    @property
    def prev_hash(self) -> str | None: ...
    @property
    def hash(self) -> str: ...


GENESIS = "0" * 64

ANCHOR = "anchor"
"""The deployment-wide stream that records other streams' heads (see the module's note)."""

ANCHORED_KINDS = frozenset(
    {"election.closed", "election.certified", "election.cancelled", "motion.closed", "motion.withdrawn"}
)
"""Events that end a phase of a poll: appending one also anchors the stream's new head."""


def canonical_json(value: Any) -> str:
    """The one JSON spelling of a value: sorted keys, no spaces, UTF-8 kept, so hashes are reproducible."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


_quote: Callable[[str], str] = json.encoder.encode_basestring  # json.dumps' own (C) string quoting


def event_body(
    prev_hash: str, stream: str, seq: int, at: str, actor: str, kind: str, subject: str, payload: str
) -> str:
    """The canonical JSON of an event's hashed fields (``at`` as ISO text), spelled by hand for speed.

    Byte for byte what ``canonical_json`` gives for the same dict (keys sorted, no spaces, UTF-8 kept):
    exports of a million events are written and verified with it.
    """
    return (
        f'{{"actor":{_quote(actor)},"at":{_quote(at)},"kind":{_quote(kind)},"payload":{_quote(payload)},'
        f'"prev":{_quote(prev_hash)},"seq":{int(seq)},"stream":{_quote(stream)},"subject":{_quote(subject)}}}'
    )


def event_hash_text(
    prev_hash: str, stream: str, seq: int, at: str, actor: str, kind: str, subject: str, payload: str
) -> str:
    """``event_hash`` with the time given as the ISO text an export carries."""
    body = event_body(prev_hash, stream, seq, at, actor, kind, subject, payload)
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def event_hash(
    prev_hash: str, stream: str, seq: int, at: datetime, actor: str, kind: str, subject: str, payload: str
) -> str:
    """The SHA-256 that chains an event to its predecessor; anyone can recompute it from an export."""
    return event_hash_text(prev_hash, stream, seq, at.isoformat(), actor, kind, subject, payload)


def pending_hash(stream: str, at: datetime, actor: str, kind: str, subject: str, payload: str) -> str:
    """The hash a pending (not yet sealed) event carries: its content alone, checked when it is sealed."""
    return event_hash("", stream, 0, at, actor, kind, subject, payload)


@dataclass(frozen=True, slots=True)
class ChainCheck:
    """The outcome of verifying one stream: ``ok``, the head hash, and the first event that breaks."""

    stream: str
    ok: bool
    events: int
    head: str
    broken_seq: int | None = None
    problem: str | None = None
    pending: int = 0  # events written but not sealed into the chain yet (counted in ``events``)


def verify_chain(
    stream: str,
    events: Iterable[ChainEvent],
    expected_head: str | None = None,
    expected_seq: int | None = None,
) -> ChainCheck:
    """Check that ``events`` (in stored order) form an unbroken chain; name the first event that does not.

    ``expected_head`` (and ``expected_seq``) are the head recorded when the last event was appended, or
    published with an export: events after it were inserted, and a head never reached means events at
    the end were deleted.
    """
    prev = GENESIS
    count = 0
    head_at: int | None = 0 if expected_head == GENESIS else None
    for expected_seq_here, event in enumerate(events, start=1):
        count = expected_seq_here
        if event.stream != stream:
            return ChainCheck(stream, False, count, prev, event.seq, f"it belongs to stream {event.stream!r}")
        if event.seq != expected_seq_here:
            problem = f"expected event {expected_seq_here}, found {event.seq} (events deleted or reordered)"
            return ChainCheck(stream, False, count, prev, expected_seq_here, problem)
        if event.prev_hash != prev:
            problem = (
                "its previous-hash does not match the event before it (events deleted, inserted or swapped)"
            )
            return ChainCheck(stream, False, count, prev, event.seq, problem)
        digest = event_hash(
            prev, event.stream, event.seq, event.at, event.actor, event.kind, event.subject, event.payload
        )
        if digest != event.hash:
            return ChainCheck(
                stream, False, count, prev, event.seq, "its content does not match its hash (edited)"
            )
        prev = digest
        if head_at is None and expected_head is not None and digest == expected_head:
            head_at = count
    if expected_head is not None and expected_head != prev:
        if head_at is not None:
            return ChainCheck(
                stream,
                False,
                count,
                prev,
                head_at + 1,
                f"events after the recorded head (event {head_at}) were added outside govbot",
            )
        return ChainCheck(
            stream, False, count, prev, count + 1, "events are missing after the last one (head differs)"
        )
    if expected_seq is not None and expected_seq != count:
        return ChainCheck(
            stream,
            False,
            count,
            prev,
            min(count, expected_seq) + 1,
            f"the recorded head is event {expected_seq}, but {count} events are stored",
        )
    return ChainCheck(stream, True, count, prev)


def check_anchors(
    anchor: Iterable[tuple[int, Mapping[str, Any]]],
    chains: Mapping[str, Sequence[str]],
    *,
    streams: Iterable[str] | None = None,
) -> ChainCheck | None:
    """Check every anchored head against the chains it names; None when all agree.

    ``anchor`` is the anchor stream's ``anchor.head`` events as (seq, payload); ``chains`` maps a stream
    to its sealed events' hashes in order. Only the ``streams`` given are checked (all anchored ones by
    default), so an export of one election checks its own stream against the anchor. A stream anchored
    but absent, or whose event at the anchored place has another hash, was deleted or rewritten.
    """
    wanted = set(streams) if streams is not None else None
    for anchor_seq, entry in anchor:
        stream, seq, digest = str(entry["stream"]), int(entry["seq"]), str(entry["hash"])
        if wanted is not None and stream not in wanted:
            continue
        hashes = chains.get(stream)
        if not hashes:
            problem = (
                f"the anchor (event {anchor_seq}) records {stream!r} at event {seq}, "
                "but the stream has no events (the whole stream was deleted)"
            )
            return ChainCheck(stream, False, 0, GENESIS, 1, problem)
        if seq > len(hashes):
            problem = (
                f"the anchor (event {anchor_seq}) records event {seq}, but only {len(hashes)} exist "
                "(events deleted at the end)"
            )
            return ChainCheck(stream, False, len(hashes), hashes[-1], len(hashes) + 1, problem)
        if hashes[seq - 1] != digest:
            problem = (
                f"its hash differs from the head the anchor recorded (anchor event {anchor_seq}): "
                "the stream was rewritten"
            )
            return ChainCheck(stream, False, seq, hashes[seq - 1], seq, problem)
    return None
