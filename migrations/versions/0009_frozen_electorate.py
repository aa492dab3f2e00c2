"""frozen electorate: who could vote in an election, fixed at the policy's cut-off, and exceptions

``elections`` gains ``electorate_fixed_at``; ``electorate`` holds one row per person who could vote
(their organisation and tier at the cut-off, and whether they came in by the roster or an exception);
``electorate_exceptions`` holds requests to be added and the secretariat's decisions.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from governance.models import UTCDateTime

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("elections", schema=None) as batch_op:
        batch_op.add_column(sa.Column("electorate_fixed_at", UTCDateTime(), nullable=True))
    op.create_table(
        "electorate",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("election_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("handle", sa.String(length=64), nullable=False),
        sa.Column("organisation", sa.String(length=64), nullable=True),
        sa.Column("tier", sa.String(length=32), nullable=True),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("added_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["election_id"], ["elections.id"]),
        sa.ForeignKeyConstraint(["person_id"], ["people.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("election_id", "person_id", name="uq_electorate_election"),
    )
    op.create_index(op.f("ix_electorate_election_id"), "electorate", ["election_id"], unique=False)
    op.create_table(
        "electorate_exceptions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("election_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("requested_at", UTCDateTime(), nullable=False),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", UTCDateTime(), nullable=True),
        sa.Column("decision_reason", sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(["election_id"], ["elections.id"]),
        sa.ForeignKeyConstraint(["person_id"], ["people.id"]),
        sa.ForeignKeyConstraint(["decided_by_id"], ["people.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("election_id", "person_id", name="uq_electorate_exception"),
    )
    op.create_index(
        op.f("ix_electorate_exceptions_election_id"), "electorate_exceptions", ["election_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_electorate_exceptions_election_id"), table_name="electorate_exceptions")
    op.drop_table("electorate_exceptions")
    op.drop_index(op.f("ix_electorate_election_id"), table_name="electorate")
    op.drop_table("electorate")
    with op.batch_alter_table("elections", schema=None) as batch_op:
        batch_op.drop_column("electorate_fixed_at")
