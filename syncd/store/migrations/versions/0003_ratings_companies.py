"""Ratings (issue_ratings), company clients (a link's company and service object), reopening
(a job's choice on a finished issue).

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "issue_ratings",
        sa.Column("okdesk_issue_id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("tg_user_id", sa.BigInteger, nullable=False),
        sa.Column("okdesk_contact_id", sa.Integer, nullable=False),
        sa.Column("rate", sa.String(20), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("done_at", TS, nullable=True),
    )
    # SQLite cannot ALTER a table in place: batch mode copies it (PostgreSQL alters it).
    with op.batch_alter_table("links") as batch:
        batch.add_column(sa.Column("okdesk_company_id", sa.Integer, nullable=True))
        batch.add_column(sa.Column("okdesk_maintenance_entity_id", sa.Integer, nullable=True))
    with op.batch_alter_table("inbound_jobs") as batch:
        batch.add_column(sa.Column("finished_choice", sa.String(20), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("inbound_jobs") as batch:
        batch.drop_column("finished_choice")
    with op.batch_alter_table("links") as batch:
        batch.drop_column("okdesk_maintenance_entity_id")
        batch.drop_column("okdesk_company_id")
    op.drop_table("issue_ratings")
