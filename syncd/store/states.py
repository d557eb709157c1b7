"""The names the store writes and the commands read: outbox and inbound job states, blanked texts,
item prefixes, kv keys.

Plain strings and nothing else, so a command module can import them at its top without loading
SQLAlchemy (``syncd --help`` stays quick), and every part of the store from here rather than from
each other.
"""

from __future__ import annotations

# An outbox item's states: pending until sent (or parked as failed once its retry budget is
# spent); cancelled when its client unlinked before it went. A staff notice may be UNSURE too.
PENDING, DONE, FAILED, CANCELLED = "pending", "done", "failed", "cancelled"

# Outcome unknown, look before trying again: a side effect in Okdesk (a job's comment or issue, a
# rating, a staff notice) may have happened, its answer lost (a timeout, a crash). The next try
# searches Okdesk for it first and acts only when it is not there. One name for jobs, ratings and
# notices alike; an unsure item is still waiting.
UNSURE = "unsure"
# Outbox items still to be carried out (pending, or a notice whose POST may have gone out).
WAITING_OUTBOX_STATES = (PENDING, UNSURE)

# An outbox item's kinds: a message to a client in Telegram, or a private notice to staff in Okdesk.
OUTBOX_TELEGRAM, OUTBOX_NOTICE = "telegram", "okdesk_notice"

# An inbound job's states (syncd.store.inbound_repo moves a job through them): asking the client a
# question, queued, UNSURE (its POST may have reached Okdesk), and the ends: done, a duplicate of a
# message already posted, refused by Okdesk (or its client unlinked), failed after its retry budget.
JOB_ASKING, JOB_QUEUED = "asking", "queued"
JOB_DONE, JOB_DUPLICATE, JOB_REFUSED, JOB_FAILED = "done", "duplicate", "refused", "failed"
# A question's ends, the message never sent: the client cancelled it (/cancel, the cancel button), or
# the question went unanswered for sync.question_ttl (the client is told).
JOB_CANCELLED, JOB_EXPIRED = "cancelled", "expired"
OPEN_JOB_STATES = (JOB_ASKING, JOB_QUEUED, UNSURE)
# Jobs the worker takes up: queued, or unsure (those search Okdesk first).
RUNNABLE_JOB_STATES = (JOB_QUEUED, UNSURE)

# An issue rating's states (syncd.store.rating_repo): UNSURE from before Okdesk is asked until its
# answer (or the issue) says; done once Okdesk has it.
RATING_DONE = "done"

# What a blanked message says: an empty Content (syncd.relay.content), still valid JSON.
BLANK_CONTENT = "{}"
# What a finished or cancelled delivery's payload is blanked to: still valid JSON.
BLANK_PAYLOAD = "{}"

# How `syncd status` and `syncd retry` name a failed item: "o12" is outbox item 12, "i7" inbound job 7.
OUTBOX_PREFIX, INBOUND_PREFIX = "o", "i"

# kv: the daemon's latest error {"at", "service", "message"}, written every few seconds (syncd.relay.health).
LAST_ERROR_KEY = "last_error"
# kv: the latest poll {"at", "ok"}, the latest poll Okdesk answered (an ISO time), and how long a full
# round of the followed issues takes {"seconds", "followed_issues", ...} (syncd.relay.poller, syncd.relay.account_state).
LAST_POLL_KEY = "last_poll"
LAST_POLL_OK_KEY = "last_poll_ok"
RECONCILE_PERIOD_KEY = "reconcile_period"
# kv: the poll's cursor (an ISO time) and the account's status names {code: name} (syncd.relay.poller).
POLL_CURSOR_KEY = "poll_cursor"
STATUS_NAMES_KEY = "status_names"
# kv: when the running daemon last reached Telegram, for `syncd check` (syncd.telegram.heartbeat).
TELEGRAM_LAST_OK_KEY = "telegram_last_ok"
# kv: what Okdesk answered the last issue create that named the client as author (syncd.relay.author).
OKDESK_ISSUE_AUTHOR_KEY = "okdesk_issue_author"
# kv: what the catch-up after downtime could not hand back (syncd.telegram.catchup), for `syncd status`.
TELEGRAM_CATCH_UP_KEY = "telegram_catch_up"
# kv: what the daemon learned of the Okdesk account (syncd.sync.account), with its evidence.
OKDESK_UPDATED_SINCE_KEY = "okdesk_updated_since"
OKDESK_COMMENT_BUMP_KEY = "okdesk_comment_bump"
# kv, one per issue: a status change the daemon asked Okdesk for on the client's behalf (a reopening)
# {"from", "to", "at"}, so the poll does not announce it back to them (syncd.relay.own_changes).
OWN_STATUS_CHANGE_KEY = "own_status_change:{issue_id}"
