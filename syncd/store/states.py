"""The names the store writes and the commands read: outbox states, blanked texts, item prefixes.

Plain strings and nothing else, so a command module can import them at its top without loading
SQLAlchemy (``syncd --help`` stays quick). An inbound job's states are in
:mod:`syncd.store.inbound_repo`, beside the code that moves a job through them.
"""

from __future__ import annotations

# An outbox item's states: pending until sent (or parked as failed once its retry budget is
# spent); cancelled when its client unlinked before it went.
PENDING, DONE, FAILED, CANCELLED = "pending", "done", "failed", "cancelled"

# What a blanked message says: an empty Content (syncd.inbound.content), still valid JSON.
BLANK_CONTENT = "{}"
# What a finished or cancelled delivery's payload is blanked to: still valid JSON.
BLANK_PAYLOAD = "{}"

# How `syncd status` and `syncd retry` name a failed item: "o12" is outbox item 12, "i7" inbound job 7.
OUTBOX_PREFIX, INBOUND_PREFIX = "o", "i"

# kv: what the catch-up after downtime could not hand back (syncd.telegram.catchup), for `syncd status`.
TELEGRAM_CATCH_UP_KEY = "telegram_catch_up"
# kv: what the daemon learned of the Okdesk account (syncd.sync.account), with its evidence.
OKDESK_UPDATED_SINCE_KEY = "okdesk_updated_since"
OKDESK_COMMENT_BUMP_KEY = "okdesk_comment_bump"
