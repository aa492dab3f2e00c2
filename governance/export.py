"""Audit exports: what a third party needs to check a result without trusting the bot or its database.

A **bundle** (a directory or a zip) holds, for each exported poll, a folder ``election-<slug>/`` or
``motion-<n>/`` with

* ``settings.json`` — the poll's settings, the governing policy (name, version, SHA-256 of its source)
  and, for an election, exactly how it was counted (candidates in order, withdrawn, seats, seed, caps);
* ``events.jsonl`` — its audit chain, one event per line with every hashed field, ``prev`` and ``hash``;
* ``ballots.csv`` — every counted ballot with its receipt (and, for a roll call or a public election,
  its voter); ``ballots.blt`` — the same ballots for any standard STV/IRV counter (elections);
* ``result.json`` — the stored result, once counted;

and at the top ``anchor.jsonl`` (the deployment-wide chain of stream heads, see ``governance.audit``),
``heads.json`` (each exported stream's head), ``checkpoints.jsonl`` and ``deployment.pub`` (the signed
checkpoints and the public key that checks them, ``governance.checkpoints``; never the private key) and
``manifest.json`` (every file's SHA-256 and size).
``governance.verify`` checks a bundle with no database and no network.

For a secret poll nothing in the bundle names a ballot's voter: ballots carry a random receipt only,
in receipt order, and the events say who voted (as the list of voters does) but never what or which
ballot. A secret poll not counted (still open, or cancelled or withdrawn) is exported without its
ballots (``withheld``: ``ballots.csv``, ``ballots.blt`` and ``result.json`` left out, ``settings.json``
says ``ballots_withheld``), since they would give a running tally; exporting one such poll on its own is
refused while it takes ballots (``refuse_open_secret``). A counted election's tie-break seed
(``governance.tally.seed``) is in ``settings.json``, on the first line of ``ballots.csv`` and after the
title of ``ballots.blt``. Exporting first seals pending ballot events and anchors every stream's head
(a write), so the bundle's heads are anchored. Everything else here is pure: rows in, bytes out.
"""

from __future__ import annotations

import asyncio
import contextlib
import csv
import hashlib
import io
import json
import zipfile
from collections import Counter
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, BinaryIO

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from governance import audit, checkpoints, secrecy, tally
from governance import text as text_rules
from governance.bundle import FORMAT as FORMAT
from governance.bundle import election_profile as election_profile
from governance.bundle import read_ballots_csv as read_ballots_csv
from governance.errors import Forbidden, InvalidInput, NotFound, suggest
from governance.i18n import _
from governance.models import AuditEvent, AuditHead, Ballot, Body, Candidate, Election, Motion, Person
from governance.policies.base import DEFAULT_OPTION_KEY
from governance.services import electorate
from governance.services.common import Actor, Context, actor_facts, enforce
from governance.tally import debian as debian_tally
from governance.tally.formats import write_blt
from governance.tally.seed import seed_line

_quote = audit._quote  # json.dumps' own string quoting, for hand-spelled canonical lines
_EVENT_COLUMNS = (
    col(AuditEvent.stream),
    col(AuditEvent.seq),
    col(AuditEvent.at),
    col(AuditEvent.actor),
    col(AuditEvent.kind),
    col(AuditEvent.subject),
    col(AuditEvent.payload),
    col(AuditEvent.prev_hash),
    col(AuditEvent.hash),
)


def event_line(
    stream: str, seq: int, at: str, actor: str, kind: str, subject: str, payload: str, prev: str, digest: str
) -> str:
    """One event as a JSONL line (sorted keys, no spaces): the hashed fields plus ``hash``."""
    return (
        f'{{"actor":{_quote(actor)},"at":{_quote(at)},"hash":{_quote(digest)},"kind":{_quote(kind)},'
        f'"payload":{_quote(payload)},"prev":{_quote(prev)},"seq":{int(seq)},"stream":{_quote(stream)},'
        f'"subject":{_quote(subject)}}}\n'
    )


def event_lines(rows: Iterable[Sequence[Any]]) -> Iterable[str]:
    """JSONL lines of event rows (stream, seq, at, actor, kind, subject, payload, prev_hash, hash).

    ``at`` is a datetime, or the ISO text ``datetime.isoformat`` gives (as SQLite rows are read).
    Byte for byte ``event_line`` of each row; spelled with fewer quotings per event, because exports
    run to millions of events: the names that repeat (stream, actor, kind, subject) are quoted once,
    and each hash once (as an event's ``hash`` and again as the next event's ``prev``).
    """
    quote = _quote
    seen: dict[str, str] = {}
    last_digest, last_quoted = "", ""
    for stream, seq, at, actor, kind, subject, payload, prev, digest in rows:
        if len(seen) > 4096:  # subjects can all differ; keep the memo small
            seen.clear()
        q_stream = seen.get(stream) or seen.setdefault(stream, quote(stream))
        q_actor = seen.get(actor) or seen.setdefault(actor, quote(actor))
        q_kind = seen.get(kind) or seen.setdefault(kind, quote(kind))
        q_subject = seen.get(subject) or seen.setdefault(subject, quote(subject))
        q_prev = last_quoted if prev == last_digest else quote(prev)
        last_digest, last_quoted = digest, quote(digest)
        q_at = quote(at if isinstance(at, str) else at.isoformat())
        yield (
            f'{{"actor":{q_actor},"at":{q_at},"hash":{last_quoted},"kind":{q_kind},'
            f'"payload":{quote(payload)},"prev":{q_prev},"seq":{int(seq)},"stream":{q_stream},'
            f'"subject":{q_subject}}}\n'
        )


def _sqlite_iso(stored: str) -> str:
    """SQLite's stored UTC time (``2026-11-21 12:00:00.000001``) as ``datetime.isoformat`` spells it."""
    micro = stored[20:26]
    return f"{stored[:10]}T{stored[11:19]}{'' if micro in ('', '000000') else '.' + micro}+00:00"


# The same spelling as ``_sqlite_iso``, done by SQLite while it reads the rows (no Python per event).
_SQLITE_ISO = (
    "substr(at, 1, 10) || 'T' || substr(at, 12, 8) || CASE WHEN substr(at, 21, 6) IN ('', '000000') "
    "THEN '' ELSE '.' || substr(at, 21, 6) END || '+00:00'"
)
_SQLITE_EVENTS = (
    f"SELECT stream, seq, {_SQLITE_ISO}, actor, kind, subject, payload, prev_hash, hash FROM audit_events "
    "WHERE stream = ? AND seq IS NOT NULL ORDER BY seq"
)
BATCH = 20_000
"""Events read and spelled per round trip: an export holds one batch in memory, not the whole chain."""


async def iter_stream_lines(session: AsyncSession, stream: str) -> AsyncIterator[list[str]]:
    """The sealed events of ``stream`` as JSONL lines in chain order, ``BATCH`` lines at a time.

    Rows are streamed (SQLite: the driver's own cursor, times spelled in SQL; PostgreSQL: a server-side
    cursor over a Core select of the columns), never loaded as ORM objects or all at once.
    """
    if session.bind is not None and session.bind.dialect.name == "sqlite":
        conn = await session.connection()
        raw = await conn.get_raw_connection()
        driver: Any = raw.driver_connection
        async with driver.execute(_SQLITE_EVENTS, (stream,)) as cursor:
            # The driver's thread reads the next batch while this one is spelled.
            fetch = asyncio.ensure_future(cursor.fetchmany(BATCH))
            try:
                while rows := await fetch:
                    fetch = asyncio.ensure_future(cursor.fetchmany(BATCH))
                    yield list(event_lines(rows))
            finally:
                if not fetch.done():
                    fetch.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await fetch
        return
    result = await session.stream(
        select(*_EVENT_COLUMNS)
        .where(col(AuditEvent.stream) == stream, col(AuditEvent.seq).is_not(None))
        .order_by(col(AuditEvent.seq))
        .execution_options(yield_per=BATCH)
    )
    async for partition in result.partitions():
        yield list(event_lines(partition))


async def stream_lines(session: AsyncSession, stream: str) -> list[str]:
    """The sealed events of ``stream`` as JSONL lines, in chain order."""
    return [line async for batch in iter_stream_lines(session, stream) for line in batch]


async def stream_jsonl(session: AsyncSession, stream: str) -> bytes:
    """The sealed events of ``stream`` as the bytes of a JSONL file."""
    return b"".join([("".join(batch)).encode() async for batch in iter_stream_lines(session, stream)])


async def write_stream_jsonl(session: AsyncSession, stream: str, out: BinaryIO) -> tuple[int, str]:
    """Write ``stream``'s JSONL to ``out`` batch by batch; return (events written, SHA-256 of the bytes).

    For chains too long to hold in memory: at most one batch is held at a time.
    """
    digest = hashlib.sha256()
    count = 0
    async for batch in iter_stream_lines(session, stream):
        data = "".join(batch).encode()
        digest.update(data)
        out.write(data)
        count += len(batch)
    return count, digest.hexdigest()


def ballots_csv(
    ballots: Iterable[tuple[str, str, str | None]], *, public: bool, seed: str | None = None
) -> str:
    """Ballots as CSV: ``receipt,ballot`` (the stored JSON ranking), plus ``voter`` for a public poll.

    Rows are sorted by receipt, which is random: the order says nothing about when or by whom. A
    counted election's file starts with its tie-break seed as a ``#`` line (``tally.seed.seed_line``).
    """
    out = io.StringIO()
    if seed:
        out.write(seed_line(seed) + "\n")
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["receipt", "ballot", "voter"] if public else ["receipt", "ballot"])
    for receipt, content, voter in sorted(ballots):
        writer.writerow([receipt, content, voter or ""] if public else [receipt, content])
    return out.getvalue()


def ballots_blt(count: Mapping[str, Any], contents: Sequence[str], title: str) -> str:
    """The ballots as BLT text for any standard counter (quotes in names and title become apostrophes).

    A counted election's seed follows the title as a comment (``tally.seed.seed_line``), where BLT
    readers ignore what they find; ``govbot tally`` derives the same seed from the ballots.
    """
    profile = election_profile(count, contents, title.replace('"', "'"))
    safe = tally.Profile.build(
        [name.replace('"', "'") for name in profile.candidates],
        zip(profile.rankings, profile.counts, strict=True),
        withdrawn=profile.withdrawn,
        title=profile.title,
        seats=profile.seats,
    )
    text = write_blt(safe, seats=int(count["seats"]))
    return text + seed_line(count["seed"]) + "\n" if count.get("seed") else text


def dumps(value: Any) -> bytes:
    """JSON for people and diffs: indented, sorted keys, UTF-8."""
    return (json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False, default=str) + "\n").encode()


def manifest(files: Mapping[str, bytes]) -> bytes:
    """``manifest.json``: every file of the bundle with its SHA-256 and size."""
    listing = {
        name: {"sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}
        for name, data in sorted(files.items())
    }
    return dumps({"format": FORMAT, "files": listing})


def with_manifest(files: Mapping[str, bytes]) -> dict[str, bytes]:
    """The files plus their ``manifest.json``."""
    done = dict(files)
    done["manifest.json"] = manifest(files)
    return done


def zip_bytes(files: Mapping[str, bytes]) -> bytes:
    """A bundle as one zip file (deflated, entries in name order)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(files):
            archive.writestr(name, files[name])
    return out.getvalue()


def write_bundle(files: Mapping[str, bytes], path: Path) -> Path:
    """Write a bundle to ``path``: a zip when it ends in ``.zip``, else a new or empty directory."""
    if path.suffix.lower() == ".zip":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(zip_bytes(files))
        return path
    if path.exists() and (not path.is_dir() or any(path.iterdir())):
        raise InvalidInput(
            _("{path} exists and is not an empty directory.", path=path),
            _("Give a new directory or a .zip path."),
        )
    for name, data in files.items():
        target = path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    return path


@dataclass(frozen=True)
class Subject:
    """What to export: one election (by slug), one motion (by number), or everything (``all``)."""

    kind: str  # "election", "motion" or "all"
    ref: str = ""

    @property
    def stream(self) -> str:
        """The audit stream of the subject."""
        return f"{self.kind}:{self.ref}"

    @property
    def folder(self) -> str:
        """The subject's folder in a bundle."""
        return f"{self.kind}-{self.ref}"


def parse_subject(text: str) -> Subject:
    """``election:board-2027``, ``board-2027``, ``motion:12``, ``M12``, ``all`` or ``--all``."""
    value = text.strip()
    if value.lower() in ("all", "--all"):
        return Subject("all")
    kind, sep, ref = value.partition(":")
    if sep and kind.lower() in ("election", "motion"):
        value = ref if kind.lower() == "election" else f"M{ref}"
    if value.upper().startswith("M") and text_rules.NUMBER_RE.fullmatch(value[1:]):
        return Subject("motion", str(text_rules.parse_number(value[1:], _("A motion number"))))
    if not value:
        raise InvalidInput(_("Say what to export."), _("An election (board-2027), a motion (M12) or all."))
    return Subject("election", value.lower())


COUNTED_PHASES = frozenset({"closed", "certified"})
"""The phases of a poll whose ballots were counted (a motion's ``closed``; an election's two)."""
VOTING_PHASES = frozenset({"voting", "open"})
"""The phases of a poll taking ballots (an election's ``voting``, a motion's ``open``)."""


def withheld(poll: Election | Motion, *, until_counted: bool = False) -> bool:
    """Whether an export leaves out the poll's ballots: a secret poll not counted (yet, or ever).

    Before a secret poll closes its ballots would give a running tally (DESIGN.md invariant 7), and a
    secret poll cancelled or withdrawn uncounted keeps them sealed for good. Its events are exported all
    the same: a secret ballot's event carries no content, so the log shows turnout only.
    ``until_counted`` (the transparency site) leaves out the ballots of every poll not counted, public
    ones included: the site publishes ballots only with the result they give.
    """
    return (poll.secret or until_counted) and poll.phase not in COUNTED_PHASES


async def refuse_open_secret(session: AsyncSession, subject: Subject) -> None:
    """Refuse (rule ``secret-until-close``, before anything is written) to export one secret poll still
    open: what it would hold (its ballots) is sealed until the close, and the message says when that is."""
    poll: Election | Motion | None
    if subject.kind == "election":
        poll = (await session.execute(select(Election).where(col(Election.slug) == subject.ref))).scalar()
        closes = poll.voting_close_at if poll is not None else None
    elif subject.kind == "motion":
        poll = await session.get(Motion, int(subject.ref))
        closes = poll.deadline if poll is not None else None
    else:
        return
    if poll is None or not withheld(poll) or poll.phase not in VOTING_PHASES:
        return
    when = (
        _("after it closes (voting is due to close at {at:%Y-%m-%d %H:%M} UTC)", at=closes)
        if closes is not None
        else _("after it closes")
    )
    raise Forbidden(
        _(
            "{stream} is a secret ballot that has not closed: its bundle would hold the ballots cast so "
            "far, a running tally, so nothing secret is exported before the close.",
            stream=subject.stream,
        ),
        suggest=suggest("export_later", ("audit", "verify", subject.stream), "audit export all", when=when),
        rule="secret-until-close",
    )


async def _election_files(session: AsyncSession, election: Election, until_counted: bool) -> dict[str, bytes]:
    body = await session.get(Body, election.body_id)
    assert body is not None
    rows = (
        await session.execute(
            select(Candidate, Person)
            .join(Person, col(Candidate.person_id) == col(Person.id))
            .where(col(Candidate.election_id) == election.id)
            .order_by(col(Candidate.id))
        )
    ).all()
    # The close counts accepted and withdrawn candidates in nomination order (and then marks them).
    counted = [(c, p) for c, p in rows if c.status in ("accepted", "withdrawn", "elected", "not_elected")]
    clashes = Counter(p.name for _, p in counted)
    names = [p.name if clashes[p.name] == 1 else f"{p.name} ({p.handle})" for _, p in counted]
    withdrawn = [i for i, (c, _) in enumerate(counted) if c.status == "withdrawn"]
    result = json.loads(election.result) if election.result else None
    caps = (result or {}).get("params", {}).get("caps")
    count = {
        "candidates": names,
        "handles": [p.handle for _, p in counted],
        "withdrawn": withdrawn,
        "seats": max(0, min(election.seats, len(counted) - len(withdrawn))),
        "seed": election.seed if election.result else None,
        "caps": caps,
    }
    if election.result:  # how the seed was derived (older closes: from the slug and stored ballots)
        count["seed_rule"] = await _seed_rule(session, election)
    if result is not None and result.get("method") == "debian":
        # The options the count used (default option, quorum with its electorate, ratios), and the
        # default option ("None Of The Above"): the last option, stored in ballots under its key.
        params = result.get("params", {})
        count["method_params"] = debian_tally.repeat_options(params)
        if params.get("default_elects_nobody"):
            names.append(result["candidates"][int(params["default"]) - 1])
            count["handles"].append(DEFAULT_OPTION_KEY)
    ballot_rows = (
        await session.execute(
            select(col(Ballot.receipt), col(Ballot.content), col(Person.handle))
            .outerjoin(Person, col(Ballot.voter_id) == col(Person.id))
            .where(col(Ballot.election_id) == election.id)
        )
    ).all()
    public = not election.secret
    ballots = [(r, c, h if public else None) for r, c, h in ballot_rows]
    settings = {
        "kind": "election",
        "slug": election.slug,
        "title": election.title,
        "body": body.slug,
        "seats": election.seats,
        "method": election.method,
        "secret": election.secret,
        "phase": election.phase,
        "nominations_open_at": election.nominations_open_at,
        "nominations_close_at": election.nominations_close_at,
        "voting_open_at": election.voting_open_at,
        "voting_close_at": election.voting_close_at,
        "closed_at": election.closed_at,
        "certified_at": election.certified_at,
        "policy": {
            "name": election.policy_name,
            "version": election.policy_version,
            "sha256": election.policy_hash,
        },
        "stream": f"election:{election.slug}",
        "candidates": [
            {"handle": p.handle, "name": p.name, "status": c.status}
            for c, p in sorted(rows, key=lambda r: r[1].handle)
        ],
        "count": count,
    }
    if (entries := await electorate.frozen(session, election)) is not None:
        assert election.electorate_fixed_at is not None
        settings["electorate"] = electorate.summary(entries, election.electorate_fixed_at)
    folder = f"election-{election.slug}"
    if withheld(election, until_counted=until_counted):
        settings["ballots_withheld"] = True
    files = {
        f"{folder}/settings.json": dumps(settings),
        f"{folder}/events.jsonl": await stream_jsonl(session, f"election:{election.slug}"),
    }
    if not withheld(election, until_counted=until_counted):
        files[f"{folder}/ballots.csv"] = ballots_csv(ballots, public=public, seed=count["seed"]).encode()
        files[f"{folder}/ballots.blt"] = ballots_blt(
            count, [c for _, c, _ in ballots], election.title
        ).encode()
    if election.result:
        files[f"{folder}/result.json"] = election.result.encode()
    return files


async def _seed_rule(session: AsyncSession, election: Election) -> str | None:
    """The seed rule the election's close recorded (None for a close before seeds had a named rule)."""
    payload = (
        await session.execute(
            select(col(AuditEvent.payload))
            .where(
                col(AuditEvent.stream) == f"election:{election.slug}",
                col(AuditEvent.kind) == "election.closed",
            )
            .order_by(col(AuditEvent.id).desc())
            .limit(1)
        )
    ).scalar()
    rule = json.loads(payload).get("seed_rule") if payload else None
    return str(rule) if rule else None


async def _motion_files(session: AsyncSession, motion: Motion, until_counted: bool) -> dict[str, bytes]:
    body = await session.get(Body, motion.body_id)
    assert body is not None
    ballot_rows = (
        await session.execute(
            select(col(Ballot.receipt), col(Ballot.content), col(Person.handle))
            .outerjoin(Person, col(Ballot.voter_id) == col(Person.id))
            .where(col(Ballot.motion_id) == motion.id)
        )
    ).all()
    public = not motion.secret
    settings = {
        "kind": "motion",
        "id": motion.id,
        "title": motion.title,
        "text": motion.text,
        "motion_kind": motion.kind,
        "body": body.slug,
        "secret": motion.secret,
        "roll_call": public,
        "phase": motion.phase,
        "outcome": motion.outcome,
        "opened_at": motion.opened_at,
        "deadline": motion.deadline,
        "closed_at": motion.closed_at,
        "lazy_consensus": bool(getattr(motion, "lazy_consensus", False)),
        "policy": {
            "name": motion.policy_name,
            "version": motion.policy_version,
            "sha256": motion.policy_hash,
        },
        "stream": f"motion:{motion.id}",
    }
    folder = f"motion-{motion.id}"
    if withheld(motion, until_counted=until_counted):
        settings["ballots_withheld"] = True
    files = {
        f"{folder}/settings.json": dumps(settings),
        f"{folder}/events.jsonl": await stream_jsonl(session, f"motion:{motion.id}"),
    }
    if not withheld(motion, until_counted=until_counted):
        files[f"{folder}/ballots.csv"] = ballots_csv(
            [(r, c, h if public else None) for r, c, h in ballot_rows], public=public
        ).encode()
    if motion.result:
        files[f"{folder}/result.json"] = motion.result.encode()
    return files


async def prepare(session: AsyncSession, *, actor: str, at: datetime) -> list[str]:
    """The write an export needs first: seal pending ballot events (shuffling their polls) and anchor
    every stream whose head moved. Returns the streams anchored."""
    await secrecy.seal_and_shuffle(session)
    return await audit.anchor_all(session, actor=actor, at=at)


async def collect(
    session: AsyncSession, subject: Subject, *, generated_at: datetime, until_counted: bool = False
) -> dict[str, bytes]:
    """Every file of the bundle for ``subject``, manifest included (read it after ``prepare``);
    ``until_counted`` as in ``withheld``."""
    files: dict[str, bytes] = {}
    streams: list[str] = []
    if subject.kind == "election":
        election = (
            await session.execute(select(Election).where(col(Election.slug) == subject.ref))
        ).scalar_one_or_none()
        if election is None:
            raise NotFound(
                _("No election {subject_ref!r}.", subject_ref=subject.ref),
                suggest=suggest("see", "election list"),
            )
        files |= await _election_files(session, election, until_counted)
        streams.append(subject.stream)
    elif subject.kind == "motion":
        motion = await session.get(Motion, int(subject.ref))
        if motion is None:
            raise NotFound(
                _("No motion M{subject_ref}.", subject_ref=subject.ref), suggest=suggest("see", "motion list")
            )
        files |= await _motion_files(session, motion, until_counted)
        streams.append(subject.stream)
    else:
        for election in (await session.execute(select(Election).order_by(col(Election.id)))).scalars():
            files |= await _election_files(session, election, until_counted)
            streams.append(f"election:{election.slug}")
        for motion in (await session.execute(select(Motion).order_by(col(Motion.id)))).scalars():
            files |= await _motion_files(session, motion, until_counted)
            streams.append(f"motion:{motion.id}")
        others = (
            await session.execute(
                select(col(AuditHead.stream))
                .where(col(AuditHead.stream) != audit.ANCHOR)
                .order_by(col(AuditHead.stream))
            )
        ).scalars()
        for stream in others:
            if stream not in streams:
                files[f"streams/{stream.replace(':', '-')}.jsonl"] = await stream_jsonl(session, stream)
                streams.append(stream)
    files["anchor.jsonl"] = await stream_jsonl(session, audit.ANCHOR)
    heads = {
        h.stream: {"seq": h.seq, "hash": h.hash}
        for h in (
            await session.execute(
                select(AuditHead).where(col(AuditHead.stream).in_([*streams, audit.ANCHOR]))
            )
        ).scalars()
    }
    files["heads.json"] = dumps({"generated_at": generated_at, "heads": heads})
    signed = await checkpoints.published(session)  # signed checkpoints and the public key, never the private
    files["checkpoints.jsonl"] = checkpoints.jsonl(signed)
    files["deployment.pub"] = checkpoints.public_keys(signed)
    return with_manifest(files)


_SINGLE = {"jsonl": "events.jsonl", "csv": "ballots.csv", "blt": "ballots.blt"}


def check_format(subject: Subject, fmt: str) -> None:
    """Refuse a format the subject has no file for (before anything is written)."""
    if fmt not in _SINGLE:
        raise InvalidInput(
            _("Unknown format {fmt!r}.", fmt=fmt), _("Formats: jsonl, csv, blt (or a whole bundle).")
        )
    if subject.kind == "all" and fmt != "jsonl":
        raise InvalidInput(
            _("Everything exports ballots only in a bundle."), _("Ask for the bundle, or jsonl.")
        )
    if subject.kind == "motion" and fmt == "blt":
        raise InvalidInput(_("A motion has no blt export."), _("Motions export as csv or jsonl."))


def single_file(files: Mapping[str, bytes], subject: Subject, fmt: str) -> bytes:
    """One file of a bundle by format: ``jsonl`` (events; every chain for ``all``), ``csv`` or ``blt``."""
    check_format(subject, fmt)
    if subject.kind == "all":
        return b"".join(data for name, data in sorted(files.items()) if name.endswith(".jsonl"))
    name = f"{subject.folder}/{_SINGLE[fmt]}"
    if name not in files:  # a secret poll never counted (cancelled, withdrawn): its ballots stay sealed
        raise _sealed(subject)
    return files[name]


def _sealed(subject: Subject) -> InvalidInput:
    return InvalidInput(
        _(
            "{stream} is a secret ballot that was never counted: its ballots stay sealed.",
            stream=subject.stream,
        ),
        _("Export its events with --format jsonl."),
    )


async def refuse_sealed_file(session: AsyncSession, subject: Subject, fmt: str | None) -> None:
    """Refuse the ballots file (``fmt`` csv or blt) of a secret poll not counted, before ``prepare``
    writes: ``single_file`` would refuse it anyway, after the export had sealed, anchored and signed."""
    if fmt is None or subject.kind == "all" or _SINGLE.get(fmt) == "events.jsonl":
        return
    poll: Election | Motion | None
    if subject.kind == "election":
        poll = (await session.execute(select(Election).where(col(Election.slug) == subject.ref))).scalar()
    else:
        poll = await session.get(Motion, int(subject.ref))
    if poll is not None and withheld(poll):
        raise _sealed(subject)


async def export_bundle(
    ctx: Context, actor: Actor, subject: Subject, *, withhold: bool = False, single: str | None = None
) -> dict[str, bytes]:
    """The bundle for ``subject``, for the secretariat: seals and anchors first, then reads everything.

    One secret poll still open is refused (``refuse_open_secret``) before anything is written, unless
    ``withhold`` (the transparency site): then the ballots of every poll not counted yet, secret or
    public, are left out (``withheld(..., until_counted=True)``).
    ``single`` names the one file format the caller takes (``single_file``): sealed ballots are refused
    before anything is written too.
    """
    if not actor.is_admin:
        raise Forbidden(_("Only the secretariat (an admin) exports audit bundles."), _("Ask an admin."))
    if not withhold:
        async with ctx.db.reading() as session:
            await refuse_open_secret(session, subject)
            await refuse_sealed_file(session, subject, single)
    async with ctx.db.transaction() as session:
        await require_subject(session, subject)  # a refused export writes nothing: look before sealing
        policy = ctx.policy_for_default()  # member states bind admins: a suspended one exports nothing
        enforce(policy.may_administer(await actor_facts(session, actor), _("export audit bundles")), policy)
        await prepare(session, actor=actor.label, at=ctx.now())
        await checkpoints.ensure_current(session, ctx, reason="audit.export")  # the bundle's heads, signed
    async with ctx.db.reading() as session:
        return await collect(session, subject, generated_at=ctx.now(), until_counted=withhold)


async def require_subject(session: AsyncSession, subject: Subject) -> None:
    """Refuse an export of an election or motion that does not exist, before ``prepare`` writes.

    Why: sealing and anchoring add audit events and heads; a refused request must leave none behind.
    """
    if subject.kind == "election":
        found = (
            await session.execute(select(col(Election.id)).where(col(Election.slug) == subject.ref))
        ).first()
        if found is None:
            raise NotFound(
                _("No election {subject_ref!r}.", subject_ref=text_rules.echo(subject.ref)),
                suggest=suggest("see", "election list"),
            )
    elif subject.kind == "motion" and await session.get(Motion, int(subject.ref)) is None:
        raise NotFound(
            _("No motion M{subject_ref}.", subject_ref=subject.ref), suggest=suggest("see", "motion list")
        )
