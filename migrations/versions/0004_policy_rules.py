"""policy rules (issue 4): member states, proxies, terms, lazy consensus

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-21
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from governance.models import UTCDateTime

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("memberships", schema=None) as batch_op:
        batch_op.add_column(sa.Column("state", sa.String(length=16), nullable=False, server_default="active"))
        batch_op.add_column(sa.Column("term_ends_at", UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("terms_served", sa.Integer(), nullable=False, server_default="0"))
    with op.batch_alter_table("motions", schema=None) as batch_op:
        for name, default in (
            ("lazy_consensus", sa.false()),
            ("early_close", sa.false()),
            ("vote_replacement", sa.true()),
            ("proxies", sa.false()),
        ):
            batch_op.add_column(sa.Column(name, sa.Boolean(), nullable=False, server_default=default))
    op.create_table(
        "proxies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("motion_id", sa.Integer(), nullable=False),
        sa.Column("delegator_id", sa.Integer(), nullable=False),
        sa.Column("delegate_id", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("used_at", UTCDateTime(), nullable=True),
        sa.Column("revoked_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["delegate_id"], ["people.id"]),
        sa.ForeignKeyConstraint(["delegator_id"], ["people.id"]),
        sa.ForeignKeyConstraint(["motion_id"], ["motions.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("motion_id", "delegator_id", name="uq_proxy_motion"),
    )
    with op.batch_alter_table("proxies", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_proxies_motion_id"), ["motion_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("proxies", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_proxies_motion_id"))
    op.drop_table("proxies")
    with op.batch_alter_table("motions", schema=None) as batch_op:
        for name in ("proxies", "vote_replacement", "early_close", "lazy_consensus"):
            batch_op.drop_column(name)
    with op.batch_alter_table("memberships", schema=None) as batch_op:
        batch_op.drop_column("terms_served")
        batch_op.drop_column("term_ends_at")
        batch_op.drop_column("state")
