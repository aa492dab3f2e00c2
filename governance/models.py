"""Every table govbot keeps, declared in one place (Alembic revisions under ``migrations/`` follow it).

Ballot secrecy (DESIGN.md invariant 2) is built into the shape of the tables:

* ``ballots`` holds *what* was voted. For a secret poll a row has no voter column filled, no cast time
  and a random id, so neither its content nor its position says who cast it.
* ``voters`` holds *who* voted (and when), never what.
* ``ballot_slots`` lets a voter replace their own ballot before the deadline: it maps a keyed tag,
  HMAC(server secret, poll and person), to the ballot currently standing for that voter. Without the
  server secret a tag names no one.
* ``retired_receipts`` lists the receipts of replaced ballots, so that they answer "replaced".
* Neither storage order nor the writing transaction links a ballot or slot to its voter row: on SQLite
  these tables have no rowid, on PostgreSQL ``audit.shuffle_ballots`` rewrites them in random order.

Roll-call motions are public by policy: their ballots carry ``voter_id`` and the export says so.
Times are stored as naive UTC and read back as aware UTC (see ``UTCDateTime``).
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored as naive UTC on every backend and returned timezone-aware in UTC."""

    impl = sa.DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("govbot stores only timezone-aware datetimes")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


def _ts(nullable: bool = False) -> sa.Column[datetime]:
    return sa.Column(UTCDateTime(), nullable=nullable)


class Organisation(SQLModel, table=True):
    """A member organisation of the alliance (company, university, lab)."""

    __tablename__ = "organisations"

    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(max_length=64, unique=True)
    name: str = Field(max_length=200, unique=True)
    tier: str = Field(default="general", max_length=32)
    active: bool = Field(default=True)
    created_at: datetime = Field(sa_column=_ts())


class Person(SQLModel, table=True):
    """Someone the alliance knows: affiliation, admin flag and member state."""

    __tablename__ = "people"

    id: int | None = Field(default=None, primary_key=True)
    handle: str = Field(max_length=64, unique=True)
    name: str = Field(max_length=200)
    email: str | None = Field(default=None, max_length=254)
    organisation_id: int | None = Field(default=None, foreign_key="organisations.id", index=True)
    is_admin: bool = Field(default=False)
    status: str = Field(default="active", max_length=16)
    created_at: datetime = Field(sa_column=_ts())


class VotingRep(SQLModel, table=True):
    """The one person an organisation designates to cast its vote in alliance-wide elections."""

    __tablename__ = "voting_reps"

    organisation_id: int = Field(foreign_key="organisations.id", primary_key=True)
    person_id: int = Field(foreign_key="people.id", index=True)
    since: datetime = Field(sa_column=_ts())


class ChatIdentity(SQLModel, table=True):
    """A chat account (Slack user in a workspace, Discord user in a guild) that speaks for a person."""

    __tablename__ = "chat_identities"
    __table_args__ = (sa.UniqueConstraint("platform", "workspace", "user_id", name="uq_identity"),)

    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=16)
    workspace: str = Field(max_length=64)
    user_id: str = Field(max_length=64)
    person_id: int = Field(foreign_key="people.id", index=True)
    created_at: datetime = Field(sa_column=_ts())
    # The language the account last used with govbot (``en``, ``fr``), for its DMs; None: the default.
    locale: str | None = Field(default=None, max_length=16)


class Body(SQLModel, table=True):
    """A governance body: the board, a technical committee or a working group."""

    __tablename__ = "bodies"

    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(max_length=64, unique=True)
    name: str = Field(max_length=200)
    kind: str = Field(max_length=24)
    charter_url: str | None = Field(default=None, max_length=500)
    description: str | None = Field(default=None, sa_type=sa.Text)
    policy: str = Field(default="alliance", max_length=200)
    channel: str | None = Field(default=None, max_length=100)
    active: bool = Field(default=True)
    created_at: datetime = Field(sa_column=_ts())


class Membership(SQLModel, table=True):
    """A person's seat or place in a body, or their pending request for one."""

    __tablename__ = "memberships"
    __table_args__ = (sa.UniqueConstraint("body_id", "person_id", name="uq_membership"),)

    id: int | None = Field(default=None, primary_key=True)
    body_id: int = Field(foreign_key="bodies.id", index=True)
    person_id: int = Field(foreign_key="people.id", index=True)
    role: str = Field(default="member", max_length=16)
    status: str = Field(default="active", max_length=16)
    requested_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    since: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    until: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    note: str | None = Field(default=None, max_length=500)
    # Member state in this body (active, emeritus, withdrawn, suspended) and when the seat's term ends.
    state: str = Field(default="active", max_length=16)
    term_ends_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    terms_served: int = Field(default=0)  # consecutive terms, counted at each certified election


class Election(SQLModel, table=True):
    """An election of ``seats`` people to a body, with its windows, phase and governing policy."""

    __tablename__ = "elections"

    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(max_length=64, unique=True)
    body_id: int = Field(foreign_key="bodies.id", index=True)
    title: str = Field(max_length=200)
    seats: int
    method: str = Field(max_length=24)
    phase: str = Field(default="draft", max_length=16)
    secret: bool = Field(default=True)
    nominations_open_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    nominations_close_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    voting_open_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    voting_close_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    policy_name: str = Field(max_length=200)
    policy_version: str = Field(max_length=32)
    policy_hash: str = Field(max_length=64)
    seed: str = Field(max_length=64)
    result: str | None = Field(default=None, sa_type=sa.Text)
    created_by_id: int | None = Field(default=None, foreign_key="people.id")
    created_at: datetime = Field(sa_column=_ts())
    closed_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    certified_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    certified_by_id: int | None = Field(default=None, foreign_key="people.id")
    # When its electorate was frozen (``electorate`` rows); None: not yet, who may vote follows the roster.
    electorate_fixed_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))


class Candidate(SQLModel, table=True):
    """A person nominated in an election, their statement and where their candidacy stands."""

    __tablename__ = "candidates"
    __table_args__ = (sa.UniqueConstraint("election_id", "person_id", name="uq_candidate"),)

    id: int | None = Field(default=None, primary_key=True)
    election_id: int = Field(foreign_key="elections.id", index=True)
    person_id: int = Field(foreign_key="people.id")
    nominated_by_id: int | None = Field(default=None, foreign_key="people.id")
    statement: str | None = Field(default=None, sa_type=sa.Text)
    status: str = Field(default="nominated", max_length=16)
    created_at: datetime = Field(sa_column=_ts())


class Motion(SQLModel, table=True):
    """A motion before a body: its text, the quorum and threshold it needs, and its outcome."""

    __tablename__ = "motions"

    id: int | None = Field(default=None, primary_key=True)
    body_id: int = Field(foreign_key="bodies.id", index=True)
    title: str = Field(max_length=200)
    text: str | None = Field(default=None, sa_type=sa.Text)
    kind: str = Field(default="ordinary", max_length=24)
    proposer_id: int | None = Field(default=None, foreign_key="people.id")
    threshold: str = Field(max_length=16)
    threshold_of: str = Field(max_length=32)
    threshold_strict: bool = Field(default=False)
    quorum: str = Field(max_length=16)
    quorum_counts_abstentions: bool = Field(default=True)
    secret: bool = Field(default=False)
    phase: str = Field(default="open", max_length=16)
    opened_at: datetime = Field(sa_column=_ts())
    deadline: datetime = Field(sa_column=_ts())
    closed_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    outcome: str | None = Field(default=None, max_length=16)
    result: str | None = Field(default=None, sa_type=sa.Text)
    seated: int = Field(default=0)
    policy_name: str = Field(max_length=200)
    policy_version: str = Field(max_length=32)
    policy_hash: str = Field(max_length=64)
    # Procedure fixed from the policy when proposed: lazy consensus, early close, replacement, proxies.
    lazy_consensus: bool = Field(default=False)
    early_close: bool = Field(default=False)
    vote_replacement: bool = Field(default=True)
    proxies: bool = Field(default=False)


class Proxy(SQLModel, table=True):
    """A voter's delegation of their vote in one motion or one election to another person; voting in
    person revokes it."""

    __tablename__ = "proxies"
    __table_args__ = (
        sa.UniqueConstraint("motion_id", "delegator_id", name="uq_proxy_motion"),
        sa.UniqueConstraint("election_id", "delegator_id", name="uq_proxy_election"),
        sa.CheckConstraint("(election_id IS NULL) <> (motion_id IS NULL)", name="ck_proxy_poll"),
    )

    id: int | None = Field(default=None, primary_key=True)
    motion_id: int | None = Field(default=None, foreign_key="motions.id", index=True)
    election_id: int | None = Field(default=None, foreign_key="elections.id", index=True)
    delegator_id: int = Field(foreign_key="people.id")
    delegate_id: int = Field(foreign_key="people.id")
    created_at: datetime = Field(sa_column=_ts())
    used_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    revoked_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))


class ElectorateEntry(SQLModel, table=True):
    """One person of an election's frozen electorate: who could vote, with their organisation and tier
    at the cut-off, and how they got in ("roster": the policy's rule at the cut-off; "exception")."""

    __tablename__ = "electorate"
    __table_args__ = (sa.UniqueConstraint("election_id", "person_id", name="uq_electorate_election"),)

    id: int | None = Field(default=None, primary_key=True)
    election_id: int = Field(foreign_key="elections.id", index=True)
    person_id: int = Field(foreign_key="people.id")
    handle: str = Field(max_length=64)
    organisation: str | None = Field(default=None, max_length=64)  # organisation slug at the cut-off
    tier: str | None = Field(default=None, max_length=32)
    source: str = Field(default="roster", max_length=16)
    added_at: datetime = Field(sa_column=_ts())


class ElectorateException(SQLModel, table=True):
    """A person's request to be added to an election's electorate, and the secretariat's decision."""

    __tablename__ = "electorate_exceptions"
    __table_args__ = (sa.UniqueConstraint("election_id", "person_id", name="uq_electorate_exception"),)

    id: int | None = Field(default=None, primary_key=True)
    election_id: int = Field(foreign_key="elections.id", index=True)
    person_id: int = Field(foreign_key="people.id")
    reason: str = Field(max_length=500)
    status: str = Field(default="pending", max_length=16)  # pending, granted, denied
    requested_at: datetime = Field(sa_column=_ts())
    decided_by_id: int | None = Field(default=None, foreign_key="people.id")
    decided_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    decision_reason: str | None = Field(default=None, max_length=500)


class Ballot(SQLModel, table=True):
    """What was voted in one ballot. For a secret poll it carries nothing that names its voter.

    On SQLite the table has no rowid: rows are stored in the order of their random ids, so the order in
    which ballots were written (which would match the order of the ``voters`` rows) is not kept.
    PostgreSQL's equivalent (the writing transaction, heap order) is erased by ``audit.shuffle_ballots``.
    """

    __tablename__ = "ballots"
    __table_args__ = (
        sa.CheckConstraint("(election_id IS NULL) <> (motion_id IS NULL)", name="ck_ballot_poll"),
        {"sqlite_with_rowid": False},
    )

    id: str = Field(primary_key=True, max_length=32)
    election_id: int | None = Field(default=None, foreign_key="elections.id", index=True)
    motion_id: int | None = Field(default=None, foreign_key="motions.id", index=True)
    content: str = Field(sa_type=sa.Text)
    receipt: str = Field(max_length=24)
    voter_id: int | None = Field(default=None, foreign_key="people.id")


class BallotSlot(SQLModel, table=True):
    """The keyed tag through which a voter's ballot can be replaced; the tag names no one by itself.

    Keyed by the tag (an HMAC of poll and voter, so unique across polls) with no sequence number and,
    on SQLite, no rowid: a slot's position says nothing about when it was written.
    """

    __tablename__ = "ballot_slots"
    __table_args__ = ({"sqlite_with_rowid": False},)

    election_id: int | None = Field(default=None, foreign_key="elections.id")
    motion_id: int | None = Field(default=None, foreign_key="motions.id")
    tag: str = Field(max_length=64, primary_key=True)
    ballot_id: str = Field(foreign_key="ballots.id", max_length=32)


class RetiredReceipt(SQLModel, table=True):
    """A receipt whose ballot was replaced before the deadline: it answers "replaced" and verifies nothing.

    It carries no link to the ballot that replaced it (nor, on SQLite, a rowid giving its order).
    """

    __tablename__ = "retired_receipts"
    __table_args__ = ({"sqlite_with_rowid": False},)

    poll: str = Field(primary_key=True, max_length=40)  # "election:<id>" or "motion:<id>"
    receipt: str = Field(primary_key=True, max_length=24)


class Voter(SQLModel, table=True):
    """The record that a person voted in a poll, and when; it never says what they voted."""

    __tablename__ = "voters"
    __table_args__ = (
        sa.UniqueConstraint("election_id", "person_id", name="uq_voter_election"),
        sa.UniqueConstraint("motion_id", "person_id", name="uq_voter_motion"),
    )

    id: int | None = Field(default=None, primary_key=True)
    election_id: int | None = Field(default=None, foreign_key="elections.id")
    motion_id: int | None = Field(default=None, foreign_key="motions.id")
    person_id: int = Field(foreign_key="people.id", index=True)
    first_voted_at: datetime = Field(sa_column=_ts())
    last_voted_at: datetime = Field(sa_column=_ts())
    times: int = Field(default=1)


class AuditEvent(SQLModel, table=True):
    """One entry of an append-only, hash-chained event stream (one chain per stream).

    A *pending* event (a ballot, written without waiting for the stream's head) has no ``seq`` and no
    ``prev_hash`` yet, and its ``hash`` covers its content only; sealing gives it its place in the chain.
    """

    __tablename__ = "audit_events"
    __table_args__ = (sa.UniqueConstraint("stream", "seq", name="uq_audit_stream_seq"),)

    id: int | None = Field(default=None, primary_key=True)
    stream: str = Field(max_length=64)
    seq: int | None = Field(default=None)
    at: datetime = Field(sa_column=_ts())
    actor: str = Field(max_length=80)
    kind: str = Field(max_length=64)
    subject: str = Field(max_length=200)
    payload: str = Field(sa_type=sa.Text)
    prev_hash: str | None = Field(default=None, max_length=64)
    hash: str = Field(max_length=64)


class AuditHead(SQLModel, table=True):
    """The latest event of each stream: appending locks only its own stream's row."""

    __tablename__ = "audit_heads"

    stream: str = Field(primary_key=True, max_length=64)
    seq: int
    hash: str = Field(max_length=64)


class OutboxMessage(SQLModel, table=True):
    """A notification to deliver after the transaction that caused it commits (sent once, never lost)."""

    __tablename__ = "outbox"

    id: int | None = Field(default=None, primary_key=True)
    created_at: datetime = Field(sa_column=_ts())
    kind: str = Field(max_length=48)
    person_id: int | None = Field(default=None, foreign_key="people.id", index=True)
    body_id: int | None = Field(default=None, foreign_key="bodies.id")
    # Rows queued by an older version carry a finished sentence here; a notice now has none: its kind and
    # parameters (governance.notices) are in ``payload`` and the presentation writes the sentence.
    text: str | None = Field(default=None, sa_type=sa.Text, nullable=True)
    payload: str = Field(default="{}", sa_type=sa.Text)
    dedupe_key: str | None = Field(default=None, max_length=200, unique=True)
    sent_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    attempts: int = Field(default=0)
    last_error: str | None = Field(default=None, max_length=500)
    next_attempt_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))


class PlatformRoleMap(SQLModel, table=True):
    """A chat platform's role, per workspace or guild, mapped to a govbot role (e.g. "Secretariat" -> admin).

    It can only narrow what the roster grants: an admin-only command from such a platform needs both
    the roster's admin flag and a role mapped to ``admin``, once the guild has any mapping.
    """

    __tablename__ = "platform_role_maps"

    platform: str = Field(primary_key=True, max_length=16)
    workspace: str = Field(primary_key=True, max_length=64)
    role_id: str = Field(primary_key=True, max_length=64)
    govbot_role: str = Field(max_length=16)
    role_name: str | None = Field(default=None, max_length=100)
    created_at: datetime = Field(sa_column=_ts())
    created_by_id: int | None = Field(default=None, foreign_key="people.id")


# ---------------------------------------------------------------- Time: due work, reminders, meeting series


class ScheduledTask(SQLModel, table=True):
    """One piece of due work (a phase change, a reminder, a meeting notice), the source of truth for the
    scheduler: ``key`` is deterministic (``election:3:close``), so a changed timeline moves the row instead
    of adding one; a worker claims a due row (``claimed_by``/``claimed_until``) and marks it ``done_at``
    with its ``result``. ``not_after`` is when the work stops being useful (a reminder after its deadline).
    """

    __tablename__ = "scheduled_tasks"
    __table_args__ = (sa.Index("ix_scheduled_tasks_due", "done_at", "due_at"),)

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=160, unique=True)
    kind: str = Field(max_length=48)
    subject: str = Field(max_length=200, index=True)
    due_at: datetime = Field(sa_column=_ts())
    not_after: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    payload: str = Field(default="{}", sa_type=sa.Text)
    created_at: datetime = Field(sa_column=_ts())
    done_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    claimed_by: str | None = Field(default=None, max_length=80)
    claimed_until: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    attempts: int = Field(default=0)
    result: str | None = Field(default=None, max_length=500)


class MeetingSeries(SQLModel, table=True):
    """A working group's recurring meeting: an RFC 5545 RRULE from a local start time in an IANA zone
    (so 09:00 Europe/Paris stays 09:00 across daylight-saving changes), with its reminder offsets."""

    __tablename__ = "meeting_series"

    id: int | None = Field(default=None, primary_key=True)
    body_id: int = Field(foreign_key="bodies.id", index=True)
    title: str = Field(max_length=200)
    rrule: str = Field(max_length=500)
    dtstart: str = Field(max_length=16)  # local wall time of the first occurrence, "2026-03-02T09:00"
    timezone: str = Field(max_length=64)
    duration_minutes: int = Field(default=60)
    reminder_offsets: str = Field(default="86400,3600", max_length=100)  # seconds before each meeting
    active: bool = Field(default=True)
    created_by_id: int | None = Field(default=None, foreign_key="people.id")
    created_at: datetime = Field(sa_column=_ts())
    cancelled_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))


# ---------------------------------------------------------------- Signed checkpoints and election monitors


class Checkpoint(SQLModel, table=True):
    """A signed statement of every audit chain's head at one moment (``governance.checkpoints``).

    ``body`` is the canonical JSON that was signed, byte for byte; ``hash`` its SHA-256; ``signature``
    the deployment key's Ed25519 signature of it. Checkpoints chain too (the body names the previous one).
    """

    __tablename__ = "checkpoints"

    id: int | None = Field(default=None, primary_key=True)
    seq: int = Field(unique=True)
    at: datetime = Field(sa_column=_ts())
    reason: str = Field(max_length=64)
    subject: str = Field(default="", max_length=200, index=True)
    key_id: str = Field(max_length=16)
    public_key: str = Field(max_length=64)
    body: str = Field(sa_type=sa.Text)
    hash: str = Field(max_length=64, unique=True)
    signature: str = Field(max_length=128)


class ElectionMonitor(SQLModel, table=True):
    """A person an admin named to watch one election, with the Ed25519 public key they co-sign with."""

    __tablename__ = "election_monitors"
    __table_args__ = (sa.UniqueConstraint("election_id", "person_id", name="uq_election_monitor"),)

    id: int | None = Field(default=None, primary_key=True)
    election_id: int = Field(foreign_key="elections.id", index=True)
    person_id: int = Field(foreign_key="people.id")
    public_key: str = Field(max_length=64)
    key_id: str = Field(max_length=16)
    added_at: datetime = Field(sa_column=_ts())
    added_by_id: int | None = Field(default=None, foreign_key="people.id")


class CheckpointCosignature(SQLModel, table=True):
    """A monitor's Ed25519 signature of a checkpoint's body: the heads it names, seen by someone else."""

    __tablename__ = "checkpoint_cosignatures"
    __table_args__ = (sa.UniqueConstraint("checkpoint_id", "monitor_id", name="uq_checkpoint_cosigner"),)

    id: int | None = Field(default=None, primary_key=True)
    checkpoint_id: int = Field(foreign_key="checkpoints.id", index=True)
    monitor_id: int = Field(foreign_key="election_monitors.id")
    signature: str = Field(max_length=128)
    at: datetime = Field(sa_column=_ts())


class SeenRequest(SQLModel, table=True):
    """A chat request already acted on, remembered for the platform's replay window so a replayed or
    redelivered one is refused: a Slack request's signature, a Slack event's ``event_id``, a Discord
    interaction id. Shared by every replica through the database; rows older than the window are pruned."""

    __tablename__ = "seen_requests"
    __table_args__ = (sa.Index("ix_seen_requests_seen_at", "seen_at"),)

    key: str = Field(max_length=200, primary_key=True)
    seen_at: datetime = Field(sa_column=_ts())


metadata = SQLModel.metadata
