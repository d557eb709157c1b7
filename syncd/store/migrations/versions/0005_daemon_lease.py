"""One daemon per database: the lease a running daemon holds and renews (daemon_lease, one row).

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "daemon_lease",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("holder_token", sa.String(64), nullable=True),
        sa.Column("host", sa.Text, nullable=True),
        sa.Column("host_id", sa.Text, nullable=True),
        sa.Column("pid", sa.Integer, nullable=True),
        sa.Column("lease_timeout", sa.Float, nullable=True),
        sa.Column("started_at", TS, nullable=True),
        sa.Column("renewed_at", TS, nullable=True),
    )


def downgrade() -> None:
    op.drop_table("daemon_lease")
