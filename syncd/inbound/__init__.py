"""Telegram -> Okdesk: what clients write becomes their own issues and comments, exactly once."""
