"""seen requests: chat requests already acted on, so a replay or a redelivery is refused

``seen_requests`` remembers, for the platform's replay window, each accepted Slack request's signature,
each Slack event's ``event_id`` and each Discord interaction id (``key``, unique), with when it was
seen (``seen_at``, indexed for pruning). Every replica inserts into the same table: the insert that
loses to an existing key is the replay.

Revision ID: 0011
Revises: 0008
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import governance.models

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "seen_requests",
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("seen_at", governance.models.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_index("ix_seen_requests_seen_at", "seen_requests", ["seen_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_seen_requests_seen_at", table_name="seen_requests")
    op.drop_table("seen_requests")
