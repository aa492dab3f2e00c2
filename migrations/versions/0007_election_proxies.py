"""election proxies (issue 4): a proxy is given for one motion or one election

``proxies`` gains ``election_id`` (its own unique delegation per delegator) and ``motion_id`` becomes
optional; exactly one of the two is set.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("proxies", schema=None) as batch_op:
        batch_op.add_column(sa.Column("election_id", sa.Integer(), nullable=True))
        batch_op.alter_column("motion_id", existing_type=sa.Integer(), nullable=True)
        batch_op.create_foreign_key("fk_proxies_election_id", "elections", ["election_id"], ["id"])
        batch_op.create_index(batch_op.f("ix_proxies_election_id"), ["election_id"], unique=False)
        batch_op.create_unique_constraint("uq_proxy_election", ["election_id", "delegator_id"])
        batch_op.create_check_constraint("ck_proxy_poll", "(election_id IS NULL) <> (motion_id IS NULL)")


def downgrade() -> None:
    op.execute("DELETE FROM proxies WHERE election_id IS NOT NULL")
    with op.batch_alter_table("proxies", schema=None) as batch_op:
        batch_op.drop_constraint("ck_proxy_poll", type_="check")
        batch_op.drop_constraint("uq_proxy_election", type_="unique")
        batch_op.drop_index(batch_op.f("ix_proxies_election_id"))
        batch_op.drop_constraint("fk_proxies_election_id", type_="foreignkey")
        batch_op.alter_column("motion_id", existing_type=sa.Integer(), nullable=False)
        batch_op.drop_column("election_id")
