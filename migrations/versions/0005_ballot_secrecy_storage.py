"""ballot secrecy in storage: ballots and slots keep no insertion order; retired receipts

SQLite: ``ballots`` and ``ballot_slots`` are rebuilt WITHOUT ROWID (ordered by their random keys), so
the order in which they were written no longer matches that of the ``voters`` rows. Both backends:
``ballot_slots`` loses its sequence number and is keyed by its tag; ``retired_receipts`` records the
receipts of replaced ballots.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-21
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BALLOT_COLUMNS = "id, election_id, motion_id, content, receipt, voter_id"


def _ballots(name: str, *, rowid: bool) -> None:
    op.create_table(
        name,
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("election_id", sa.Integer(), nullable=True),
        sa.Column("motion_id", sa.Integer(), nullable=True),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("receipt", sqlmodel.sql.sqltypes.AutoString(length=24), nullable=False),
        sa.Column("voter_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("(election_id IS NULL) <> (motion_id IS NULL)", name="ck_ballot_poll"),
        sa.ForeignKeyConstraint(["election_id"], ["elections.id"]),
        sa.ForeignKeyConstraint(["motion_id"], ["motions.id"]),
        sa.ForeignKeyConstraint(["voter_id"], ["people.id"]),
        sa.PrimaryKeyConstraint("id"),
        sqlite_with_rowid=rowid,
    )


def _slots(name: str, *, old_shape: bool) -> None:
    columns: list[sa.Column[object] | sa.Constraint] = []
    if old_shape:
        columns.append(sa.Column("id", sa.Integer(), nullable=False))
    columns += [
        sa.Column("election_id", sa.Integer(), nullable=True),
        sa.Column("motion_id", sa.Integer(), nullable=True),
        sa.Column("tag", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("ballot_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.ForeignKeyConstraint(["ballot_id"], ["ballots.id"]),
        sa.ForeignKeyConstraint(["election_id"], ["elections.id"]),
        sa.ForeignKeyConstraint(["motion_id"], ["motions.id"]),
    ]
    if old_shape:
        columns += [
            sa.PrimaryKeyConstraint("id"),
            sa.UniqueConstraint("election_id", "tag", name="uq_slot_election"),
            sa.UniqueConstraint("motion_id", "tag", name="uq_slot_motion"),
        ]
    else:
        columns.append(sa.PrimaryKeyConstraint("tag"))
    op.create_table(name, *columns, sqlite_with_rowid=old_shape)


def _ballot_indexes() -> None:
    op.create_index("ix_ballots_election_id", "ballots", ["election_id"], unique=False)
    op.create_index("ix_ballots_motion_id", "ballots", ["motion_id"], unique=False)


def _rebuild_sqlite(*, secret_layout: bool) -> None:
    # Foreign keys are checked at commit, once both tables are back under their names.
    op.execute("PRAGMA defer_foreign_keys = ON")
    _ballots("ballots__new", rowid=not secret_layout)
    op.execute(
        f"INSERT INTO ballots__new ({_BALLOT_COLUMNS}) SELECT {_BALLOT_COLUMNS} FROM ballots ORDER BY id"
    )
    _slots("ballot_slots__new", old_shape=not secret_layout)
    op.execute(
        "INSERT INTO ballot_slots__new (election_id, motion_id, tag, ballot_id) "
        "SELECT election_id, motion_id, tag, ballot_id FROM ballot_slots ORDER BY tag"
    )
    op.drop_table("ballot_slots")
    op.drop_index("ix_ballots_election_id", table_name="ballots")
    op.drop_index("ix_ballots_motion_id", table_name="ballots")
    op.drop_table("ballots")
    op.rename_table("ballots__new", "ballots")
    op.rename_table("ballot_slots__new", "ballot_slots")
    _ballot_indexes()


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _rebuild_sqlite(secret_layout=True)
    else:
        op.drop_constraint("uq_slot_election", "ballot_slots", type_="unique")
        op.drop_constraint("uq_slot_motion", "ballot_slots", type_="unique")
        op.drop_constraint("ballot_slots_pkey", "ballot_slots", type_="primary")
        op.drop_column("ballot_slots", "id")
        op.create_primary_key("ballot_slots_pkey", "ballot_slots", ["tag"])
    op.create_table(
        "retired_receipts",
        sa.Column("poll", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("receipt", sqlmodel.sql.sqltypes.AutoString(length=24), nullable=False),
        sa.PrimaryKeyConstraint("poll", "receipt"),
        sqlite_with_rowid=False,
    )


def downgrade() -> None:
    op.drop_table("retired_receipts")
    if op.get_bind().dialect.name == "sqlite":
        _rebuild_sqlite(secret_layout=False)  # the slots get new numbers (a rowid table numbers them)
    else:
        op.drop_constraint("ballot_slots_pkey", "ballot_slots", type_="primary")
        op.execute("ALTER TABLE ballot_slots ADD COLUMN id SERIAL PRIMARY KEY")
        op.create_unique_constraint("uq_slot_election", "ballot_slots", ["election_id", "tag"])
        op.create_unique_constraint("uq_slot_motion", "ballot_slots", ["motion_id", "tag"])
