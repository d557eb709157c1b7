"""The tables. Every natural key has a UNIQUE constraint, so a duplicate is impossible, not unlikely.

The migrations in ``migrations/versions`` create exactly these; a test compares the two.
"""

from __future__ import annotations

from datetime import timezone

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
)

from syncd.store.states import PENDING

metadata = MetaData()


class UTCDateTime(TypeDecorator):
    """Aware datetimes in, aware UTC datetimes out, on SQLite (which keeps no zone) as on PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):  # type: ignore[no-untyped-def]
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store; use syncd.clock.utcnow()")
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):  # type: ignore[no-untyped-def]
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)

# A Telegram user linked to an Okdesk contact. Private chats only, so the chat id is the user id,
# but both are kept: the sender addresses chats, the handlers know users.
links = Table(
    "links",
    metadata,
    Column("tg_user_id", BigInteger, primary_key=True, autoincrement=False),
    Column("tg_chat_id", BigInteger, nullable=False, unique=True),
    Column("tg_access_hash", BigInteger, nullable=False),
    Column("okdesk_contact_id", Integer, nullable=False, index=True),
    Column("contact_name", Text, nullable=False, default=""),
    # Personal data: kept for relinking and support, never logged.
    Column("phone", Text, nullable=True),
    Column("language", String(8), nullable=False, default="ru"),
    Column("linked_at", UTCDateTime(), nullable=False),
    # The contact's existing issues are followed once the poller has listed them.
    Column("issues_scanned", Boolean, nullable=False, default=False),
    Column("blocked_at", UTCDateTime(), nullable=True),
    # A company's client: the company and the service object chosen at linking, given to their new issues.
    Column("okdesk_company_id", Integer, nullable=True),
    Column("okdesk_maintenance_entity_id", Integer, nullable=True),
)

# An Okdesk issue whose contact is linked; what we last saw of it.
followed_issues = Table(
    "followed_issues",
    metadata,
    Column("okdesk_issue_id", Integer, primary_key=True, autoincrement=False),
    Column("okdesk_contact_id", Integer, nullable=True, index=True),
    Column("title", Text, nullable=False, default=""),
    Column("status_code", String(100), nullable=True),
    Column("okdesk_updated_at", UTCDateTime(), nullable=True),
    Column("comments_count", Integer, nullable=True),
    Column("comments_last_at", UTCDateTime(), nullable=True),
    # Everything Okdesk shows from before this moment counts as already seen (no history flood).
    Column("followed_at", UTCDateTime(), nullable=False),
    Column("baseline_done", Boolean, nullable=False, default=False),
    Column("last_fetched_at", UTCDateTime(), nullable=True),
    Index("ix_followed_issues_last_fetched_at", "last_fetched_at"),
)

seen_comments = Table(
    "seen_comments",
    metadata,
    Column("okdesk_issue_id", Integer, primary_key=True, autoincrement=False),
    Column("okdesk_comment_id", Integer, primary_key=True, autoincrement=False),
)

seen_attachments = Table(
    "seen_attachments",
    metadata,
    Column("okdesk_issue_id", Integer, primary_key=True, autoincrement=False),
    Column("okdesk_attachment_id", Integer, primary_key=True, autoincrement=False),
)

# Comments the daemon wrote itself: never forwarded back.
own_comments = Table(
    "own_comments",
    metadata,
    Column("okdesk_comment_id", Integer, primary_key=True, autoincrement=False),
    Column("okdesk_issue_id", Integer, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
)

# Work to do, written before it is attempted and marked done only after it succeeded.
outbox = Table(
    "outbox",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("dedupe_key", String(200), nullable=False, unique=True),
    Column("kind", String(40), nullable=False),
    Column("tg_chat_id", BigInteger, nullable=True),
    Column("okdesk_issue_id", Integer, nullable=True),
    Column("payload", Text, nullable=False),
    # One random_id per Telegram message this item sends, chosen before the first attempt.
    Column("random_ids", Text, nullable=False, default="[]"),
    # How many of the item's steps are done: a resend after a crash starts there.
    Column("progress", Integer, nullable=False, default=0),
    Column("state", String(20), nullable=False, default=PENDING),
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_try_at", UTCDateTime(), nullable=False),
    # Seconds of the item's own failures, counted only while its service worked for others.
    Column("budget_spent", Float, nullable=False, default=0.0),
    Column("last_attempt_at", UTCDateTime(), nullable=True),
    Column("last_error", Text, nullable=True),
    Column("tg_message_ids", Text, nullable=False, default="[]"),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("done_at", UTCDateTime(), nullable=True),
    # Since when the step in progress hears RANDOM_ID_DUPLICATE: its first send may still be in flight
    # at Telegram, so it is asked again with the same random_id until telegram.in_flight_window ends.
    Column("unconfirmed_since", UTCDateTime(), nullable=True),
    Index("ix_outbox_state_chat", "state", "tg_chat_id", "id"),
    Index("ix_outbox_state_kind_next", "state", "kind", "next_try_at"),
)

# Telegram message <-> Okdesk issue/comment, both ways, for replies and for "did we send it".
message_map = Table(
    "message_map",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("tg_chat_id", BigInteger, nullable=False),
    Column("tg_message_id", BigInteger, nullable=False),
    Column("okdesk_issue_id", Integer, nullable=False),
    Column("okdesk_comment_id", Integer, nullable=True),
    Column("outbox_id", Integer, nullable=True),
    Column("created_at", UTCDateTime(), nullable=False),
    UniqueConstraint("tg_chat_id", "tg_message_id", name="uq_message_map_tg"),
    Index("ix_message_map_comment", "okdesk_comment_id"),
)

# What the next message of a user is for (survives restarts).
dialogs = Table(
    "dialogs",
    metadata,
    Column("tg_user_id", BigInteger, primary_key=True, autoincrement=False),
    Column("state", String(40), nullable=False),
    Column("data", Text, nullable=False, default="{}"),
    Column("updated_at", UTCDateTime(), nullable=False),
)

# Small named values: the poll cursor, the last poll, the status names.
kv = Table(
    "kv",
    metadata,
    Column("key", String(100), primary_key=True),
    Column("value", Text, nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
)

# Every private message a client sent the bot, recorded before anything is done with it: Telegram
# may hand a message over again (catch-up after a restart), and the key makes that a no-op.
inbox_messages = Table(
    "inbox_messages",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("tg_chat_id", BigInteger, nullable=False),
    Column("tg_message_id", BigInteger, nullable=False),
    Column("tg_user_id", BigInteger, nullable=False),
    Column("grouped_id", BigInteger, nullable=True),
    Column("reply_to_msg_id", BigInteger, nullable=True),
    # Telegram's date of the message.
    Column("sent_at", UTCDateTime(), nullable=False),
    # What the message says and which files it carries (syncd.relay.content, as JSON).
    Column("content", Text, nullable=False),
    # The serialized TL media, to download the file later (after a restart too).
    Column("media", Text, nullable=True),
    # The job the message belongs to; NULL while an album is still arriving.
    Column("job_id", Integer, nullable=True, index=True),
    Column("received_at", UTCDateTime(), nullable=False),
    UniqueConstraint("tg_chat_id", "tg_message_id", name="uq_inbox_messages_tg"),
    Index("ix_inbox_messages_group", "tg_chat_id", "grouped_id"),
)

# One message or one album on its way into Okdesk as a comment or an issue.
inbound_jobs = Table(
    "inbound_jobs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("tg_user_id", BigInteger, nullable=False),
    Column("tg_chat_id", BigInteger, nullable=False),
    # asking | queued | unsure | done | duplicate | refused | failed
    Column("state", String(20), nullable=False),
    Column("action", String(20), nullable=True),  # comment | create
    # The issue commented on, or the issue created.
    Column("okdesk_issue_id", Integer, nullable=True),
    Column("okdesk_comment_id", Integer, nullable=True),
    Column("fingerprint", String(64), nullable=False),
    Column("sent_at", UTCDateTime(), nullable=False),
    # The bot's message offering a choice, while the job is asking.
    Column("ask_message_id", BigInteger, nullable=True),
    # On Okdesk's clock: what a POST whose outcome is unknown may have created is dated after it.
    Column("first_attempt_at", UTCDateTime(), nullable=True),
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_try_at", UTCDateTime(), nullable=False),
    Column("budget_spent", Float, nullable=False, default=0.0),
    # Files Okdesk refused or that could not be taken: [{"name", "reason"}], as JSON.
    Column("dropped_files", Text, nullable=False, default="[]"),
    # A comment on a completed or closed issue: NULL until the client chose; "reopen" (reopen, then
    # comment), "comment" (as it is: a remark, or the client's choice), "reopen_refused" (Okdesk said no).
    Column("finished_choice", String(20), nullable=True),
    Column("last_error", Text, nullable=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("done_at", UTCDateTime(), nullable=True),
    # Since when the worker has been trying to post it: made queued, or queued again after a question
    # to the client (NULL: since created_at). What sync.ack_after is counted from.
    Column("queued_at", UTCDateTime(), nullable=True),
    # When the client was told their message was received and will be passed on (its outbox item
    # written in the same transaction): at most once per job.
    Column("acked_at", UTCDateTime(), nullable=True),
    Index("ix_inbound_jobs_state_next", "state", "next_try_at"),
    Index("ix_inbound_jobs_user_fingerprint", "tg_user_id", "fingerprint"),
)

# A client's rating of an issue, written before Okdesk is asked ("unsure") and marked "done" once it
# answered: one rating per issue, whatever is tapped twice or resent after a crash.
issue_ratings = Table(
    "issue_ratings",
    metadata,
    Column("okdesk_issue_id", Integer, primary_key=True, autoincrement=False),
    Column("tg_user_id", BigInteger, nullable=False),
    Column("okdesk_contact_id", Integer, nullable=False),
    Column("rate", String(20), nullable=False),  # bad | normal | good
    Column("state", String(20), nullable=False),  # unsure | done
    Column("created_at", UTCDateTime(), nullable=False),
    Column("done_at", UTCDateTime(), nullable=True),
)

# The one daemon allowed to act on this database (syncd.store.lease): one row, id 1, whose holder
# renews it on the database's own clock; all NULL when no daemon holds it (a clean stop clears it).
daemon_lease = Table(
    "daemon_lease",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("holder_token", String(64), nullable=True),
    Column("host", Text, nullable=True),
    # Host name, machine-id and pid namespace: whether the holder's pid can be looked up from here.
    Column("host_id", Text, nullable=True),
    Column("pid", Integer, nullable=True),
    # The holder's own state.lease_timeout: its expiry is judged by it, not by a contender's setting.
    Column("lease_timeout", Float, nullable=True),
    Column("started_at", UTCDateTime(), nullable=True),
    Column("renewed_at", UTCDateTime(), nullable=True),
)
