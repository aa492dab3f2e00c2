"""pending audit events: seq and prev_hash are empty until the event is sealed into its chain

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-21 17:39:52.341421
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.alter_column("seq", existing_type=sa.INTEGER(), nullable=True)
        batch_op.alter_column("prev_hash", existing_type=sa.VARCHAR(length=64), nullable=True)


def downgrade() -> None:
    pending = op.get_bind().execute(sa.text("SELECT count(*) FROM audit_events WHERE seq IS NULL")).scalar()
    if pending:
        raise RuntimeError(
            f"{pending} audit event(s) are not sealed yet; close or seal their streams "
            "(governance.audit.seal) before downgrading."
        )
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.alter_column("prev_hash", existing_type=sa.VARCHAR(length=64), nullable=False)
        batch_op.alter_column("seq", existing_type=sa.INTEGER(), nullable=False)
