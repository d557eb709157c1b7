"""A client's message acknowledged while Okdesk does not take it: inbound_jobs.queued_at (since when the
worker tries to post the job) and inbound_jobs.acked_at (when the client was told, once).

Jobs of an older schema keep NULL in both: their clock runs from created_at, and an open one is
acknowledged as any other once it is due.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # SQLite cannot ALTER a table in place: batch mode copies it (PostgreSQL alters it).
    with op.batch_alter_table("inbound_jobs") as batch:
        batch.add_column(sa.Column("queued_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("acked_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("inbound_jobs") as batch:
        batch.drop_column("acked_at")
        batch.drop_column("queued_at")
