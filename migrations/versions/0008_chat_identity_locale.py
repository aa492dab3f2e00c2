"""chat identity locale: the language a chat account last used with govbot

``chat_identities`` gains a nullable ``locale`` (``en``, ``fr``), set whenever the user interacts
(Slack: their Slack language from ``users.info``; Discord: the interaction's locale) and read by the
deliverers, so DMs go out in the reader's language without a platform call per message. Unknown
(``NULL``): the deployment's default.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("chat_identities", schema=None) as batch_op:
        batch_op.add_column(sa.Column("locale", sa.String(length=16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("chat_identities", schema=None) as batch_op:
        batch_op.drop_column("locale")
