"""structured notices: ``outbox.text`` becomes nullable

A notice is now stored as its kind and parameters (``outbox.payload``, JSON, described by
``governance.notices.KINDS``) and written in the reader's language at delivery; ``text`` stays only for
rows queued by an older version (a finished sentence), which are still delivered as they were.

The downgrade fills the sentence of the new rows with their kind, so an older version has text to send
(less helpful, never lost).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.alter_column("text", existing_type=sa.Text(), nullable=True)


def downgrade() -> None:
    op.execute("UPDATE outbox SET text = kind WHERE text IS NULL")
    with op.batch_alter_table("outbox") as batch:
        batch.alter_column("text", existing_type=sa.Text(), nullable=False)
