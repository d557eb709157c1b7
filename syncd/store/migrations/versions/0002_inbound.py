"""Inbound: the messages clients send (inbox_messages) and their way into Okdesk (inbound_jobs).

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "inbox_messages",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("tg_chat_id", sa.BigInteger, nullable=False),
        sa.Column("tg_message_id", sa.BigInteger, nullable=False),
        sa.Column("tg_user_id", sa.BigInteger, nullable=False),
        sa.Column("grouped_id", sa.BigInteger, nullable=True),
        sa.Column("reply_to_msg_id", sa.BigInteger, nullable=True),
        sa.Column("sent_at", TS, nullable=False),
        sa.Column("content", sa.Text, nullable=False),
        sa.Column("media", sa.Text, nullable=True),
        sa.Column("job_id", sa.Integer, nullable=True),
        sa.Column("received_at", TS, nullable=False),
        sa.UniqueConstraint("tg_chat_id", "tg_message_id", name="uq_inbox_messages_tg"),
    )
    op.create_index("ix_inbox_messages_job_id", "inbox_messages", ["job_id"])
    op.create_index("ix_inbox_messages_group", "inbox_messages", ["tg_chat_id", "grouped_id"])
    op.create_table(
        "inbound_jobs",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("tg_user_id", sa.BigInteger, nullable=False),
        sa.Column("tg_chat_id", sa.BigInteger, nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("action", sa.String(20), nullable=True),
        sa.Column("okdesk_issue_id", sa.Integer, nullable=True),
        sa.Column("okdesk_comment_id", sa.Integer, nullable=True),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("sent_at", TS, nullable=False),
        sa.Column("ask_message_id", sa.BigInteger, nullable=True),
        sa.Column("first_attempt_at", TS, nullable=True),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("next_try_at", TS, nullable=False),
        sa.Column("budget_spent", sa.Float, nullable=False),
        sa.Column("dropped_files", sa.Text, nullable=False),
        sa.Column("last_error", sa.Text, nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("done_at", TS, nullable=True),
    )
    op.create_index("ix_inbound_jobs_state_next", "inbound_jobs", ["state", "next_try_at"])
    op.create_index("ix_inbound_jobs_user_fingerprint", "inbound_jobs", ["tg_user_id", "fingerprint"])


def downgrade() -> None:
    op.drop_table("inbound_jobs")
    op.drop_table("inbox_messages")
