"""signed checkpoints and election monitors (issue 21 item 5)

``checkpoints`` holds each signed statement of every audit chain's head (the signed canonical JSON, its
hash and the deployment key's signature); ``election_monitors`` the people named to watch an election
with their public keys; ``checkpoint_cosignatures`` the monitors' signatures of a checkpoint.

Revision ID: 0010
Revises: 0008
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import governance.models

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_str = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    op.create_table(
        "checkpoints",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("at", governance.models.UTCDateTime(), nullable=False),
        sa.Column("reason", _str(length=64), nullable=False),
        sa.Column("subject", _str(length=200), nullable=False),
        sa.Column("key_id", _str(length=16), nullable=False),
        sa.Column("public_key", _str(length=64), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("hash", _str(length=64), nullable=False),
        sa.Column("signature", _str(length=128), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("seq"),
        sa.UniqueConstraint("hash"),
    )
    op.create_index(op.f("ix_checkpoints_subject"), "checkpoints", ["subject"], unique=False)
    op.create_table(
        "election_monitors",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("election_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("public_key", _str(length=64), nullable=False),
        sa.Column("key_id", _str(length=16), nullable=False),
        sa.Column("added_at", governance.models.UTCDateTime(), nullable=False),
        sa.Column("added_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["election_id"], ["elections.id"]),
        sa.ForeignKeyConstraint(["person_id"], ["people.id"]),
        sa.ForeignKeyConstraint(["added_by_id"], ["people.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("election_id", "person_id", name="uq_election_monitor"),
    )
    op.create_index(
        op.f("ix_election_monitors_election_id"), "election_monitors", ["election_id"], unique=False
    )
    op.create_table(
        "checkpoint_cosignatures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("checkpoint_id", sa.Integer(), nullable=False),
        sa.Column("monitor_id", sa.Integer(), nullable=False),
        sa.Column("signature", _str(length=128), nullable=False),
        sa.Column("at", governance.models.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["checkpoint_id"], ["checkpoints.id"]),
        sa.ForeignKeyConstraint(["monitor_id"], ["election_monitors.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("checkpoint_id", "monitor_id", name="uq_checkpoint_cosigner"),
    )
    op.create_index(
        op.f("ix_checkpoint_cosignatures_checkpoint_id"),
        "checkpoint_cosignatures",
        ["checkpoint_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_checkpoint_cosignatures_checkpoint_id"), table_name="checkpoint_cosignatures")
    op.drop_table("checkpoint_cosignatures")
    op.drop_index(op.f("ix_election_monitors_election_id"), table_name="election_monitors")
    op.drop_table("election_monitors")
    op.drop_index(op.f("ix_checkpoints_subject"), table_name="checkpoints")
    op.drop_table("checkpoints")
