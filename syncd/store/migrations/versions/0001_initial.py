"""Initial schema: links, followed issues, seen comments/attachments, outbox, message map, dialogs, kv.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "links",
        sa.Column("tg_user_id", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("tg_chat_id", sa.BigInteger, nullable=False, unique=True),
        sa.Column("tg_access_hash", sa.BigInteger, nullable=False),
        sa.Column("okdesk_contact_id", sa.Integer, nullable=False),
        sa.Column("contact_name", sa.Text, nullable=False),
        sa.Column("phone", sa.Text, nullable=True),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("linked_at", TS, nullable=False),
        sa.Column("issues_scanned", sa.Boolean, nullable=False),
        sa.Column("blocked_at", TS, nullable=True),
    )
    op.create_index("ix_links_okdesk_contact_id", "links", ["okdesk_contact_id"])
    op.create_table(
        "followed_issues",
        sa.Column("okdesk_issue_id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("okdesk_contact_id", sa.Integer, nullable=True),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("status_code", sa.String(100), nullable=True),
        sa.Column("okdesk_updated_at", TS, nullable=True),
        sa.Column("comments_count", sa.Integer, nullable=True),
        sa.Column("comments_last_at", TS, nullable=True),
        sa.Column("followed_at", TS, nullable=False),
        sa.Column("baseline_done", sa.Boolean, nullable=False),
        sa.Column("last_fetched_at", TS, nullable=True),
    )
    op.create_index("ix_followed_issues_okdesk_contact_id", "followed_issues", ["okdesk_contact_id"])
    op.create_index("ix_followed_issues_last_fetched_at", "followed_issues", ["last_fetched_at"])
    op.create_table(
        "seen_comments",
        sa.Column("okdesk_issue_id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("okdesk_comment_id", sa.Integer, primary_key=True, autoincrement=False),
    )
    op.create_table(
        "seen_attachments",
        sa.Column("okdesk_issue_id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("okdesk_attachment_id", sa.Integer, primary_key=True, autoincrement=False),
    )
    op.create_table(
        "own_comments",
        sa.Column("okdesk_comment_id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("okdesk_issue_id", sa.Integer, nullable=False),
        sa.Column("created_at", TS, nullable=False),
    )
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("dedupe_key", sa.String(200), nullable=False, unique=True),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("tg_chat_id", sa.BigInteger, nullable=True),
        sa.Column("okdesk_issue_id", sa.Integer, nullable=True),
        sa.Column("payload", sa.Text, nullable=False),
        sa.Column("random_ids", sa.Text, nullable=False),
        sa.Column("progress", sa.Integer, nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("next_try_at", TS, nullable=False),
        sa.Column("budget_spent", sa.Float, nullable=False),
        sa.Column("last_attempt_at", TS, nullable=True),
        sa.Column("last_error", sa.Text, nullable=True),
        sa.Column("tg_message_ids", sa.Text, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("done_at", TS, nullable=True),
    )
    op.create_index("ix_outbox_state_chat", "outbox", ["state", "tg_chat_id", "id"])
    op.create_index("ix_outbox_state_kind_next", "outbox", ["state", "kind", "next_try_at"])
    op.create_table(
        "message_map",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("tg_chat_id", sa.BigInteger, nullable=False),
        sa.Column("tg_message_id", sa.BigInteger, nullable=False),
        sa.Column("okdesk_issue_id", sa.Integer, nullable=False),
        sa.Column("okdesk_comment_id", sa.Integer, nullable=True),
        sa.Column("outbox_id", sa.Integer, nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.UniqueConstraint("tg_chat_id", "tg_message_id", name="uq_message_map_tg"),
    )
    op.create_index("ix_message_map_comment", "message_map", ["okdesk_comment_id"])
    op.create_table(
        "dialogs",
        sa.Column("tg_user_id", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("state", sa.String(40), nullable=False),
        sa.Column("data", sa.Text, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
    )
    op.create_table(
        "kv",
        sa.Column("key", sa.String(100), primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
    )


def downgrade() -> None:
    for name in ("kv", "dialogs", "message_map", "outbox", "own_comments", "seen_attachments",
                 "seen_comments", "followed_issues", "links"):
        op.drop_table(name)
