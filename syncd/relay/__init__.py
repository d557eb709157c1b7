"""Carrying out what was decided, in both directions.

Okdesk -> Telegram: the poll and the sweep (poller, issue_sync, account_state), the outbox sender
(deliveries to clients, paced, each under the random_id chosen before its first attempt) and private
notices to staff. Telegram -> Okdesk: a client's message described (content), its files fetched
(files), what is posted and how a lost answer is found again (posting, author, ownership). The
loop every queue runs on (dispatchloop). Decisions come from syncd.sync; nothing here asks the client.
"""
