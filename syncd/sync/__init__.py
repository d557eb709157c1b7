"""Pure decisions (no I/O): the Okdesk -> Telegram planner, retry accounting, payload codec."""
