"""Sends whose outcome Telegram has not told yet: since when a step keeps hearing RANDOM_ID_DUPLICATE
(the first call with its random_id still in flight) — outbox.unconfirmed_since.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # SQLite cannot ALTER a table in place: batch mode copies it (PostgreSQL alters it).
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("unconfirmed_since", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("unconfirmed_since")
